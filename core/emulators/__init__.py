"""Loopback emulators of the external systems (VMmanager 6, cPanel/WHM, Namecheap), so the tests and
the demo run offline. Each `start_*` binds 127.0.0.1 on a random port and returns an `EmulatorHandle`."""

from core.emulators.base import EmulatorHandle, FaultKind, closed_port
from core.emulators.cpanel import CpanelState, start_cpanel
from core.emulators.namecheap import NamecheapState, start_namecheap
from core.emulators.vmmanager import VmmanagerState, start_vmmanager

__all__ = [
    "CpanelState",
    "EmulatorHandle",
    "FaultKind",
    "NamecheapState",
    "VmmanagerState",
    "closed_port",
    "start_cpanel",
    "start_namecheap",
    "start_vmmanager",
]

"""Loopback emulators of the external systems (VMmanager 6, cPanel/WHM, Namecheap), so the tests and
the demo run offline. Each `start_*` binds 127.0.0.1 on a random port and returns an `EmulatorHandle`."""

from procmod.demo.emulators.base import EmulatorHandle, FaultKind, closed_port
from procmod.demo.emulators.cpanel import CpanelState, start_cpanel
from procmod.demo.emulators.namecheap import NamecheapState, start_namecheap
from procmod.demo.emulators.vmmanager import VmmanagerState, start_vmmanager

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

"""Loopback emulators of the external systems (VMmanager 6, cPanel/WHM, Namecheap, Proxmox VE, DCImanager 6), so the tests and
the demo run offline. Each `start_*` binds 127.0.0.1 on a random port and returns an `EmulatorHandle`."""

from procmod.demo.emulators.base import EmulatorHandle, FaultKind, closed_port
from procmod.demo.emulators.cpanel import CpanelState, start_cpanel
from procmod.demo.emulators.dcimanager import DcimanagerState, start_dcimanager
from procmod.demo.emulators.namecheap import NamecheapState, start_namecheap
from procmod.demo.emulators.proxmox import ProxmoxState, start_proxmox
from procmod.demo.emulators.vmmanager import VmmanagerState, start_vmmanager

__all__ = [
    "CpanelState",
    "DcimanagerState",
    "EmulatorHandle",
    "FaultKind",
    "NamecheapState",
    "ProxmoxState",
    "VmmanagerState",
    "closed_port",
    "start_cpanel",
    "start_dcimanager",
    "start_namecheap",
    "start_proxmox",
    "start_vmmanager",
]

"""The demo's live surroundings: one loopback emulator per demo module, over HTTPS with a throw-away CA,
holding the same services the billing has, and the modules pointed at them.

So in `procmod demo` every check, balance, sync and configuration update is a real HTTP exchange. Two
modules are broken on purpose, as in the seeded history: "VM Amsterdam 1" points at a closed port
(unreachable) and "cPanel shared-03" has a revoked token (bad credentials).
"""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select

from procmod.core.backend import Backend
from procmod.demo.emulators import (
    EmulatorHandle,
    start_cpanel,
    start_dcimanager,
    start_namecheap,
    start_proxmox,
    start_vmmanager,
)
from procmod.demo.emulators.cpanel import CpanelState
from procmod.demo.emulators.dcimanager import DcimanagerState
from procmod.demo.emulators.namecheap import NamecheapState
from procmod.demo.emulators.proxmox import ProxmoxState
from procmod.demo.emulators.vmmanager import VmmanagerState
from procmod.storage.enums import ServiceStatus
from procmod.storage.models import ProcessingModule, Service

UNREACHABLE_MODULE = "VM Amsterdam 1"
REVOKED_TOKEN_MODULE = "cPanel shared-03"
#: Services that exist on a panel but not in the billing: what a sync reports as drift.
EXTRA_REMOTE = 2


#: What the operator types to add a module of each type on a demo emulator, in the wizard's words.
_SHEET_FIELDS = {
    "vmmanager6": (("Address", "url"), ("Login (e-mail)", "email"), ("Password", "password"),
                   ("CA bundle", "ca_bundle")),
    "cpanel": (("Host", "host"), ("Port", "port"), ("WHM user", "whm_user"), ("API token", "api_token"),
               ("CA bundle", "ca_bundle")),
    "namecheap": (("API user", "api_user"), ("API key", "api_key"), ("User name", "user_name"),
                  ("Client IP", "client_ip"), ("API address", "api_url"), ("CA bundle", "ca_bundle")),
}
_TYPE_TITLES = {"vmmanager6": "VMmanager 6", "cpanel": "cPanel/WHM", "namecheap": "Namecheap"}


@dataclass
class DemoEnvironment:
    handles: dict[str, EmulatorHandle] = field(default_factory=dict)  # by module name
    #: The working connection of each demo module: (module type, its settings and secrets), by module name.
    logins: dict[str, tuple[str, dict]] = field(default_factory=dict)

    def connection_sheet(self) -> str:
        """How to add a working module of each type to the demo: one emulator's address and credentials per
        type (a demo module's own panel, as a second module on the same server would use)."""
        lines = []
        for type_key, fields in _SHEET_FIELDS.items():
            found = next(((name, values) for name, (kind, values) in self.logins.items() if kind == type_key), None)
            if found is None:
                continue
            name, values = found
            lines.append(f"{_TYPE_TITLES[type_key]} (the panel of {name}):")
            lines.extend(f"  {label}: {values[key]}" for label, key in fields if values.get(key) not in (None, ""))
        return "\n".join(lines)

    def stop(self) -> None:
        for handle in self.handles.values():
            handle.stop()
        self.handles.clear()


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_demo_environment(backend: Backend) -> DemoEnvironment:
    """Start the emulators and rewrite the demo modules' connection settings to point at them."""
    env = DemoEnvironment()
    try:
        with backend.db.write() as session:
            modules = session.scalars(select(ProcessingModule).order_by(ProcessingModule.id)).all()
            for module in modules:
                services = session.execute(
                    select(Service.remote_id, Service.name, Service.status)
                    .where(Service.module_id == module.id, Service.remote_id.is_not(None),
                           Service.status != ServiceStatus.DELETED)
                ).all()
                settings, secrets = _attach(env, module, services)
                if module.name not in (UNREACHABLE_MODULE, REVOKED_TOKEN_MODULE):
                    env.logins[module.name] = (module.module_type, {**module.settings, **settings, **secrets})
                module.settings = {**module.settings, **settings}
                module.secrets = backend.secrets.seal({**backend.secrets.open(module.secrets), **secrets})
    except BaseException:
        env.stop()
        raise
    return env


def _attach(env: DemoEnvironment, module: ProcessingModule, services: list) -> tuple[dict, dict]:  # noqa: ANN001
    if module.module_type == "vmmanager6":
        state = VmmanagerState(email="billing@hostco.example", password=f"vm-{module.id}-demo-pass")
        for remote_id, name, status in services:
            state.hosts[int(remote_id)] = {
                "id": int(remote_id), "name": name, "state": "stopped" if status is ServiceStatus.SUSPENDED else "active",
                "cluster": {"id": 1}, "os": {"id": 1}, "cpu_number": 2, "ram_mib": 2048, "disk": {"disk_mib": 40960}}
        for extra in range(EXTRA_REMOTE):
            state.add_host(f"orphan-vm-{extra + 1}.hostco.example")
        handle = env.handles[module.name] = start_vmmanager(https=True, state=state)
        url = handle.base_url if module.name != UNREACHABLE_MODULE else f"https://127.0.0.1:{_closed_port()}"
        return ({"url": url, "email": state.email, "ca_bundle": handle.ca_file, "cluster": "1"},
                {"password": state.password})
    if module.module_type == "cpanel":
        state = CpanelState(api_token=f"DEMO{module.id:04d}WHMTOKEN", packages=["hostco_standard", "hostco_reseller",
                                                                                "hostco_business"])
        for remote_id, name, status in services:
            state.add_account(remote_id, name, "hostco_standard", suspended=status is ServiceStatus.SUSPENDED)
        for extra in range(EXTRA_REMOTE):
            state.add_account(f"orphan{extra + 1}", f"orphan{extra + 1}.example", "hostco_standard")
        handle = env.handles[module.name] = start_cpanel(https=True, state=state)
        token = state.api_token if module.name != REVOKED_TOKEN_MODULE else "REVOKED-TOKEN"
        return ({"host": "127.0.0.1", "port": handle.port, "whm_user": state.whm_user, "ca_bundle": handle.ca_file},
                {"api_token": token})
    if module.module_type == "proxmox":
        state = ProxmoxState(token_id=str(module.settings.get("token_id") or "billing@pve!procmod"),
                             token_secret=f"{module.id:08d}-demo-4000-8000-proxmoxtoken")
        for remote_id, name, status in services:
            state.add_vm(name, vmid=int(remote_id), status="stopped" if status is ServiceStatus.SUSPENDED else "running")
        for extra in range(EXTRA_REMOTE):
            state.add_vm(f"orphan-pve-{extra + 1}.hostco.example", node="pve2")
        handle = env.handles[module.name] = start_proxmox(https=True, state=state)
        return ({"url": handle.base_url, "ca_bundle": handle.ca_file}, {"token_secret": state.token_secret})
    if module.module_type == "dcimanager6":
        state = DcimanagerState(email="billing@hostco.example", password=f"dci-{module.id}-demo-pass")
        state.users.append({"id": 3, "email": "billing@hostco.example", "roles": ["@admin"]})
        for remote_id, name, status in services:
            state.add_server("E-2388G-32Gb-2x960SSD", owner_email="clients@hostco.example", domain=name,
                             power_status="off" if status is ServiceStatus.SUSPENDED else "on")
        for extra in range(EXTRA_REMOTE):
            state.add_server("i9-9900K-64Gb-2x1024NVMe", location=2, owner_email="clients@hostco.example",
                             domain=f"orphan-dedic-{extra + 1}.hostco.example", power_status="on")
        handle = env.handles[module.name] = start_dcimanager(https=True, state=state)
        return ({"url": handle.base_url, "email": state.email, "ca_bundle": handle.ca_file},
                {"password": state.password})
    state = NamecheapState(api_user=module.settings.get("api_user", "hostco"), user_name=module.settings.get(
        "user_name", "hostco"), api_key=f"demo{module.id:04d}namecheapkey", balance=module.balance or Decimal("0"))
    for remote_id, _name, _status in services:
        state.add_domain(remote_id)
    for extra in range(EXTRA_REMOTE):
        state.add_domain(f"not-in-billing-{extra + 1}.com")
    handle = env.handles[module.name] = start_namecheap(https=True, state=state)
    return ({"api_url": handle.base_url, "client_ip": "127.0.0.1", "ca_bundle": handle.ca_file},
            {"api_key": state.api_key})

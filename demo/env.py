"""The demo's live surroundings: one loopback emulator per demo module, over HTTPS with a throw-away CA,
holding the services the billing has (with some drift, below), and the modules pointed at them.

Every panel drifts from the billing as panels do (issue 17's reconciliation finds it): it holds `PANEL_ONLY`
objects the billing lacks (made by hand on the panel), lacks the `GONE_FROM_PANEL` newest active billing
services (deleted by hand), and differs on a few others: an active billing service suspended on the panel
(a stopped VM, an expired domain), a suspended one running there, one on another package / OS template /
configuration (`plan_drift` says which). The drift is taken from the module's newest services, so the older
ones, which the tests and the tour work on, stay in step.

So in `procmod demo` every check, balance, sync and configuration update is a real HTTP exchange. Two
modules are broken on purpose, as in the seeded history: "VM Amsterdam 1" points at a closed port
(unreachable) and "cPanel shared-03" has a revoked token (bad credentials).
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

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
from procmod.demo.emulators.vmmanager import VmmanagerState, host_address
from procmod.storage.enums import ServiceStatus
from procmod.storage.models import ProcessingModule, Service

UNREACHABLE_MODULE = "VM Amsterdam 1"
REVOKED_TOKEN_MODULE = "cPanel shared-03"
#: Objects each panel holds that the billing lacks: what a sync reports as drift.
PANEL_ONLY = 3
EXTRA_REMOTE = PANEL_ONLY  # the name older code knows it by
#: Active billing services each panel lacks (deleted there by hand).
GONE_FROM_PANEL = 2
#: The plan the emulators give every object (the other one: `OTHER_PLAN`), per type; "" where a type has none.
DEFAULT_PLAN = {"vmmanager6": "1", "cpanel": "hostco_standard", "dcimanager6": "E-2388G-32Gb-2x960SSD",
                "proxmox": "", "namecheap": ""}
OTHER_PLAN = {"vmmanager6": "2", "cpanel": "hostco_business", "dcimanager6": "i9-9900K-64Gb-2x1024NVMe"}


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


@dataclass(frozen=True)
class BillingService:
    """What the demo's panels are filled from: one billing service with a remote id."""

    id: int
    remote_id: str
    name: str
    status: ServiceStatus
    natural_key: str = ""  # the billing's own record of it, where the schema has one
    plan: str = ""
    address: str = ""


@dataclass(frozen=True)
class PanelDrift:
    """How one demo panel differs from its module's billing services (remote ids)."""

    gone: frozenset[str] = frozenset()  # active in the billing, not on the panel
    suspended_on_panel: frozenset[str] = frozenset()  # active in the billing; stopped / suspended / expired there
    active_on_panel: frozenset[str] = frozenset()  # suspended in the billing; running there
    other_plan: frozenset[str] = frozenset()  # on the panel with another package / OS template / configuration

    @property
    def differing(self) -> frozenset[str]:
        return self.suspended_on_panel | self.active_on_panel | self.other_plan


def plan_drift(type_key: str, services: list[BillingService]) -> PanelDrift:
    """The drift of one panel, from its module's services: the newest active ones are gone or differ, the
    newest suspended one runs on the panel. Types without plans get a second status difference instead;
    a registrar (no suspension) has its domains expire."""
    newest_active = [s.remote_id for s in sorted(services, key=lambda s: -s.id) if s.status is ServiceStatus.ACTIVE]
    newest_suspended = [s.remote_id for s in sorted(services, key=lambda s: -s.id)
                        if s.status is ServiceStatus.SUSPENDED]
    gone, rest = newest_active[:GONE_FROM_PANEL], newest_active[GONE_FROM_PANEL:]
    has_plans = type_key in OTHER_PLAN
    suspended = rest[:1] if has_plans else rest[:2]
    other = rest[1:2] if has_plans else []
    active = newest_suspended[:1] if type_key != "namecheap" else []
    return PanelDrift(frozenset(gone), frozenset(suspended), frozenset(active), frozenset(other))


def panel_only_names(type_key: str) -> list[str]:
    """The natural keys of the objects each panel of this type holds that the billing lacks."""
    pattern = {"vmmanager6": "orphan-vm-{}.hostco.example", "cpanel": "orphan{}",
               "namecheap": "not-in-billing-{}.com", "proxmox": "orphan-pve-{}.hostco.example",
               "dcimanager6": "orphan-dedic-{}.hostco.example"}[type_key]
    return [pattern.format(number) for number in range(1, PANEL_ONLY + 1)]


def registrar_panel(services: list[BillingService]) -> list[Any]:
    """What a demo registrar's panel answers for these billing services, read as the Namecheap driver reads it
    (RemoteService), without starting it: its domains (`_attach`, with the drift) and the ones only there.
    The seed stores the report of its scheduled syncs from it, so a seeded drift notification opens a report
    that a real read of the emulator then agrees with."""
    from procmod.core.drivers import RemoteService, RemoteStatus

    drift = plan_drift("namecheap", services)
    objects = [RemoteService(remote_id=service.remote_id, name=service.remote_id,
                             natural_key=service.remote_id.lower(), address=service.remote_id.lower(),
                             status=RemoteStatus.EXPIRED if service.remote_id in drift.suspended_on_panel
                             else RemoteStatus.ACTIVE)
               for service, _suspended, _other in _on_panel(services, drift)]
    objects += [RemoteService(remote_id=name, name=name, natural_key=name, address=name, status=RemoteStatus.ACTIVE)
                for name in panel_only_names("namecheap")]
    return objects


def billing_services(session: Any, module_id: int) -> list[BillingService]:
    """The module's billing services that its demo panel holds (remote id known, not deleted)."""
    return _billing_services(session, module_id)


def _optional(column: str) -> Any:
    """A Service column reconciliation's schema adds (natural key, panel plan, address), when it has it."""
    return getattr(Service, column, None)


#: BillingService's fields read from the Service columns reconciliation's schema added (migration 0012).
_IDENTITY_COLUMNS = (("natural_key", "natural_key"), ("plan", "panel_plan"), ("address", "address"))


def _billing_services(session: Any, module_id: int) -> list[BillingService]:
    extra = [(field_name, column) for field_name, column in _IDENTITY_COLUMNS if _optional(column) is not None]
    rows = session.execute(
        select(Service.id, Service.remote_id, Service.name, Service.status, *(_optional(c) for _f, c in extra))
        .where(Service.module_id == module_id, Service.remote_id.is_not(None),
               Service.status != ServiceStatus.DELETED)
        .order_by(Service.id)
    ).all()
    return [BillingService(row[0], str(row[1]), row[2], row[3],
                           **{field_name: str(value or "") for (field_name, _c), value in zip(extra, row[4:], strict=True)})
            for row in rows]


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
                services = _billing_services(session, module.id)
                settings, secrets = _attach(env, module, services)
                if module.name not in (UNREACHABLE_MODULE, REVOKED_TOKEN_MODULE):
                    env.logins[module.name] = (module.module_type, {**module.settings, **settings, **secrets})
                module.settings = {**module.settings, **settings}
                module.secrets = backend.secrets.seal({**backend.secrets.open(module.secrets), **secrets})
    except BaseException:
        env.stop()
        raise
    return env


#: An address where nothing listens on any machine (port 1, tcpmux, is never served): every call to it is
#: refused at once, with the same words each time.
NOBODY_LISTENS = ("127.0.0.1", 1)


def panels_down(backend: Backend) -> None:
    """Point every module at an address where nothing listens (`NOBODY_LISTENS`): each operation then fails
    at once, "Nothing accepts connections at 127.0.0.1:1", as with a panel that is down (the tour's bulk
    run; no emulator needed, no waiting on DNS)."""
    host, port = NOBODY_LISTENS
    url = f"https://{host}:{port}"
    address = {"cpanel": {"host": host, "port": port}, "namecheap": {"api_url": f"{url}/xml.response"}}
    with backend.db.write() as session:
        for module in session.scalars(select(ProcessingModule).order_by(ProcessingModule.id)):
            module.settings = {**module.settings, **address.get(module.module_type, {"url": url})}


def _on_panel(services: list[BillingService], drift: PanelDrift) -> Iterator[tuple[BillingService, bool, bool]]:
    """The billing services the panel holds, each with whether it is suspended there and on the other plan."""
    for service in services:
        if service.remote_id in drift.gone:
            continue
        suspended = service.status is ServiceStatus.SUSPENDED
        if service.remote_id in drift.suspended_on_panel:
            suspended = True
        elif service.remote_id in drift.active_on_panel:
            suspended = False
        yield service, suspended, service.remote_id in drift.other_plan


def _plan(type_key: str, service: BillingService, other: bool) -> str:
    plan = service.plan or DEFAULT_PLAN[type_key]
    if not other:
        return plan
    return OTHER_PLAN[type_key] if plan != OTHER_PLAN[type_key] else DEFAULT_PLAN[type_key]


def _attach(env: DemoEnvironment, module: ProcessingModule, services: list[BillingService]) -> tuple[dict, dict]:
    kind = module.module_type
    drift = plan_drift(kind, services)
    extras = panel_only_names(kind)
    if kind == "vmmanager6":
        state = VmmanagerState(email="billing@hostco.example", password=f"vm-{module.id}-demo-pass")
        for service, suspended, other in _on_panel(services, drift):
            host_id, plan = int(service.remote_id), _plan(kind, service, other)
            state.hosts[host_id] = {
                "id": host_id, "name": service.natural_key or service.name,
                "state": "stopped" if suspended else "active", "cluster": {"id": 1},
                "os": {"id": int(plan) if plan.isdigit() else 1 + other}, "cpu_number": 2, "ram_mib": 2048,
                "disk": {"disk_mib": 40960}, "ip4": [{"id": host_id, "ip": service.address or host_address(host_id)}]}
        for number, name in enumerate(extras):
            state.add_host(name, "stopped" if number == PANEL_ONLY - 1 else "active", os_id=1 + number % 2)
        handle = env.handles[module.name] = start_vmmanager(https=True, state=state)
        url = handle.base_url if module.name != UNREACHABLE_MODULE else f"https://127.0.0.1:{_closed_port()}"
        return ({"url": url, "email": state.email, "ca_bundle": handle.ca_file, "cluster": "1"},
                {"password": state.password})
    if kind == "cpanel":
        state = CpanelState(api_token=f"DEMO{module.id:04d}WHMTOKEN", packages=["hostco_standard", "hostco_reseller",
                                                                                "hostco_business"])
        for service, suspended, other in _on_panel(services, drift):
            plan = _plan(kind, service, other)
            if plan not in state.packages:
                state.packages.append(plan)
            state.add_account(service.remote_id, service.address or service.name, plan, suspended=suspended)
            if service.remote_id in drift.suspended_on_panel:
                state.accounts[service.remote_id]["suspendreason"] = "Suspended by hand on the server: abuse report"
        for number, user in enumerate(extras):
            state.add_account(user, f"{user}.example", "hostco_standard" if number else "hostco_business",
                              suspended=number == PANEL_ONLY - 1)
        handle = env.handles[module.name] = start_cpanel(https=True, state=state)
        token = state.api_token if module.name != REVOKED_TOKEN_MODULE else "REVOKED-TOKEN"
        return ({"host": "127.0.0.1", "port": handle.port, "whm_user": state.whm_user, "ca_bundle": handle.ca_file},
                {"api_token": token})
    if kind == "proxmox":
        state = ProxmoxState(token_id=str(module.settings.get("token_id") or "billing@pve!procmod"),
                             token_secret=f"{module.id:08d}-demo-4000-8000-proxmoxtoken")
        for service, suspended, _other in _on_panel(services, drift):
            state.add_vm(service.natural_key or service.name, vmid=int(service.remote_id),
                         status="stopped" if suspended else "running")
        for number, name in enumerate(extras):
            state.add_vm(name, node="pve2", status="stopped" if number == PANEL_ONLY - 1 else "running")
        handle = env.handles[module.name] = start_proxmox(https=True, state=state)
        return ({"url": handle.base_url, "ca_bundle": handle.ca_file}, {"token_secret": state.token_secret})
    if kind == "dcimanager6":
        state = DcimanagerState(email="billing@hostco.example", password=f"dci-{module.id}-demo-pass")
        state.users.append({"id": 3, "email": "billing@hostco.example", "roles": ["@admin"]})
        for service, suspended, other in _on_panel(services, drift):
            server_id = state.add_server(_plan(kind, service, other), owner_email="clients@hostco.example",
                                         domain=service.natural_key or service.name,
                                         power_status="off" if suspended else "on", server_id=int(service.remote_id))
            if service.address:
                state.servers[server_id]["ip"][0]["name"] = service.address
        for number, name in enumerate(extras):
            state.add_server("i9-9900K-64Gb-2x1024NVMe", location=2, owner_email="clients@hostco.example",
                             domain=name, power_status="off" if number == PANEL_ONLY - 1 else "on")
        handle = env.handles[module.name] = start_dcimanager(https=True, state=state)
        return ({"url": handle.base_url, "email": state.email, "ca_bundle": handle.ca_file},
                {"password": state.password})
    state = NamecheapState(api_user=module.settings.get("api_user", "hostco"), user_name=module.settings.get(
        "user_name", "hostco"), api_key=f"demo{module.id:04d}namecheapkey", balance=module.balance or Decimal("0"))
    for service, _suspended, _other in _on_panel(services, drift):
        # A registrar does not suspend: the drifting domains have expired there (not renewed in time).
        expired = service.remote_id in drift.suspended_on_panel
        state.add_domain(service.remote_id, state.today - timedelta(days=9) if expired else None)
    for name in extras:
        state.add_domain(name)
    handle = env.handles[module.name] = start_namecheap(https=True, state=state)
    return ({"api_url": handle.base_url, "client_ip": "127.0.0.1", "ca_bundle": handle.ca_file},
            {"api_key": state.api_key})

"""Deterministic, realistic demo data (`procmod demo`, the tests and the snapshots all use it).

Everything is derived from a fixed random seed and from the backend's clock, so the same clock gives
the same database, row for row. Bulk rows (services, task runs) are inserted with executemany.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from croniter import croniter
from sqlalchemy import insert, select

from procmod.core.backend import Backend
from procmod.core.moduletypes import module_type
from procmod.core.reference import ensure_product_types
from procmod.core.schedule import next_fire_time
from procmod.storage.enums import ModuleStatus, RunResult, ServiceStatus, TariffStatus
from procmod.storage.models import (
    AuditEntry,
    BackgroundTask,
    DataCenter,
    Department,
    Notification,
    ProcessingModule,
    Service,
    Tariff,
    TariffModule,
    TaskRun,
)

SEED = 20261126


@dataclass(frozen=True)
class DemoModule:
    name: str
    type_key: str
    datacenter: str | None
    department: str
    status: ModuleStatus
    priority: int
    settings: dict[str, Any]
    secrets: dict[str, Any]
    failing: str | None = None  # the error its connection checks report, when it is failing
    balance: Decimal | None = None
    minimal_balance: Decimal | None = None
    #: Added lately (the demo's newer types): no history of runs or notifications yet; their tariffs and
    #: services (`NEWER_TARIFFS`) are seeded after everything else, so the older data stays as it was.
    fresh: bool = False


SALES, SUPPORT = "Sales department", "Technical support"
FRA, AMS = "Frankfurt FRA1", "Amsterdam AMS2"
#: (name, e-mail, notifications to)
DEPARTMENTS = ((SALES, "sales@hostco.example", None),
               (SUPPORT, "support@hostco.example", "noc@hostco.example"))
#: (name, short name, location, external id)
DATACENTERS = ((FRA, "FRA1", "Frankfurt am Main, DE", "fra1"), (AMS, "AMS2", "Amsterdam, NL", "ams2"))
ON, OFF = ModuleStatus.ENABLED, ModuleStatus.DISABLED


def _vm(name: str, dc: str, host: str, cluster: str, status: ModuleStatus = ON, priority: int = 10,
        failing: str | None = None) -> DemoModule:
    return DemoModule(
        name, "vmmanager6", dc, SUPPORT, status, priority,
        {"url": f"https://{host}", "email": "billing@hostco.example", "verify_tls": True, "cluster": cluster,
         "use_recipes": priority % 20 == 10, "extra_network_interface": False, "license_server": "ispsystem"},
        {"password": f"demo-{host}-pw", "license_key": f"LIC-{host[:6].upper()}"},
        failing=failing,
    )


def _cp(name: str, host: str, status: ModuleStatus = ON, priority: int = 10, failing: str | None = None,
        package: str = "hostco_standard") -> DemoModule:
    return DemoModule(
        name, "cpanel", None, SUPPORT, status, priority,
        {"host": host, "port": 2087, "whm_user": "root", "verify_tls": True, "default_package": package,
         "nameserver1": "ns1.hostco.example", "nameserver2": "ns2.hostco.example"},
        {"api_token": f"DEMO{host.split('.')[0].upper()}TOKEN"},
        failing=failing,
    )


def _nc(name: str, user: str, balance: str, minimal: str, status: ModuleStatus = ON, sandbox: bool = False,
        priority: int = 10) -> DemoModule:
    return DemoModule(
        name, "namecheap", None, SALES, status, priority,
        {"api_user": user, "user_name": user, "client_ip": "198.51.100.24", "sandbox": sandbox,
         "default_years": 1, "auto_renew": True},
        {"api_key": f"demo{user}apikey"},
        balance=Decimal(balance), minimal_balance=Decimal(minimal),
    )


def _pve(name: str, dc: str, host: str) -> DemoModule:
    return DemoModule(
        name, "proxmox", dc, SUPPORT, ON, 30,
        {"url": f"https://{host}:8006", "token_id": "billing@pve!procmod", "verify_tls": True, "node": "pve1",
         "template": "9000", "full_clone": True, "suspend_action": "stop"},
        {"token_secret": "00000000-demo-4000-8000-000000000000"},
        fresh=True,
    )


def _dci(name: str, dc: str, host: str) -> DemoModule:
    return DemoModule(
        name, "dcimanager6", dc, SUPPORT, ON, 30,
        {"url": f"https://{host}", "email": "billing@hostco.example", "verify_tls": True, "location": "1",
         "os_template": "1", "owner_email": "clients@hostco.example"},
        {"password": f"demo-{host}-pw"},
        fresh=True,
    )


MODULES: tuple[DemoModule, ...] = (
    _vm("VM Frankfurt 1", FRA, "vm-fra1.hostco.example", "fra1-kvm", priority=10),
    _vm("VM Frankfurt 2", FRA, "vm-fra2.hostco.example", "fra1-kvm", priority=20),
    _vm("VM Frankfurt legacy", FRA, "vm-old.hostco.example", "fra1-legacy", OFF, 90),
    _vm("VM Amsterdam 1", AMS, "vm-ams1.hostco.example", "ams2-kvm", priority=10,
        failing="Unreachable: the panel did not answer within 10 s"),
    _vm("VM Amsterdam 2", AMS, "vm-ams2.hostco.example", "ams2-kvm", priority=20),
    _vm("VM Amsterdam GPU", AMS, "vm-gpu.hostco.example", "ams2-gpu", OFF, 50),
    _cp("cPanel shared-01", "web01.hostco.example", priority=10),
    _cp("cPanel shared-02", "web02.hostco.example", priority=20),
    _cp("cPanel shared-03", "web03.hostco.example", priority=30,
        failing="Bad credentials: WHM answered 403 Forbidden for user root"),
    _cp("cPanel reseller", "reseller.hostco.example", priority=40, package="hostco_reseller"),
    _cp("cPanel legacy", "web-old.hostco.example", OFF, 90),
    _nc("Namecheap main", "hostco", "1240.50", "200.00"),
    _nc("Namecheap reseller", "hostcoresell", "85.20", "100.00", priority=20),
    _nc("Namecheap sandbox", "hostcotest", "5000.00", "0.00", OFF, sandbox=True, priority=90),
    # Newer module types, added last so the older demo data (and its recorded screens) stays as it was.
    _pve("Proxmox cluster 1", FRA, "pve-fra1.hostco.example"),
    _dci("Dedicated servers", AMS, "dci.hostco.example"),
)

#: A module being retired: its delete can be completed in the console (see `_seed_module_to_retire`).
MODULE_TO_RETIRE = _cp("cPanel staging", "staging.hostco.example", priority=95)
#: Every module the demo seeds: its list, then the module to retire.
MODULE_COUNT = len(MODULES) + 1
#: Two Active tariffs link it (the manual's two ways out: re-link one with Modules, disable the other), and a
#: Disabled one, which no longer blocks a delete.
TARIFFS_OF_MODULE_TO_RETIRE = ("Hosting Lite", "Reseller 50", "Hosting Student")

#: (name, product type, price, status, how many modules of that type it links)
TARIFFS: tuple[tuple[str, str, str, TariffStatus, int], ...] = (
    ("VPS Start", "vds", "4.90", TariffStatus.ACTIVE, 2),
    ("VPS Basic", "vds", "7.90", TariffStatus.ACTIVE, 2),
    ("VPS Standard", "vds", "12.90", TariffStatus.ACTIVE, 3),
    ("VPS Pro", "vds", "19.90", TariffStatus.ACTIVE, 2),
    ("VPS Max", "vds", "39.90", TariffStatus.ACTIVE, 1),
    ("VPS Storage 1 TB", "vds", "24.00", TariffStatus.ACTIVE, 1),
    ("VPS GPU A16", "vds", "149.00", TariffStatus.DISABLED, 1),
    ("VPS Windows Basic", "vds", "14.90", TariffStatus.ACTIVE, 2),
    ("VPS Windows Pro", "vds", "29.90", TariffStatus.ACTIVE, 1),
    ("VPS Promo 2024", "vds", "3.00", TariffStatus.ARCHIVED, 2),
    ("VPS Legacy S", "vds", "5.00", TariffStatus.ARCHIVED, 1),
    ("VPS Legacy M", "vds", "9.00", TariffStatus.DELETED, 1),
    ("VPS Black Friday", "vds", "2.50", TariffStatus.DISABLED, 2),
    ("VPS Dev Sandbox", "vds", "1.00", TariffStatus.DELETED, 1),
    ("Hosting Lite", "vhost", "2.50", TariffStatus.ACTIVE, 2),
    ("Hosting Standard", "vhost", "4.90", TariffStatus.ACTIVE, 3),
    ("Hosting Business", "vhost", "9.90", TariffStatus.ACTIVE, 2),
    ("Hosting WordPress", "vhost", "5.90", TariffStatus.ACTIVE, 2),
    ("Hosting E-commerce", "vhost", "14.90", TariffStatus.ACTIVE, 1),
    ("Reseller 10", "vhost", "19.00", TariffStatus.ACTIVE, 1),
    ("Reseller 50", "vhost", "49.00", TariffStatus.ACTIVE, 1),
    ("Hosting Student", "vhost", "0.99", TariffStatus.DISABLED, 1),
    ("Hosting Classic", "vhost", "3.90", TariffStatus.ARCHIVED, 2),
    ("Hosting Unlimited 2019", "vhost", "7.00", TariffStatus.DELETED, 1),
    ("Hosting Trial", "vhost", "0.00", TariffStatus.DISABLED, 2),
    ("Hosting Agency", "vhost", "29.00", TariffStatus.ACTIVE, 2),
    ("Domain .com", "domain", "10.98", TariffStatus.ACTIVE, 2),
    ("Domain .net", "domain", "12.98", TariffStatus.ACTIVE, 2),
    ("Domain .org", "domain", "11.48", TariffStatus.ACTIVE, 2),
    ("Domain .io", "domain", "39.98", TariffStatus.ACTIVE, 1),
    ("Domain .de", "domain", "6.98", TariffStatus.ACTIVE, 1),
    ("Domain .eu", "domain", "7.48", TariffStatus.ACTIVE, 1),
    ("Domain .dev", "domain", "14.98", TariffStatus.ACTIVE, 1),
    ("Domain .app", "domain", "16.98", TariffStatus.ACTIVE, 1),
    ("Domain .shop", "domain", "2.98", TariffStatus.DISABLED, 1),
    ("Domain .xyz", "domain", "1.98", TariffStatus.ARCHIVED, 2),
    ("Domain .info", "domain", "3.98", TariffStatus.ACTIVE, 2),
    ("Domain .biz promo", "domain", "4.98", TariffStatus.DELETED, 1),
    ("Domain .co.uk", "domain", "8.98", TariffStatus.ACTIVE, 1),
    ("Domain .nl", "domain", "7.98", TariffStatus.ACTIVE, 1),
    ("Domain transfer .com", "domain", "9.98", TariffStatus.ACTIVE, 2),
    ("Domain premium", "domain", "99.00", TariffStatus.DISABLED, 1),
)

SERVICE_COUNT = 2400
#: The newer modules' own tariffs (name, product type, price, the module that serves it, its panel plan, the
#: share of the module's services on it): seeded after the rest, with their services (`NEWER_SERVICES` per
#: module), so that every module type has services for reconciliation to compare with its panel.
NEWER_TARIFFS: tuple[tuple[str, str, str, str, str, int], ...] = (
    ("VPS Proxmox S", "vds", "5.90", "Proxmox cluster 1", "", 2),
    ("VPS Proxmox M", "vds", "9.90", "Proxmox cluster 1", "", 1),
    ("Server E-2388G", "dedic", "89.00", "Dedicated servers", "E-2388G-32Gb-2x960SSD", 2),
    ("Server i9-9900K", "dedic", "119.00", "Dedicated servers", "i9-9900K-64Gb-2x1024NVMe", 1),
)
NEWER_SERVICES = 24
#: The VM / server id of the newer modules' first service on its panel (Proxmox VM ids start at 100; the
#: DCImanager emulator's free pool holds servers 1-11).
NEWER_FIRST_REMOTE_ID = 101
#: Service status weights: most are active, every status is present.
SERVICE_STATUS_WEIGHTS = (
    (ServiceStatus.ACTIVE, 62), (ServiceStatus.SUSPENDED, 9), (ServiceStatus.ORDERED, 4),
    (ServiceStatus.IN_PROGRESS, 3), (ServiceStatus.DELETED, 22),
)
RUNS_PER_TASK = 8
_WORDS = ("alpha", "nova", "pixel", "green", "atlas", "river", "orbit", "maple", "cobalt", "lumen",
          "vertex", "harbor", "summit", "cedar", "delta", "ember", "falcon", "granite", "helix", "indigo")
_TLDS = {"Domain .com": "com", "Domain .net": "net", "Domain .org": "org", "Domain .io": "io",
         "Domain .de": "de", "Domain .eu": "eu", "Domain .dev": "dev", "Domain .app": "app",
         "Domain .shop": "shop", "Domain .xyz": "xyz", "Domain .info": "info", "Domain .biz promo": "biz",
         "Domain .co.uk": "co.uk", "Domain .nl": "nl", "Domain transfer .com": "com", "Domain premium": "com"}


def seed_demo(backend: Backend, *, service_count: int = SERVICE_COUNT) -> None:
    """Fill an empty, migrated database with the demo data set (one transaction; then the reports the
    seeded drift notifications' syncs stored, one transaction each)."""
    rng = random.Random(SEED)
    now = backend.clock.now()
    with backend.db.write() as session:
        # The product types come with the schema (migration 0009); add only any the code knows beyond them.
        ensure_product_types(session)
        departments = {name: Department(name=name, email=email, notify_email=notify)
                       for name, email, notify in DEPARTMENTS}
        datacenters = {name: DataCenter(name=name, code=code, location=location, external_id=external)
                       for name, code, location, external in DATACENTERS}
        session.add_all([*departments.values(), *datacenters.values()])
        session.flush()

        modules: list[tuple[DemoModule, ProcessingModule]] = []
        for index, spec in enumerate(MODULES):
            created = now - timedelta(days=400 - index * 17, hours=index)
            mtype = module_type(spec.type_key)
            module = ProcessingModule(
                name=spec.name, module_type=spec.type_key, product_type=mtype.product_types[0],
                datacenter_id=datacenters[spec.datacenter].id if spec.datacenter else None,
                department_id=departments[spec.department].id, sort_priority=spec.priority,
                status=spec.status, settings=dict(spec.settings), secrets=backend.secrets.seal(spec.secrets),
                balance=spec.balance, balance_currency="USD" if spec.balance is not None else None,
                balance_read_at=now - timedelta(hours=3, minutes=30) if spec.balance is not None else None,
                minimal_balance=spec.minimal_balance, created_at=created,
                updated_at=created + timedelta(days=30), updated_by="admin",
            )
            module.tasks = [
                BackgroundTask(kind=t.kind, name=t.name, schedule=t.schedule, enabled=spec.status is ON)
                for t in mtype.default_tasks
            ]
            session.add(module)
            modules.append((spec, module))
        session.flush()

        by_product: dict[str, list[ProcessingModule]] = {}
        for spec, module in modules:
            if not spec.fresh:
                by_product.setdefault(module.product_type, []).append(module)

        tariffs: list[tuple[Tariff, list[ProcessingModule]]] = []
        for sort, (name, product, price, status, link_count) in enumerate(TARIFFS):
            tariff = Tariff(name=name, product_type=product, price=Decimal(price), status=status, sort=sort * 10,
                            period="year" if product == "domain" else "month")
            session.add(tariff)
            candidates = by_product[product]
            start = sort % len(candidates)
            linked = [candidates[(start + i) % len(candidates)] for i in range(link_count)]
            tariffs.append((tariff, linked))
        session.flush()
        session.execute(insert(TariffModule), [
            {"tariff_id": tariff.id, "module_id": module.id} for tariff, linked in tariffs for module in linked
        ])

        _seed_services(session, rng, now, tariffs, service_count)
        _seed_runs_and_notifications(session, rng, now, modules)
        staging = _seed_module_to_retire(session, backend, now, departments, tariffs)
        _seed_newer_services(session, now, {module.name: module for _spec, module in modules}, len(TARIFFS))
        session.add_all(
            AuditEntry(at=module.created_at, actor="admin", action="create", object_type="processing_module",
                       object_id=module.id, summary=f"Created processing module {module.name}",
                       before=None, after={"name": module.name, "type": module.module_type})
            for module in [*(module for _spec, module in modules), staging]
        )
    _seed_sync_reports(backend)


def _seed_sync_reports(backend: Backend) -> None:
    """The reports the seeded drift notifications' scheduled syncs stored (the sync stores its comparison as
    the module's latest report, and its notification opens it): compared with what the demo's registrar
    panel answers (`demo.env.registrar_panel`), at the notification's time; the notification says the
    report's counts, as the sync's does."""
    from procmod.core.clock import FixedClock
    from procmod.core.integration import PanelRead
    from procmod.core.reconciliation import Reconciliation
    from procmod.demo.env import billing_services, registrar_panel

    with backend.db.sessions() as session:  # the demo seeds drift notifications on its registrars only
        drifts = session.execute(select(Notification.id, Notification.module_id, Notification.created_at)
                                 .join(ProcessingModule, ProcessingModule.id == Notification.module_id)
                                 .where(Notification.kind == "sync_drift", ProcessingModule.module_type == "namecheap")
                                 .order_by(Notification.id)).all()
    for notification_id, module_id, created_at in drifts:
        with backend.db.sessions() as session:
            panel = _ReadPanel(PanelRead(registrar_panel(billing_services(session, module_id)), None, 1))

        def say_counts(session: Any, summary: Any, notification_id: int = notification_id) -> None:
            notification = session.get(Notification, notification_id)
            notification.description = f"Service sync: {summary.summary}"

        Reconciliation(backend.db, FixedClock(created_at), "schedule", panel, lambda: None).reconcile_fenced(  # type: ignore[arg-type]
            module_id, started_by="schedule", also=say_counts)


@dataclass(frozen=True)
class _ReadPanel:
    """What `Reconciliation` asks of the integrations, answered with a panel read made beforehand."""

    read: Any  # PanelRead

    def read_panel(self, module_id: int, guard: Any = None, progress: Any = None) -> Any:
        return self.read


def _seed_module_to_retire(session: Any, backend: Backend, now: datetime, departments: dict[str, Department],
                           tariffs: list[tuple[Tariff, list[ProcessingModule]]]) -> ProcessingModule:
    """A module the manual's delete procedure can be followed on to the end, in the console: no services,
    no task in progress; two Active tariffs still link it (re-link one with Modules, disable the other) and a
    Disabled one, which does not block. Added after the rest, so the seeded
    history of the other modules is the same with or without it."""
    spec = MODULE_TO_RETIRE
    created = now - timedelta(days=12)
    module = ProcessingModule(
        name=spec.name, module_type=spec.type_key, product_type="vhost", datacenter_id=None,
        department_id=departments[spec.department].id, sort_priority=spec.priority, status=spec.status,
        settings=dict(spec.settings), secrets=backend.secrets.seal(spec.secrets), created_at=created,
        updated_at=created, updated_by="admin",
    )
    module.tasks = [BackgroundTask(kind=t.kind, name=t.name, schedule=t.schedule, enabled=True,
                                   next_run_at=next_fire_time(t.schedule, now))
                    for t in module_type(spec.type_key).default_tasks]
    session.add(module)
    session.flush()
    by_name = {tariff.name: tariff for tariff, _linked in tariffs}
    session.execute(insert(TariffModule), [{"tariff_id": by_name[name].id, "module_id": module.id}
                                           for name in TARIFFS_OF_MODULE_TO_RETIRE])
    return module


def _seed_newer_services(session: Any, now: datetime, modules: dict[str, ProcessingModule], sort: int) -> None:
    """The newer modules' tariffs and services (Proxmox VMs, dedicated servers), from a random generator of
    their own and after every other row, so the older demo data (and its recorded screens) stays as it was."""
    rng = random.Random(SEED + 17)
    statuses = [s for s, _ in SERVICE_STATUS_WEIGHTS]
    weights = [w for _, w in SERVICE_STATUS_WEIGHTS]
    by_module: dict[str, list[tuple[Tariff, str]]] = {}
    for offset, (name, product, price, module_name, plan, share) in enumerate(NEWER_TARIFFS):
        tariff = Tariff(name=name, product_type=product, price=Decimal(price), status=TariffStatus.ACTIVE,
                        sort=(sort + offset) * 10, period="month")
        session.add(tariff)
        by_module.setdefault(module_name, []).extend([(tariff, plan)] * share)
    session.flush()
    session.execute(insert(TariffModule), [
        {"tariff_id": tariff.id, "module_id": modules[module_name].id}
        for module_name, choices in by_module.items() for tariff in dict.fromkeys(t for t, _plan in choices)])
    rows = []
    for module_name, choices in by_module.items():
        module = modules[module_name]
        prefix = "vm" if module.module_type == "proxmox" else "dedic"
        for number in range(NEWER_FIRST_REMOTE_ID, NEWER_FIRST_REMOTE_ID + NEWER_SERVICES):
            tariff, plan = choices[rng.randrange(len(choices))]
            status = rng.choices(statuses, weights)[0]
            word = _WORDS[rng.randrange(len(_WORDS))]
            name = f"{prefix}{number}.{word}-client.example"
            opened = status is not ServiceStatus.ORDERED
            identity = (_panel_identity(module.module_type, number, name, str(number), status) if opened else
                        {"natural_key": None, "panel_plan": None, "address": None, "panel_status": None})
            if opened and plan:
                identity["panel_plan"] = plan
            rows.append({"tariff_id": tariff.id, "module_id": module.id, "name": name,
                         "remote_id": str(number) if opened else None, "status": status,
                         "created_at": now - timedelta(days=rng.randrange(1, 120), minutes=rng.randrange(1440)),
                         **identity})
    session.execute(insert(Service), rows)


def _seed_services(session: Any, rng: random.Random, now: datetime,
                   tariffs: list[tuple[Tariff, list[ProcessingModule]]], count: int) -> None:
    statuses = [s for s, _ in SERVICE_STATUS_WEIGHTS]
    weights = [w for _, w in SERVICE_STATUS_WEIGHTS]
    usable = [(t, linked) for t, linked in tariffs if t.status is not TariffStatus.DELETED]
    rows = []
    for number in range(1, count + 1):
        tariff, linked = usable[rng.randrange(len(usable))]
        module = linked[rng.randrange(len(linked))]
        status = rng.choices(statuses, weights)[0]
        word = _WORDS[rng.randrange(len(_WORDS))]
        if tariff.product_type == "domain":
            name = f"{word}{number}.{_TLDS.get(tariff.name, 'com')}"
            remote = name  # the registrar knows a domain by its name
        elif tariff.product_type == "vds":
            name = f"vps{number}.{word}-client.example"
            remote = str(10_000 + number)
        else:
            name = f"{word}{number}.example"
            remote = f"{word[:4]}{number}"
        opened = status is not ServiceStatus.ORDERED
        rows.append({
            "tariff_id": tariff.id, "module_id": module.id, "name": name,
            "remote_id": remote if opened else None, "status": status,
            "created_at": now - timedelta(days=rng.randrange(1, 900), minutes=rng.randrange(1440)),
            **(_panel_identity(module.module_type, number, name, remote, status) if opened else
               {"natural_key": None, "panel_plan": None, "address": None, "panel_status": None}),
        })
    session.execute(insert(Service), rows)


#: The plan each demo panel gives its objects by default, per type (the demo's emulators use the same; the
#: panel-only ones and the drifting ones get another): cPanel's package, VMmanager's OS template id, a
#: DCImanager server's configuration. Proxmox and the registrar have none.
DEMO_PANEL_PLAN = {"cpanel": "hostco_standard", "vmmanager6": "1", "dcimanager6": "E-2388G-32Gb-2x960SSD"}


def _panel_identity(type_key: str, number: int, name: str, remote: str, status: ServiceStatus) -> dict[str, Any]:
    """What the billing knows of an opened service's object on its panel (reconciliation matches and compares
    on it): the type's natural key, the plan, the primary address, and the status the panel last reported."""
    by_name = type_key in ("vmmanager6", "proxmox", "dcimanager6")
    natural_key = name if by_name else remote.lower() if type_key == "namecheap" else remote
    if type_key in ("vmmanager6", "dcimanager6"):
        address = f"10.{20 + number // 65_025 % 200}.{number // 255 % 255}.{number % 255 + 1}"
    elif type_key == "proxmox":
        address = None
    else:
        address = name
    live = status in (ServiceStatus.ACTIVE, ServiceStatus.SUSPENDED)
    return {"natural_key": natural_key, "panel_plan": DEMO_PANEL_PLAN.get(type_key), "address": address,
            "panel_status": status.value if live else None}


def _seed_runs_and_notifications(session: Any, rng: random.Random, now: datetime,
                                 modules: list[tuple[DemoModule, ProcessingModule]]) -> None:
    runs: list[dict[str, Any]] = []
    notifications: list[Notification] = []
    in_progress_placed = False
    for spec, module in modules:
        if spec.fresh:  # just added: its tasks have not run yet
            for task in module.tasks:
                task.next_run_at = next_fire_time(task.schedule, now, module.timezone or "UTC")
            continue
        failed_at: datetime | None = None  # the last failed connection check (its notification's time)
        for task in module.tasks:
            if not task.enabled:
                # A disabled module's tasks stopped when it was disabled: an old history only.
                end = now - timedelta(days=21)
            else:
                end = now
            fire_times = _previous_fire_times(task.schedule, end, RUNS_PER_TASK)
            for position, scheduled in enumerate(fire_times):  # oldest first
                newest = position == len(fire_times) - 1
                started = scheduled + timedelta(seconds=rng.randrange(0, 3))
                duration = _duration_for(task.kind, rng)
                result, message = RunResult.SUCCESSFUL, _success_message(task.kind, spec)
                if spec.failing and task.kind == "check_connection" and position >= len(fire_times) - 3:
                    result, message = RunResult.UNSUCCESSFUL, spec.failing
                    duration = timedelta(seconds=10) if "timed out" in spec.failing else timedelta(seconds=1)
                elif spec.failing and task.kind == "sync_services" and newest:
                    result, message = RunResult.UNSUCCESSFUL, spec.failing
                finished: datetime | None = started + duration
                if newest and not in_progress_placed and task.kind == "sync_services" and task.enabled:
                    # One sync still running: the card and the delete pre-check show it.
                    started = now - timedelta(minutes=2, seconds=40)
                    scheduled = started
                    result, message, finished = RunResult.IN_PROGRESS, "Syncing services…", None
                    in_progress_placed = True
                runs.append({"task_id": task.id, "scheduled_for": scheduled, "started_at": started,
                             "finished_at": finished, "result": result, "message": message,
                             "lease_until": started + timedelta(minutes=15) if finished is None else None,
                             "worker": "demo-worker", "missed_runs": 0})
                if task.kind == "check_connection":
                    # The health badge is the last connection check's outcome.
                    module.health_ok = result is RunResult.SUCCESSFUL
                    module.health_summary = (f"Connection OK (API {_API_VERSIONS[spec.type_key]})"
                                             if module.health_ok else message)
                    module.health_checked_at = finished
                    if result is RunResult.UNSUCCESSFUL:
                        failed_at = finished
            task.next_run_at = next_fire_time(task.schedule, now, module.timezone or "UTC")
        notifications.extend(_notifications_for(spec, module, now, failed_at))
    session.execute(insert(TaskRun), runs)
    session.add_all(notifications)


def _previous_fire_times(schedule: str, end: datetime, count: int) -> list[datetime]:
    iterator = croniter(schedule, end)
    times = [iterator.get_prev(datetime) for _ in range(count)]
    return sorted(times)


def _duration_for(kind: str, rng: random.Random) -> timedelta:
    if kind == "sync_services":
        return timedelta(seconds=rng.randrange(95, 380))  # minutes: "2.45 m"
    return timedelta(seconds=rng.randrange(1, 9))  # seconds: "5 s"


_API_VERSIONS = {"vmmanager6": "vm/v3", "cpanel": "WHM 11.118, API 1", "namecheap": "xml.response",
                 "proxmox": "PVE 8.2.4", "dcimanager6": "dci/v3"}


def _success_message(kind: str, spec: DemoModule) -> str:
    if kind == "check_connection":
        return f"Connection OK (API {_API_VERSIONS[spec.type_key]})"
    if kind == "read_balance":
        return f"Balance {spec.balance} USD"
    return "Services in sync with the external system"


def _notifications_for(spec: DemoModule, module: ProcessingModule, now: datetime,
                       failed_at: datetime | None = None) -> list[Notification]:
    result = [
        # Old, read history: every module recovered once.
        Notification(module_id=module.id, kind="recovered",
                     description="Connection restored after 2 failed checks",
                     created_at=now - timedelta(days=9, hours=module.id), read_at=now - timedelta(days=9)),
    ]
    if spec.failing:
        check = next((t for t in module.tasks if t.kind == "check_connection"), None)
        result.append(Notification(
            module_id=module.id, task_id=check.id if check is not None else None, kind="task_failed",
            description=f"Connection check failed 3 times in a row: {spec.failing}",
            created_at=failed_at or now - timedelta(minutes=44 + module.id), read_at=None))
    if spec.balance is not None and spec.minimal_balance is not None and spec.balance < spec.minimal_balance:
        result.append(Notification(
            module_id=module.id, kind="low_balance",
            description=f"Balance {spec.balance} USD is below the minimal balance {spec.minimal_balance} USD",
            created_at=now - timedelta(hours=3, minutes=30), read_at=None))
    if spec.status is OFF:
        result.append(Notification(
            module_id=module.id, kind="disabled", description="Disabled by admin: no new services are placed on it",
            created_at=now - timedelta(days=21), read_at=None))
    if spec.type_key == "namecheap" and spec.status is ON:
        result.append(Notification(
            module_id=module.id, kind="sync_drift",
            description="Service sync: 3 only on the panel, 2 only in the billing, 1 differ",
            created_at=now - timedelta(hours=5, minutes=module.id), read_at=None))
    return result

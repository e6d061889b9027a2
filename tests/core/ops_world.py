"""A small world for service operations: cPanel, VMmanager and Namecheap modules on loopback emulators
(HTTPS, a throw-away CA), tariffs, and services in every status, on a real database."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

from procmod.core.backend import Backend
from procmod.core.jobs import JobEngine
from procmod.core.moduletypes import PRODUCT_TYPES
from procmod.demo.emulators import EmulatorHandle, start_cpanel, start_namecheap, start_vmmanager
from procmod.demo.emulators.cpanel import CpanelState
from procmod.demo.emulators.namecheap import NamecheapState
from procmod.demo.emulators.vmmanager import VmmanagerState
from procmod.storage.enums import ModuleStatus, ServiceStatus, TariffStatus
from procmod.storage.models import Department, ProcessingModule, ProductType, Service, Tariff, TariffModule

FAST: dict[str, Any] = {"connect_timeout": 1.0, "read_timeout": 0.5, "deadline": 1.5, "backoff": 0.001,
                        "max_backoff": 0.01, "task_poll_interval": 0.01, "task_timeout": 2.0}
CP_TOKEN = "WHMTOKEN0123456789ABCDEF"
VM_PASSWORD = "vm-secret-pass"
NC_KEY = "0123456789abcdef0123456789abcdef"


@dataclass
class World:
    backend: Backend
    handles: dict[str, EmulatorHandle] = field(default_factory=dict)
    modules: dict[str, int] = field(default_factory=dict)
    tariffs: dict[str, int] = field(default_factory=dict)

    def stop(self) -> None:
        for handle in self.handles.values():
            handle.stop()

    def service(self, name: str, module: str, tariff: str, status: ServiceStatus, remote_id: str | None = None) -> int:
        with self.backend.db.write() as session:
            service = Service(tariff_id=self.tariffs[tariff], module_id=self.modules[module], name=name,
                              remote_id=remote_id, status=status, created_at=self.backend.clock.now())
            session.add(service)
            session.flush()
            return service.id

    def get(self, service_id: int) -> Service:
        with self.backend.db.sessions() as session:
            return session.get(Service, service_id)

    def engine(self, worker: str = "test-worker", **options: Any) -> JobEngine:
        return self.backend.make_job_engine(worker_id=worker, **options)

    def run_all(self) -> int:
        return self.engine().run_until_idle()


def build_world(backend: Backend) -> World:
    backend.driver_options = dict(FAST)
    world = World(backend)
    cp_a = world.handles["cp-a"] = start_cpanel(https=True, state=CpanelState(api_token=CP_TOKEN))
    cp_b = world.handles["cp-b"] = start_cpanel(https=True, state=CpanelState(api_token=CP_TOKEN))
    vm = world.handles["vm"] = start_vmmanager(https=True, state=VmmanagerState(password=VM_PASSWORD, task_polls=1))
    nc = world.handles["nc"] = start_namecheap(https=True, state=NamecheapState(api_key=NC_KEY, balance=Decimal("500")))
    now = backend.clock.now()
    with backend.db.write() as session:
        # product types come with the schema (migration 0009)
        department = Department(name="Technical support")
        session.add(department)
        session.flush()

        def module(name: str, type_key: str, product: str, settings: dict, secrets: dict,
                   status: ModuleStatus = ModuleStatus.ENABLED) -> ProcessingModule:
            row = ProcessingModule(name=name, module_type=type_key, product_type=product, department_id=department.id,
                                   sort_priority=10, status=status, settings=settings,
                                   secrets=backend.secrets.seal(secrets), created_at=now, updated_at=now)
            session.add(row)
            return row

        def cp(handle: EmulatorHandle) -> dict:
            return {"host": "127.0.0.1", "port": handle.port, "whm_user": "root", "default_package": "starter",
                    "ca_bundle": handle.ca_file}

        rows = {
            "cPanel A": module("cPanel A", "cpanel", "vhost", cp(cp_a), {"api_token": CP_TOKEN}),
            "cPanel B": module("cPanel B", "cpanel", "vhost", cp(cp_b), {"api_token": CP_TOKEN}),
            "cPanel off": module("cPanel off", "cpanel", "vhost", cp(cp_b), {"api_token": CP_TOKEN}, ModuleStatus.DISABLED),
            "VM": module("VM", "vmmanager6", "vds", {"url": vm.base_url, "email": "admin@example.com", "cluster": "1",
                                                     "ca_bundle": vm.ca_file}, {"password": VM_PASSWORD}),
            "Namecheap": module("Namecheap", "namecheap", "domain",
                                {"api_user": "procmod", "user_name": "procmod", "client_ip": "127.0.0.1",
                                 "api_url": nc.base_url, "ca_bundle": nc.ca_file, "default_years": 1},
                                {"api_key": NC_KEY}),
        }
        tariffs = {"Hosting": ("vhost", ["cPanel A", "cPanel B", "cPanel off"]), "VPS": ("vds", ["VM"]),
                   "Domain": ("domain", ["Namecheap"])}
        session.flush()
        for name, (product, linked) in tariffs.items():
            tariff = Tariff(name=name, product_type=product, status=TariffStatus.ACTIVE, price=Decimal("1"))
            session.add(tariff)
            session.flush()
            world.tariffs[name] = tariff.id
            session.add_all(TariffModule(tariff_id=tariff.id, module_id=rows[m].id) for m in linked)
        world.modules = {name: row.id for name, row in rows.items()}
    return world


def later(backend: Backend, seconds: float) -> None:
    backend.clock.advance(timedelta(seconds=seconds))  # type: ignore[attr-defined]

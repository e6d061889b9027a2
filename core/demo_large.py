"""The large data set of a big provider (`procmod seed --scale large`, the benchmark).

10,000 modules, 100,000 tariffs, 1,000,000 services, 30,000 background tasks with run history and
100,000 notifications, inserted in bulk (executemany in chunks, one transaction per table) on SQLite
or PostgreSQL. Deterministic like the small demo. One module links 1,000 tariffs, the card the
benchmark opens.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import insert

from core.backend import Backend
from core.moduletypes import MODULE_TYPES, PRODUCT_TYPES
from core.schedule import next_fire_time
from storage.enums import ModuleStatus, RunResult, ServiceStatus, TariffStatus
from storage.models import (
    BackgroundTask,
    DataCenter,
    Department,
    Notification,
    ProcessingModule,
    ProductType,
    Service,
    Tariff,
    TariffModule,
    TaskRun,
)

CHUNK = 20_000
SEED = 42
#: The module whose card links 1,000 tariffs.
BIG_CARD_MODULE_ID = 1
BIG_CARD_TARIFFS = 1_000


@dataclass(frozen=True)
class Scale:
    modules: int
    tariffs: int
    services: int
    runs_per_task: int
    notifications: int

    @property
    def tasks(self) -> int:
        return self.modules * 3


SCALES = {
    "large": Scale(modules=10_000, tariffs=100_000, services=1_000_000, runs_per_task=3, notifications=100_000),
    "medium": Scale(modules=1_000, tariffs=10_000, services=100_000, runs_per_task=3, notifications=10_000),
    "small": Scale(modules=100, tariffs=1_000, services=10_000, runs_per_task=2, notifications=1_000),
}

_TYPES = ("vmmanager6", "cpanel", "namecheap")
_PRODUCT = {"vmmanager6": "vds", "cpanel": "vhost", "namecheap": "domain"}
_SERVICE_STATUSES = [ServiceStatus.ACTIVE] * 12 + [ServiceStatus.SUSPENDED] * 2 + [
    ServiceStatus.ORDERED, ServiceStatus.IN_PROGRESS] + [ServiceStatus.DELETED] * 4
_TARIFF_STATUSES = [TariffStatus.ACTIVE] * 7 + [TariffStatus.DISABLED, TariffStatus.ARCHIVED, TariffStatus.DELETED]


def _chunks(rows: Iterator[dict[str, Any]], size: int = CHUNK) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def seed_large(backend: Backend, scale: Scale, progress: Callable[[str, int, float], None] | None = None) -> None:
    """Fill an empty, migrated database in bulk; `progress(table, rows, seconds)` after each table."""
    rng = random.Random(SEED)
    now = backend.clock.now()
    report = progress or (lambda table, rows, seconds: None)

    def load(model: Any, rows: Iterator[dict[str, Any]], label: str) -> None:
        started, count = time.perf_counter(), 0
        with backend.db.write() as session:
            for batch in _chunks(rows):
                session.execute(insert(model), batch)
                count += len(batch)
        report(label, count, time.perf_counter() - started)

    with backend.db.write() as session:
        session.add_all(ProductType(code=p.code, name=p.name) for p in PRODUCT_TYPES)
        session.add_all([Department(id=1, name="Sales department"), Department(id=2, name="Technical support")])
        session.add_all(DataCenter(id=i, name=f"DC {i:02d}", external_id=f"dc{i:02d}") for i in range(1, 21))

    def module_type_of(module_id: int) -> str:
        return _TYPES[(module_id - 1) % 3]

    secret = backend.secrets.seal({"password": "bench-secret"})
    load(ProcessingModule, ({
        "id": i, "name": f"{MODULE_TYPES[module_type_of(i)].title} {i:05d}", "module_type": module_type_of(i),
        "product_type": _PRODUCT[module_type_of(i)], "datacenter_id": (i % 20) + 1 if module_type_of(i) == "vmmanager6"
        else None, "department_id": 1 + (i % 2), "sort_priority": i % 100,
        "status": ModuleStatus.DISABLED if i % 10 == 0 else ModuleStatus.ENABLED, "settings": {"url": f"https://panel{i}.example"},
        "secrets": secret, "timezone": "UTC", "created_at": now - timedelta(days=i % 700), "updated_at": now,
        "version": 1, "minimal_balance": Decimal("100.00") if module_type_of(i) == "namecheap" else None,
    } for i in range(1, scale.modules + 1)), "modules")

    def tariff_product(tariff_id: int) -> str:
        # The first 1,000 tariffs serve module 1's product type, so its card links 1,000 of them.
        return _PRODUCT[module_type_of(1)] if tariff_id <= BIG_CARD_TARIFFS else _PRODUCT[_TYPES[tariff_id % 3]]

    load(Tariff, ({
        "id": t, "name": f"Tariff {t:06d}", "product_type": tariff_product(t), "status": _TARIFF_STATUSES[t % 10],
        "price": Decimal(t % 5000) / 100, "sort": t % 1000,
    } for t in range(1, scale.tariffs + 1)), "tariffs")

    modules_by_product: dict[str, list[int]] = {p: [] for p in _PRODUCT.values()}
    for module_id in range(1, scale.modules + 1):
        modules_by_product[_PRODUCT[module_type_of(module_id)]].append(module_id)

    def links() -> Iterator[dict[str, Any]]:
        for tariff_id in range(1, scale.tariffs + 1):
            if tariff_id <= BIG_CARD_TARIFFS:
                yield {"tariff_id": tariff_id, "module_id": BIG_CARD_MODULE_ID}
                continue
            candidates = modules_by_product[tariff_product(tariff_id)]
            first = candidates[(tariff_id * 7) % len(candidates)]
            yield {"tariff_id": tariff_id, "module_id": first}
            if tariff_id % 4 == 0:
                second = candidates[(tariff_id * 13) % len(candidates)]
                if second != first:
                    yield {"tariff_id": tariff_id, "module_id": second}

    link_rows = list(links())
    load(TariffModule, iter(link_rows), "tariff links")
    tariff_modules: dict[int, list[int]] = {}
    for row in link_rows:
        tariff_modules.setdefault(row["tariff_id"], []).append(row["module_id"])
    linked_tariffs = sorted(tariff_modules)

    def services() -> Iterator[dict[str, Any]]:
        for service_id in range(1, scale.services + 1):
            tariff_id = linked_tariffs[rng.randrange(len(linked_tariffs))]
            modules = tariff_modules[tariff_id]
            status = _SERVICE_STATUSES[rng.randrange(len(_SERVICE_STATUSES))]
            yield {"id": service_id, "tariff_id": tariff_id, "module_id": modules[service_id % len(modules)],
                   "name": f"client{service_id}.example", "remote_id": str(100_000 + service_id), "status": status,
                   "created_at": now - timedelta(minutes=service_id % 500_000)}

    load(Service, services(), "services")

    kinds = (("check_connection", "Connection check", "*/15 * * * *"), ("sync_services", "Service sync",
             "30 */4 * * *"), ("read_balance", "Balance check", "0 6,18 * * *"))
    next_times = {schedule: next_fire_time(schedule, now) for _, _, schedule in kinds}
    load(BackgroundTask, ({
        "id": (m - 1) * 3 + k + 1, "module_id": m, "kind": kinds[k][0], "name": kinds[k][1], "schedule": kinds[k][2],
        "enabled": True, "next_run_at": next_times[kinds[k][2]],
    } for m in range(1, scale.modules + 1) for k in range(3)), "background tasks")

    def runs() -> Iterator[dict[str, Any]]:
        for task_id in range(1, scale.tasks + 1):
            for back in range(scale.runs_per_task, 0, -1):
                started = now - timedelta(minutes=15 * back, seconds=task_id % 60)
                failed = (task_id + back) % 17 == 0
                yield {"task_id": task_id, "scheduled_for": started, "started_at": started,
                       "finished_at": started + timedelta(seconds=1 + task_id % 300),
                       "result": RunResult.UNSUCCESSFUL if failed else RunResult.SUCCESSFUL,
                       "message": "Unreachable: connection timed out" if failed else "ok", "missed_runs": 0}

    load(TaskRun, runs(), "task runs")
    load(Notification, ({
        "module_id": 1 + (n * 7919) % scale.modules, "kind": "task_failed",
        "description": f"Connection check failed: unreachable (event {n})", "occurrences": 1,
        "created_at": now - timedelta(minutes=n), "read_at": None if n % 3 else now - timedelta(minutes=n // 2),
    } for n in range(1, scale.notifications + 1)), "notifications")
    if backend.db.dialect == "postgresql":
        with backend.db.engine.connect() as connection:
            connection.exec_driver_sql("ANALYZE")
    else:
        with backend.db.engine.connect() as connection:
            connection.exec_driver_sql("ANALYZE")

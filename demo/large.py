"""The large data set of a big provider (`procmod seed --scale large`, the benchmark).

10,000 modules, 100,000 tariffs, 1,000,000 services, 30,000 background tasks with run history and
100,000 notifications, on SQLite or PostgreSQL; `xlarge` is ten times that in modules, tariffs and services
(100,000 / 1,000,000 / 10,000,000), meant for PostgreSQL. Deterministic like the small demo: the same clock gives
the same rows. One module links 1,000 tariffs, the card the benchmark opens.

Bulk, because a million rows through the ORM (or Core `insert()` with dicts) spend their time in
per-row Python: rows are built as plain tuples whose values are already what the database stores
(timestamps as text by arithmetic, enums as their values), then handed to the driver in one call per
table — `executemany` on SQLite, `COPY` on PostgreSQL. Each table is one transaction that drops the
table's secondary indexes, loads the rows, and builds the indexes again from the models (one sort instead
of a million B-tree inserts). SQLite runs the load with `synchronous=OFF`, an in-memory journal and
foreign keys and CHECKs off (the rows are consistent by construction; a test checks them with
`foreign_key_check` and `integrity_check`), gets its settings back afterwards, and no ANALYZE (see
`_SqliteLoader`). PostgreSQL sets the loaded table's foreign keys aside the same way
(adding one back checks every row in one join instead of a trigger per row); at the end its id sequences
are moved past the loaded ids, so the console's own inserts do not collide, and ANALYZE gathers the
statistics autovacuum would gather a minute later.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from itertools import cycle, islice
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, Table, text
from sqlalchemy.schema import AddConstraint, CreateIndex, DropConstraint, DropIndex, ExecutableDDLElement

from procmod.core.backend import Backend
from procmod.core.moduletypes import MODULE_TYPES
from procmod.core.reference import ensure_product_types
from procmod.core.schedule import next_fire_time
from procmod.storage import text_search
from procmod.storage.enums import ModuleStatus, RunResult, ServiceStatus, TariffStatus
from procmod.storage.models import (
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
    # A provider ten times the large one, for PostgreSQL (a shared server): 300,000 background tasks with
    # one run each. Seeded with COPY in minutes; on SQLite it works but takes far longer.
    "xlarge": Scale(modules=100_000, tariffs=1_000_000, services=10_000_000, runs_per_task=1,
                    notifications=100_000),
    "large": Scale(modules=10_000, tariffs=100_000, services=1_000_000, runs_per_task=3, notifications=100_000),
    "medium": Scale(modules=1_000, tariffs=10_000, services=100_000, runs_per_task=3, notifications=10_000),
    "small": Scale(modules=100, tariffs=1_000, services=10_000, runs_per_task=2, notifications=1_000),
}

_TYPES = ("vmmanager6", "cpanel", "namecheap")
_PRODUCT = {"vmmanager6": "vds", "cpanel": "vhost", "namecheap": "domain"}
_SERVICE_STATUSES = [ServiceStatus.ACTIVE] * 12 + [ServiceStatus.SUSPENDED] * 2 + [
    ServiceStatus.ORDERED, ServiceStatus.IN_PROGRESS] + [ServiceStatus.DELETED] * 4
_TARIFF_STATUSES = [TariffStatus.ACTIVE] * 7 + [TariffStatus.DISABLED, TariffStatus.ARCHIVED, TariffStatus.DELETED]
_SECONDS_A_DAY = 86_400
#: Services are created a minute apart, back over this many minutes (347 days), then again from now.
_SERVICE_MINUTES = 500_000


class _Stamps:
    """Instants `now` minus whole seconds, as the text the database is given for a UTC timestamp.

    What SQLAlchemy writes on SQLite ('YYYY-MM-DD HH:MM:SS.ffffff', naive UTC) and what PostgreSQL's COPY
    reads for a timestamptz (the same with '+00'); built from cached day and time-of-day strings, because
    a million `datetime` subtractions and formats are most of the cost of the services.
    """

    def __init__(self, now: datetime, zone_suffix: str) -> None:
        now = now.astimezone(timezone.utc)
        self._midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
        self._second_of_day = now.hour * 3600 + now.minute * 60 + now.second
        self._tail = f".{now.microsecond:06d}{zone_suffix}"
        self._zone_suffix = zone_suffix
        self._days: dict[int, str] = {}
        self._clock = [f"{h:02d}:{m:02d}:{s:02d}" for h in range(24) for m in range(60) for s in range(60)]

    def ago(self, seconds: int) -> str:
        day, second = divmod(self._second_of_day - seconds, _SECONDS_A_DAY)
        date = self._days.get(day)
        if date is None:
            date = self._days[day] = (self._midnight + timedelta(days=day)).strftime("%Y-%m-%d ")
        return date + self._clock[second] + self._tail

    def at(self, instant: datetime) -> str:
        return instant.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f") + self._zone_suffix


class _Loader:
    """Bulk insert of tuples into one table per transaction, secondary indexes rebuilt after the load."""

    #: What a timestamp carries after its text on this database.
    zone_suffix = ""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.driver = connection.connection.driver_connection

    @contextmanager
    def bulk_settings(self) -> Iterator[None]:
        yield

    def money(self, cents: int) -> Any:
        raise NotImplementedError

    def index_names(self, table: str) -> set[str]:
        raise NotImplementedError

    def insert(self, table: Table, columns: tuple[str, ...], rows: Iterable[tuple[Any, ...]]) -> int:
        raise NotImplementedError

    def set_aside(self, table: Table) -> list[tuple[ExecutableDDLElement, ExecutableDDLElement]]:
        """(drop, create) of the table's secondary indexes the database has: dropped before the load, built
        again after it, from the same model definitions the migrations and the schema test use."""
        existing = self.index_names(table.name)
        indexes = sorted((index for index in table.indexes if index.name in existing), key=lambda i: str(i.name))
        return [(DropIndex(index), CreateIndex(index)) for index in indexes]

    def load(self, table: Table, columns: tuple[str, ...], rows: Iterable[tuple[Any, ...]]) -> int:
        with self.connection.begin():
            aside = self.set_aside(table)
            for drop, _ in aside:
                self.connection.execute(drop)
            count = self.insert(table, columns, rows)
            for _, create in aside:
                self.connection.execute(create)
        return count

    def finish(self, tables: list[Table]) -> bool:
        """What the database needs once every table is in; whether there was anything to do."""
        return False


class _SqliteLoader(_Loader):
    # Only for the load; the previous values come back afterwards (the file stays a WAL database).
    BULK_PRAGMAS = {"synchronous": "OFF", "journal_mode": "MEMORY", "foreign_keys": "OFF",
                    "ignore_check_constraints": "ON", "cache_size": "-262144", "temp_store": "MEMORY"}

    def __init__(self, connection: Connection) -> None:
        super().__init__(connection.execution_options(sqlite_begin="IMMEDIATE"))

    @contextmanager
    def bulk_settings(self) -> Iterator[None]:
        saved = {name: self.driver.execute(f"PRAGMA {name}").fetchone()[0] for name in self.BULK_PRAGMAS}
        try:
            for name, value in self.BULK_PRAGMAS.items():
                self.driver.execute(f"PRAGMA {name}={value}")
            yield
        finally:
            for name, value in saved.items():
                self.driver.execute(f"PRAGMA {name}={value}")

    def money(self, cents: int) -> float:
        return cents / 100  # SQLAlchemy stores Numeric as REAL on SQLite

    def load(self, table: Table, columns: tuple[str, ...], rows: Iterable[tuple[Any, ...]]) -> int:
        # The text-search triggers would index row by row; the FTS table is rebuilt in one pass instead, in
        # the load's transaction: a failed load leaves the triggers (and the index) as they were.
        with self.connection.begin():
            searched = text_search.suspend_sqlite_triggers(self.connection, table.name)
            aside = self.set_aside(table)
            for drop, _ in aside:
                self.connection.execute(drop)
            count = self.insert(table, columns, rows)
            for _, create in aside:
                self.connection.execute(create)
            if searched:
                text_search.rebuild_sqlite(self.connection, table.name)
        return count

    def index_names(self, table: str) -> set[str]:
        rows = self.driver.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ?", (table,))
        return {name for (name,) in rows}

    def insert(self, table: Table, columns: tuple[str, ...], rows: Iterable[tuple[Any, ...]]) -> int:
        statement = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
        return self.driver.executemany(statement, rows).rowcount

    # No finish, no ANALYZE: procmod never runs it on an operator's SQLite file, and with sqlite_stat1 the
    # planner takes `read_at IS NULL` (2 in 3 notifications) for a few rows and walks every unread
    # notification once per module of the modules list (13 ms → 60 ms a page). The seed plans like a real file.


class _PostgresLoader(_Loader):
    zone_suffix = "+00"
    # Only for this session's load: index builds and foreign-key checks sort in memory (10 million services
    # sort in a third less time than with the 64 MB default), and commits do not wait for the WAL flush.
    BULK_SETTINGS = {"maintenance_work_mem": "1GB", "synchronous_commit": "off"}

    @contextmanager
    def bulk_settings(self) -> Iterator[None]:
        for name, value in self.BULK_SETTINGS.items():
            self.connection.exec_driver_sql(f"SET {name} = '{value}'")
        self.connection.commit()
        try:
            yield
        finally:
            for name in self.BULK_SETTINGS:
                self.connection.exec_driver_sql(f"RESET {name}")
            self.connection.commit()

    def money(self, cents: int) -> str:
        return f"{cents // 100}.{cents % 100:02d}"

    def index_names(self, table: str) -> set[str]:
        rows = self.connection.execute(text(
            "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND tablename = :t"), {"t": table})
        return set(rows.scalars())

    def insert(self, table: Table, columns: tuple[str, ...], rows: Iterable[tuple[Any, ...]]) -> int:
        count = 0
        statement = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"
        with self.driver.cursor() as cursor, cursor.copy(statement) as copy:
            write = copy.write_row
            for row in rows:
                write(row)
                count += 1
        return count

    def set_aside(self, table: Table) -> list[tuple[ExecutableDDLElement, ExecutableDDLElement]]:
        # PostgreSQL checks a foreign key with a trigger per inserted row (most of a million-row COPY);
        # adding the constraint back checks every row in one join.
        existing = set(self.connection.execute(text(
            "SELECT conname FROM pg_constraint WHERE conrelid = to_regclass(:t) AND contype = 'f'"),
            {"t": table.name}).scalars())
        keys = sorted((fk for fk in table.foreign_key_constraints if fk.name in existing), key=lambda k: str(k.name))
        return super().set_aside(table) + [(DropConstraint(fk), AddConstraint(fk)) for fk in keys]

    def finish(self, tables: list[Table]) -> bool:
        with self.connection.begin():
            for table in tables:
                if "id" in table.c:
                    # Rows came with their ids: the sequence must start after them, or the next insert collides.
                    self.connection.exec_driver_sql(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), max(id)) FROM {table.name} "
                        "HAVING max(id) IS NOT NULL")
            self.connection.exec_driver_sql("ANALYZE")
        return True


def seed_large(backend: Backend, scale: Scale, progress: Callable[[str, int, float], None] | None = None) -> None:
    """Fill an empty, migrated database in bulk; `progress(table, rows, seconds)` after each table."""
    report = progress or (lambda table, rows, seconds: None)
    with backend.db.write() as session:
        # The product types come with the schema (migration 0009); add only any the code knows beyond them.
        ensure_product_types(session)
        session.add_all([Department(id=1, name="Sales department"), Department(id=2, name="Technical support")])
        session.add_all(DataCenter(id=i, name=f"DC {i:02d}", external_id=f"dc{i:02d}") for i in range(1, 21))
    secret = backend.secrets.seal({"password": "bench-secret"})
    with backend.db.engine.connect() as connection:
        loader = (_SqliteLoader if backend.db.dialect == "sqlite" else _PostgresLoader)(connection)
        with loader.bulk_settings():
            loaded = _load(loader, scale, backend.clock.now(), secret, report)
        started = time.perf_counter()
        if loader.finish([Department.__table__, DataCenter.__table__, ProcessingModule.__table__, Tariff.__table__,
                          Service.__table__, BackgroundTask.__table__, TaskRun.__table__, Notification.__table__]):
            report("statistics", loaded, time.perf_counter() - started)


def _load(loader: _Loader, scale: Scale, now: datetime, secret: str | None,
          report: Callable[[str, int, float], None]) -> int:
    """Every bulk table in turn; returns the number of rows loaded."""
    rng = random.Random(SEED)
    stamps = _Stamps(now, loader.zone_suffix)
    ago = stamps.ago
    loaded = 0

    def load(model: Any, columns: tuple[str, ...], rows: Iterable[tuple[Any, ...]], label: str) -> None:
        nonlocal loaded
        started = time.perf_counter()
        count = loader.load(model.__table__, columns, rows)
        loaded += count
        report(label, count, time.perf_counter() - started)

    def module_type_of(module_id: int) -> str:
        return _TYPES[(module_id - 1) % 3]

    updated = ago(0)
    load(ProcessingModule, ("id", "name", "module_type", "product_type", "datacenter_id", "department_id",
                            "sort_priority", "status", "settings", "secrets", "timezone", "created_at", "updated_at",
                            "version", "minimal_balance"), (
        (i, f"{MODULE_TYPES[kind].title} {i:05d}", kind, _PRODUCT[kind],
         (i % 20) + 1 if kind == "vmmanager6" else None, 1 + (i % 2), i % 100,
         (ModuleStatus.DISABLED if i % 10 == 0 else ModuleStatus.ENABLED).value,
         f'{{"url": "https://panel{i}.example"}}', secret, "UTC", ago(_SECONDS_A_DAY * (i % 700)), updated, 1,
         loader.money(10_000) if kind == "namecheap" else None)
        for i in range(1, scale.modules + 1) for kind in (module_type_of(i),)), "modules")

    # The first 1,000 tariffs serve module 1's product type, so its card links 1,000 of them (a tenth of
    # the tariffs at the small scale, so that the other modules have tariffs and services too).
    big_card = min(BIG_CARD_TARIFFS, scale.tariffs // 10)

    def tariff_product(tariff_id: int) -> str:
        return _PRODUCT[module_type_of(1)] if tariff_id <= big_card else _PRODUCT[_TYPES[tariff_id % 3]]

    load(Tariff, ("id", "name", "product_type", "status", "price", "sort"), (
        (t, f"Tariff {t:06d}", tariff_product(t), _TARIFF_STATUSES[t % 10].value, loader.money(t % 5000), t % 1000)
        for t in range(1, scale.tariffs + 1)), "tariffs")

    modules_by_product: dict[str, list[int]] = {p: [] for p in _PRODUCT.values()}
    for module_id in range(1, scale.modules + 1):
        modules_by_product[_PRODUCT[module_type_of(module_id)]].append(module_id)

    def links() -> Iterator[tuple[int, int]]:
        for tariff_id in range(1, scale.tariffs + 1):
            if tariff_id <= big_card:
                yield tariff_id, BIG_CARD_MODULE_ID
                continue
            candidates = modules_by_product[tariff_product(tariff_id)]
            first = candidates[(tariff_id * 7) % len(candidates)]
            yield tariff_id, first
            if tariff_id % 4 == 0:
                second = candidates[(tariff_id * 13) % len(candidates)]
                if second != first:
                    yield tariff_id, second

    link_rows = list(links())
    load(TariffModule, ("tariff_id", "module_id"), link_rows, "tariff links")

    # A service is on one tariff link (a tariff sold through two modules has services on both), with a
    # status weighted like a live provider's; created one a minute back over the last year.
    # Columns built in C (choices, map, cycle) and zipped into rows: no Python frame per service.
    total = scale.services
    picks = rng.choices(link_rows, k=total)
    statuses = rng.choices([status.value for status in _SERVICE_STATUSES], k=total)
    minutes = [ago(60 * m) for m in range(min(total + 1, _SERVICE_MINUTES))]  # service k: minutes[k % len]
    ids = range(1, total + 1)
    # Each service's natural key and address is its name (unique, as a panel's keys are within a module).
    names = list(map("client{}.example".format, ids))
    load(Service, ("id", "tariff_id", "module_id", "name", "remote_id", "status", "created_at", "natural_key",
                   "address"), zip(
        ids, map(itemgetter(0), picks), map(itemgetter(1), picks), names,
        map(str, range(100_001, total + 100_001)), statuses, islice(cycle(minutes), 1, None), names, names),
        "services")
    del names
    del picks, statuses, minutes

    kinds = (("check_connection", "Connection check", "*/15 * * * *"), ("sync_services", "Service sync",
             "30 */4 * * *"), ("read_balance", "Balance check", "0 6,18 * * *"))
    next_times = [stamps.at(next_fire_time(schedule, now)) for _, _, schedule in kinds]
    load(BackgroundTask, ("id", "module_id", "kind", "name", "schedule", "enabled", "next_run_at"), (
        ((m - 1) * 3 + k + 1, m, kinds[k][0], kinds[k][1], kinds[k][2], True, next_times[k])
        for m in range(1, scale.modules + 1) for k in range(3)), "background tasks")

    def runs() -> Iterator[tuple[Any, ...]]:
        run_id = 0
        for task_id in range(1, scale.tasks + 1):
            for back in range(scale.runs_per_task, 0, -1):
                run_id += 1
                started_ago = 15 * 60 * back + task_id % 60
                started = ago(started_ago)
                failed = (task_id + back) % 17 == 0
                yield (run_id, task_id, started, started, ago(started_ago - 1 - task_id % 300),
                       (RunResult.UNSUCCESSFUL if failed else RunResult.SUCCESSFUL).value,
                       "Unreachable: connection timed out" if failed else "ok", 0)

    load(TaskRun, ("id", "task_id", "scheduled_for", "started_at", "finished_at", "result", "message", "missed_runs"),
         runs(), "task runs")
    load(Notification, ("id", "module_id", "kind", "description", "occurrences", "created_at", "read_at"), (
        (n, 1 + (n * 7919) % scale.modules, "task_failed", f"Connection check failed: unreachable (event {n})", 1,
         ago(60 * n), None if n % 3 else ago(60 * (n // 2)))
        for n in range(1, scale.notifications + 1)), "notifications")
    return loaded

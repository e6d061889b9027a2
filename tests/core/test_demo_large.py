"""The bulk seed of a large provider, at its small scale, on SQLite and PostgreSQL; and `procmod seed`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Column, func, inspect, select, text

import procmod.demo.large as demo_large
from procmod.core.backend import Backend
from procmod.demo.large import BIG_CARD_MODULE_ID, SCALES, seed_large
from procmod.core.lifecycle import CheckOutcome, ModuleParams
from procmod.storage.models import (
    Base,
    BackgroundTask,
    Notification,
    ProcessingModule,
    Service,
    Tariff,
    TariffModule,
    TaskRun,
)
from procmod.core.dto import ServiceFilter
from procmod.storage.text_search import is_text_search_object
from tests.conftest import make_backend, new_database_url
from procmod.tui.cli import main

SMALL = SCALES["small"]


def count(backend: Backend, model) -> int:  # noqa: ANN001
    with backend.db.sessions() as session:
        return session.scalar(select(func.count()).select_from(model))


def every_row(backend: Backend) -> dict[str, list[tuple[Any, ...]]]:
    """Each seeded table in primary-key order, secrets left out (a sealed token differs every time)."""
    rows = {}
    with backend.db.engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            columns = [c for c in table.c if c.name != "secrets"]
            rows[table.name] = connection.execute(select(*columns).order_by(*table.primary_key.columns)).all()
    return rows


def schema_objects(backend: Backend) -> set[tuple[str, ...]]:
    """Every index (with its DDL) and, on PostgreSQL, every constraint, as the database itself reports them."""
    with backend.db.engine.connect() as connection:
        if backend.db.dialect == "sqlite":
            return set(connection.exec_driver_sql(  # the text-search triggers too (the load sets them aside)
                "SELECT type, name, tbl_name, coalesce(sql, '') FROM sqlite_master "
                "WHERE type IN ('index', 'trigger')").all())
        return set(connection.exec_driver_sql(
            "SELECT 'index', indexname, tablename, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
            "UNION ALL SELECT 'constraint', conname, conrelid::regclass::text, pg_get_constraintdef(oid) "
            "FROM pg_constraint WHERE connamespace = current_schema()::regnamespace").all())


def test_seed_large_loads_every_table_at_its_scale(empty_backend: Backend) -> None:
    seen: list[str] = []
    seed_large(empty_backend, SMALL, lambda table, rows, seconds: seen.append(table))
    assert count(empty_backend, ProcessingModule) == SMALL.modules
    assert count(empty_backend, Tariff) == SMALL.tariffs
    assert count(empty_backend, Service) == SMALL.services
    assert count(empty_backend, BackgroundTask) == SMALL.tasks
    assert count(empty_backend, TaskRun) == SMALL.tasks * SMALL.runs_per_task
    assert count(empty_backend, Notification) == SMALL.notifications
    assert seen[:7] == ["modules", "tariffs", "tariff links", "services", "background tasks", "task runs",
                        "notifications"]
    card = empty_backend.modules.card(BIG_CARD_MODULE_ID)
    assert card.tariff_total >= SMALL.tariffs // 10  # the big card: 1,000 tariffs at the large scale
    assert empty_backend.tasks.list().rows[0].next_run_at is not None
    # Services spread over the modules, not all on the big card's module.
    with empty_backend.db.sessions() as session:
        assert session.scalar(select(func.count(func.distinct(Service.module_id)))) > SMALL.modules // 2


def test_seed_is_deterministic(dialect: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    """The same clock gives the same rows, value for value (the demo's reproducible data)."""
    first, second = (make_backend(new_database_url(dialect, tmp_path, request)) for _ in range(2))
    try:
        for backend in (first, second):
            seed_large(backend, SMALL)
        assert every_row(first) == every_row(second)
        with first.db.sessions() as session:
            token = session.scalar(select(ProcessingModule.secrets).limit(1))
        assert first.secrets.open(token) == {"password": "bench-secret"}
    finally:
        first.close()
        second.close()


def test_seed_keeps_every_index_and_constraint_of_the_schema(empty_backend: Backend) -> None:
    """Indexes (and PostgreSQL's foreign keys) are dropped for the load and built again: exactly the same."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    before = schema_objects(empty_backend)
    seed_large(empty_backend, SMALL)
    assert schema_objects(empty_backend) == before
    reflected = inspect(empty_backend.db.engine)
    for table in (ProcessingModule, Tariff, TariffModule, Service, BackgroundTask, TaskRun, Notification):
        model = {index.name for index in table.__table__.indexes}
        if empty_backend.db.dialect == "sqlite":  # its reflection cannot read expression indexes (sqlite_master can)
            model -= {index.name for index in table.__table__.indexes
                      if not all(isinstance(e, Column) for e in index.expressions)}
        indexes = reflected.get_indexes(table.__tablename__)
        assert {index["name"] for index in indexes if not index.get("duplicates_constraint")
                and not is_text_search_object(index["name"], "index")} == model
    with empty_backend.db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={
            "include_object": lambda obj, name, type_, reflected, compare_to: not is_text_search_object(name, type_)})
        assert compare_metadata(context, Base.metadata) == []
    # The text-search index was rebuilt after the load: a name's middle finds its service.
    assert [r.name for r in empty_backend.services.list(ServiceFilter(text="ent42.exam")).rows] == ["client42.example"]


def test_seeded_sqlite_is_consistent_and_gets_its_settings_back(tmp_path: Path) -> None:
    """Foreign keys and CHECKs are off for the load only: the rows satisfy them, and the file is WAL again."""
    backend = make_backend(f"sqlite:///{tmp_path / 'seed.db'}")
    try:
        seed_large(backend, SMALL)
        with backend.db.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA foreign_key_check").all() == []
            assert connection.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"  # CHECKs too
            pragmas = {name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
                       for name in ("journal_mode", "foreign_keys", "synchronous", "ignore_check_constraints")}
            assert pragmas == {"journal_mode": "wal", "foreign_keys": 1, "synchronous": 1,
                               "ignore_check_constraints": 0}
            # Left without statistics, like an operator's file (see _SqliteLoader).
            assert not connection.exec_driver_sql(
                "SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").all()
    finally:
        backend.close()


def test_the_console_can_add_to_a_seeded_database(empty_backend: Backend) -> None:
    """Rows came with their ids: on PostgreSQL the sequences must have moved past them."""
    seed_large(empty_backend, SMALL)
    empty_backend.commands.checker = lambda *a: CheckOutcome(True, "ok")
    new_id = empty_backend.commands.create_module("vhost", "cpanel", ModuleParams(
        name="AAA new cPanel", department_id=1, settings={"host": "new.hostco.example", "api_token": "T"}))
    assert new_id == SMALL.modules + 1
    if empty_backend.db.dialect == "postgresql":
        with empty_backend.db.engine.connect() as connection:
            for table in ("service", "tariff", "task_run", "notification"):
                assert connection.execute(text(
                    f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) > max(id) FROM {table}")).scalar()


def test_a_failed_load_rolls_its_table_back_with_the_indexes(empty_backend: Backend,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    before = schema_objects(empty_backend)
    for loader in (demo_large._SqliteLoader, demo_large._PostgresLoader):
        original = loader.insert

        def failing(self, table, columns, rows, original=original):  # noqa: ANN001, ANN202
            count = original(self, table, columns, rows)
            if table.name == "service":
                raise RuntimeError("disk full")
            return count

        monkeypatch.setattr(loader, "insert", failing)
    with pytest.raises(RuntimeError, match="disk full"):
        seed_large(empty_backend, SMALL)
    assert count(empty_backend, Service) == 0 and count(empty_backend, Tariff) == SMALL.tariffs
    assert schema_objects(empty_backend) == before
    if empty_backend.db.dialect == "sqlite":
        with empty_backend.db.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_cli_seed_refuses_a_database_with_data(tmp_path: Path, capsys) -> None:  # noqa: ANN001
    url = f"sqlite:///{tmp_path / 'seed.db'}"
    assert main(["--db", url, "seed", "--scale", "small"]) == 0
    assert "services:" in capsys.readouterr().out
    assert main(["--db", url, "seed", "--scale", "small"]) == 1
    assert "needs an empty database" in capsys.readouterr().err


def test_cli_seed_takes_counts_over_the_scale(tmp_path: Path, capsys) -> None:  # noqa: ANN001
    url = f"sqlite:///{tmp_path / 'counts.db'}"
    assert main(["--db", url, "seed", "--scale", "small", "--modules", "12", "--services", "3,000",
                 "--notifications", "50"]) == 0
    out = capsys.readouterr().out
    assert "12 modules, 3,000 services, 50 notifications" in out
    from procmod.core.backend import open_backend

    backend = open_backend(url)
    try:
        assert count(backend, ProcessingModule) == 12 and count(backend, Service) == 3_000
        assert count(backend, Notification) == 50 and count(backend, Tariff) == SMALL.tariffs
    finally:
        backend.close()
    with pytest.raises(SystemExit):
        main(["--db", url, "seed", "--services", "0"])
    assert "out of range" in capsys.readouterr().err

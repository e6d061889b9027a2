"""Engine settings, migrations and the database-enforced rules, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import delete, inspect, text
from sqlalchemy.exc import IntegrityError

from procmod.core.backend import Backend
from procmod.storage import migrate
from procmod.storage.text_search import is_text_search_object
from procmod.storage.engine import ENV_DATABASE_URL, Database, resolve_database_url
from procmod.storage.models import Base, ProcessingModule, Service, TariffModule
from tests.conftest import make_backend


def test_migrations_create_every_model_table(empty_backend: Backend) -> None:
    tables = set(inspect(empty_backend.db.engine).get_table_names())
    assert set(Base.metadata.tables) <= tables and "alembic_version" in tables
    assert migrate.current_revision(empty_backend.db) == migrate.head_revision()
    assert migrate.upgrade(empty_backend.db) == (migrate.head_revision(), migrate.head_revision())  # idempotent


def test_service_indexes_serve_the_card_queries(empty_backend: Backend) -> None:
    indexes = {i["name"]: i["column_names"] for i in inspect(empty_backend.db.engine).get_indexes("service")}
    assert indexes["ix_service_module_tariff_status"] == ["module_id", "tariff_id", "status"]


def test_schema_matches_the_models(empty_backend: Backend) -> None:
    """No model change without a migration: autogenerate finds nothing to do at head."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with empty_backend.db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={
            "include_object": lambda obj, name, type_, reflected, compare_to: not is_text_search_object(name, type_)})
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def test_database_newer_than_the_app_is_refused_with_a_message(empty_backend: Backend) -> None:
    with empty_backend.db.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = 'f00dfeed9999'"))
    with pytest.raises(migrate.DatabaseTooNew, match="newer procmod"):
        migrate.upgrade(empty_backend.db)


@pytest.mark.parametrize("table", ["service", "tariff_module"])
def test_module_with_services_or_links_cannot_be_deleted_by_the_database(backend: Backend, table: str) -> None:
    """The foreign keys RESTRICT: even a raw DELETE cannot orphan services or tariff links."""
    model = Service if table == "service" else TariffModule
    with backend.db.sessions() as session:
        module_id = session.scalars(model.__table__.select().with_only_columns(model.module_id).limit(1)).one()
        if table == "tariff_module":
            session.execute(delete(Service).where(Service.module_id == module_id))
        with pytest.raises(IntegrityError):
            session.execute(delete(ProcessingModule).where(ProcessingModule.id == module_id))
            session.flush()
        session.rollback()


def test_sqlite_pragmas(tmp_path: Path) -> None:
    db = Database.open(f"sqlite:///{tmp_path / 'p.db'}")
    with db.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 10_000
    db.dispose()


def test_url_resolution(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(ENV_DATABASE_URL, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert resolve_database_url().startswith("sqlite:///") and resolve_database_url().endswith("procmod.db")
    monkeypatch.setenv(ENV_DATABASE_URL, "postgresql://u@h/db")
    assert resolve_database_url() == "postgresql+psycopg://u@h/db"
    assert resolve_database_url("sqlite:///x.db") == "sqlite:///x.db"  # --db wins over the environment
    assert resolve_database_url(str(tmp_path / "f.db")) == f"sqlite:///{tmp_path / 'f.db'}"


def test_optimistic_version_column_refuses_a_stale_write(backend: Backend) -> None:
    """A record read at version N cannot be written once someone else wrote version N+1."""
    from sqlalchemy.orm.exc import StaleDataError

    with backend.db.sessions() as session:
        stale = session.get(ProcessingModule, 1)
    with backend.db.write() as session:
        session.get(ProcessingModule, 1).name = "renamed by B"
    with pytest.raises(StaleDataError):
        with backend.db.write() as session:
            session.add(stale)
            stale.name = "renamed by A"
    with backend.db.sessions() as session:
        assert session.get(ProcessingModule, 1).name == "renamed by B"


def test_head_constant_matches_alembic() -> None:
    """Opening an up-to-date database compares with HEAD without importing Alembic; keep them equal."""
    assert migrate.HEAD == migrate.head_revision()


def test_partial_indexes_carry_their_condition_for_both_dialects() -> None:
    """SQLite's condition is named in the model; PostgreSQL's when a PostgreSQL engine is made (naming it at
    import would load that dialect's package into every console on SQLite)."""
    from sqlalchemy.dialects import postgresql, sqlite
    from sqlalchemy.schema import CreateIndex

    from procmod.storage.models import _PARTIAL_INDEXES, name_postgresql_conditions

    name_postgresql_conditions()
    name_postgresql_conditions()  # idempotent
    assert len(_PARTIAL_INDEXES) == 9  # task runs 1, notifications 2, jobs 4, api calls by job 1, services by key 1
    for index, condition in _PARTIAL_INDEXES.items():
        for dialect in (sqlite.dialect(), postgresql.dialect()):
            assert str(CreateIndex(index).compile(dialect=dialect)).endswith(f"WHERE {condition}")


@pytest.mark.parametrize("dialect", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_migration_0012_fills_the_natural_key_of_existing_services(dialect: str, tmp_path: Path,
                                                                  request: pytest.FixtureRequest) -> None:
    """Per module type, from what services already hold; only opened, live ones; of twins only the oldest."""
    from alembic import command

    from tests.conftest import new_database_url

    db = Database.open(new_database_url(dialect, tmp_path, request))
    config = migrate._config(db)  # noqa: SLF001
    with db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0011")
    with db.engine.begin() as connection:
        connection.execute(text("INSERT INTO department (id, name) VALUES (1, 'Support')"))
        connection.execute(text("INSERT INTO tariff (id, name, product_type, status, price, sort, period) "
                                "VALUES (1, 'T', 'vhost', 'active', 1, 1, 'month')"))
        for module_id, type_key in enumerate(("cpanel", "vmmanager6", "namecheap", "proxmox"), start=1):
            connection.execute(text(
                "INSERT INTO processing_module (id, name, module_type, product_type, department_id, sort_priority, "
                "status, settings, timezone, created_at, updated_at, version) VALUES (:id, :name, :type, 'vhost', 1, "
                "1, 'enabled', '{}', 'UTC', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 1)"),
                {"id": module_id, "name": f"M{module_id}", "type": type_key})
        services = [(1, 1, "web.example", "webuser", "active"), (2, 2, "vm1.example", "101", "active"),
                    (3, 3, "Shop.COM", "Shop.COM", "suspended"), (4, 4, "pve1", "100", "active"),
                    (5, 1, "old.example", "olduser", "deleted"), (6, 1, "new.example", None, "ordered"),
                    (7, 2, "vm1.example", "102", "active")]  # a twin of service 2 (same VM name)
        for sid, module_id, name, remote, status in services:
            connection.execute(text(
                "INSERT INTO service (id, tariff_id, module_id, name, remote_id, status, created_at) "
                "VALUES (:id, 1, :module, :name, :remote, :status, CURRENT_TIMESTAMP)"),
                {"id": sid, "module": module_id, "name": name, "remote": remote, "status": status})
    migrate.upgrade(db)
    with db.engine.connect() as connection:
        keys = dict(connection.execute(text("SELECT id, natural_key FROM service")).all())
    assert keys == {1: "webuser", 2: "vm1.example", 3: "shop.com", 4: "pve1", 5: None, 6: None, 7: None}
    db.dispose()

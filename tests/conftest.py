"""Shared fixtures: real databases (a SQLite file; PostgreSQL when PROCMOD_TEST_POSTGRES_URL is set).

Backends are built by the same `procmod.core.backend.open_backend` the CLI uses, with a fixed clock and a
throw-away secret key, so every test and snapshot sees the same demo rows.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from procmod.core.backend import Backend, open_backend
from procmod.core.clock import DEMO_NOW, FixedClock
from procmod.demo.seed import seed_demo
from procmod.core.secrets import SecretBox

POSTGRES_ENV = "PROCMOD_TEST_POSTGRES_URL"
DIALECTS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def postgres_admin_url() -> str | None:
    return os.environ.get(POSTGRES_ENV) or None


class PostgresDatabases:
    """Creates a throw-away database per use on the server named by PROCMOD_TEST_POSTGRES_URL."""

    def __init__(self, admin_url: str) -> None:
        url = admin_url.replace("postgresql://", "postgresql+psycopg://", 1)
        self._admin = create_engine(url, isolation_level="AUTOCOMMIT")
        self._base_url = self._admin.url
        self._created: list[str] = []

    def create(self) -> str:
        name = f"procmod_test_{uuid.uuid4().hex[:12]}"
        with self._admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        self._created.append(name)
        return self._base_url.set(database=name).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        with self._admin.connect() as connection:
            for name in self._created:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self._admin.dispose()


@pytest.fixture(autouse=True)
def _private_user_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never touch the operator's real data or config directory, database URL or key."""
    home = tmp_path_factory.getbasetemp() / "xdg"
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.delenv("PROCMOD_DATABASE_URL", raising=False)
    monkeypatch.delenv("PROCMOD_SECRET_KEY", raising=False)


@pytest.fixture(scope="session")
def postgres_databases() -> Iterator[PostgresDatabases]:
    admin_url = postgres_admin_url()
    if not admin_url and os.environ.get("PROCMOD_REQUIRE_POSTGRES"):
        pytest.fail(f"PROCMOD_REQUIRE_POSTGRES is set but {POSTGRES_ENV} is not")
    if not admin_url:
        pytest.skip(f"PostgreSQL tests need {POSTGRES_ENV} (e.g. postgresql://postgres@127.0.0.1:5432/test)")
    databases = PostgresDatabases(admin_url)
    yield databases
    databases.drop_all()


def new_database_url(dialect: str, directory: Path, request: pytest.FixtureRequest) -> str:
    if dialect == "sqlite":
        return f"sqlite:///{directory / f'procmod-{uuid.uuid4().hex[:8]}.db'}"
    return request.getfixturevalue("postgres_databases").create()


def make_backend(url: str) -> Backend:
    return open_backend(url, clock=FixedClock(DEMO_NOW), secrets=SecretBox.generate(), operator="tester")


@pytest.fixture(params=DIALECTS)
def dialect(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def empty_backend(dialect: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Backend]:
    """A migrated, empty database of each dialect; one per test (tests may write)."""
    backend = make_backend(new_database_url(dialect, tmp_path, request))
    yield backend
    backend.close()


@pytest.fixture
def backend(empty_backend: Backend) -> Backend:
    """A freshly seeded demo database of each dialect; one per test (tests may write)."""
    seed_demo(empty_backend)
    return empty_backend


@pytest.fixture(scope="module", params=DIALECTS)
def seeded_backend(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
    """A seeded demo database shared by a module's read-only tests."""
    backend = make_backend(new_database_url(request.param, tmp_path_factory.mktemp("db"), request))
    seed_demo(backend)
    yield backend
    backend.close()


class Calls:
    """How many times a patched callable was called (see `count_calls`)."""

    def __init__(self) -> None:
        self.count = 0


def count_calls(monkeypatch: pytest.MonkeyPatch, owner: object, name: str) -> Calls:
    """Wrap `owner.name` so that its calls are counted; it still does what it did."""
    calls = Calls()
    original = getattr(owner, name)

    def counted(*args: object, **kwargs: object) -> object:
        calls.count += 1
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, counted)
    return calls

"""Engine and session factory: SQLite (embedded default) or PostgreSQL through one URL setting."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

ENV_DATABASE_URL = "PROCMOD_DATABASE_URL"
SQLITE_BUSY_TIMEOUT_MS = 10_000
#: The execution option that marks a connection of `Database.reads`: no BEGIN, no COMMIT/ROLLBACK sent.
READ_ONLY_OPTION = "procmod_reads"


def default_database_path() -> Path:
    """The embedded database file in the user's data directory (platformdirs)."""
    from platformdirs import user_data_path

    return user_data_path("procmod", appauthor=False, ensure_exists=True) / "procmod.db"


def resolve_database_url(url: str | None = None) -> str:
    """`--db URL` first, then $PROCMOD_DATABASE_URL, then the SQLite file in the data directory.

    A bare path is taken as a SQLite file; `postgresql://` is routed to psycopg 3.
    """
    url = url or os.environ.get(ENV_DATABASE_URL) or f"sqlite:///{default_database_path()}"
    if "://" not in url:
        url = f"sqlite:///{Path(url).expanduser().resolve()}"
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def _configure_sqlite(dbapi_connection, _record) -> None:  # noqa: ANN001 - DBAPI types
    # The driver's own implicit BEGIN is turned off: `_sqlite_begin` emits BEGIN (or BEGIN IMMEDIATE).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin(connection) -> None:  # noqa: ANN001
    """Writers take SQLite's write lock up front, so a check-then-write cannot interleave. A screen's read
    (`Database.reads`) sends no BEGIN: each statement reads on its own."""
    options = connection.get_execution_options()
    if options.get(READ_ONLY_OPTION):
        return
    connection.exec_driver_sql(f"BEGIN {options.get('sqlite_begin', 'DEFERRED')}")


def is_read_only(connection) -> bool:  # noqa: ANN001
    """Whether this connection belongs to `Database.reads` (its transaction ends send nothing)."""
    return bool(connection.get_execution_options().get(READ_ONLY_OPTION))


def _refuse_writes(session: Session, _context, _instances) -> None:  # noqa: ANN001
    raise RuntimeError("a Database.reads() session never writes: use Database.write()")


def make_engine(url: str | None = None, *, echo: bool = False) -> Engine:
    """Create the engine for `url` (see `resolve_database_url`); nothing is created at import time."""
    resolved = resolve_database_url(url)
    if resolved.startswith("sqlite"):
        path = resolved.split("///", 1)[-1]
        if path and path != ":memory:" and not Path(path.split("?", 1)[0]).parent.is_dir():
            from procmod.storage.errors import DatabaseLocationMissing

            raise DatabaseLocationMissing(f"the directory {Path(path).parent} does not exist (procmod creates a "
                                          "database file, never a directory)")
        engine = create_engine(
            resolved,
            echo=echo,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
        )
        event.listen(engine, "connect", _configure_sqlite)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    from procmod.storage.models import name_postgresql_conditions

    name_postgresql_conditions()
    return create_engine(resolved, echo=echo, pool_pre_ping=True)


@dataclass(frozen=True)
class Database:
    """An engine with its session factory; the one handle the domain layer is given."""

    engine: Engine
    sessions: sessionmaker[Session]
    _writer: sessionmaker[Session] = field(repr=False)
    _reader: sessionmaker[Session] = field(repr=False)

    @classmethod
    def open(cls, url: str | None = None) -> Database:
        engine = make_engine(url)
        sqlite = engine.dialect.name == "sqlite"
        writer_bind = engine.execution_options(sqlite_begin="IMMEDIATE") if sqlite else engine
        # PostgreSQL: autocommit, so a screen's read is its statements alone on the wire (no BEGIN, no
        # ROLLBACK); under READ COMMITTED each statement saw its own snapshot anyway. SQLite: no BEGIN.
        reader_bind = engine.execution_options(**{READ_ONLY_OPTION: True},
                                                **({} if sqlite else {"isolation_level": "AUTOCOMMIT"}))
        reader = sessionmaker(reader_bind, expire_on_commit=False, autoflush=False)
        event.listen(reader, "before_flush", _refuse_writes)
        return cls(engine, sessionmaker(engine, expire_on_commit=False),
                   sessionmaker(writer_bind, expire_on_commit=False), reader)

    @contextmanager
    def reads(self) -> Iterator[Session]:
        """A session for what a screen shows: statements only, each reading the latest committed data, in
        as few round trips as the statements themselves (a list page and its count: two). Never writes."""
        with self._reader() as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A read-write transaction, committed on success and rolled back on error.

        SQLite: BEGIN IMMEDIATE, so concurrent writers serialize before their checks. PostgreSQL: READ
        COMMITTED; the domain takes explicit row locks (SELECT … FOR UPDATE) where a rule needs them.
        """
        with self._writer() as session, session.begin():
            yield session

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def redacted_url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    def dispose(self) -> None:
        self.engine.dispose()

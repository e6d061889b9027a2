"""Schema migrations (Alembic), applied when the app opens a database.

A database stamped with a revision this code does not know was written by a newer procmod: opening it
raises `DatabaseTooNew` with a readable message instead of failing later on a missing column.
"""

from __future__ import annotations

from pathlib import Path

from typing import TYPE_CHECKING

from sqlalchemy import inspect, text

from procmod.storage.engine import Database
from procmod.storage.errors import DatabaseTooNew

if TYPE_CHECKING:  # Alembic loads only when a migration is needed: opening an up-to-date database skips it
    from alembic.config import Config

#: The newest revision in migrations/versions (a test keeps it in step with Alembic's own head).
HEAD = "0012"

__all__ = ["HEAD", "DatabaseTooNew", "check_not_newer", "current_revision", "head_revision", "is_current",
           "upgrade"]

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def _config(db: Database | None = None) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if db is not None:
        config.set_main_option("sqlalchemy.url", db.redacted_url())
    return config


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_config()).get_current_head() or ""


def current_revision(db: Database) -> str | None:
    with db.engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def is_current(db: Database) -> bool:
    """The fast path of opening a database: one query, no Alembic import."""
    return current_revision(db) == HEAD


def check_not_newer(db: Database) -> None:
    current = current_revision(db)
    if current is None:
        return
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(_config())
    known = {rev.revision for rev in script.walk_revisions()}
    if current not in known:
        raise DatabaseTooNew(
            f"The database {db.redacted_url()} is at schema revision {current}, which this version of "
            f"procmod does not know (its newest is {head_revision()}). It was upgraded by a newer "
            "procmod: upgrade procmod, or open another database with --db."
        )


def upgrade(db: Database) -> tuple[str | None, str]:
    """Migrate to head; returns (revision before, revision after)."""
    from alembic import command

    check_not_newer(db)
    before = current_revision(db)
    config = _config(db)
    with db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    return before, head_revision()


def revision(db: Database, message: str) -> None:  # pragma: no cover - developer tool
    """Autogenerate a new migration from the models (developers: `python -m procmod.storage.migrate "msg"`)."""
    from alembic import command

    config = _config(db)
    with db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.revision(config, message=message, autogenerate=True)


if __name__ == "__main__":  # pragma: no cover
    import sys

    revision(Database.open(sys.argv[2] if len(sys.argv) > 2 else "sqlite:////tmp/procmod-autogen.db"), sys.argv[1])

"""Schema migrations (Alembic), applied when the app opens a database.

A database stamped with a revision this code does not know was written by a newer procmod: opening it
raises `DatabaseTooNew` with a readable message instead of failing later on a missing column.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from storage.engine import Database

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


class DatabaseTooNew(RuntimeError):
    """The database was migrated by a newer version of procmod."""


def _config(db: Database | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if db is not None:
        config.set_main_option("sqlalchemy.url", db.redacted_url())
    return config


def head_revision() -> str:
    return ScriptDirectory.from_config(_config()).get_current_head() or ""


def current_revision(db: Database) -> str | None:
    with db.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def check_not_newer(db: Database) -> None:
    current = current_revision(db)
    if current is None:
        return
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
    check_not_newer(db)
    before = current_revision(db)
    config = _config(db)
    with db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    return before, head_revision()


def revision(db: Database, message: str) -> None:  # pragma: no cover - developer tool
    """Autogenerate a new migration from the models (developers: `python -m storage.migrate "msg"`)."""
    config = _config(db)
    with db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.revision(config, message=message, autogenerate=True)


if __name__ == "__main__":  # pragma: no cover
    import sys

    revision(Database.open(sys.argv[2] if len(sys.argv) > 2 else "sqlite:////tmp/procmod-autogen.db"), sys.argv[1])

"""Where a SQLite database file is, checked before anything opens it (no SQLAlchemy imported here, so the
command line can say it before the console starts).

procmod creates a new database file in an existing directory (and says so), never a directory: `--db
/srv/procmdo/billing.db` with a typo is refused with a message instead of silently creating an empty
database in a new directory.
"""

from __future__ import annotations

import os
from pathlib import Path

from procmod.storage.errors import DatabaseLocationMissing

ENV_DATABASE_URL = "PROCMOD_DATABASE_URL"


def sqlite_file(url: str | None) -> Path | None:
    """The file a URL (or bare path) names, for SQLite; None for other databases, memory, or the default
    (the data directory, which procmod makes itself)."""
    url = url or os.environ.get(ENV_DATABASE_URL)
    if not url:
        return None
    if "://" not in url:
        return Path(url).expanduser().resolve()
    if not url.startswith("sqlite"):
        return None
    path = url.split("///", 1)[-1] if "///" in url else ""
    path = path.split("?", 1)[0]
    if not path or path == ":memory:":
        return None
    return Path(path).expanduser()


def check_location(url: str | None) -> str | None:
    """Refuse a SQLite file in a directory that does not exist (`DatabaseLocationMissing`); for a file not
    there yet, the sentence that says a new database is made. None when there is nothing to say."""
    path = sqlite_file(url)
    if path is None:
        return None
    if not path.parent.is_dir():
        raise DatabaseLocationMissing(
            f"the directory {path.parent} does not exist, so there is no database {path.name} in it. procmod "
            "creates a new database file but never a directory: check the path given with --db (or "
            f"${ENV_DATABASE_URL}), or create the directory first.")
    if path.is_dir():
        raise DatabaseLocationMissing(f"{path} is a directory; --db needs a database file (e.g. {path}/procmod.db).")
    if not path.exists():
        return f"procmod: {path} does not exist yet: a new, empty database is created there."
    return None

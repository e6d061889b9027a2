"""Storage errors the command line names before it imports SQLAlchemy (kept free of imports)."""

from __future__ import annotations


class DatabaseTooNew(RuntimeError):
    """The database was migrated by a newer version of procmod."""

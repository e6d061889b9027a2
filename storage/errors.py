"""Storage errors the command line names before it imports SQLAlchemy (kept free of imports)."""

from __future__ import annotations


class DatabaseTooNew(RuntimeError):
    """The database was migrated by a newer version of procmod."""


class DatabaseLocationMissing(RuntimeError):
    """A SQLite file was asked for in a directory that does not exist (procmod creates files, not
    directories: a typo in --db must not leave a new empty database somewhere)."""

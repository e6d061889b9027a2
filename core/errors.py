"""Errors of the domain that any layer may catch, kept free of heavy imports (no SQLAlchemy)."""

from __future__ import annotations


class NotFound(LookupError):
    """The record is gone (deleted by another operator, or a stale link)."""

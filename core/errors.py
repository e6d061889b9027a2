"""Errors of the domain that any layer may catch, kept free of heavy imports (no SQLAlchemy)."""

from __future__ import annotations

from dataclasses import dataclass


class NotFound(LookupError):
    """The record is gone (deleted by another operator, or a stale link)."""


@dataclass(frozen=True)
class Blocker:
    """One reason a module cannot be deleted, and where it is fixed."""

    kind: str  # "tariffs" | "active_services" | "other_services" | "tasks_in_progress"
    count: int
    message: str


class DeleteBlocked(RuntimeError):
    """The delete of a module was refused: `blockers` say why (core/lifecycle.py)."""

    def __init__(self, blockers: list[Blocker]) -> None:
        self.blockers = blockers
        super().__init__("Cannot delete: " + "; ".join(b.message for b in blockers))

"""Errors of the domain that any layer may catch, kept free of heavy imports (no SQLAlchemy)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class NotFound(LookupError):
    """The record is gone (deleted by another operator, or a stale link)."""


@dataclass(frozen=True)
class Blocker:
    """One reason a record (a module, a data center, a department) cannot be deleted, and where it is fixed."""

    kind: str  # "tariffs" | "active_services" | "other_services" | "tasks_in_progress" | "modules" | ...
    count: int
    message: str
    #: Where it is fixed, for the reference entities' blockers (core/reference.py): the destination listing
    #: them and the filter narrowing that list to the record, e.g. ("modules", (("datacenter_id", 3),)).
    fix_in: str = ""
    fix_filter: tuple[tuple[str, Any], ...] = ()


class DeleteBlocked(RuntimeError):
    """The delete of a module was refused: `blockers` say why (core/lifecycle.py)."""

    def __init__(self, blockers: list[Blocker]) -> None:
        self.blockers = blockers
        super().__init__("Cannot delete: " + "; ".join(b.message for b in blockers))

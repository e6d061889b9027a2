"""Reconciliation: the billing's services of a module against what its panel reports (issue 17).

`Reconciliation.reconcile` reads the panel a page at a time (`Driver.iter_remote_services`), compares in one
pass with the module's services (read in one query), and stores a report (ReconReport + ReconRow) that the
console pages through. Nothing changes on the billing or the panel until the operator applies a plan:
`plan` says what each chosen row would do (or why it cannot), `apply` does it (billing-side changes in one
transaction with their audit entries; panel-side ones as service operations through the job engine).

The data the console reads is below (frozen dataclasses); the class's methods are the interface the TUI uses.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime


class ReconGroup(enum.StrEnum):
    PANEL_ONLY = "panel_only"  # on the panel, no billing service matches
    BILLING_ONLY = "billing_only"  # an active or suspended billing service the panel does not have
    DIFFERENT = "different"  # on both, some compared field differs

    @property
    def title(self) -> str:
        return {"panel_only": "Only on the panel", "billing_only": "Only in the billing",
                "different": "On both, different"}[self.value]


class ReconAction(enum.StrEnum):
    IMPORT = "import"  # panel-only → a new billing service (tariff from the module's plan → tariff mapping)
    MARK_CLOSED = "mark_closed"  # billing-only → the billing service is closed (it is gone from the panel)
    OPEN_AGAIN = "open_again"  # billing-only → the Open operation creates it on the panel again
    TAKE_PANEL = "take_panel"  # different → the billing takes the panel's values (status, plan's tariff, address)
    PUSH_BILLING = "push_billing"  # different → the panel is made to match the billing (suspend / resume)

    @property
    def title(self) -> str:
        return {"import": "Import into the billing", "mark_closed": "Mark closed in the billing",
                "open_again": "Open again on the panel", "take_panel": "Take the panel's values",
                "push_billing": "Push the billing's values to the panel"}[self.value]

    @property
    def group(self) -> ReconGroup:
        return {"import": ReconGroup.PANEL_ONLY, "mark_closed": ReconGroup.BILLING_ONLY,
                "open_again": ReconGroup.BILLING_ONLY, "take_panel": ReconGroup.DIFFERENT,
                "push_billing": ReconGroup.DIFFERENT}[self.value]


@dataclass(frozen=True)
class FieldDiff:
    """One compared field of a row: its two values side by side, and whether they differ."""

    field: str  # "status", "plan", "address", "name"
    label: str  # "Status", "Plan / tariff", "Address", "Name"
    billing: str  # "" when the billing has no such service
    panel: str  # "" when the panel has no such object
    differs: bool


@dataclass(frozen=True)
class ReconRowView:
    id: int
    group: ReconGroup
    key: str  # the natural key (cPanel user name, VM name, domain)
    name: str
    service_id: int | None
    remote_id: str | None
    fields: tuple[FieldDiff, ...]
    #: The actions this row offers now (none once resolved, or when what it depends on was not read).
    actions: tuple[ReconAction, ...]
    #: What was applied to it ("Imported as service 1234 by alice"), or None while open.
    resolved: str | None
    #: Why the row offers no action although it is open (e.g. "2 objects on the panel share this key").
    note: str = ""


@dataclass(frozen=True)
class ReportSummary:
    id: int
    module_id: int
    module_name: str
    module_type: str
    read_at: datetime
    started_by: str  # the operator's name, or "schedule"
    remote_total: int  # panel objects read
    panel_only: int
    billing_only: int
    different: int
    open_rows: int  # rows not resolved yet
    #: What could not be read ("page 3 of the panel's accounts failed: ..."), or None when complete. An
    #: incomplete report offers no action on billing-only rows (the unread pages may hold them).
    incomplete: str | None
    duration_ms: int

    @property
    def drift(self) -> int:
        return self.panel_only + self.billing_only + self.different

    @property
    def summary(self) -> str:
        """E.g. "3 only on the panel, 1 only in the billing, 2 differ" or "no drift"."""
        parts = [f"{self.panel_only} only on the panel" if self.panel_only else "",
                 f"{self.billing_only} only in the billing" if self.billing_only else "",
                 f"{self.different} differ" if self.different else ""]
        text = ", ".join(p for p in parts if p) or "no drift"
        return text + (" (incomplete)" if self.incomplete else "")


@dataclass(frozen=True)
class ModuleDrift:
    """A line of the Reconciliation screen: a module and its latest report (None: never reconciled)."""

    module_id: int
    module_name: str
    module_type: str
    report: ReportSummary | None


@dataclass(frozen=True)
class PlanMapping:
    """A panel plan (package, OS template, ...) seen on the module's panel and the tariff it imports as."""

    panel_plan: str
    tariff_id: int | None
    tariff_name: str | None
    #: The tariffs it may map to: (id, name) of tariffs linked to the module.
    candidates: tuple[tuple[int, str], ...]


@dataclass(frozen=True)
class PlanStep:
    row_id: int
    key: str
    description: str  # "Import web042 as a service of tariff Hosting Start (panel plan start)"
    refused: str | None = None  # why this row will not be done (it is skipped); None: it will


@dataclass(frozen=True)
class ActionPlan:
    report_id: int
    action: ReconAction
    steps: tuple[PlanStep, ...]
    #: Panel plans of the chosen rows without a tariff mapping yet (import only): map them first.
    unmapped_plans: tuple[str, ...] = ()

    @property
    def runnable(self) -> tuple[PlanStep, ...]:
        return tuple(step for step in self.steps if step.refused is None)


@dataclass(frozen=True)
class ApplyResult:
    applied: int  # rows done in the billing (import, mark closed, take the panel's)
    queued: int  # rows handed to service operations (open again, push the billing's)
    skipped: tuple[str, ...]  # "web042: already imported by bob"
    batch_id: int | None = None  # the bulk batch of the queued operations, for the progress screen


class ReconciliationError(ValueError):
    """A refusal with a message for the operator (unknown report, read-only console, ...)."""

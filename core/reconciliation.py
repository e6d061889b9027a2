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
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from procmod.core.arguments import entry_point
from procmod.core.clock import Clock
from procmod.core.dto import Page, PageRequest
from procmod.core.errors import NotFound
from procmod.core.scheduler import RunGuard
from procmod.storage.engine import Database
from procmod.storage.enums import ModuleStatus, ServiceStatus, TariffStatus
from procmod.storage.models import (
    AuditEntry,
    ProcessingModule,
    ReconPlanMap,
    ReconReport,
    ReconRow,
    Service,
    Tariff,
    TariffModule,
)

if TYPE_CHECKING:
    from procmod.core.drivers import RemoteService
    from procmod.core.integration import Integrations
    from procmod.core.services import ServiceOperations


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


#: Reports kept per module (older ones are deleted when a new one is stored).
REPORTS_KEPT = 5
#: The drivers' typed failure (drivers load on first use).
DRIVER_ERROR = "procmod.core.drivers.DriverError"
READ_ONLY = "procmod.core.lifecycle.ReadOnly"
_REFUSALS = (READ_ONLY, "procmod.core.reconciliation.ReconciliationError")

_LIVE = (ServiceStatus.ACTIVE, ServiceStatus.SUSPENDED)
_FIELDS = (("status", "Status"), ("plan", "Plan / tariff"), ("address", "Address"), ("name", "Name"))
#: The billing status an imported panel object gets, by the panel's status.
_IMPORTED_STATUS = {"active": ServiceStatus.ACTIVE, "suspended": ServiceStatus.SUSPENDED,
                    "expired": ServiceStatus.SUSPENDED, "pending": ServiceStatus.IN_PROGRESS}


def _text(value: str | None, length: int) -> str | None:
    return None if value is None else value[:length]


@dataclass
class _Billing:
    """A billing service as the comparison reads it (one query for the module)."""

    id: int
    name: str
    remote_id: str | None
    natural_key: str | None
    status: ServiceStatus
    tariff_id: int
    panel_plan: str | None
    address: str | None
    seen: bool = False


class Reconciliation:
    """Reconcile a module's billing services with its panel: read, compare, store, plan, apply (issue 17)."""

    def __init__(self, db: Database, clock: Clock, operator: str, integrations: Integrations,
                 operations: Callable[[], ServiceOperations], *, read_only: bool = False) -> None:
        self._db, self._clock, self.operator = db, clock, operator
        self._integrations, self._operations = integrations, operations
        self.read_only = read_only

    def _writable(self) -> None:
        if self.read_only:
            from procmod.core.lifecycle import ReadOnly

            raise ReadOnly("The console is read-only (--read-only): nothing can be changed.")

    # ------------------------------------------------------------------ read and compare

    @entry_point(network=True, refuses=(DRIVER_ERROR, "procmod.core.scheduler.RunLost", *_REFUSALS))
    def reconcile(self, module_id: int, *, guard: RunGuard | None = None, started_by: str | None = None,
                  progress: Callable[[int], None] | None = None) -> ReportSummary:
        """Read the panel (paged), compare with the module's services, store the report and return it.

        Network: run it in a worker thread. `progress(objects_read)` is called after each page. A run's
        guard fences the stored report (a run that lost its claim stores nothing; the summary's id is 0)."""
        if guard is None:
            self._writable()
        if progress is not None and not callable(progress):
            from procmod.core.validation import ValidationError

            raise ValidationError({"progress": "Progress must be a function called with the objects read"})
        return self.reconcile_fenced(module_id, guard=guard, started_by=started_by, progress=progress)[0]

    def reconcile_fenced(self, module_id: int, *, guard: RunGuard | None = None, started_by: str | None = None,
                         progress: Callable[[int], None] | None = None,
                         also: Callable[[Session, ReportSummary], None] | None = None) -> tuple[ReportSummary, bool]:
        """`reconcile`, and whether the report was stored; `also` writes more in the report's transaction
        (the scheduled sync's notification)."""
        started = time.perf_counter()
        with self._db.sessions() as session:
            module = session.execute(select(ProcessingModule.name, ProcessingModule.module_type)
                                     .where(ProcessingModule.id == module_id)).one_or_none()
        if module is None:
            raise NotFound(f"Processing module #{module_id} no longer exists.")
        module_name, type_key = module
        read = self._integrations.read_panel(module_id, guard, progress)
        read_at = self._clock.now()
        with self._db.sessions() as session:
            billing = [_Billing(*row) for row in session.execute(
                select(Service.id, Service.name, Service.remote_id, Service.natural_key, Service.status,
                       Service.tariff_id, Service.panel_plan, Service.address)
                .where(Service.module_id == module_id, Service.status != ServiceStatus.DELETED))]
            plan_map = dict(session.execute(select(ReconPlanMap.panel_plan, ReconPlanMap.tariff_id)
                                            .where(ReconPlanMap.module_id == module_id)).all())
        from procmod.core.moduletypes import module_type

        try:
            suspends = module_type(type_key).suspends_services
        except KeyError:
            suspends = False
        rows, seen = _compare(read.objects, billing, plan_map, suspends, read.incomplete, type_key)
        counts = {group: sum(1 for r in rows if r["group"] == group.value) for group in ReconGroup}
        duration_ms = int((time.perf_counter() - started) * 1000)
        with self._db.write() as session:
            if guard is not None and not guard.holds(session):
                return ReportSummary(0, module_id, module_name, type_key, read_at, started_by or "schedule",
                                     len(read.objects), counts[ReconGroup.PANEL_ONLY],
                                     counts[ReconGroup.BILLING_ONLY], counts[ReconGroup.DIFFERENT], len(rows),
                                     read.incomplete, duration_ms), False
            report = ReconReport(module_id=module_id, read_at=read_at, started_by=(started_by or self.operator)[:100],
                                 remote_total=len(read.objects), panel_only=counts[ReconGroup.PANEL_ONLY],
                                 billing_only=counts[ReconGroup.BILLING_ONLY],
                                 different=counts[ReconGroup.DIFFERENT], open_rows=len(rows),
                                 incomplete=read.incomplete, duration_ms=duration_ms)
            session.add(report)
            session.flush()
            if rows:
                session.execute(insert(ReconRow), [{**r, "report_id": report.id} for r in rows])
            if seen:
                session.execute(update(Service), [{"id": service_id, "panel_status": status, "last_seen_at": read_at}
                                                  for service_id, status in sorted(seen.items())])
            stale = list(session.scalars(select(ReconReport.id).where(ReconReport.module_id == module_id)
                                         .order_by(ReconReport.id.desc()).offset(REPORTS_KEPT)))
            if stale:
                session.execute(delete(ReconReport).where(ReconReport.id.in_(stale)))
            summary = ReportSummary(report.id, module_id, module_name, type_key, read_at, report.started_by,
                                    report.remote_total, report.panel_only, report.billing_only, report.different,
                                    report.open_rows, report.incomplete, duration_ms)
            if also is not None:
                also(session, summary)
        return summary, True

    # ------------------------------------------------------------------ reading reports

    @entry_point()
    def latest(self, module_id: int) -> ReportSummary | None:
        """The module's latest report, or None when it was never reconciled."""
        with self._db.reads() as session:
            report_id = session.scalar(select(ReconReport.id).where(ReconReport.module_id == module_id)
                                       .order_by(ReconReport.id.desc()).limit(1))
            return None if report_id is None else self._summary(session, report_id)

    @entry_point()
    def report(self, report_id: int) -> ReportSummary:
        with self._db.reads() as session:
            return self._summary(session, report_id)

    @staticmethod
    def _summary(session: Session, report_id: int) -> ReportSummary:
        row = session.execute(select(ReconReport, ProcessingModule.name, ProcessingModule.module_type)
                              .join(ProcessingModule, ProcessingModule.id == ReconReport.module_id)
                              .where(ReconReport.id == report_id)).one_or_none()
        if row is None:
            raise NotFound(f"Reconciliation report #{report_id} no longer exists (only the latest "
                           f"{REPORTS_KEPT} of a module are kept).")
        return _summary_of(*row)

    def rows(self, report_id: int, group: ReconGroup, page: PageRequest = PageRequest(limit=100),
             *, open_only: bool = False) -> Page[ReconRowView]:
        """A page of one group of a report, ordered by key."""
        from procmod.core.queries import _count_of, _paged

        with self._db.reads() as session:
            summary = self._summary(session, report_id)
            criteria = [ReconRow.report_id == report_id, ReconRow.group == group.value]
            if open_only:
                criteria.append(ReconRow.resolved.is_(None))
            return _paged(session, select(ReconRow).where(*criteria), _count_of(*criteria, model=ReconRow),
                          page, {"key": ReconRow.key}, "key", ReconRow.id,
                          lambda r: _view(r[0], summary))

    @entry_point()
    def row(self, row_id: int) -> ReconRowView:
        with self._db.reads() as session:
            record = session.get(ReconRow, row_id)
            if record is None:
                raise NotFound(f"Reconciliation row #{row_id} no longer exists.")
            return _view(record, self._summary(session, record.report_id))

    def overview(self, page: PageRequest = PageRequest(limit=100)) -> Page[ModuleDrift]:
        """Every module with its latest report, worst first (most open rows); never-read modules last."""
        latest = (select(ReconReport.module_id, func.max(ReconReport.id).label("report_id"))
                  .group_by(ReconReport.module_id).subquery())
        with self._db.reads() as session:
            total = session.scalar(select(func.count()).select_from(ProcessingModule)) or 0
            found = session.execute(
                select(ProcessingModule.id, ProcessingModule.name, ProcessingModule.module_type, ReconReport)
                .outerjoin(latest, latest.c.module_id == ProcessingModule.id)
                .outerjoin(ReconReport, ReconReport.id == latest.c.report_id)
                .order_by(func.coalesce(ReconReport.open_rows, -1).desc(),
                          ProcessingModule.name, ProcessingModule.id)
                .offset(page.offset).limit(page.limit)).all()
        rows = [ModuleDrift(module_id, name, type_key,
                            None if report is None else _summary_of(report, name, type_key))
                for module_id, name, type_key, report in found]
        return Page(rows, total, page.offset, page.limit)

    # ------------------------------------------------------------------ the plan → tariff mapping

    @entry_point()
    def mappings(self, module_id: int) -> list[PlanMapping]:
        """The panel plans of the module's latest report and the saved map, each with its tariff."""
        with self._db.reads() as session:
            if session.get(ProcessingModule, module_id) is None:
                raise NotFound(f"Processing module #{module_id} no longer exists.")
            report_id = session.scalar(select(ReconReport.id).where(ReconReport.module_id == module_id)
                                       .order_by(ReconReport.id.desc()).limit(1))
            plans: set[str] = set()
            if report_id is not None:
                plans |= {p or "" for p in session.scalars(select(ReconRow.panel_plan).distinct().where(
                    ReconRow.report_id == report_id, ReconRow.panel_plan.is_not(None)))}
            saved = dict(session.execute(select(ReconPlanMap.panel_plan, ReconPlanMap.tariff_id)
                                         .where(ReconPlanMap.module_id == module_id)).all())
            candidates = tuple((tariff_id, name) for tariff_id, name in session.execute(
                select(Tariff.id, Tariff.name).join(TariffModule, TariffModule.tariff_id == Tariff.id)
                .where(TariffModule.module_id == module_id, Tariff.status != TariffStatus.DELETED)
                .order_by(Tariff.name)).all())
            names = dict(session.execute(select(Tariff.id, Tariff.name)
                                         .where(Tariff.id.in_(list(saved.values())))).all()) if saved else {}
        return [PlanMapping(plan, saved.get(plan), names.get(saved.get(plan)) if plan in saved else None, candidates)
                for plan in sorted(plans | set(saved))]

    @entry_point(refuses=_REFUSALS)
    def set_mapping(self, module_id: int, panel_plan: str, tariff_id: int | None) -> None:
        """Map a panel plan of the module to a tariff linked to it (None: forget the mapping); audited."""
        self._writable()
        if len(panel_plan) > 100:
            raise ReconciliationError("A panel plan is at most 100 characters.")
        with self._db.write() as session:
            if session.get(ProcessingModule, module_id) is None:
                raise NotFound(f"Processing module #{module_id} no longer exists.")
            tariff_name = None
            if tariff_id is not None:
                tariff_name = session.scalar(select(Tariff.name).join(
                    TariffModule, TariffModule.tariff_id == Tariff.id).where(
                    Tariff.id == tariff_id, TariffModule.module_id == module_id))
                if tariff_name is None:
                    raise ReconciliationError(f"Tariff #{tariff_id} is not linked to this module: link it first "
                                              "(Products → Tariff plans → Modules).")
            existing = session.scalars(select(ReconPlanMap).where(
                ReconPlanMap.module_id == module_id, ReconPlanMap.panel_plan == panel_plan).with_for_update()
            ).one_or_none()
            before = None if existing is None else {"panel_plan": panel_plan, "tariff_id": existing.tariff_id}
            if tariff_id is None:
                if existing is not None:
                    session.delete(existing)
            elif existing is not None:
                existing.tariff_id = tariff_id
            else:
                session.add(ReconPlanMap(module_id=module_id, panel_plan=panel_plan, tariff_id=tariff_id))
            after = None if tariff_id is None else {"panel_plan": panel_plan, "tariff_id": tariff_id}
            summary = (f"Panel plan {panel_plan or '(none)'} imports as tariff {tariff_name}" if tariff_name
                       else f"Panel plan {panel_plan or '(none)'} no longer maps to a tariff")
            session.add(self._audit("recon_map", "processing_module", module_id, summary, before, after))

    # ------------------------------------------------------------------ plan and apply

    @entry_point(refuses=_REFUSALS)
    def plan(self, report_id: int, action: ReconAction, row_ids: Sequence[int]) -> ActionPlan:
        """What `action` would do to each chosen row of the report, or why it will not (nothing changes)."""
        with self._db.sessions() as session:
            return self._plan(session, report_id, action, row_ids)

    def _plan(self, session: Session, report_id: int, action: ReconAction, row_ids: Sequence[int]) -> ActionPlan:
        summary = self._summary(session, report_id)
        wanted = list(dict.fromkeys(row_ids))
        records = {r.id: r for r in session.scalars(select(ReconRow).where(
            ReconRow.report_id == report_id, ReconRow.id.in_(wanted)))} if wanted else {}
        service_ids = [r.service_id for r in records.values() if r.service_id is not None]
        services = {s.id: s for s in session.scalars(select(Service).where(Service.id.in_(service_ids)))
                    } if service_ids else {}
        plan_map = dict(session.execute(select(ReconPlanMap.panel_plan, ReconPlanMap.tariff_id)
                                        .where(ReconPlanMap.module_id == summary.module_id)).all())
        linked = dict(session.execute(select(Tariff.id, Tariff.name).join(
            TariffModule, TariffModule.tariff_id == Tariff.id).where(
            TariffModule.module_id == summary.module_id, Tariff.status != TariffStatus.DELETED)).all())
        module_status = session.scalar(select(ProcessingModule.status)
                                       .where(ProcessingModule.id == summary.module_id))
        steps: list[PlanStep] = []
        unmapped: set[str] = set()
        for row_id in wanted:
            record = records.get(row_id)
            if record is None:
                steps.append(PlanStep(row_id, "?", f"Row #{row_id}", "It is not a row of this report."))
                continue
            service = services.get(record.service_id) if record.service_id is not None else None
            description, refused = _step(action, record, service, summary, plan_map, linked, module_status,
                                         unmapped)
            steps.append(PlanStep(row_id, record.key, description, refused))
        return ActionPlan(report_id, action, tuple(steps), tuple(sorted(unmapped)))

    @entry_point(refuses=_REFUSALS)
    def apply(self, plan: ActionPlan) -> ApplyResult:
        """Do a reviewed plan: each row is checked again against what is stored now; each applied row is an
        audit entry. Billing changes land in one transaction; panel changes are queued as service operations."""
        self._writable()
        chosen = [step.row_id for step in plan.steps if step.refused is None]
        skipped: list[str] = [f"{step.key}: {step.refused}" for step in plan.steps if step.refused is not None]
        if plan.action in (ReconAction.OPEN_AGAIN, ReconAction.PUSH_BILLING):
            return self._apply_queued(plan, chosen, skipped)
        applied = 0
        with self._db.write() as session:
            fresh = self._plan(session, plan.report_id, plan.action, chosen)
            report = session.get(ReconReport, plan.report_id)
            assert report is not None
            plan_map = dict(session.execute(select(ReconPlanMap.panel_plan, ReconPlanMap.tariff_id)
                                            .where(ReconPlanMap.module_id == report.module_id)).all())
            now = self._clock.now()
            for step in fresh.steps:
                if step.refused is not None:
                    skipped.append(f"{step.key}: {step.refused}")
                    continue
                record = session.get(ReconRow, step.row_id)
                assert record is not None
                done = {ReconAction.IMPORT: self._import, ReconAction.MARK_CLOSED: self._mark_closed,
                        ReconAction.TAKE_PANEL: self._take_panel}[plan.action](
                    session, record, report, plan_map, now)
                if done is None:
                    applied += 1
                else:
                    skipped.append(f"{record.key}: {done}")
            self._recount(session, report)
        return ApplyResult(applied, 0, tuple(skipped))

    def _import(self, session: Session, record: ReconRow, report: ReconReport, plan_map: dict[str, int],
                now: datetime) -> str | None:
        tariff_id = plan_map[record.panel_plan or ""]
        try:
            with session.begin_nested():
                service = Service(tariff_id=tariff_id, module_id=report.module_id,
                                  name=(record.panel_name or record.key)[:255], remote_id=record.remote_id,
                                  status=_IMPORTED_STATUS.get(record.panel_status or "", ServiceStatus.ACTIVE),
                                  created_at=now, natural_key=record.key, panel_plan=record.panel_plan,
                                  address=record.panel_address, panel_status=record.panel_status,
                                  last_seen_at=report.read_at)
                session.add(service)
                session.flush()
        except IntegrityError:
            owner = session.scalar(select(Service.id).where(
                Service.module_id == report.module_id, Service.natural_key == record.key,
                Service.status != ServiceStatus.DELETED))
            return f"already imported (service #{owner})" if owner else "already imported"
        record.service_id = service.id
        record.resolved = f"Imported as service #{service.id} by {self.operator}"
        session.add(self._audit("recon_import", "service", service.id,
                                f"Imported {record.key} from the panel of module #{report.module_id}", None,
                                {"status": service.status.value, "tariff_id": tariff_id,
                                 "remote_id": record.remote_id, "natural_key": record.key,
                                 "panel_plan": record.panel_plan, "address": record.panel_address}))
        return None

    def _mark_closed(self, session: Session, record: ReconRow, report: ReconReport, plan_map: dict[str, int],
                     now: datetime) -> str | None:
        service = session.scalars(select(Service).where(Service.id == record.service_id).with_for_update()).one()
        if service.status not in _LIVE:
            return f"service #{service.id} is {service.status.label} now"
        before = {"status": service.status.value}
        service.status = ServiceStatus.DELETED
        record.resolved = f"Marked closed by {self.operator}"
        session.add(self._audit("recon_mark_closed", "service", service.id,
                                f"{service.name} marked closed: gone from the panel (reconciliation)", before,
                                {"status": service.status.value}))
        return None

    def _take_panel(self, session: Session, record: ReconRow, report: ReconReport, plan_map: dict[str, int],
                    now: datetime) -> str | None:
        service = session.scalars(select(Service).where(Service.id == record.service_id).with_for_update()).one()
        differs = set((record.differs or "").split(","))
        before = {"status": service.status.value, "tariff_id": service.tariff_id, "panel_plan": service.panel_plan,
                  "address": service.address}
        if "status" in differs and record.panel_status in ("active", "suspended", "expired"):
            service.status = _IMPORTED_STATUS[record.panel_status]
        if "plan" in differs:
            if (record.panel_plan or "") in plan_map:
                service.tariff_id = plan_map[record.panel_plan or ""]
        if record.panel_plan is not None:
            service.panel_plan = record.panel_plan
        if record.panel_address:
            service.address = record.panel_address
        service.panel_status = record.panel_status
        after = {"status": service.status.value, "tariff_id": service.tariff_id, "panel_plan": service.panel_plan,
                 "address": service.address}
        record.resolved = f"Took the panel's values ({', '.join(sorted(differs - {''}))}) by {self.operator}"
        session.add(self._audit("recon_take_panel", "service", service.id,
                                f"{service.name} took the panel's values (reconciliation)", before, after))
        return None

    def _apply_queued(self, plan: ActionPlan, chosen: list[int], skipped: list[str]) -> ApplyResult:
        """Open again / push the billing's: the billing first records what the panel has (audited), then the
        service operation brings the panel to the billing's value, through the job engine."""
        kinds: dict[str, list[int]] = {}
        rows_of: dict[int, int] = {}
        with self._db.write() as session:
            fresh = self._plan(session, plan.report_id, plan.action, chosen)
            report = session.get(ReconReport, plan.report_id)
            assert report is not None
            for step in fresh.steps:
                if step.refused is not None:
                    skipped.append(f"{step.key}: {step.refused}")
                    continue
                record = session.get(ReconRow, step.row_id)
                assert record is not None and record.service_id is not None
                service = session.scalars(select(Service).where(Service.id == record.service_id)
                                          .with_for_update()).one()
                before = {"status": service.status.value, "natural_key": service.natural_key}
                if plan.action is ReconAction.OPEN_AGAIN:
                    # Opened again it may get another identity on the panel: matched on its remote id until then.
                    service.status, service.natural_key, kind = ServiceStatus.IN_PROGRESS, None, "open"
                elif service.status is ServiceStatus.ACTIVE:
                    service.status, kind = ServiceStatus.SUSPENDED, "resume"
                else:
                    service.status, kind = ServiceStatus.ACTIVE, "suspend"
                session.add(self._audit(f"recon_{plan.action.value}", "service", service.id,
                                        f"{service.name}: the billing records the panel's state; "
                                        f"{kind} queued (reconciliation)", before,
                                        {"status": service.status.value, "natural_key": service.natural_key}))
                kinds.setdefault(kind, []).append(service.id)
                rows_of[service.id] = record.id
        batches: dict[str, int] = {}
        operations = self._operations()
        for kind, ids in kinds.items():
            batches[kind] = operations.start_bulk(kind, ids)
        with self._db.write() as session:
            for kind, ids in kinds.items():
                session.execute(update(ReconRow).where(ReconRow.id.in_([rows_of[i] for i in ids])).values(
                    resolved=f"{kind.title()} queued by {self.operator} (batch #{batches[kind]})"))
            report = session.get(ReconReport, plan.report_id)
            if report is not None:
                self._recount(session, report)
        queued = sum(len(ids) for ids in kinds.values())
        batch_id = max(batches.items(), key=lambda kv: len(kinds[kv[0]]))[1] if batches else None
        return ApplyResult(0, queued, tuple(skipped), batch_id)

    @staticmethod
    def _recount(session: Session, report: ReconReport) -> None:
        session.flush()
        report.open_rows = session.scalar(select(func.count()).select_from(ReconRow).where(
            ReconRow.report_id == report.id, ReconRow.resolved.is_(None))) or 0

    def _audit(self, action: str, object_type: str, object_id: int | None, summary: str,
               before: dict[str, Any] | None, after: dict[str, Any] | None) -> AuditEntry:
        return AuditEntry(at=self._clock.now(), actor=self.operator, action=action[:50], object_type=object_type,
                          object_id=object_id, summary=summary[:500], before=before, after=after)


# ---------------------------------------------------------------------------------------------- helpers


def _summary_of(report: ReconReport, module_name: str, type_key: str) -> ReportSummary:
    return ReportSummary(report.id, report.module_id, module_name, type_key, report.read_at, report.started_by,
                         report.remote_total, report.panel_only, report.billing_only, report.different,
                         report.open_rows, report.incomplete, report.duration_ms)


def _status_label(value: str | None, billing: bool) -> str:
    if not value:
        return ""
    if billing:
        try:
            return ServiceStatus(value).label
        except ValueError:
            return value
    return value.capitalize()


def _view(record: ReconRow, summary: ReportSummary) -> ReconRowView:
    differs = set((record.differs or "").split(","))
    values = {"status": (_status_label(record.billing_status, True), _status_label(record.panel_status, False)),
              "plan": (record.billing_plan or "", record.panel_plan or ""),
              "address": (record.billing_address or "", record.panel_address or ""),
              "name": (record.billing_name or "", record.panel_name or "")}
    fields = tuple(FieldDiff(key, label, *values[key], key in differs) for key, label in _FIELDS)
    group = ReconGroup(record.group)
    actions: tuple[ReconAction, ...] = ()
    if record.resolved is None and not record.note:
        if group is ReconGroup.PANEL_ONLY:
            actions = (ReconAction.IMPORT,)
        elif group is ReconGroup.BILLING_ONLY:
            actions = () if summary.incomplete else (ReconAction.MARK_CLOSED, ReconAction.OPEN_AGAIN)
        else:
            actions = (ReconAction.TAKE_PANEL, ReconAction.PUSH_BILLING) if _pushable(record, summary) else (
                ReconAction.TAKE_PANEL,)
    return ReconRowView(record.id, group, record.key, record.name, record.service_id, record.remote_id, fields,
                        actions, record.resolved, record.note or "")


def _pushable(record: ReconRow, summary: ReportSummary) -> bool:
    """Whether the billing's status can be pushed to the panel: a suspend / resume the type can do."""
    from procmod.core.moduletypes import module_type

    if "status" not in (record.differs or "").split(",") or record.panel_status not in ("active", "suspended"):
        return False
    try:
        return module_type(summary.module_type).suspends_services
    except KeyError:
        return False


def _step(action: ReconAction, record: ReconRow, service: Service | None, summary: ReportSummary,
          plan_map: dict[str, int], linked: dict[int, str], module_status: ModuleStatus | None,
          unmapped: set[str]) -> tuple[str, str | None]:
    """A plan's line for one row: (what it does, why it will not or None)."""
    key = record.key
    if ReconGroup(record.group) is not action.group:
        return f"{key}", f"{action.title} applies to rows {action.group.title.lower()}."
    if record.resolved:
        return f"{key}", f"already done: {record.resolved}"
    if record.note:
        return f"{key}", record.note
    if action is ReconAction.IMPORT:
        plan = record.panel_plan or ""
        tariff_id = plan_map.get(plan)
        if tariff_id is None or tariff_id not in linked:
            unmapped.add(plan)
            return f"Import {key}", (f"panel plan {plan or '(none)'} maps to no tariff of this module: map it "
                                     "first")
        return f"Import {key} as a service of tariff {linked[tariff_id]} (panel plan {plan or '(none)'})", None
    if service is None:
        return f"{key}", "its billing service no longer exists"
    if action in (ReconAction.MARK_CLOSED, ReconAction.OPEN_AGAIN):
        if summary.incomplete:
            return f"{key}", "the panel was not read whole: it may be on a page that was not read"
        if service.status not in _LIVE:
            return f"{key}", f"service #{service.id} is {service.status.label} now"
        if action is ReconAction.MARK_CLOSED:
            return f"Mark {service.name} (service #{service.id}) closed in the billing", None
        if module_status is not ModuleStatus.ENABLED:
            return f"{key}", "the module is disabled: no services are opened on it"
        return f"Open {service.name} on the panel again (the Open operation)", None
    differs = set((record.differs or "").split(",")) - {""}
    if action is ReconAction.TAKE_PANEL:
        changes = []
        if "status" in differs:
            changes.append(f"status {_status_label(record.billing_status, True)} → "
                           f"{_status_label(record.panel_status, False)}")
        if "plan" in differs:
            plan = record.panel_plan or ""
            if plan in plan_map and plan_map[plan] in linked:
                changes.append(f"tariff → {linked[plan_map[plan]]} (panel plan {plan or '(none)'})")
            else:
                unmapped.add(plan)
                changes.append(f"panel plan → {plan or '(none)'} (no tariff mapping: the tariff stays)")
        if "address" in differs:
            changes.append(f"address → {record.panel_address}")
        return f"{service.name}: " + ("; ".join(changes) or "the panel's values"), None
    # PUSH_BILLING
    if not _pushable(record, summary):
        return f"{key}", ("only a status the panel can suspend or resume can be pushed to it (a plan, an address "
                          "or an expiry cannot)")
    if service.status not in _LIVE:
        return f"{key}", f"service #{service.id} is {service.status.label} now"
    verb = "Resume" if service.status is ServiceStatus.ACTIVE else "Suspend"
    return f"{verb} {service.name} on the panel (the billing has it {service.status.label.lower()})", None


def _compare(objects: list[RemoteService], billing: list[_Billing], plan_map: dict[str, int], suspends: bool,
             incomplete: str | None, type_key: str) -> tuple[list[dict[str, Any]], dict[int, str]]:
    """One pass over the panel's objects against the module's services: the report's rows, and the panel
    status of every service found (by service id)."""
    from procmod.core.drivers import RemoteStatus

    by_key = {b.natural_key: b for b in billing if b.natural_key}
    by_remote = {b.remote_id: b for b in billing if b.remote_id}
    plans_of_tariff: dict[int, set[str]] = {}
    for plan, tariff_id in plan_map.items():
        plans_of_tariff.setdefault(tariff_id, set()).add(plan)
    # A list that changed while it was read may hand one object on two pages (its rows shifted): one object
    # per remote id, so that only distinct objects sharing a key count as duplicates.
    distinct = {(o.remote_id or f"#{index}"): o for index, o in enumerate(objects)}
    live = [o for o in distinct.values() if o.status is not RemoteStatus.DELETED]
    per_key: dict[str, int] = {}
    for o in live:
        per_key[o.key] = per_key.get(o.key, 0) + 1
    rows: list[dict[str, Any]] = []
    seen: dict[int, str] = {}
    reported_twins: set[str] = set()

    def match(o: RemoteService) -> _Billing | None:
        found = by_key.get(o.natural_key) if o.natural_key else None
        if found is None and o.remote_id:
            found = by_remote.get(o.remote_id)
            if found is not None and found.natural_key and o.natural_key and found.natural_key != o.natural_key:
                found = None  # the remote id was reused for another object
        return found

    for o in live:
        key = o.key
        if not key:
            rows.append(_row(ReconGroup.PANEL_ONLY, f"(no key) {o.name}", o, None,
                             note="The panel gave this object no key to match it on: it cannot be imported."))
            continue
        service = match(o)
        if per_key[key] > 1:
            if key in reported_twins:
                if service is not None:
                    service.seen = True
                continue
            reported_twins.add(key)
            if service is not None:
                service.seen = True
                seen[service.id] = o.status.value
            rows.append(_row(ReconGroup.DIFFERENT if service else ReconGroup.PANEL_ONLY, key, o, service,
                             note=f"{per_key[key]} objects on the panel share this key: resolve it on the panel."))
            continue
        if service is None:
            rows.append(_row(ReconGroup.PANEL_ONLY, key, o, None))
            continue
        service.seen = True
        seen[service.id] = o.status.value
        if service.status not in _LIVE:
            continue  # ordered or in progress: an operation is on its way
        differs = []
        if (suspends and ((service.status is ServiceStatus.ACTIVE and o.status is RemoteStatus.SUSPENDED)
                          or (service.status is ServiceStatus.SUSPENDED and o.status is RemoteStatus.ACTIVE))
                or (service.status is ServiceStatus.ACTIVE and o.status is RemoteStatus.EXPIRED)):
            differs.append("status")
        expected = {service.panel_plan} if service.panel_plan else plans_of_tariff.get(service.tariff_id, set())
        if o.plan and expected and o.plan not in expected and plan_map.get(o.plan) != service.tariff_id:
            differs.append("plan")
        if o.address and service.address and o.address.lower() != service.address.lower():
            differs.append("address")
        if differs:
            rows.append(_row(ReconGroup.DIFFERENT, key, o, service, differs=differs,
                             billing_plan=", ".join(sorted(expected))))
    note = (f"The panel was not read whole ({incomplete}): this service may be on a page that was not read."
            if incomplete else None)
    for b in billing:
        if not b.seen and b.status in _LIVE:
            rows.append(_row(ReconGroup.BILLING_ONLY, b.natural_key or b.remote_id or f"#{b.id}", None, b,
                             note=note))
    return rows, seen


def _row(group: ReconGroup, key: str, o: RemoteService | None, b: _Billing | None, *, note: str | None = None,
         differs: Sequence[str] = (), billing_plan: str | None = None) -> dict[str, Any]:
    return {
        "group": group.value, "key": key[:255], "name": ((o.name if o else "") or (b.name if b else "") or key)[:255],
        "service_id": b.id if b else None, "remote_id": _text(o.remote_id if o else b.remote_id if b else None, 100),
        "billing_status": b.status.value if b else None, "panel_status": o.status.value if o else None,
        "billing_plan": _text(billing_plan if billing_plan is not None else (b.panel_plan if b else None), 255),
        "panel_plan": _text(o.plan if o else None, 100),
        "billing_address": _text(b.address if b else None, 255), "panel_address": _text((o.address or None) if o else None, 255),
        "billing_name": _text(b.name if b else None, 255), "panel_name": _text(o.name if o else None, 255),
        "differs": ",".join(differs) or None, "resolved": None, "note": _text(note, 500),
    }

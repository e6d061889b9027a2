"""Operations on services — Open, Suspend, Resume, Close, and Open on another module (a transfer's second
half) — as jobs of the job engine (core/jobs.py), through the module's driver.

What is allowed lives here (`refusal`): no Resume of a closed service, no Open on a disabled module, no
Suspend on a registrar, ... each refused with the reason before anything is queued. One operation per
service at a time is the job table's partial unique index: a second attempt is refused with who runs what.

Every operation is idempotent and safe to repeat: the drivers look before they create or delete
(`already_existed`), so a retry after a timeout finds what the first try did. A timeout (or a worker that
died mid-call) leaves the panel's state unknown: the service keeps its status and is marked as needing
attention until an operation on it succeeds. New account passwords are generated when the job first runs,
sealed into the job with the module's secret box before the panel sees them, and never logged.
"""

from __future__ import annotations

import secrets as token_source
import string
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import String, func, literal, select, type_coerce, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from procmod.core.clock import Clock
from procmod.core.dto import ServiceFilter
from procmod.core.errors import NotFound
from procmod.core.jobs import BATCH, JobClaim, JobOutcome, close_batch_if_done
from procmod.core.moduletypes import module_type
from procmod.core.secrets import SecretBox
from procmod.storage.engine import Database
from procmod.storage.enums import JobState, ModuleStatus, ServiceStatus
from procmod.storage.models import (
    ApiCall,
    AuditEntry,
    Department,
    Job,
    ProcessingModule,
    Service,
    Tariff,
)

if TYPE_CHECKING:
    from procmod.core.drivers import CallRecord, Driver, ServiceResult
    from procmod.core.integration import Integrations


@dataclass(frozen=True)
class Operation:
    key: str
    title: str  # "Suspend"
    done: str  # "suspended"
    allowed_from: frozenset[ServiceStatus]
    becomes: ServiceStatus


_LIVE = frozenset({ServiceStatus.ACTIVE, ServiceStatus.SUSPENDED, ServiceStatus.IN_PROGRESS})
OPERATIONS: dict[str, Operation] = {op.key: op for op in (
    Operation("open", "Open", "opened", frozenset({ServiceStatus.ORDERED, ServiceStatus.IN_PROGRESS}),
              ServiceStatus.ACTIVE),
    Operation("suspend", "Suspend", "suspended", frozenset({ServiceStatus.ACTIVE}), ServiceStatus.SUSPENDED),
    Operation("resume", "Resume", "resumed", frozenset({ServiceStatus.SUSPENDED}), ServiceStatus.ACTIVE),
    Operation("close", "Close", "closed", _LIVE, ServiceStatus.DELETED),
    # A transfer's "open on the target": a real Open on the other module, then the service moves there.
    Operation("open_on_target", "Open on target", "opened on the target module", _LIVE | {ServiceStatus.ORDERED},
              ServiceStatus.ACTIVE),
)}
#: The operations an operator starts by a key (transfers start theirs from the transfer screen).
OPERATOR_OPERATIONS = ("open", "suspend", "resume", "close")
ATTENTION_TIMEOUT = ("{op} timed out: the panel's state is unknown. Retry it: the retry finds what the "
                     "first try did.")
ATTENTION_INTERRUPTED = ("{op} was interrupted (its worker stopped): the panel's state is unknown. Retry it: "
                         "the retry finds what the first try did.")


class OperationRefused(ValueError):
    """The operation does not apply to this service now; the message says why."""


class ServiceBusy(RuntimeError):
    """Another operation holds the service (one at a time per service): who runs what, since when."""

    def __init__(self, service_name: str, kind: str, who: str, since: datetime | None, state: JobState) -> None:
        title = OPERATIONS[kind].title if kind in OPERATIONS else kind
        when = f" since {since:%Y-%m-%d %H:%M} UTC" if since else ""
        super().__init__(f"{service_name}: {title} started by {who} is {state.label.lower()}{when}; "
                         "wait for it to finish (one operation per service at a time).")
        self.kind, self.who = kind, who


def refusal(op: Operation, status: ServiceStatus, module_status: ModuleStatus, type_key: str,
            remote_id: str | None, module_name: str) -> str | None:
    """Why `op` may not run on a service in this state, or None when it may (the rules of transitions)."""
    mtype = module_type(type_key)
    if status not in op.allowed_from:
        allowed = " or ".join(sorted(s.label for s in op.allowed_from))
        return f"{op.title} applies to a service that is {allowed}; this one is {status.label}."
    if op.key in ("open", "open_on_target") and module_status is ModuleStatus.DISABLED:
        return f"{module_name} is disabled: no services are opened on it."
    if op.key in ("suspend", "resume") and not mtype.suspends_services:
        return f"{mtype.title} cannot {op.key} a service: manage it at the provider."
    if op.key == "close" and not mtype.closes_services:
        return f"{mtype.title} cannot delete a service through its API: transfer it to another module instead."
    if op.key in ("suspend", "resume", "close") and not remote_id:
        return f"{op.title} needs the service's id on the panel, and this one has none (it was never opened)."
    return None


@dataclass(frozen=True)
class Selection:
    """Services chosen in the list: by id (Space), or every one matching a filter ("select all")."""

    ids: frozenset[int] = frozenset()
    filter: ServiceFilter | None = None

    def __len__(self) -> int:
        return len(self.ids)


@dataclass(frozen=True)
class BulkPreview:
    """What a bulk operation would do: how many, on which modules, and how many are refused and why."""

    kind: str
    eligible: int
    by_module: tuple[tuple[str, int], ...]
    refused: int

    @property
    def summary(self) -> str:
        op = OPERATIONS[self.kind]
        modules = ", ".join(f"{name} ({count})" for name, count in self.by_module[:4])
        if len(self.by_module) > 4:
            modules += f" and {len(self.by_module) - 4} more module(s)"
        skipped = (f"; {self.refused} selected service(s) are left out (the operation does not apply to them, "
                   "or another operation holds them)") if self.refused else ""
        return f"{op.title} {self.eligible} service(s) on {modules or 'no module'}{skipped}."


@dataclass(frozen=True)
class BatchProgress:
    batch_id: int
    kind: str
    total: int
    queued: int
    running: int
    succeeded: int
    failed: int
    cancelled: int
    state: JobState
    outcome: str | None

    @property
    def finished(self) -> bool:
        return not self.state.open

    @property
    def done(self) -> int:
        return self.succeeded + self.failed + self.cancelled


@dataclass(frozen=True)
class CallLine:
    at: datetime
    operation: str
    method: str
    url: str  # secrets were masked when the call was recorded
    status: int | None
    duration_ms: int
    error: str | None


@dataclass(frozen=True)
class OperationLine:
    """One operation in a service's history."""

    job_id: int
    kind: str
    state: JobState
    who: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    attempts: int
    outcome: str | None
    hint: str | None
    calls: tuple[CallLine, ...] = ()

    @property
    def title(self) -> str:
        return OPERATIONS[self.kind].title if self.kind in OPERATIONS else self.kind

    @property
    def duration(self) -> timedelta | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return self.finished_at - self.started_at


@dataclass(frozen=True)
class ServiceCard:
    id: int
    name: str
    tariff_id: int
    tariff_name: str
    module_id: int
    module_name: str
    module_type: str
    module_status: ModuleStatus
    remote_id: str | None
    status: ServiceStatus
    created_at: datetime
    attention: str | None
    history: tuple[OperationLine, ...] = ()

    @property
    def running(self) -> OperationLine | None:
        return next((line for line in self.history if line.state.open), None)

    def refusal(self, kind: str) -> str | None:
        return refusal(OPERATIONS[kind], self.status, self.module_status, self.module_type, self.remote_id,
                       self.module_name)


@dataclass(frozen=True)
class QueueEntry:
    """One entry of the failure queue: a failed or interrupted operation, or a failed background run."""

    source: str  # "job" | "run"
    id: int
    at: datetime
    module_id: int | None
    module_name: str
    department: str
    subject: str  # the service's name, or the task's name
    subject_id: int | None  # service id or task id
    kind: str
    state: str
    message: str
    hint: str
    attempts: int


@dataclass(frozen=True)
class TransferTarget:
    module_id: int
    name: str
    tariffs: tuple[tuple[int, str], ...]  # Active tariffs linked to it


@dataclass(frozen=True)
class TransferItem:
    service_id: int
    name: str
    status: ServiceStatus
    remote_id: str | None  # on the source panel
    target_remote_id: str | None = None  # on the target panel, when found there


@dataclass(frozen=True)
class TransferCheck:
    """What the target panel holds of the services to move: found (movable now) and missing (open them
    there, or leave them); `refused` are selected services that cannot be moved at all, with why."""

    target_module_id: int
    target_name: str
    found: tuple[TransferItem, ...]
    missing: tuple[TransferItem, ...]
    refused: tuple[tuple[str, str], ...] = ()


#: A transfer checks and moves at most this many services at once (select fewer, or run it again).
TRANSFER_LIMIT = 10_000
#: Services moved per transaction: each batch moves entirely or not at all.
TRANSFER_BATCH = 500


def new_password(length: int = 16) -> str:
    """A panel account password: letters, digits and punctuation WHM and VMmanager accept, each present."""
    alphabet = string.ascii_letters + string.digits + "-_.!"
    while True:
        value = "".join(token_source.choice(alphabet) for _ in range(length))
        if (any(c.islower() for c in value) and any(c.isupper() for c in value) and any(c.isdigit() for c in value)
                and any(c in "-_.!" for c in value)):
            return value


class ServiceOperations:
    """Starting, running, retrying and dismissing service operations; the service card and the failure queue."""

    def __init__(self, db: Database, clock: Clock, secrets: SecretBox, operator: str,
                 integrations: Integrations, *, read_only: bool = False) -> None:
        self._db, self._clock, self._secrets, self.operator = db, clock, secrets, operator
        self._integrations = integrations
        self.read_only = read_only
        self._module_types: dict[int, str] = {}
        #: Called after jobs are queued (the engine's `wake`, so the console's engine claims at once).
        self.on_queued: Any = None

    def _writable(self) -> None:
        if self.read_only:
            from procmod.core.lifecycle import ReadOnly

            raise ReadOnly("The console is read-only (--read-only): nothing can be changed.")

    def _queued(self) -> None:
        if self.on_queued is not None:
            self.on_queued()

    def concurrency_of(self, module_id: int) -> int:
        """The module type's bound on operations running at once on one module (the engine asks)."""
        if module_id not in self._module_types:
            with self._db.sessions() as session:
                self._module_types[module_id] = session.scalar(
                    select(ProcessingModule.module_type).where(ProcessingModule.id == module_id)) or ""
        try:
            return module_type(self._module_types[module_id]).operation_concurrency
        except KeyError:
            return 1

    # ------------------------------------------------------------------ starting one

    def start(self, kind: str, service_id: int, *, params: dict[str, Any] | None = None) -> int:
        """Queue one operation on one service; the job's id. Refused (with the reason) before anything is queued."""
        self._writable()
        op = OPERATIONS[kind]
        try:
            with self._db.write() as session:
                row = session.execute(
                    select(Service, ProcessingModule.status, ProcessingModule.module_type, ProcessingModule.name)
                    .join(ProcessingModule, ProcessingModule.id == Service.module_id)
                    .where(Service.id == service_id).with_for_update(of=Service)).one_or_none()
                if row is None:
                    raise NotFound(f"Service #{service_id} no longer exists.")
                service, module_status, type_key, module_name = row
                job_module = service.module_id
                if kind == "open_on_target":
                    target = session.get(ProcessingModule, int((params or {})["target_module_id"]))
                    if target is None:
                        raise NotFound("The target module no longer exists.")
                    module_status, type_key, module_name, job_module = (target.status, target.module_type,
                                                                        target.name, target.id)
                reason = refusal(op, service.status, module_status, type_key, service.remote_id, module_name)
                if reason:
                    raise OperationRefused(f"{service.name}: {reason}")
                self._raise_if_busy(session, service)
                job = Job(kind=kind, state=JobState.QUEUED, module_id=job_module, service_id=service.id,
                          params=params or None, attempts=0, created_by=self.operator, created_at=self._clock.now())
                session.add(job)
                session.flush()
                job_id = job.id
        except IntegrityError:  # another operator's job went in between our look and our insert
            with self._db.sessions() as session:
                service = session.get(Service, service_id)
                self._raise_if_busy(session, service)
            raise
        self._queued()
        return job_id

    @staticmethod
    def _raise_if_busy(session: Session, service: Service | None) -> None:
        if service is None:
            return
        busy = session.execute(
            select(Job.kind, Job.created_by, Job.started_at, Job.created_at, Job.state)
            .where(Job.service_id == service.id, Job.state.in_([JobState.QUEUED, JobState.RUNNING]))).first()
        if busy is not None:
            kind, who, started, created, state = busy
            raise ServiceBusy(service.name, kind, who, started or created, state)

    # ------------------------------------------------------------------ bulk

    def _selection_query(self, kind: str, selection: Selection | Sequence[int]) -> Any:
        """The selected services the operation applies to, as (service id, module id) rows of one SELECT."""
        if not isinstance(selection, Selection):
            selection = Selection(ids=frozenset(selection))
        op = OPERATIONS[kind]
        criteria = [Service.status.in_(list(op.allowed_from))]
        if selection.filter is not None:
            from procmod.core.queries import ServiceQueries

            criteria += ServiceQueries._criteria(selection.filter, _name_search(self._db, selection.filter))  # noqa: SLF001 - the list's own filter
        else:
            criteria.append(self._among(selection.ids))
        # The module's type and status are per-row lookups on its primary key, not a join: a join lets the
        # planner start from the modules and probe the selected ids once per module (10,000 × 10,000).
        of_module = ProcessingModule.id == Service.module_id
        types = {"suspend": "suspends", "resume": "suspends", "close": "closes"}
        if kind in types:
            capable = [t.key for t in _all_types() if getattr(t, f"{types[kind]}_services")]
            criteria += [select(ProcessingModule.module_type).where(of_module).scalar_subquery().in_(capable),
                         Service.remote_id.is_not(None)]
        if kind == "open":
            criteria.append(select(ProcessingModule.status).where(of_module).scalar_subquery()
                            == ModuleStatus.ENABLED)
        open_job = select(Job.id).where(Job.service_id == Service.id,
                                        Job.state.in_([JobState.QUEUED, JobState.RUNNING])).exists()
        criteria.append(~open_job)
        return select(Service.id, Service.module_id).where(*criteria)

    def _among(self, ids: Iterable[int]) -> Any:
        """`Service.id` in the given ids, as ONE parameter (a JSON array on SQLite, an array on PostgreSQL):
        10,000 ids as 10,000 bound parameters cost ~50 ms to render and bind."""
        values = sorted(ids)
        if self._db.dialect == "sqlite":
            import json

            from sqlalchemy import bindparam, literal_column

            members = select(literal_column("value")).select_from(
                func.json_each(bindparam("selected_ids", json.dumps(values), type_=String)))
            return Service.id.in_(members)
        if self._db.dialect == "postgresql":
            from sqlalchemy import Integer, any_, bindparam
            from sqlalchemy.dialects.postgresql import ARRAY

            return Service.id == any_(bindparam("selected_ids", values, type_=ARRAY(Integer)))
        return Service.id.in_(values)

    def preview_bulk(self, kind: str, selection: Selection | Sequence[int]) -> BulkPreview:
        """How many of the selection the operation applies to, per module (the confirmation's numbers)."""
        eligible = self._selection_query(kind, selection).subquery()
        with self._db.sessions() as session:
            by_module = session.execute(
                select(ProcessingModule.name, func.count()).join(eligible, eligible.c.module_id == ProcessingModule.id)
                .group_by(ProcessingModule.name).order_by(func.count().desc(), ProcessingModule.name)).all()
            if isinstance(selection, Selection) and selection.filter is not None:
                from procmod.core.queries import ServiceQueries

                selected = session.scalar(select(func.count()).select_from(Service).where(
                    *ServiceQueries._criteria(selection.filter, _name_search(self._db, selection.filter))))  # noqa: SLF001
            else:
                selected = len(selection)
        count = sum(n for _, n in by_module)
        return BulkPreview(kind, count, tuple((name, n) for name, n in by_module), max(selected - count, 0))

    def start_bulk(self, kind: str, selection: Selection | Sequence[int]) -> int:
        """Queue one operation on every selected service it applies to, as one batch; the batch's id.

        One INSERT … SELECT: the key handler that calls this returns in milliseconds whatever the selection's
        size; the engine does the work. Services another job holds are left out (the unique index).
        """
        self._writable()
        if kind not in OPERATOR_OPERATIONS:
            raise OperationRefused(f"{kind} is not a bulk operation")
        now = self._clock.now()
        with self._db.write() as session:
            batch = Job(kind=BATCH, state=JobState.RUNNING, params={"op": kind}, attempts=1,
                        created_by=self.operator, created_at=now, started_at=now)
            session.add(batch)
            session.flush()
            source = self._selection_query(kind, selection)
            chosen = source.with_only_columns(
                literal(kind), literal(JobState.QUEUED.value), Service.module_id, Service.id, literal(batch.id),
                literal(0), literal(self.operator), literal(now, type_=Job.__table__.c.created_at.type))
            columns = ["kind", "state", "module_id", "service_id", "batch_id", "attempts", "created_by", "created_at"]
            if session.bind.dialect.name == "postgresql":
                from sqlalchemy.dialects.postgresql import insert as dialect_insert
            else:
                from sqlalchemy.dialects.sqlite import insert as dialect_insert
            count = session.execute(dialect_insert(Job).from_select(columns, chosen).on_conflict_do_nothing()).rowcount
            batch.params = {"op": kind, "count": count}
            session.add(self._audit_entry("bulk_" + kind, "job", batch.id,
                                          f"{OPERATIONS[kind].title}: {count} service(s) queued as batch #{batch.id}"))
            if not count:
                batch.state, batch.outcome, batch.finished_at = JobState.SUCCEEDED, "nothing to do", now
            batch_id = batch.id
        self._queued()
        return batch_id

    def cancel_batch(self, batch_id: int) -> int:
        """Nothing new of the batch starts; what is running finishes. The number of jobs cancelled."""
        self._writable()
        now = self._clock.now()
        with self._db.write() as session:
            cancelled = session.execute(
                update(Job).where(Job.batch_id == batch_id, Job.state == JobState.QUEUED)
                .values(state=JobState.CANCELLED, finished_at=now, outcome="Cancelled before it started")).rowcount
            session.add(self._audit_entry("cancel_batch", "job", batch_id, f"Cancelled batch #{batch_id}: "
                                          f"{cancelled} queued operation(s) will not start"))
            close_batch_if_done(session, batch_id, now)
        return cancelled

    def batch_progress(self, batch_id: int) -> BatchProgress:
        with self._db.reads() as session:
            batch = session.get(Job, batch_id)
            if batch is None:
                raise NotFound(f"Batch #{batch_id} no longer exists.")
            counts = dict(session.execute(select(Job.state, func.count()).where(Job.batch_id == batch_id)
                                          .group_by(Job.state)).all())
        c = {state: counts.get(state, 0) for state in JobState}
        return BatchProgress(batch_id, (batch.params or {}).get("op", "?"), sum(c.values()), c[JobState.QUEUED],
                             c[JobState.RUNNING], c[JobState.SUCCEEDED], c[JobState.FAILED] + c[JobState.INTERRUPTED],
                             c[JobState.CANCELLED], batch.state, batch.outcome)

    def batch_failures(self, batch_id: int, limit: int = 50) -> list[tuple[str, str]]:
        """The failed operations of a batch: (service name, why), for its summary."""
        with self._db.reads() as session:
            return [(name, outcome or "") for name, outcome in session.execute(
                select(Service.name, Job.outcome).join(Service, Service.id == Job.service_id)
                .where(Job.batch_id == batch_id, Job.state.in_([JobState.FAILED, JobState.INTERRUPTED]))
                .order_by(Job.id).limit(limit))]

    # ------------------------------------------------------------------ retry and dismiss (the failure queue)

    def retry(self, job_id: int) -> int:
        """The same idempotent operation again: the failed job is queued anew (refused if it no longer applies)."""
        self._writable()
        try:
            with self._db.write() as session:
                job = session.scalars(select(Job).where(Job.id == job_id).with_for_update()).one_or_none()
                if job is None or job.kind == BATCH:
                    raise NotFound(f"Operation #{job_id} no longer exists.")
                if job.state not in (JobState.FAILED, JobState.INTERRUPTED):
                    raise OperationRefused(f"Operation #{job_id} is {job.state.label.lower()}: only a failed or "
                                           "interrupted one is retried.")
                service = session.get(Service, job.service_id) if job.service_id else None
                if service is None:
                    raise NotFound("Its service no longer exists.")
                module = session.get(ProcessingModule, job.module_id)
                if module is None:
                    raise NotFound("Its module no longer exists.")
                reason = refusal(OPERATIONS[job.kind], service.status, module.status, module.module_type,
                                 service.remote_id, module.name)
                if reason:
                    raise OperationRefused(f"{service.name}: {reason}")
                self._raise_if_busy(session, service)
                job.state, job.claim_token, job.lease_until, job.finished_at = JobState.QUEUED, None, None, None
                job.dismissed_at = None
                session.add(self._audit_entry("retry_" + job.kind, "service", service.id,
                                              f"Retry of {OPERATIONS[job.kind].title} on {service.name} "
                                              f"(attempt {job.attempts + 1})"))
                session.flush()
        except IntegrityError:
            with self._db.sessions() as session:
                job = session.get(Job, job_id)
                self._raise_if_busy(session, session.get(Service, job.service_id) if job else None)
            raise
        self._queued()
        return job_id

    def dismiss(self, source: str, entry_id: int, reason: str) -> None:
        """Set a failure queue entry aside, with a reason (audited). The failed job or run stays as it was."""
        self._writable()
        reason = reason.strip()
        if not reason:
            raise OperationRefused("Say why it is dismissed (the reason goes into the audit history).")
        now = self._clock.now()
        with self._db.write() as session:
            if source == "job":
                job = session.get(Job, entry_id)
                if job is None:
                    raise NotFound(f"Operation #{entry_id} no longer exists.")
                job.dismissed_at, job.dismissed_by, job.dismiss_reason = now, self.operator, reason[:500]
                session.add(self._audit_entry("dismiss", "job", entry_id, f"Dismissed failed operation "
                                              f"#{entry_id}: {reason}"[:500]))
            else:
                from procmod.storage.models import TaskRunDismissal

                if session.get(TaskRunDismissal, entry_id) is None:
                    session.add(TaskRunDismissal(run_id=entry_id, at=now, actor=self.operator, reason=reason[:500]))
                session.add(self._audit_entry("dismiss", "task_run", entry_id, f"Dismissed failed run "
                                              f"#{entry_id}: {reason}"[:500]))

    def failure_count(self) -> int:
        """Entries in the failure queue (the notifications pane's count)."""
        return failure_count(self._db)

    def _failure_queries(self) -> tuple[Any, Any]:
        return _failure_queries()

    def failures(self, offset: int = 0, limit: int = 100) -> tuple[list[QueueEntry], int]:
        """A page of the failure queue, newest first, and the total."""
        return failure_page(self._db, offset, limit)

    # ------------------------------------------------------------------ the card

    def card(self, service_id: int, *, history: int = 20, calls_per_operation: int = 12) -> ServiceCard:
        """The service, and its latest operations each with its API calls (index lookups only)."""
        with self._db.reads() as session:
            row = session.execute(
                select(Service, Tariff.name, ProcessingModule.name, ProcessingModule.module_type,
                       ProcessingModule.status)
                .join(Tariff, Tariff.id == Service.tariff_id)
                .join(ProcessingModule, ProcessingModule.id == Service.module_id)
                .where(Service.id == service_id)).one_or_none()
            if row is None:
                raise NotFound(f"Service #{service_id} no longer exists.")
            service, tariff_name, module_name, type_key, module_status = row
            jobs = session.scalars(select(Job).where(Job.service_id == service_id)
                                   .order_by(Job.created_at.desc(), Job.id.desc()).limit(history)).all()
            calls: dict[int, list[CallLine]] = {}
            if jobs:
                for job_id, *fields in session.execute(
                        select(ApiCall.job_id, ApiCall.at, ApiCall.operation, ApiCall.method, ApiCall.url,
                               ApiCall.status, ApiCall.duration_ms, ApiCall.error)
                        .where(ApiCall.job_id.in_([job.id for job in jobs])).order_by(ApiCall.id)):
                    calls.setdefault(job_id, []).append(CallLine(*fields))
        lines = tuple(OperationLine(j.id, j.kind, j.state, j.created_by, j.created_at, j.started_at, j.finished_at,
                                    j.attempts, j.outcome, j.hint, tuple(calls.get(j.id, [])[-calls_per_operation:]))
                      for j in jobs)
        return ServiceCard(service.id, service.name, service.tariff_id, tariff_name, service.module_id, module_name,
                           type_key, module_status, service.remote_id, service.status, service.created_at,
                           service.attention, lines)

    # ------------------------------------------------------------------ transfer

    def _selected_services(self, session: Session, selection: Selection | Sequence[int]) -> list[Service]:
        if not isinstance(selection, Selection):
            selection = Selection(ids=frozenset(selection))
        if selection.filter is not None:
            from procmod.core.queries import ServiceQueries

            criteria = ServiceQueries._criteria(selection.filter, _name_search(self._db, selection.filter))  # noqa: SLF001 - the list's own filter
        else:
            criteria = [Service.id.in_(sorted(selection.ids))]
        services = session.scalars(select(Service).where(*criteria).order_by(Service.id)
                                   .limit(TRANSFER_LIMIT + 1)).all()
        if len(services) > TRANSFER_LIMIT:
            raise OperationRefused(f"A transfer moves at most {TRANSFER_LIMIT:,} services at once: select fewer.")
        return list(services)

    def transfer_targets(self, selection: Selection | Sequence[int]) -> list[TransferTarget]:
        """Enabled modules of the selected services' type (not their own), with the Active tariffs each serves."""
        from procmod.storage.enums import TariffStatus
        from procmod.storage.models import TariffModule

        with self._db.sessions() as session:
            services = self._selected_services(session, selection)
            if not services:
                raise OperationRefused("Nothing selected to transfer.")
            sources = {s.module_id for s in services}
            types = set(session.scalars(select(ProcessingModule.module_type)
                                        .where(ProcessingModule.id.in_(sources))).all())
            if len(types) != 1:
                raise OperationRefused("The selected services are on modules of different types: a transfer moves "
                                       "services between modules of one type.")
            modules = session.execute(select(ProcessingModule.id, ProcessingModule.name).where(
                ProcessingModule.module_type == types.pop(), ProcessingModule.status == ModuleStatus.ENABLED,
                ProcessingModule.id.not_in(sources)).order_by(ProcessingModule.sort_priority, ProcessingModule.name)).all()
            tariffs: dict[int, list[tuple[int, str]]] = {}
            for module_id, tariff_id, tariff_name in session.execute(
                    select(TariffModule.module_id, Tariff.id, Tariff.name)
                    .join(Tariff, Tariff.id == TariffModule.tariff_id)
                    .where(TariffModule.module_id.in_([m for m, _ in modules]), Tariff.status == TariffStatus.ACTIVE)
                    .order_by(Tariff.sort, Tariff.name)):
                tariffs.setdefault(module_id, []).append((tariff_id, tariff_name))
        return [TransferTarget(m, name, tuple(tariffs.get(m, ()))) for m, name in modules]

    def check_transfer(self, selection: Selection | Sequence[int], target_module_id: int) -> TransferCheck:
        """Look on the target panel for each service (by its natural key: the domain or VM name, else its id
        on the panel) and say which are there; nothing changes but the target's call log."""
        with self._db.sessions() as session:
            target = session.get(ProcessingModule, target_module_id)
            if target is None:
                raise NotFound("The target module no longer exists.")
            target_name = target.name
            services = self._selected_services(session, selection)
        movable, refused = [], []
        for service in services:
            if service.status is ServiceStatus.DELETED:
                refused.append((service.name, "it is Deleted: nothing to move"))
            elif service.module_id == target_module_id:
                refused.append((service.name, f"it is on {target_name} already"))
            else:
                movable.append(service)
        from procmod.core.drivers import RemoteStatus, driver_for

        calls: list[CallRecord] = []
        try:
            with driver_for(self._integrations.module_config(target_module_id, calls)) as driver:
                remote = [r for r in driver.list_remote_services() if r.status is not RemoteStatus.DELETED]
        finally:
            self._integrations._save_calls(target_module_id, calls)  # noqa: SLF001 - one call log writer
        by_name = {r.name.lower(): r.remote_id for r in remote if r.name}
        by_id = {r.remote_id for r in remote}
        found, missing = [], []
        for service in movable:
            remote_id = by_name.get(service.name.lower()) or (service.remote_id if service.remote_id in by_id else None)
            item = TransferItem(service.id, service.name, service.status, service.remote_id, remote_id)
            (found if remote_id else missing).append(item)
        return TransferCheck(target_module_id, target_name, tuple(found), tuple(missing), tuple(refused))

    def transfer(self, items: Sequence[TransferItem], target_module_id: int, tariff_id: int) -> int:
        """Move services found on the target panel to the target module and tariff, one transaction per
        batch of `TRANSFER_BATCH` (each all or nothing), an audit entry per service. The number moved."""
        self._writable()
        from procmod.storage.models import TariffModule

        moved = 0
        for start in range(0, len(items), TRANSFER_BATCH):
            batch = items[start:start + TRANSFER_BATCH]
            with self._db.write() as session:
                target = session.scalars(select(ProcessingModule).where(ProcessingModule.id == target_module_id)
                                         .with_for_update()).one_or_none()
                if target is None or target.status is not ModuleStatus.ENABLED:
                    raise OperationRefused("The target module is gone or disabled: nothing was moved.")
                if session.get(TariffModule, (tariff_id, target_module_id)) is None:
                    raise OperationRefused(f"The chosen tariff is not linked to {target.name}: nothing was moved.")
                services = {s.id: s for s in session.scalars(
                    select(Service).where(Service.id.in_([i.service_id for i in batch])).order_by(Service.id)
                    .with_for_update())}
                busy = set(session.scalars(select(Job.service_id).where(
                    Job.service_id.in_(list(services)), Job.state.in_([JobState.QUEUED, JobState.RUNNING]))))
                for item in batch:
                    service = services.get(item.service_id)
                    if service is None or service.status is ServiceStatus.DELETED:
                        raise OperationRefused(f"{item.name} is gone or Deleted: nothing of this batch was moved.")
                    if service.id in busy:
                        raise OperationRefused(f"{item.name} has an operation running: nothing of this batch "
                                               "was moved.")
                    source = service.module_id
                    before = {"module_id": source, "tariff_id": service.tariff_id, "remote_id": service.remote_id}
                    service.module_id, service.tariff_id = target_module_id, tariff_id
                    service.remote_id = item.target_remote_id or service.remote_id
                    session.add(self._audit_entry(
                        "transfer", "service", service.id, f"Transferred {service.name} to {target.name}",
                        before, {"module_id": target_module_id, "tariff_id": tariff_id, "remote_id": service.remote_id}))
                moved += len(batch)
        return moved

    def open_on_target(self, items: Sequence[TransferItem], target_module_id: int, tariff_id: int) -> int:
        """Queue, as one batch, a real Open of each service on the target panel followed by its move there."""
        self._writable()
        now = self._clock.now()
        try:
            batch_id = self._queue_open_on_target(items, target_module_id, tariff_id, now)
        except IntegrityError:
            raise OperationRefused("One of them has an operation running: nothing was queued.") from None
        self._queued()
        return batch_id

    def _queue_open_on_target(self, items: Sequence[TransferItem], target_module_id: int, tariff_id: int,
                              now: datetime) -> int:
        with self._db.write() as session:
            batch = Job(kind=BATCH, state=JobState.RUNNING, params={"op": "open_on_target", "count": len(items)},
                        attempts=1, created_by=self.operator, created_at=now, started_at=now)
            session.add(batch)
            session.flush()
            params = {"target_module_id": target_module_id, "tariff_id": tariff_id}
            session.add_all(Job(kind="open_on_target", state=JobState.QUEUED, module_id=target_module_id,
                                service_id=item.service_id, batch_id=batch.id, params=params, attempts=0,
                                created_by=self.operator, created_at=now) for item in items)
            session.add(self._audit_entry("bulk_open_on_target", "job", batch.id,
                                          f"Open on target: {len(items)} service(s) queued as batch #{batch.id}"))
            return batch.id

    # ------------------------------------------------------------------ running one (the engine's body)

    def run(self, claim: JobClaim) -> JobOutcome:
        """Carry out one operation through the driver; the outcome's effects land under the claim."""
        from procmod.core.drivers import DriverError

        op = OPERATIONS[claim.kind]
        with self._db.sessions() as session:
            service = session.get(Service, claim.service_id)
            if service is None:
                return JobOutcome(False, "The service no longer exists.", "not_found")
            name, remote_id, status_before = service.name, service.remote_id, service.status
            module_id = claim.module_id or service.module_id
            settings = session.scalar(select(ProcessingModule.settings).where(ProcessingModule.id == module_id)) or {}
        calls: list[CallRecord] = []
        result: ServiceResult | None = None
        error: DriverError | None = None
        config = None
        try:
            config = self._integrations.module_config(module_id, calls)
            from procmod.core.drivers import driver_for

            with driver_for(config) as driver:
                result = self._call_driver(driver, claim, op, name, remote_id, status_before, settings)
        except DriverError as failure:
            error = failure
        except NotFound as gone:
            return JobOutcome(False, str(gone), "not_found")

        def effects(session: Session) -> None:
            from procmod.core.integration import add_calls

            add_calls(session, module_id, calls, job_id=claim.job_id)
            service = session.scalars(select(Service).where(Service.id == claim.service_id).with_for_update()).one()
            before = {"status": service.status.value, "module_id": service.module_id, "remote_id": service.remote_id}
            if result is not None:
                if op.key == "open_on_target":
                    service.module_id = module_id
                    service.tariff_id = int(claim.params["tariff_id"])
                    service.status = (ServiceStatus.SUSPENDED if status_before is ServiceStatus.SUSPENDED
                                      and config is not None and module_type(config.module_type).suspends_services
                                      else ServiceStatus.ACTIVE)
                else:
                    service.status = op.becomes
                if op.key in ("open", "open_on_target"):
                    service.remote_id = result.remote_id[:100]
                service.attention = None
                summary = f"{op.title} {name}: {result.message}"
            else:
                if error is not None and error.kind == "timeout":
                    service.attention = ATTENTION_TIMEOUT.format(op=op.title)[:300]
                summary = f"{op.title} {name} failed: {error}"
            after = {"status": service.status.value, "module_id": service.module_id, "remote_id": service.remote_id}
            session.add(self._audit_entry(op.key if result is not None else op.key + "_failed", "service",
                                          claim.service_id, summary[:500], before, after, actor=claim.created_by))

        if result is not None:
            message = result.message + (" (found as the first try left it)" if result.already_existed else "")
            return JobOutcome(True, message or f"{name} {op.done}", effects=effects)
        assert error is not None
        from procmod.core.redaction import scrub_text

        known = config.secret_values if config is not None else ()
        return JobOutcome(False, scrub_text(error.message, known), error.kind, scrub_text(error.hint or "", known),
                          effects=effects)

    def _call_driver(self, driver: Driver, claim: JobClaim, op: Operation, name: str, remote_id: str | None,
                     status_before: ServiceStatus, settings: dict[str, Any]) -> ServiceResult:
        from procmod.core.drivers import ServiceSpec

        if op.key in ("open", "open_on_target"):
            spec = ServiceSpec(name, self._plan(driver.module_type, settings),
                               self._open_options(driver.module_type, claim, name))
            result = driver.open_service(spec)
            if (op.key == "open_on_target" and status_before is ServiceStatus.SUSPENDED
                    and module_type(driver.module_type).suspends_services):
                driver.suspend_service(result.remote_id)
            return result
        assert remote_id is not None
        return {"suspend": driver.suspend_service, "resume": driver.resume_service,
                "close": driver.close_service}[op.key](remote_id)

    @staticmethod
    def _plan(type_key: str, settings: dict[str, Any]) -> str:
        if type_key == "vmmanager6":
            templates = settings.get("os_templates") or []
            return str(settings.get("os_template") or (templates[0][0] if templates else "1"))
        return ""  # cPanel: the module's default package; Namecheap: its default years

    def _open_options(self, type_key: str, claim: JobClaim, name: str) -> dict[str, Any]:
        if type_key == "namecheap":
            return {}
        return {"password": self._sealed_password(claim)}

    def _sealed_password(self, claim: JobClaim) -> str:
        """The job's account password: generated on its first run and sealed into the job (under the claim)
        before the panel sees it, so a retry uses the same one; never logged or shown."""
        sealed = self._secrets.open(claim.sealed) if claim.sealed else {}
        if sealed.get("password"):
            return str(sealed["password"])
        password = new_password()
        with self._db.write() as session:
            held = session.execute(update(Job).where(Job.id == claim.job_id, Job.claim_token == claim.token,
                                                     Job.state == JobState.RUNNING)
                                   .values(sealed=self._secrets.seal({"password": password}))).rowcount
        if not held:
            from procmod.core.drivers import DriverError

            raise DriverError("This worker lost the operation's claim (its lease expired); nothing was done.")
        return password

    # ------------------------------------------------------------------ what an interrupted job leaves

    def on_interrupted(self, session: Session, job: Job) -> None:
        """The engine's `interrupt_effects`: the panel's state is unknown; the service says so (audited)."""
        if job.service_id is None or job.kind not in OPERATIONS:
            return
        service = session.get(Service, job.service_id)
        if service is None:
            return
        service.attention = ATTENTION_INTERRUPTED.format(op=OPERATIONS[job.kind].title)[:300]
        session.add(self._audit_entry(job.kind + "_interrupted", "service", service.id,
                                      f"{OPERATIONS[job.kind].title} {service.name} interrupted: {job.outcome}"[:500],
                                      actor=job.created_by))

    # ------------------------------------------------------------------ helpers

    def _audit_entry(self, action: str, object_type: str, object_id: int | None, summary: str,
                     before: dict[str, Any] | None = None, after: dict[str, Any] | None = None, *,
                     actor: str | None = None) -> AuditEntry:
        return AuditEntry(at=self._clock.now(), actor=actor or self.operator, action=action[:50],
                          object_type=object_type, object_id=object_id, summary=summary[:500], before=before,
                          after=after)


def _failure_queries() -> tuple[Any, Any]:
    """The failure queue's two halves: failed or interrupted operations not dismissed, and background tasks
    whose latest run failed or was interrupted and was not dismissed."""
    from procmod.storage.enums import RunResult
    from procmod.storage.models import BackgroundTask, TaskRun, TaskRunDismissal

    jobs = (select(literal("job").label("source"), Job.id.label("id"), Job.finished_at.label("at"),
                   Job.module_id.label("module_id"),
                   select(Service.name).where(Service.id == Job.service_id).scalar_subquery().label("subject"),
                   Job.service_id.label("subject_id"), Job.kind.label("kind"), type_coerce(Job.state, String).label("state"),
                   Job.outcome.label("message"), Job.hint.label("hint"), Job.attempts.label("attempts"))
            .where(Job.state.in_([JobState.FAILED, JobState.INTERRUPTED]), Job.dismissed_at.is_(None),
                   Job.kind != BATCH))
    from sqlalchemy.orm import aliased

    other = aliased(TaskRun)
    newer = select(func.max(other.started_at)).where(other.task_id == TaskRun.task_id).scalar_subquery()
    runs = (select(literal("run").label("source"), TaskRun.id.label("id"), TaskRun.finished_at.label("at"),
                   BackgroundTask.module_id.label("module_id"), BackgroundTask.name.label("subject"),
                   BackgroundTask.id.label("subject_id"), BackgroundTask.kind.label("kind"),
                   type_coerce(TaskRun.result, String).label("state"), TaskRun.message.label("message"), literal("").label("hint"),
                   literal(1).label("attempts"))
            .join(BackgroundTask, BackgroundTask.id == TaskRun.task_id)
            .where(TaskRun.result.in_([RunResult.UNSUCCESSFUL, RunResult.INTERRUPTED]),
                   TaskRun.started_at == newer,
                   ~select(TaskRunDismissal.run_id).where(TaskRunDismissal.run_id == TaskRun.id).exists()))
    return jobs, runs


def failure_counts() -> list[Any]:
    """The failure queue's two halves counted, as scalar subqueries a statement can carry (the pane's)."""
    return [select(func.count()).select_from(half.subquery()).scalar_subquery() for half in _failure_queries()]


def failure_count(db: Database) -> int:
    """Entries in the failure queue: two indexed counts, in one statement."""
    with db.reads() as session:
        return sum(session.execute(select(*failure_counts())).one())


def failure_page(db: Database, offset: int = 0, limit: int = 100) -> tuple[list[QueueEntry], int]:
    """A page of the failure queue, newest first, and the total."""
    jobs, runs = _failure_queries()
    union = jobs.union_all(runs).subquery()
    with db.reads() as session:
        total = session.scalar(select(func.count()).select_from(union))
        rows = session.execute(
            select(union, ProcessingModule.name, Department.name)
            .join(ProcessingModule, ProcessingModule.id == union.c.module_id, isouter=True)
            .join(Department, Department.id == ProcessingModule.department_id, isouter=True)
            .order_by(union.c.at.desc(), union.c.id.desc()).offset(offset).limit(limit)).all()
    entries = [QueueEntry(r.source, r.id, r.at, r.module_id, r[11] or "—", r[12] or "—", r.subject, r.subject_id,
                          r.kind, str(r.state), r.message or "", r.hint or "", r.attempts) for r in rows]
    return entries, total


def _all_types() -> Iterable[Any]:
    from procmod.core.moduletypes import MODULE_TYPES

    return MODULE_TYPES.values()


__all__ = ["OPERATIONS", "BatchProgress", "BulkPreview", "OperationRefused", "QueueEntry", "Selection",
           "ServiceBusy", "ServiceCard", "ServiceOperations", "refusal"]


def _name_search(db: Any, flt: Any) -> Any:
    """The services list's text filter (the one rule of every list) for a selection: every match, in no
    order, so the text index hands over its matches however many there are (`whole`)."""
    from procmod.core.queries import TextFilter
    from procmod.storage.models import Service

    return TextFilter(db, Service, "name", flt.text, whole=True)

"""SQLAlchemy 2.0 typed models for every entity of the domain (DOMAIN.md §2).

Foreign keys that protect the delete rule are RESTRICT (services and tariff links keep a module
alive); the module's own satellites (tasks, runs, notifications, API calls) cascade. Indexes follow the
queries of `procmod.core.queries` (named in comments where the reason is not obvious).
"""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from procmod.storage.enums import JobState, ModuleStatus, RunResult, ServiceStatus, TariffStatus

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timestamps are aware UTC in Python on every backend (SQLite keeps no zone of its own)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use aware UTC")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime()}


def _enum(enum_cls: type, name: str) -> Enum:
    """A portable enum column: VARCHAR with a CHECK constraint, values stored lowercase."""
    return Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=16,
        values_callable=lambda members: [m.value for m in members],
    )


#: Partial indexes and their conditions. The model names each condition for SQLite; PostgreSQL's is named by
#: `name_postgresql_conditions()` when a PostgreSQL engine is made, because naming a dialect's option at
#: import imports that dialect's package (~25 ms of every console start on SQLite, which never uses it).
#: The schema itself comes from the migrations, which name both.
_PARTIAL_INDEXES: dict[Index, str] = {}


def _partial_index(name: str, *columns: str, where: str, unique: bool = False) -> Index:
    index = Index(name, *columns, unique=unique, sqlite_where=text(where))
    _PARTIAL_INDEXES[index] = where
    return index


def name_postgresql_conditions() -> None:
    """Give the partial indexes their PostgreSQL condition (idempotent; see `_PARTIAL_INDEXES`)."""
    for index, where in _PARTIAL_INDEXES.items():
        if index.dialect_options["postgresql"]["where"] is None:
            index.dialect_options["postgresql"]["where"] = text(where)


class ProductType(Base):
    __tablename__ = "product_type"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))


class Department(Base):
    __tablename__ = "department"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    email: Mapped[str | None] = mapped_column(String(254))
    # Where the module's notifications for this department are sent (the department's own address if blank).
    notify_email: Mapped[str | None] = mapped_column(String(254))
    description: Mapped[str | None] = mapped_column(String(500))

    __table_args__ = (Index("uq_department_name_lower", func.lower(name), unique=True),)


class DataCenter(Base):
    __tablename__ = "datacenter"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    external_id: Mapped[str | None] = mapped_column(String(100))
    code: Mapped[str | None] = mapped_column(String(32))  # the short name, e.g. FRA1
    location: Mapped[str | None] = mapped_column(String(200))

    # Names and codes are unique whatever their case, by the database (two operators adding one at once).
    __table_args__ = (
        Index("uq_datacenter_name_lower", func.lower(name), unique=True),
        Index("uq_datacenter_code_lower", func.lower(code), unique=True),
    )


class ProcessingModule(Base):
    __tablename__ = "processing_module"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), index=True)
    module_type: Mapped[str] = mapped_column(String(32), index=True)
    product_type: Mapped[str] = mapped_column(ForeignKey("product_type.code", ondelete="RESTRICT"))
    datacenter_id: Mapped[int | None] = mapped_column(
        ForeignKey("datacenter.id", ondelete="RESTRICT"), index=True
    )
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id", ondelete="RESTRICT"), index=True)
    sort_priority: Mapped[int] = mapped_column(Integer, default=100)
    status: Mapped[ModuleStatus] = mapped_column(_enum(ModuleStatus, "module_status"), index=True)
    # Non-secret setting values by field key; secret values live encrypted in `secrets`.
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Fernet token of a JSON object {field key: value}; never plaintext.
    secrets: Mapped[str | None] = mapped_column(Text)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    balance: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    balance_currency: Mapped[str | None] = mapped_column(String(8))
    balance_read_at: Mapped[datetime | None]
    minimal_balance: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    updated_by: Mapped[str | None] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(Integer, default=1)
    # The last connection check: its outcome, one line, and when (the health badge and its age).
    health_ok: Mapped[bool | None] = mapped_column(Boolean)
    health_summary: Mapped[str | None] = mapped_column(String(500))
    health_checked_at: Mapped[datetime | None]

    __mapper_args__ = {"version_id_col": version}

    tasks: Mapped[list[BackgroundTask]] = relationship(
        back_populates="module", cascade="all, delete-orphan", passive_deletes=True
    )

    # The modules list's default order, walked by the index so a page needs no sort of every module.
    __table_args__ = (Index("ix_processing_module_priority", "sort_priority", "id"),)


class Tariff(Base):
    __tablename__ = "tariff"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), index=True)
    product_type: Mapped[str] = mapped_column(ForeignKey("product_type.code", ondelete="RESTRICT"))
    status: Mapped[TariffStatus] = mapped_column(_enum(TariffStatus, "tariff_status"), index=True)
    price: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0"))
    sort: Mapped[int] = mapped_column(Integer, default=100)
    #: The billing period the price is for (core/reference.py TARIFF_PERIODS).
    period: Mapped[str] = mapped_column(String(16), default="month", server_default="month")
    description: Mapped[str | None] = mapped_column(Text)

    # The tariff filter matches the start of the name, case-insensitively, through this index; unique, it
    # also keeps two tariffs from sharing a name.
    __table_args__ = (Index("ix_tariff_name_lower", func.lower(name), unique=True),)


class TariffModule(Base):
    """The many-to-many link between tariffs and processing modules (RESTRICT on the module side)."""

    __tablename__ = "tariff_module"

    tariff_id: Mapped[int] = mapped_column(ForeignKey("tariff.id", ondelete="CASCADE"), primary_key=True)
    module_id: Mapped[int] = mapped_column(
        ForeignKey("processing_module.id", ondelete="RESTRICT"), primary_key=True
    )
    #: Which of the tariff's modules is tried first for a new service: the lowest value.
    sort_priority: Mapped[int] = mapped_column(Integer, default=100, server_default="100")

    # "tariffs of this module" reads the link by module first.
    __table_args__ = (Index("ix_tariff_module_module_tariff", "module_id", "tariff_id"),)


class Service(Base):
    __tablename__ = "service"

    id: Mapped[int] = mapped_column(primary_key=True)
    tariff_id: Mapped[int] = mapped_column(ForeignKey("tariff.id", ondelete="RESTRICT"))
    module_id: Mapped[int] = mapped_column(ForeignKey("processing_module.id", ondelete="RESTRICT"))
    name: Mapped[str] = mapped_column(String(255))
    remote_id: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[ServiceStatus] = mapped_column(_enum(ServiceStatus, "service_status"))
    created_at: Mapped[datetime]
    #: Why the billing does not know the panel's state of this service (e.g. an operation timed out), or
    #: None; the next operation's retry reconciles it and clears this (core/services.py).
    attention: Mapped[str | None] = mapped_column(String(300))
    #: What reconciliation matches the panel's object on (core/reconciliation.py): the type's natural key
    #: (cPanel user name, VM name, domain); None: not known yet (matched on remote_id instead).
    natural_key: Mapped[str | None] = mapped_column(String(255))
    #: The package / plan / template on the panel, the primary address (domain or IP), and the status the
    #: panel reported, as last read (import, take the panel's values).
    panel_plan: Mapped[str | None] = mapped_column(String(100))
    address: Mapped[str | None] = mapped_column(String(255))
    panel_status: Mapped[str | None] = mapped_column(String(16))
    last_seen_at: Mapped[datetime | None]

    __table_args__ = (
        # One live service per panel object: two operators importing at once make one (reconciliation).
        _partial_index("uq_service_module_natural_key", "module_id", "natural_key", unique=True,
                       where="natural_key IS NOT NULL AND status <> 'deleted'"),
        # Active-service counts per (module, tariff) on the card and the delete pre-check.
        Index("ix_service_module_tariff_status", "module_id", "tariff_id", "status"),
        # Services filtered by tariff (and status).
        Index("ix_service_tariff_status", "tariff_id", "status"),
        # The modules list counts each module's Active services: a range on this index, not a walk of every
        # service of the module (6 ms → 0.6 ms for a page of 100 modules at 1,000,000 services).
        Index("ix_service_module_status", "module_id", "status"),
        # The services filter matches the start of the name, case-insensitively, through this index.
        Index("ix_service_name_lower", func.lower(name)),
    )


class BackgroundTask(Base):
    __tablename__ = "background_task"

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(
        ForeignKey("processing_module.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(100))
    schedule: Mapped[str] = mapped_column(String(100))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # The next fire time (UTC) computed in the module's time zone; NULL until the scheduler first sees it.
    next_run_at: Mapped[datetime | None]
    # The id of an interrupted run (lease expired) waiting for its one retry: the task's next claim is it.
    retry_pending: Mapped[int | None] = mapped_column(Integer)
    # Why the scheduler disabled the task (a stored schedule that never fires); NULL otherwise.
    disabled_reason: Mapped[str | None] = mapped_column(String(500))

    module: Mapped[ProcessingModule] = relationship(back_populates="tasks")

    __table_args__ = (
        UniqueConstraint("module_id", "kind", name="uq_background_task_module_kind"),
        # The scheduler's tick asks for the earliest due task, and a claim for the first due ones in
        # (next_run_at, id) order: both are index walks that stop early, never a scan or sort of every task.
        Index("ix_background_task_due", "enabled", "next_run_at", "id"),
    )


class TaskRun(Base):
    __tablename__ = "task_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("background_task.id", ondelete="CASCADE"))
    scheduled_for: Mapped[datetime]
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    result: Mapped[RunResult] = mapped_column(_enum(RunResult, "run_result"))
    message: Mapped[str | None] = mapped_column(Text)
    # Claim token and lease (the scheduler's exactly-once protocol).
    claim_token: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None]
    worker: Mapped[str | None] = mapped_column(String(100))
    # Fire times that passed while nothing ran (downtime), folded into this one catch-up run.
    missed_runs: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The interrupted run (lease expired) this run retries; NULL for a run of the schedule or Run now.
    retry_of: Mapped[int | None] = mapped_column(ForeignKey("task_run.id", ondelete="SET NULL"))

    __table_args__ = (
        UniqueConstraint("task_id", "scheduled_for", name="uq_task_run_task_scheduled"),
        # At most one run of a task in progress, whatever the number of workers.
        _partial_index("uq_task_run_one_in_progress", "task_id", unique=True, where="result = 'in_progress'"),
        # The last run of a task; runs in progress per module (delete pre-check).
        Index("ix_task_run_task_started", "task_id", "started_at"),
        Index("ix_task_run_result", "result"),
    )


class Notification(Base):
    __tablename__ = "notification"

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int | None] = mapped_column(ForeignKey("processing_module.id", ondelete="CASCADE"))
    # The task whose runs raised it (failure streaks are counted on one notification per task).
    task_id: Mapped[int | None] = mapped_column(ForeignKey("background_task.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(String(500))
    occurrences: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    created_at: Mapped[datetime]
    read_at: Mapped[datetime | None]

    __table_args__ = (
        Index("ix_notification_module_created", "module_id", "created_at"),
        # The Notifications list, newest first, page by page.
        Index("ix_notification_created", "created_at", "id"),
        # Unread entries only (partial indexes): the pane's newest unread, and the unread counts per module
        # (modules list, card). A full (read_at, created_at) index lured SQLite's planner, once the file
        # was analyzed, into counting a module's unread entries by walking every unread one: 3 s a page.
        _partial_index("ix_notification_unread_created", "created_at", where="read_at IS NULL"),
        _partial_index("ix_notification_unread_module", "module_id", "created_at", where="read_at IS NULL"),
    )


class AuditEntry(Base):
    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(50))
    object_type: Mapped[str] = mapped_column(String(50))
    object_id: Mapped[int | None]
    summary: Mapped[str] = mapped_column(String(500))
    # Before/after snapshots with secret values already masked by the domain layer.
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    __table_args__ = (Index("ix_audit_entry_object", "object_type", "object_id", "at"),)


class ApiCall(Base):
    """The module's call log: one row per HTTP exchange with the external system (secrets masked)."""

    __tablename__ = "api_call"

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("processing_module.id", ondelete="CASCADE"))
    at: Mapped[datetime]
    operation: Mapped[str] = mapped_column(String(50))
    method: Mapped[str] = mapped_column(String(10))
    url: Mapped[str] = mapped_column(String(1000))
    status: Mapped[int | None]
    duration_ms: Mapped[int]
    error: Mapped[str | None] = mapped_column(String(1000))
    #: The job (service operation) this call was made for; None for checks and background tasks.
    job_id: Mapped[int | None] = mapped_column(ForeignKey("job.id", ondelete="SET NULL"))

    __table_args__ = (Index("ix_api_call_module_at", "module_id", "at"),
                      _partial_index("ix_api_call_job", "job_id", where="job_id IS NOT NULL"))


class Job(Base):
    """One piece of background work against a panel (core/jobs.py): a service operation, or a batch of them.

    Claimed like a task run (claim token + lease + heartbeat); every side effect is written in a transaction
    that checks the token. At most one queued-or-running job per service (a partial unique index): that is
    how "one operation per service at a time" holds across consoles and workers.
    """

    __tablename__ = "job"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    state: Mapped[JobState] = mapped_column(_enum(JobState, "job_state"))
    module_id: Mapped[int | None] = mapped_column(ForeignKey("processing_module.id", ondelete="CASCADE"))
    service_id: Mapped[int | None] = mapped_column(ForeignKey("service.id", ondelete="CASCADE"))
    #: The batch (a job of kind "batch") this job belongs to.
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("job.id", ondelete="CASCADE"))
    #: What the operation needs beyond the service (e.g. a transfer's target module and tariff); no secrets.
    params: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: Secrets the operation needs (a new account's password): a SecretBox token, never plaintext.
    sealed: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    outcome: Mapped[str | None] = mapped_column(String(1000))
    error_kind: Mapped[str | None] = mapped_column(String(50))
    hint: Mapped[str | None] = mapped_column(String(500))
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    claim_token: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None]
    worker: Mapped[str | None] = mapped_column(String(100))
    #: A failed job set aside from the failure queue: when, by whom, why.
    dismissed_at: Mapped[datetime | None]
    dismissed_by: Mapped[str | None] = mapped_column(String(100))
    dismiss_reason: Mapped[str | None] = mapped_column(String(500))

    __table_args__ = (
        # One operation per service at a time, whatever the number of consoles and workers.
        _partial_index("uq_job_one_open_per_service", "service_id", unique=True,
                       where="state IN ('queued', 'running') AND service_id IS NOT NULL"),
        # The claim walks queued jobs in id order; the reaper reads running ones by lease.
        _partial_index("ix_job_open", "state", "id", where="state IN ('queued', 'running')"),
        # A service's history on its card, newest first.
        Index("ix_job_service_created", "service_id", "created_at"),
        # A batch's counts by state (its progress bar).
        _partial_index("ix_job_batch_state", "batch_id", "state", where="batch_id IS NOT NULL"),
        # The failure queue: failed and interrupted jobs not dismissed, newest first.
        _partial_index("ix_job_failed", "finished_at", where="state IN ('failed', 'interrupted') "
                       "AND dismissed_at IS NULL AND kind <> 'batch'"),
    )


class TaskRunDismissal(Base):
    """A failed background run set aside from the failure queue (the run itself stays as it was)."""

    __tablename__ = "task_run_dismissal"

    run_id: Mapped[int] = mapped_column(ForeignKey("task_run.id", ondelete="CASCADE"), primary_key=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(String(500))


class ReconReport(Base):
    """A reconciliation of a module's services with its panel (core/reconciliation.py); the latest few per
    module are kept."""

    __tablename__ = "recon_report"

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("processing_module.id", ondelete="CASCADE"))
    read_at: Mapped[datetime]
    started_by: Mapped[str] = mapped_column(String(100))
    remote_total: Mapped[int] = mapped_column(Integer)
    panel_only: Mapped[int] = mapped_column(Integer)
    billing_only: Mapped[int] = mapped_column(Integer)
    different: Mapped[int] = mapped_column(Integer)
    #: Rows not resolved yet (kept by apply): the overview orders modules by it.
    open_rows: Mapped[int] = mapped_column(Integer)
    #: What could not be read (a page failed), or None when the panel was read whole.
    incomplete: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[int] = mapped_column(Integer)

    # A module's latest report (card, overview, pruning).
    __table_args__ = (Index("ix_recon_report_module_read", "module_id", "read_at"),)


class ReconRow(Base):
    """One drifting service or panel object of a report: both sides' values, and what was done about it."""

    __tablename__ = "recon_row"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("recon_report.id", ondelete="CASCADE"))
    group: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(255))
    service_id: Mapped[int | None] = mapped_column(ForeignKey("service.id", ondelete="SET NULL"))
    remote_id: Mapped[str | None] = mapped_column(String(100))
    billing_status: Mapped[str | None] = mapped_column(String(16))
    panel_status: Mapped[str | None] = mapped_column(String(16))
    billing_plan: Mapped[str | None] = mapped_column(String(255))
    panel_plan: Mapped[str | None] = mapped_column(String(100))
    billing_address: Mapped[str | None] = mapped_column(String(255))
    panel_address: Mapped[str | None] = mapped_column(String(255))
    billing_name: Mapped[str | None] = mapped_column(String(255))
    panel_name: Mapped[str | None] = mapped_column(String(255))
    #: Which compared fields differ, comma-separated ("status,plan").
    differs: Mapped[str | None] = mapped_column(String(64))
    #: What was applied ("Imported as service #12 by alice"), or None while open.
    resolved: Mapped[str | None] = mapped_column(Text)
    #: Why an open row offers no action (duplicates, no key, an incomplete read).
    note: Mapped[str | None] = mapped_column(String(500))

    __table_args__ = (
        # A group of a report, a page at a time in key order.
        Index("ix_recon_row_report_group_key", "report_id", "group", "key"),
        Index("ix_recon_row_service", "service_id"),
    )


class ReconPlanMap(Base):
    """A module's panel plan (package, OS template) → the tariff its imported services get."""

    __tablename__ = "recon_plan_map"

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("processing_module.id", ondelete="CASCADE"))
    panel_plan: Mapped[str] = mapped_column(String(100))
    tariff_id: Mapped[int] = mapped_column(ForeignKey("tariff.id", ondelete="CASCADE"))

    __table_args__ = (UniqueConstraint("module_id", "panel_plan", name="uq_recon_plan_map_module_plan"),)

"""Everything an operator changes: modules (add, edit, enable/disable, guarded delete), tariff links and
status, task schedules, and the audit entry each change writes.

Rules are enforced here, inside the write transaction, where a screen cannot bypass them:
- edits carry the version they were made from; a newer version in the database refuses the save with who
  changed it and when (no lost updates);
- delete checks its blockers and deletes in one transaction holding the module's row lock (PostgreSQL
  `SELECT … FOR UPDATE`; SQLite `BEGIN IMMEDIATE`), and the RESTRICT foreign keys back it up: a service
  activated or a tariff linked meanwhile makes the delete fail with the reason, never an orphan.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from procmod.core.arguments import MODULE_TYPE, Column, entry_point
from procmod.core.clock import Clock
from procmod.core.errors import Blocker, DeleteBlocked
from procmod.core.formatting import format_time, sentence
from procmod.core.moduletypes import PRODUCT_TYPE_NAMES, ModuleType, ModuleTypeUnavailable
from procmod.core.moduletypes import module_type as _any_module_type
from procmod.core.schedule import NEVER_RUNS, ScheduleNeverRuns, check_fires, local_zone_name, next_fire_time, valid_zone
from procmod.core.queries import NotFound
from procmod.core.secrets import MASK, SecretBox, SecretsUnavailable
from procmod.core.validation import ValidationError, check_text, validate_money, validate_name, validate_priority, validate_settings
from procmod.storage.engine import Database
from procmod.storage.enums import ModuleStatus, RunResult, ServiceStatus, TariffStatus
from procmod.storage.models import (
    AuditEntry,
    BackgroundTask,
    DataCenter,
    Department,
    ProcessingModule,
    Service,
    Tariff,
    TariffModule,
    TaskRun,
)


class ReadOnly(PermissionError):
    """The console was opened with --read-only."""


class Conflict(RuntimeError):
    """Someone saved the record after it was loaded into the form."""

    def __init__(self, who: str | None, when: datetime, version: int) -> None:
        self.who, self.when, self.version = who or "another operator", when, version
        super().__init__(f"Changed by {self.who} at {format_time(when)} UTC after you opened it. "
                         "Reload to see their version (your changes are kept in the form).")


@dataclass(frozen=True)
class CheckOutcome:
    ok: bool
    message: str
    stage: str = ""


#: The driver interface's connection check as the lifecycle needs it: (type key, settings, secrets).
ConnectionChecker = Callable[[str, dict[str, Any], dict[str, Any]], CheckOutcome]


class ConnectionCheckFailed(RuntimeError):
    def __init__(self, outcome: CheckOutcome) -> None:
        self.outcome = outcome
        stage = f" ({outcome.stage})" if outcome.stage else ""
        super().__init__(f"Connection check failed{stage}: {sentence(outcome.message)} Nothing was saved.")


@dataclass(frozen=True)
class ModuleParams:
    """What the operator fills in the wizard's last step and in the edit form."""

    name: str
    department_id: int | None
    datacenter_id: int | None = None
    sort_priority: Any = 100
    minimal_balance: Any = None
    settings: dict[str, Any] = field(default_factory=dict)  # secrets included; blank secret = unchanged
    #: The IANA zone its tasks' schedules fire in; None: the operator's own (new) or unchanged (edit).
    timezone: str | None = None


@dataclass(frozen=True)
class ModuleForm:
    """The edit form's starting point: current values (no secret values), and the version they are at."""

    id: int
    module_type: str
    product_type: str
    params: ModuleParams
    secrets_set: frozenset[str]
    version: int
    #: Choices Update configuration read from the panel, by SELECT field key: [(value, label), ...].
    catalogs: dict[str, list[tuple[str, str]]] = field(default_factory=dict)


def module_type(type_key: str) -> ModuleType:
    """The module type to write with; a type whose plugin is broken or missing is refused, saying why."""
    try:
        return _any_module_type(type_key)
    except ModuleTypeUnavailable as unavailable:
        raise ValidationError({"module_type": str(unavailable)}) from None


def masked(values: dict[str, Any], secret_keys: Iterable[str]) -> dict[str, Any]:
    """A copy safe for audit entries and logs: secret keys show only that they are set."""
    keys = set(secret_keys)
    return {k: (MASK if k in keys and v not in (None, "") else v) for k, v in values.items()}


def _blank_is_none(value: Any) -> Any:
    """A setting never set and one saved blank are the same to an operator reading the history."""
    return None if value == "" else value


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value


class Commands:
    """The write side of the domain. One instance per backend; every method is one transaction."""

    def __init__(self, db: Database, clock: Clock, secrets: SecretBox, operator: str, *,
                 checker: ConnectionChecker | None = None, read_only: bool = False) -> None:
        self._db, self._clock, self._secrets, self.operator = db, clock, secrets, operator
        self.checker = checker
        self.read_only = read_only

    # ------------------------------------------------------------ helpers

    def _writable(self) -> None:
        if self.read_only:
            raise ReadOnly("The console is read-only (--read-only): nothing can be changed.")

    def _audit(self, session: Session, action: str, object_type: str, object_id: int | None, summary: str,
               before: dict[str, Any] | None = None, after: dict[str, Any] | None = None) -> None:
        session.add(AuditEntry(
            at=self._clock.now(), actor=self.operator, action=action, object_type=object_type,
            object_id=object_id, summary=summary,
            before={k: _jsonable(v) for k, v in before.items()} if before is not None else None,
            after={k: _jsonable(v) for k, v in after.items()} if after is not None else None,
        ))

    @staticmethod
    def _locked_module(session: Session, module_id: int) -> ProcessingModule:
        module = session.scalars(
            select(ProcessingModule).where(ProcessingModule.id == module_id).with_for_update()
        ).one_or_none()
        if module is None:
            raise NotFound(f"Processing module #{module_id} no longer exists.")
        return module

    def _clean_params(self, session: Session, type_key: str, params: ModuleParams,
                      secrets_set: frozenset[str]) -> tuple[dict[str, Any], dict[str, str]]:
        """Validate everything; returns (module columns, secrets typed now). Raises ValidationError."""
        mtype = module_type(type_key)
        errors: dict[str, str] = {}
        name, error = validate_name(params.name)
        if error:
            errors["name"] = error
        priority, error = validate_priority(params.sort_priority)
        if error:
            errors["sort_priority"] = error
        minimal = None
        if mtype.reports_balance:
            minimal, error = validate_money(params.minimal_balance, "Minimal balance")
            if error:
                errors["minimal_balance"] = error
        if params.department_id is None or session.get(Department, params.department_id) is None:
            errors["department_id"] = "Responsible department is required"
        datacenter_id = None
        if mtype.supports_datacenter:
            datacenter_id = params.datacenter_id
            if datacenter_id is None or session.get(DataCenter, datacenter_id) is None:
                errors["datacenter_id"] = "Data center is required for this module type"
        try:
            cleaned = validate_settings(mtype, params.settings, secrets_already_set=secrets_set)
        except ValidationError as exc:
            errors.update(exc.errors)
            cleaned = None
        zone = (params.timezone or "").strip() or None
        if zone is not None and not valid_zone(zone):
            errors["timezone"] = f"Unknown time zone “{zone}”: choose one from the list (e.g. Europe/Amsterdam)"
        if errors:
            raise ValidationError(errors)
        assert cleaned is not None
        columns = {"name": name, "sort_priority": priority, "minimal_balance": minimal,
                   "department_id": params.department_id, "datacenter_id": datacenter_id,
                   "settings": cleaned.settings}
        if zone is not None:
            columns["timezone"] = zone
        return columns, cleaned.secrets

    def _check(self, type_key: str, settings: dict[str, Any], secrets: dict[str, Any]) -> CheckOutcome | None:
        if self.checker is None:
            return None
        outcome = self.checker(type_key, settings, secrets)
        if not outcome.ok:
            raise ConnectionCheckFailed(outcome)
        return outcome

    # ------------------------------------------------------------ modules

    @entry_point(refuses=(ReadOnly, ConnectionCheckFailed), type_key=MODULE_TYPE)
    def create_module(self, product_type: str, type_key: str, params: ModuleParams) -> int:
        """Validate, check the connection, then save the module with its default tasks; all or nothing."""
        self._writable()
        mtype = module_type(type_key)
        if product_type not in mtype.product_types:
            raise ValidationError({"module_type": f"{mtype.title} does not serve "
                                                  f"{PRODUCT_TYPE_NAMES.get(product_type, product_type)}"})
        with self._db.sessions() as session:
            columns, secrets = self._clean_params(session, type_key, params, frozenset())
        columns.setdefault("timezone", local_zone_name())
        # The check talks to the network: outside any transaction, before anything is written.
        checked = self._check(type_key, columns["settings"], secrets)
        now = self._clock.now()
        if checked is not None:
            # The Finish check is the module's first health record: its card says "OK · just now", not
            # "not checked yet", until the first scheduled check replaces it.
            from procmod.core.redaction import scrub_text

            columns.update(health_ok=True, health_checked_at=now,
                           health_summary=scrub_text(checked.message or "Connection OK", secrets.values())[:500])
        with self._db.write() as session:
            module = ProcessingModule(
                module_type=type_key, product_type=product_type, status=ModuleStatus.ENABLED,
                secrets=self._secrets.seal(secrets), created_at=now, updated_at=now, updated_by=self.operator,
                **columns,
            )
            module.tasks = [BackgroundTask(kind=t.kind, name=t.name, schedule=t.schedule, enabled=True,
                                           next_run_at=next_fire_time(t.schedule, now, columns["timezone"]))
                            for t in mtype.default_tasks]
            session.add(module)
            session.flush()
            self._audit(session, "create", "processing_module", module.id, f"Created {module.name}",
                        after=masked({**columns["settings"], **secrets, "name": module.name}, mtype.secret_keys))
            return module.id

    @entry_point()
    def edit_form(self, module_id: int) -> ModuleForm:
        with self._db.reads() as session:
            module = session.get(ProcessingModule, module_id)
            if module is None:
                raise NotFound(f"Processing module #{module_id} no longer exists.")
            try:
                secrets_set = frozenset(self._secrets.open(module.secrets))
            except SecretsUnavailable:
                secrets_set = frozenset()
            mtype = module_type(module.module_type)
            settings = {f.key: module.settings.get(f.key, f.default) for f in mtype.fields if not f.secret}
            return ModuleForm(
                id=module.id, module_type=module.module_type, product_type=module.product_type,
                params=ModuleParams(name=module.name, department_id=module.department_id,
                                    datacenter_id=module.datacenter_id, sort_priority=module.sort_priority,
                                    minimal_balance=module.minimal_balance, settings=settings,
                                    timezone=module.timezone),
                secrets_set=secrets_set, version=module.version,
                catalogs={f.key: [(str(v), str(label)) for v, label in module.settings.get(f.choices_from) or []]
                          for f in mtype.fields if f.choices_from and module.settings.get(f.choices_from)},
            )

    @entry_point(refuses=(ReadOnly, Conflict, ConnectionCheckFailed))
    def update_module(self, module_id: int, expected_version: int, params: ModuleParams) -> int:
        """Save an edit made from `expected_version`; returns the new version. Raises Conflict."""
        self._writable()
        with self._db.write() as session:
            module = self._locked_module(session, module_id)
            if module.version != expected_version:
                raise Conflict(module.updated_by, module.updated_at, module.version)
            mtype = module_type(module.module_type)
            try:
                current_secrets = self._secrets.open(module.secrets)
            except SecretsUnavailable:
                current_secrets = {}
            columns, typed_secrets = self._clean_params(session, module.module_type, params,
                                                        frozenset(current_secrets))
            before = self._snapshot(module, current_secrets)
            # What Update configuration read from the panel stays unless this edit brings a new reading.
            kept = {k: v for k, v in module.settings.items() if k in mtype.catalog_keys}
            columns["settings"] = {**kept, **columns["settings"]}
            for key, value in columns.items():
                setattr(module, key, value)
            new_secrets = {**current_secrets, **typed_secrets}
            if typed_secrets:
                module.secrets = self._secrets.seal(new_secrets)
            module.updated_at, module.updated_by = self._clock.now(), self.operator
            session.flush()
            after = self._snapshot(module, new_secrets)
            if after["timezone"] != before["timezone"]:  # its tasks fire by the new zone's clock from now on
                now = self._clock.now()
                for task in module.tasks:
                    task.next_run_at = next_fire_time(task.schedule, now, module.timezone)
            changed = {k for k in after if _blank_is_none(before.get(k)) != _blank_is_none(after.get(k))}
            changed |= set(typed_secrets)
            self._audit(session, "edit", "processing_module", module.id,
                        f"Edited {module.name}: {', '.join(sorted(changed)) or 'no changes'}",
                        before=masked({k: before.get(k) for k in changed}, mtype.secret_keys),
                        after=masked({k: after.get(k) for k in changed}, mtype.secret_keys))
            return module.version

    @staticmethod
    def _snapshot(module: ProcessingModule, secrets: dict[str, Any]) -> dict[str, Any]:
        return {"name": module.name, "department_id": module.department_id, "datacenter_id": module.datacenter_id,
                "sort_priority": module.sort_priority, "minimal_balance": module.minimal_balance,
                "timezone": module.timezone, **module.settings, **secrets}

    @entry_point(network=True)
    def check_module_connection(self, module_id: int) -> CheckOutcome | None:
        """Run the connection checker on a saved module's settings; None when no checker is configured.

        The console's "Update configuration" calls this until drivers are wired in; nothing is written.
        """
        with self._db.sessions() as session:
            module = session.get(ProcessingModule, module_id)
            if module is None:
                raise NotFound(f"Processing module #{module_id} no longer exists.")
            type_key, settings = module.module_type, dict(module.settings)
            try:
                secrets = self._secrets.open(module.secrets)
            except SecretsUnavailable:
                secrets = {}
        if self.checker is None:
            return None
        return self.checker(type_key, settings, secrets)

    @entry_point(refuses=(ReadOnly,))
    def set_module_enabled(self, module_id: int, enabled: bool) -> None:
        self._writable()
        status = ModuleStatus.ENABLED if enabled else ModuleStatus.DISABLED
        with self._db.write() as session:
            module = self._locked_module(session, module_id)
            if module.status is status:
                return
            before = module.status
            module.status, module.updated_at, module.updated_by = status, self._clock.now(), self.operator
            self._audit(session, "enable" if enabled else "disable", "processing_module", module.id,
                        f"{'Enabled' if enabled else 'Disabled'} {module.name}",
                        before={"status": before.value}, after={"status": status.value})

    @entry_point()
    def delete_blockers(self, module_id: int) -> list[Blocker]:
        with self._db.reads() as session:
            if session.get(ProcessingModule, module_id) is None:
                raise NotFound(f"Processing module #{module_id} no longer exists.")
            return self._blockers(session, module_id)

    @staticmethod
    def _blockers(session: Session, module_id: int) -> list[Blocker]:
        """What stops the module's deletion: four counts, read in one statement."""
        tariffs, active, pending, running = session.execute(select(
            select(func.count()).select_from(TariffModule).join(Tariff, Tariff.id == TariffModule.tariff_id)
            .where(TariffModule.module_id == module_id, Tariff.status == TariffStatus.ACTIVE).scalar_subquery(),
            select(func.count()).where(
                Service.module_id == module_id, Service.status == ServiceStatus.ACTIVE).scalar_subquery(),
            select(func.count()).where(
                Service.module_id == module_id,
                Service.status.not_in([ServiceStatus.ACTIVE, ServiceStatus.DELETED])).scalar_subquery(),
            select(func.count()).select_from(TaskRun).join(BackgroundTask, BackgroundTask.id == TaskRun.task_id)
            .where(BackgroundTask.module_id == module_id, TaskRun.result == RunResult.IN_PROGRESS).scalar_subquery(),
        )).one()
        blockers = []
        if tariffs:
            # Only an Active tariff blocks: the manual's "transfer to another module or disable" (DOMAIN.md §5).
            blockers.append(Blocker("tariffs", tariffs, f"{tariffs} active tariff(s) still link this module: "
                                    "re-link them to another module (Modules) or disable them"))
        if active:
            blockers.append(Blocker("active_services", active, f"{active} active service(s) run on this module: "
                                    "delete them or transfer them to another module"))
        if pending:
            blockers.append(Blocker("other_services", pending, f"{pending} suspended, ordered or in-progress "
                                    "service(s) still belong to this module: delete or transfer them"))
        if running:
            blockers.append(Blocker("tasks_in_progress", running, f"{running} background task(s) are in "
                                    "progress: wait for them to finish"))
        return blockers

    @entry_point(refuses=(ReadOnly, DeleteBlocked))
    def delete_module(self, module_id: int) -> None:
        """Check the blockers and delete, in one transaction holding the module's row lock."""
        self._writable()
        try:
            with self._db.write() as session:
                module = self._locked_module(session, module_id)
                blockers = self._blockers(session, module_id)
                if blockers:
                    raise DeleteBlocked(blockers)
                name = module.name
                # Links of disabled, archived and deleted tariffs go with the module; active ones blocked above.
                session.execute(delete(TariffModule).where(TariffModule.module_id == module_id))
                session.execute(delete(Service).where(Service.module_id == module_id,
                                                      Service.status == ServiceStatus.DELETED))
                session.delete(module)
                session.flush()
                self._audit(session, "delete", "processing_module", module_id, f"Deleted {name}",
                            before={"name": name}, after=None)
        except IntegrityError as exc:  # a row added by a concurrent transaction the lock did not cover
            raise DeleteBlocked([Blocker("concurrent", 1, "another operator linked or activated something on "
                                         "this module meanwhile; look again")]) from exc

    # ------------------------------------------------------------ services (the billing side)

    @entry_point(refuses=(ReadOnly,))
    def activate_service(self, service_id: int) -> None:
        """Activate a service; takes the module's row lock so it cannot race a module delete."""
        self._writable()
        with self._db.write() as session:
            service = session.get(Service, service_id)
            if service is None:
                raise NotFound(f"Service #{service_id} no longer exists.")
            module = self._locked_module(session, service.module_id)
            if module.status is ModuleStatus.DISABLED:
                raise ValidationError({"module_id": f"{module.name} is disabled: no new services are placed on it"})
            service.status = ServiceStatus.ACTIVE

    @entry_point(refuses=(ReadOnly,), name=Column(Service.name), remote_id=Column(Service.remote_id))
    def place_service(self, tariff_id: int, module_id: int, name: str, remote_id: str | None = None) -> int:
        """Record a service provisioned on a module as Active (the billing side of "open service").

        Takes the module's row lock first, like `activate_service`, so it serializes with a delete.
        """
        self._writable()
        with self._db.write() as session:
            module = self._locked_module(session, module_id)
            if module.status is ModuleStatus.DISABLED:
                raise ValidationError({"module_id": f"{module.name} is disabled: no new services are placed on it"})
            if session.get(Tariff, tariff_id) is None:
                raise NotFound(f"Tariff plan #{tariff_id} no longer exists.")
            service = Service(tariff_id=tariff_id, module_id=module_id, name=name, remote_id=remote_id,
                              status=ServiceStatus.ACTIVE, created_at=self._clock.now())
            session.add(service)
            session.flush()
            return service.id

    # ------------------------------------------------------------ tariffs

    @entry_point(refuses=(ReadOnly,))
    def set_tariff_modules(self, tariff_id: int, module_ids: Iterable[int]) -> None:
        """Replace a tariff's linked modules (same product type; an active tariff keeps at least one)."""
        self._writable()
        wanted = sorted(set(module_ids))
        with self._db.write() as session:
            tariff = session.scalars(select(Tariff).where(Tariff.id == tariff_id).with_for_update()).one_or_none()
            if tariff is None:
                raise NotFound(f"Tariff plan #{tariff_id} no longer exists.")
            if not wanted and tariff.status is TariffStatus.ACTIVE:
                raise ValidationError({"modules": "An active tariff needs at least one processing module; "
                                                  "disable the tariff first to leave it without one"})
            modules = session.scalars(select(ProcessingModule).where(ProcessingModule.id.in_(wanted))
                                      .with_for_update()).all() if wanted else []
            if len(modules) != len(wanted):
                raise NotFound("A chosen processing module no longer exists.")
            wrong = [m.name for m in modules if m.product_type != tariff.product_type]
            if wrong:
                raise ValidationError({"modules": f"{', '.join(wrong)} do(es) not serve "
                                                  f"{PRODUCT_TYPE_NAMES.get(tariff.product_type)}"})
            before = sorted(session.scalars(select(TariffModule.module_id).where(TariffModule.tariff_id == tariff_id)))
            session.execute(delete(TariffModule).where(TariffModule.tariff_id == tariff_id,
                                                       TariffModule.module_id.not_in(wanted)))
            session.add_all(TariffModule(tariff_id=tariff_id, module_id=m) for m in wanted if m not in before)
            session.flush()
            self._audit(session, "relink", "tariff", tariff_id, f"Linked modules of {tariff.name}",
                        before={"module_ids": before}, after={"module_ids": wanted})

    @entry_point(refuses=(ReadOnly,))
    def set_tariff_status(self, tariff_id: int, status: TariffStatus) -> None:
        self._writable()
        with self._db.write() as session:
            tariff = session.scalars(select(Tariff).where(Tariff.id == tariff_id).with_for_update()).one_or_none()
            if tariff is None:
                raise NotFound(f"Tariff plan #{tariff_id} no longer exists.")
            if tariff.status is status:
                return
            if status is TariffStatus.ACTIVE:
                linked = session.scalar(select(func.count()).where(TariffModule.tariff_id == tariff_id))
                if not linked:
                    raise ValidationError({"status": "Link a processing module (Modules) before enabling"})
            before, tariff.status = tariff.status, status
            self._audit(session, "tariff_status", "tariff", tariff_id, f"{tariff.name}: {before.label} → {status.label}",
                        before={"status": before.value}, after={"status": status.value})

    # ------------------------------------------------------------ background task schedules

    @entry_point(refuses=(ReadOnly,))
    def set_task_schedule(self, task_id: int, schedule: str, enabled: bool) -> None:
        self._writable()
        schedule = validate_cron(schedule)
        with self._db.write() as session:
            task = session.get(BackgroundTask, task_id)
            if task is None:
                raise NotFound(f"Background task #{task_id} no longer exists.")
            before = {"schedule": task.schedule, "enabled": task.enabled}
            task.schedule, task.enabled = schedule, enabled
            if before != {"schedule": schedule, "enabled": enabled}:
                task.disabled_reason = None  # the operator's schedule replaces the scheduler's verdict
                tz = session.scalar(select(ProcessingModule.timezone).where(ProcessingModule.id == task.module_id))
                try:
                    task.next_run_at = next_fire_time(schedule, self._clock.now(), tz or "UTC")
                except ScheduleNeverRuns as never:
                    raise ValidationError({"schedule": str(never)}) from None
            if before != {"schedule": schedule, "enabled": enabled}:
                self._audit(session, "schedule", "background_task", task_id, f"Schedule of {task.name}",
                            before=before, after={"schedule": schedule, "enabled": enabled})


def validate_cron(schedule: Any) -> str:
    """A five-field cron expression, or ValidationError with croniter's reason."""
    text, error = check_text(schedule, label="Schedule", required=True, max_length=100)
    if error:
        raise ValidationError({"schedule": error})
    normalized = " ".join(text.split())
    if len(normalized.split(" ")) != 5:
        raise ValidationError({"schedule": "Schedule needs five fields: minute hour day month weekday"})
    try:
        croniter(normalized)
    except (ValueError, KeyError) as exc:
        raise ValidationError({"schedule": f"Invalid cron expression: {exc}"}) from None
    try:  # valid syntax that never fires (30 February) is refused too: nothing could ever run it
        check_fires(normalized, datetime.now(timezone.utc))
    except ScheduleNeverRuns:
        raise ValidationError({"schedule": NEVER_RUNS[0].upper() + NEVER_RUNS[1:]}) from None
    except (ValueError, KeyError) as exc:  # croniter accepts the expression but cannot walk it
        raise ValidationError({"schedule": f"Invalid cron expression: {exc}"}) from None
    return normalized


def next_run_times(schedule: str, after: datetime, count: int = 3, tz: str = "UTC") -> list[datetime]:
    """The next fire times of a schedule in a module's time zone, returned in UTC."""
    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError({"timezone": f"Unknown time zone {tz!r}"}) from None
    schedule = validate_cron(schedule)
    times, moment = [], after
    try:
        for _ in range(count):
            moment = next_fire_time(schedule, moment, zone.key)
            times.append(moment.astimezone(after.tzinfo))
    except ScheduleNeverRuns as never:
        raise ValidationError({"schedule": str(never)}) from None
    return times


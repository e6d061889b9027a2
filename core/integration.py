"""Where modules meet their drivers: build a driver from a saved module (or the wizard's values), run the
operation, and store what it returns — health, balance, configuration, drift — with every API call in
the module's call log. The scheduler's task bodies live here too.

Drivers never touch the database; this module is the only place that hands them decrypted secrets.

A scheduled run hands its `RunGuard`: the driver then stops calling the panel once the run's deadline
passed or its lease is lost, and every write of the run (call log, health, balance, notifications) goes
in one transaction that first checks the run still holds its claim, or is dropped. Health and balance are
written with plain UPDATEs of their columns: they are readings, not edits, so the module's edit version
(the edit form's optimistic lock) does not move.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from procmod.core.arguments import DRIVER_SETTINGS, MODULE_TYPE, InstanceOf, entry_point
from procmod.core.clock import Clock
from procmod.core.dto import ApiCallRow, Page, PageRequest
from procmod.core.lifecycle import CheckOutcome, Commands
from procmod.core.queries import NotFound, _count_of, _paged
from procmod.core.scheduler import Claim, RunGuard, RunLost, TaskOutcome
from procmod.core.secrets import SecretBox, SecretsUnavailable
from procmod.storage.engine import Database
from procmod.storage.models import ApiCall, Notification, ProcessingModule

log = logging.getLogger("procmod.integration")

if TYPE_CHECKING:  # the drivers (httpx) load on first use: the console's first screen never needs them
    from procmod.core.drivers import Balance, CallRecord, CheckReport, ConfigPlan, DriverConfig
    from procmod.core.reconciliation import ReportSummary

log = logging.getLogger("procmod.integration")

#: The drivers' typed failure, named for the entry points' documented refusals (drivers load on first use).
DRIVER_ERROR = "procmod.core.drivers.DriverError"

#: Rows of call log kept per module (older ones are pruned when new calls are written).
CALL_LOG_KEEP = 500


@dataclass(frozen=True)
class PanelRead:
    """What a paged read of a panel got: its objects, and what it could not read (None: all of it)."""

    objects: list[Any]  # RemoteService
    incomplete: str | None
    pages: int


def _driver_for(config: DriverConfig):  # noqa: ANN202
    from procmod.core.drivers import driver_for

    return driver_for(config)


def add_calls(session: Any, module_id: int, calls: list[CallRecord], job_id: int | None = None) -> None:
    """Write calls into the module's call log in the caller's transaction, pruning the oldest beyond the
    log's size (a job writes them in the transaction that checks its claim)."""
    if not calls:
        return
    session.add_all(
        ApiCall(module_id=module_id, at=c.at, operation=c.operation[:50], method=c.method[:10],
                url=c.url[:1000], status=c.status, duration_ms=c.duration_ms,
                error=(c.error or None) and c.error[:1000], job_id=job_id)
        for c in calls
    )
    session.flush()
    cutoff = session.scalar(
        select(ApiCall.id).where(ApiCall.module_id == module_id)
        .order_by(ApiCall.id.desc()).offset(CALL_LOG_KEEP).limit(1))
    if cutoff is not None:
        session.execute(delete(ApiCall).where(ApiCall.module_id == module_id, ApiCall.id <= cutoff))


class Integrations:
    """Driver operations on saved modules. `driver_options` tune every DriverConfig (tests: short timeouts)."""

    def __init__(self, db: Database, clock: Clock, secrets: SecretBox, commands: Commands, *,
                 driver_options: Mapping[str, Any] | None = None) -> None:
        self._db, self._clock, self._secrets, self._commands = db, clock, secrets, commands
        self._options = dict(driver_options or {})

    # ------------------------------------------------------------------ configs

    @entry_point(type_key=MODULE_TYPE, settings=DRIVER_SETTINGS, secrets=DRIVER_SETTINGS)
    def config_for_values(self, type_key: str, settings: Mapping[str, Any], secrets: Mapping[str, Any],
                          recorder: Any = None) -> DriverConfig:
        from procmod.core.drivers import DriverConfig

        return DriverConfig(
            module_type=type_key, settings=dict(settings), secrets={k: str(v) for k, v in secrets.items() if v},
            ca_bundle=settings.get("ca_bundle") or None, base_url=settings.get("api_url") or None,
            recorder=recorder, clock=self._clock, **self._options,
        )

    def module_config(self, module_id: int, calls: list[CallRecord]) -> DriverConfig:
        """The driver config of a saved module, its secrets opened, recording its calls into `calls`."""
        return self._module_config(module_id, calls)

    def _module_config(self, module_id: int, calls: list[CallRecord], guard: RunGuard | None = None
                       ) -> DriverConfig:
        if guard is not None:
            guard.check()  # a run already lost (paused past its lease) does not even open the connection
        config = self._saved_module_config(module_id, calls)
        if guard is None:
            return config
        from procmod.core.drivers import Timeout

        def before_call() -> None:
            problem = guard.problem()
            if problem is not None:
                raise Timeout(f"The run stopped calling the panel: {problem}.")

        pause = config.sleeper

        def sleeper(seconds: float) -> None:  # a retry's pause or a task poll's ends with the run
            before_call()
            pause(seconds)
            before_call()

        return config.with_changes(before_call=before_call, sleeper=sleeper)

    def _saved_module_config(self, module_id: int, calls: list[CallRecord]) -> DriverConfig:
        with self._db.reads() as session:
            module = session.get(ProcessingModule, module_id)
            if module is None:
                raise NotFound(f"Processing module #{module_id} no longer exists.")
            try:
                secrets = self._secrets.open(module.secrets)
            except SecretsUnavailable as exc:
                from procmod.core.drivers import DriverError

                raise DriverError(str(exc), hint="") from None
            return self.config_for_values(module.module_type, module.settings, secrets, calls.append)

    @contextmanager
    def _fenced(self, guard: RunGuard | None, what: str) -> Iterator[Session | None]:
        """A write transaction for a run's side effects, or None (they are dropped) when the run no longer
        holds its claim; without a guard (an operator's own check), always the transaction."""
        with self._db.write() as session:
            if guard is not None and not guard.holds(session):
                log.warning("run %s lost its claim: its %s are dropped", guard.run_id, what)
                yield None
            else:
                yield session

    def _save_calls(self, module_id: int, calls: list[CallRecord], guard: RunGuard | None = None) -> None:
        if not calls:
            return
        with self._fenced(guard, f"{len(calls)} call log row(s)") as session:
            if session is not None:
                add_calls(session, module_id, calls)

    # ------------------------------------------------------------------ connection check

    @entry_point(network=True, refuses=(DRIVER_ERROR,), type_key=MODULE_TYPE, settings=DRIVER_SETTINGS,
                 secrets=DRIVER_SETTINGS)
    def check_values(self, type_key: str, settings: Mapping[str, Any], secrets: Mapping[str, Any]) -> CheckOutcome:
        """The wizard's Finish check (the lifecycle's ConnectionChecker): nothing is stored."""
        with _driver_for(self.config_for_values(type_key, settings, secrets)) as driver:
            report = driver.check_connection()
        failed = report.failed_stage
        return CheckOutcome(report.ok, report.summary if failed is None else failed.message,
                            failed.stage.value if failed else "")

    @entry_point(network=True, refuses=(DRIVER_ERROR,))
    def check_module(self, module_id: int, guard: RunGuard | None = None) -> CheckReport:
        """Staged check of a saved module; its outcome becomes the module's health badge (a reading: the
        module's edit version does not move). A run's guard fences the call log and the badge."""
        from procmod.core.redaction import scrub_text

        calls: list[CallRecord] = []
        config = self._module_config(module_id, calls, guard)
        with _driver_for(config) as driver:
            report = driver.check_connection()
        with self._fenced(guard, "call log and health") as session:
            if session is not None:
                add_calls(session, module_id, calls)
                session.execute(update(ProcessingModule).where(ProcessingModule.id == module_id).values(
                    health_ok=report.ok, health_summary=scrub_text(report.summary, config.secret_values)[:500],
                    health_checked_at=self._clock.now()).execution_options(synchronize_session=False))
        return report

    # ------------------------------------------------------------------ configuration

    @entry_point(network=True, refuses=(DRIVER_ERROR,))
    def plan_configuration(self, module_id: int) -> ConfigPlan:
        """What Update configuration would change; nothing is written but the call log."""
        calls: list[CallRecord] = []
        try:
            with _driver_for(self._module_config(module_id, calls)) as driver:
                return driver.update_configuration()
        finally:
            self._save_calls(module_id, calls)

    @entry_point(refuses=("procmod.core.lifecycle.ReadOnly", "procmod.core.lifecycle.Conflict"),
                 plan=InstanceOf("procmod.core.drivers.ConfigPlan"))
    def apply_configuration(self, module_id: int, plan: ConfigPlan) -> int:
        """Apply a reviewed plan through the validated, audited edit path; safe to repeat."""
        form = self._commands.edit_form(module_id)
        if plan.is_empty:
            return form.version
        settings = plan.apply(form.params.settings)
        params = type(form.params)(**{**form.params.__dict__, "settings": settings})
        return self._commands.update_module(module_id, form.version, params)

    # ------------------------------------------------------------------ balance

    @entry_point(network=True, refuses=(DRIVER_ERROR,))
    def read_balance(self, module_id: int, guard: RunGuard | None = None) -> Balance | None:
        """The panel's balance, stored on the module (a reading: its edit version does not move), with a
        low-balance notification; a run's guard fences all of it with the call log."""
        calls: list[CallRecord] = []
        try:
            with _driver_for(self._module_config(module_id, calls, guard)) as driver:
                balance = driver.read_balance()
        except BaseException:
            self._save_calls(module_id, calls, guard)
            raise
        now = self._clock.now()
        with self._fenced(guard, "call log and balance") as session:
            if session is None:
                return balance
            add_calls(session, module_id, calls)
            if balance is None:
                return None
            row = session.execute(select(ProcessingModule.name, ProcessingModule.minimal_balance)
                                  .where(ProcessingModule.id == module_id)).one_or_none()
            if row is None:
                return balance
            session.execute(update(ProcessingModule).where(ProcessingModule.id == module_id).values(
                balance=balance.amount, balance_currency=balance.currency, balance_read_at=now,
            ).execution_options(synchronize_session=False))
            name, minimal = row
            if minimal is not None and balance.amount < minimal:
                self._raise_low_balance(session, module_id, name, minimal, balance, now)
        return balance

    @staticmethod
    def _raise_low_balance(session: Any, module_id: int, name: str, minimal: Any, balance: Balance,
                           now: datetime) -> None:
        text = (f"Balance {balance.amount} {balance.currency} is below the minimal balance "
                f"{minimal} {balance.currency}")
        open_one = session.scalars(select(Notification).where(
            Notification.module_id == module_id, Notification.kind == "low_balance",
            Notification.read_at.is_(None))).first()
        if open_one is not None:
            open_one.description, open_one.created_at = text, now
            open_one.occurrences += 1
        else:
            session.add(Notification(module_id=module_id, kind="low_balance", description=text, created_at=now,
                                     read_at=None))

    # ------------------------------------------------------------------ service sync

    def read_panel(self, module_id: int, guard: RunGuard | None = None,
                   progress: Any = None, page_size: int | None = None) -> PanelRead:
        """The panel's services, a page at a time (`Driver.iter_remote_services`), with the call log saved
        (fenced by a run's guard). A page that fails after others were read makes the read incomplete (the
        reason says how far it got); a first page that fails raises its DriverError."""
        from procmod.core.drivers import DriverError

        calls: list[CallRecord] = []
        objects: list[Any] = []
        pages = 0
        incomplete: str | None = None
        try:
            with _driver_for(self._module_config(module_id, calls, guard)) as driver:
                try:
                    size = page_size or getattr(driver.config, "page_size", 500)
                    for page in driver.iter_remote_services(size):
                        objects.extend(page)
                        pages += 1
                        if progress is not None:
                            progress(len(objects))
                except DriverError as error:
                    if not pages:
                        raise
                    incomplete = (f"page {pages + 1} of the panel's list failed after {len(objects):,} "
                                  f"object(s) were read: {error}")
        finally:
            self._save_calls(module_id, calls, guard)
        return PanelRead(objects, incomplete, pages)

    @entry_point(network=True, refuses=(DRIVER_ERROR,))
    def sync_services(self, module_id: int, guard: RunGuard | None = None) -> ReportSummary:
        """The scheduled "Service sync": reconcile the module with its panel and store the report as its
        latest (started by "schedule"); drift raises a notification saying what drifts. A run that lost its
        claim writes nothing."""
        from procmod.core.reconciliation import Reconciliation

        def notify(session: Session, summary: ReportSummary) -> None:
            if summary.drift:
                session.add(Notification(module_id=module_id, kind="sync_drift",
                                         description=f"Service sync: {summary.summary}"[:500],
                                         created_at=self._clock.now(), read_at=None))

        reconciliation = Reconciliation(self._db, self._clock, "schedule", self, lambda: None)  # type: ignore[arg-type,return-value]
        return reconciliation.reconcile_fenced(module_id, guard=guard, started_by="schedule", also=notify)[0]

    # ------------------------------------------------------------------ call log

    def call_log(self, module_id: int, page: PageRequest = PageRequest(limit=100)) -> Page[ApiCallRow]:
        criteria = [ApiCall.module_id == module_id]
        query = select(ApiCall.id, ApiCall.at, ApiCall.operation, ApiCall.method, ApiCall.url, ApiCall.status,
                       ApiCall.duration_ms, ApiCall.error).where(*criteria)
        with self._db.reads() as session:
            return _paged(session, query, _count_of(*criteria, model=ApiCall),
                          replace(page, sort="at", descending=True), {"at": ApiCall.at}, "at",
                          ApiCall.id, lambda r: ApiCallRow(*r))

    # ------------------------------------------------------------------ the scheduler's task bodies

    def run_task(self, claim: Claim, deadline: datetime) -> TaskOutcome:
        """The body of every background task: a typed driver failure is an Unsuccessful run, with its message."""
        from procmod.core.drivers import DriverError

        guard = claim.guard
        try:
            if claim.kind == "check_connection":
                report = self.check_module(claim.module_id, guard)
                return TaskOutcome(report.ok, report.summary)
            if claim.kind == "read_balance":
                balance = self.read_balance(claim.module_id, guard)
                if balance is None:
                    return TaskOutcome(True, "This module type reports no balance")
                return TaskOutcome(True, f"Balance {balance.amount} {balance.currency}")
            if claim.kind == "sync_services":
                report = self.sync_services(claim.module_id, guard)
                if not report.drift:
                    return TaskOutcome(True, f"In sync: {report.remote_total} service(s) on the panel match "
                                             "the billing")
                return TaskOutcome(True, f"Drift: {report.summary}")
            return TaskOutcome(False, f"Unknown task kind {claim.kind!r}")
        except DriverError as error:
            # The message the run record keeps (secrets already masked by the driver), for the log file.
            log.warning("%s of module %s failed: %s", claim.kind, claim.module_id, error)
            return TaskOutcome(False, str(error))
        except NotFound as gone:
            return TaskOutcome(False, str(gone))
        except RunLost as lost:
            return TaskOutcome(False, str(lost))


"""The scheduler of background tasks: one implementation for the console's worker and `procmod worker`.

Exactly once, across any number of workers sharing a database:
- a due run is *claimed* in one write transaction: the task row is taken (`FOR UPDATE SKIP LOCKED` on
  PostgreSQL; `BEGIN IMMEDIATE` serializes claimers on SQLite), a `task_run` row is inserted under the
  unique key (task, scheduled time) and the task's next fire time is advanced. A partial unique index
  allows one run in progress per task;
- the claim carries a random token and a lease; a heartbeat extends the lease while the body runs, and
  the final write only lands if the token still matches and the run is still in progress. A worker
  paused past its lease finds its run taken over (Interrupted by the reaper) and its late result refused;
- every side effect of a run (call log, health, balance, notifications) is written in a transaction that
  locks the run's row and checks its token, lease and state (`RunGuard.holds`), or dropped; a run stops
  calling the panel once its deadline passed or its lease is lost (`RunGuard.check`, before every call);
- a claim holds the module's row (FOR KEY SHARE on PostgreSQL; BEGIN IMMEDIATE on SQLite) until its runs
  are recorded, and a module's delete locks that row before it looks for runs in progress: one of the two
  waits for the other, so a module with a claimed run is never deleted;
- a run whose lease expired while in progress becomes Interrupted with the reason, and is retried once,
  `retry_backoff` (a quarter of the lease, at most 30 s) after it was found, as a run recorded with
  `retry_of` (a retry is not retried again).
  After downtime the missed fire times give one catch-up run that counts them;
- a stored schedule that never fires (30 February) disables its task with the reason and a notification;
  the other tasks keep running.
Due-ness is judged by the injected clock; in production that is the database's clock (`DatabaseClock`),
in tests a fake one. Nothing here sleeps except `serve`, between ticks.

What a run costs the database (no-op bodies, PostgreSQL): a claim of a batch is a walk of the due index
that stops after the batch, one SELECT … FOR KEY SHARE of its modules, one INSERT of its runs and one
executemany UPDATE of its tasks, one commit;
a result is one autocommitted UPDATE. That last commit, a WAL flush per run, is most of the cost: a
caller holding several results records them with `finish_many`, one commit for the lot.
"""

from __future__ import annotations

import functools
import logging
import secrets as token_source
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import Protocol

from sqlalchemy import (
    DateTime,
    Integer,
    Select,
    String,
    bindparam,
    case,
    exists,
    func,
    literal,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import Executable
from sqlalchemy.sql.selectable import ScalarSelect

from procmod.core.arguments import entry_point
from procmod.core.clock import Clock
from procmod.core.schedule import ScheduleNeverRuns, fire_times_between, next_fire_time
from procmod.storage.engine import Database
from procmod.storage.enums import ModuleStatus, RunResult
from procmod.storage.models import BackgroundTask, Notification, ProcessingModule, TaskRun

log = logging.getLogger("procmod.scheduler")

DEFAULT_LEASE = timedelta(seconds=120)
DEFAULT_DEADLINE = timedelta(seconds=90)
#: An interrupted run's retry comes a quarter of the lease after the reaper found its lease expired, and
#: at most this long after.
MAX_RETRY_BACKOFF = timedelta(seconds=30)
#: Missed fire times are counted up to this many (a week of a */15 task fits; beyond, "1000+").
MISSED_COUNT_LIMIT = 1000


def _last_finished_result() -> ScalarSelect:
    """The task's last finished (successful or unsuccessful) result, correlated to `BackgroundTask`."""
    return (
        select(TaskRun.result)
        .where(TaskRun.task_id == BackgroundTask.id,
               or_(TaskRun.result == RunResult.SUCCESSFUL, TaskRun.result == RunResult.UNSUCCESSFUL))
        .order_by(TaskRun.started_at.desc(), TaskRun.id.desc())
        .limit(1)
        .scalar_subquery()
    )


def _due_tasks(dialect: str) -> Select:
    """The first `limit` tasks due at `now` of enabled modules, in (next fire time, id) order, with what a
    claim needs.

    One walk of the due index (enabled, next_run_at, id) that stops after `limit` rows, however many tasks
    are due and whatever statistics the planner has: every condition past the index is a per-row subquery
    (kept as a filter on the walk; an EXISTS would be pulled up into a join the planner may sort around),
    and the module's name and time zone, whether a run is in progress and the last finished result come
    with the row as per-row subqueries on the primary key and the runs' indexes.
    """
    of_module = ProcessingModule.id == BackgroundTask.module_id
    module_enabled = select(ProcessingModule.status == ModuleStatus.ENABLED).where(of_module).scalar_subquery()
    running = exists().where(TaskRun.task_id == BackgroundTask.id, TaskRun.result == RunResult.IN_PROGRESS)
    query = (
        select(BackgroundTask.id, BackgroundTask.module_id, BackgroundTask.kind, BackgroundTask.name,
               BackgroundTask.schedule, BackgroundTask.next_run_at,
               select(ProcessingModule.name).where(of_module).scalar_subquery(),
               select(ProcessingModule.timezone).where(of_module).scalar_subquery(),
               running, _last_finished_result(), BackgroundTask.retry_pending)
        .where(BackgroundTask.enabled.is_(True), BackgroundTask.next_run_at <= bindparam("now"), module_enabled)
        .order_by(BackgroundTask.next_run_at, BackgroundTask.id)
        .limit(bindparam("limit", type_=Integer))
    )
    if dialect == "postgresql":  # claimers pass each other's rows by; SQLite's BEGIN IMMEDIATE serializes them
        query = query.with_for_update(of=BackgroundTask, skip_locked=True)
    return query


# A run's hot path builds no SQL: these statements are built once, and they are Core statements on the
# tables, so the ORM has no session state to synchronize.
_DUE_TASKS = {dialect: _due_tasks(dialect) for dialect in ("postgresql", "sqlite")}
_runs, _tasks = TaskRun.__table__, BackgroundTask.__table__
#: The runs of a batch in one statement; a fire someone recorded already (the unique key) or a second run
#: in progress (the partial unique index) is left out rather than failing the batch: RETURNING says which
#: went in. PostgreSQL takes the batch as arrays: one statement text whatever the batch size, so it is
#: converted and prepared once (as VALUES rows, 25 runs were 250 parameters, re-parsed on every claim).
_planned = func.unnest(
    bindparam("task_ids", type_=postgresql.ARRAY(Integer)),
    bindparam("fire_times", type_=postgresql.ARRAY(DateTime(timezone=True))),
    bindparam("claim_tokens", type_=postgresql.ARRAY(String)),
    bindparam("missed", type_=postgresql.ARRAY(Integer)),
    bindparam("retry_of", type_=postgresql.ARRAY(Integer)),
).table_valued("task_id", "scheduled_for", "claim_token", "missed_runs", "retry_of").render_derived(name="planned")
_INSERT_RUNS = {
    "postgresql": postgresql.insert(_runs).from_select(
        ["task_id", "scheduled_for", "claim_token", "missed_runs", "retry_of", "started_at", "result", "lease_until",
         "worker"],
        select(_planned.c.task_id, _planned.c.scheduled_for, _planned.c.claim_token, _planned.c.missed_runs,
               _planned.c.retry_of,
               bindparam("started_at", type_=_runs.c.started_at.type),
               literal(RunResult.IN_PROGRESS, _runs.c.result.type),
               bindparam("lease_until", type_=_runs.c.lease_until.type),
               bindparam("worker", type_=_runs.c.worker.type)),
    ).on_conflict_do_nothing().returning(_runs.c.id, _runs.c.task_id),
    "sqlite": sqlite.insert(_runs).on_conflict_do_nothing().returning(_runs.c.id, _runs.c.task_id),
}
_MOVE_NEXT_RUN = (update(_tasks).where(_tasks.c.id == bindparam("task"))
                  .values(next_run_at=bindparam("next_run"), retry_pending=None))
#: The modules of a batch, held until the claim commits: a module's delete (FOR UPDATE) then waits for the
#: claim and sees its runs, or the claim skips a module being deleted. KEY SHARE does not block the health
#: and balance writes (no key changes), and claims of two tasks of one module share it.
_HOLD_MODULES = (select(ProcessingModule.id).where(ProcessingModule.id.in_(bindparam("modules", expanding=True)))
                 .with_for_update(read=True, key_share=True, skip_locked=True))
_FINISH_RUN = (
    update(_runs)
    .where(_runs.c.id == bindparam("run"), _runs.c.claim_token == bindparam("token"),
           _runs.c.result == RunResult.IN_PROGRESS)
    .values(result=bindparam("outcome", type_=_runs.c.result.type), finished_at=bindparam("at"),
            message=bindparam("text"), lease_until=None)
)
_EXTEND_LEASE = (
    update(_runs)
    .where(_runs.c.id == bindparam("run"), _runs.c.claim_token == bindparam("token"),
           _runs.c.result == RunResult.IN_PROGRESS)
    .values(lease_until=bindparam("until"))
)
#: Tasks due at one instant mostly share their schedule and time zone (every */15 check of UTC modules):
#: their next fire time is one computation, not one croniter walk per task.
_next_fire_time = functools.lru_cache(maxsize=1024)(next_fire_time)


class DatabaseClock:
    """Now, as the database sees it: workers on several hosts agree on due-ness without NTP trust."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def now(self) -> datetime:
        with self._db.engine.connect() as connection:
            if connection.dialect.name == "postgresql":
                value = connection.execute(text("SELECT clock_timestamp()")).scalar_one()
            else:
                value = connection.execute(text("SELECT strftime('%Y-%m-%d %H:%M:%f', 'now')")).scalar_one()
                value = datetime.fromisoformat(value).replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


@dataclass(frozen=True)
class Claim:
    run_id: int
    task_id: int
    module_id: int
    kind: str
    task_name: str
    module_name: str
    scheduled_for: datetime
    token: str
    missed_runs: int
    #: The task's last finished result when it was claimed (runs of a task never overlap, so it still is
    #: when this run finishes): decides streak and recovery notifications without another query.
    previous_result: RunResult | None = None
    #: The interrupted run this one retries (None for a run of the schedule).
    retry_of: int | None = None
    #: While the run executes: its fence (side effects are written only while the claim holds).
    guard: RunGuard | None = field(default=None, compare=False, repr=False)
    #: When it was claimed, on this host's monotonic clock: where the lease starts for the run's guard.
    claimed_at: float = field(default_factory=time.monotonic, compare=False, repr=False)


class RunLost(Exception):
    """The run's deadline passed or its lease is lost: it must not call the panel or write anything more."""


class RunGuard:
    """The fence of one executing run, handed to its body with the claim.

    `check()` (before every call to the panel) raises RunLost once the deadline passed, the lease ran out on
    this host's monotonic clock (it keeps counting while the process is paused), or a heartbeat found the
    run taken over. `holds(session)`, inside the transaction that writes a side effect, locks the run's row
    and says whether the token still matches, the run is still in progress and its lease not over: the
    reaper cannot take the run over between that check and the commit.
    """

    def __init__(self, claim: Claim, clock: Clock, deadline: datetime, lease: timedelta,
                 run_seconds: float) -> None:
        self.run_id, self.token, self._clock, self.deadline = claim.run_id, claim.token, clock, deadline
        self._lease_seconds = lease.total_seconds()
        self._deadline_at = time.monotonic() + run_seconds
        self._lease_ends = claim.claimed_at + self._lease_seconds
        self._lost = threading.Event()

    def renewed(self, asked: float) -> None:
        """A heartbeat asked at `asked` (monotonic) extended the lease: counted from then, this host's view
        of the lease ends no later than the database's."""
        self._lease_ends = asked + self._lease_seconds

    def lose(self) -> None:
        self._lost.set()

    def problem(self) -> str | None:
        """Why the run may not go on, or None while it may."""
        if self._lost.is_set():
            return "its claim was taken over (lease expired)"
        moment = time.monotonic()
        if moment > self._lease_ends:
            return "its lease expired"
        if moment > self._deadline_at or self._clock.now() > self.deadline:
            return "its deadline passed"
        return None

    def check(self) -> None:
        problem = self.problem()
        if problem is not None:
            raise RunLost(f"Run {self.run_id} stopped calling the panel: {problem}")

    def holds(self, session: Session) -> bool:
        """In a write transaction: lock the run's row; whether its side effects may still be written."""
        if self._lost.is_set():
            return False
        held = session.execute(
            select(TaskRun.id).where(TaskRun.id == self.run_id, TaskRun.claim_token == self.token,
                                     TaskRun.result == RunResult.IN_PROGRESS,
                                     TaskRun.lease_until >= self._clock.now())
            .with_for_update()).first() is not None
        if not held:
            self._lost.set()
        return held


@dataclass(frozen=True)
class TaskOutcome:
    ok: bool
    message: str


class TaskBody(Protocol):
    """What a run does (check connection, sync services, read balance): given the claim and a deadline."""

    def __call__(self, claim: Claim, deadline: datetime) -> TaskOutcome: ...


@dataclass(frozen=True)
class SchedulerEvent:
    """Posted to listeners (the console's notifications pane, the worker's log)."""

    kind: str  # "run_started" | "run_finished" | "run_interrupted" | "late_result_rejected" | "notification"
    #          | "task_disabled"
    task_id: int
    module_id: int
    run_id: int | None = None
    result: RunResult | None = None
    message: str = ""


Listener = Callable[[SchedulerEvent], None]


@dataclass
class TickReport:
    claimed: list[Claim] = field(default_factory=list)
    interrupted: int = 0
    next_due: datetime | None = None


class Scheduler:
    def __init__(self, db: Database, clock: Clock, body: TaskBody, *, worker_id: str, concurrency: int = 4,
                 lease: timedelta = DEFAULT_LEASE, deadline: timedelta = DEFAULT_DEADLINE,
                 listener: Listener | None = None, claim_batch: int = 50,
                 retry_backoff: timedelta | None = None) -> None:
        if deadline >= lease:
            raise ValueError("a run's deadline must be shorter than its lease")
        self.retry_backoff = retry_backoff if retry_backoff is not None else min(MAX_RETRY_BACKOFF, lease / 4)
        self._db, self._clock, self._body = db, clock, body
        self.worker_id = worker_id
        self.concurrency = concurrency
        self.lease, self.deadline = lease, deadline
        self._listener = listener or (lambda event: None)
        self._claim_batch = claim_batch
        self._executor: ThreadPoolExecutor | None = None
        self._in_flight: dict[int, Future[None]] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        # A write that is one statement (a heartbeat; the final write of a run that raises no notification)
        # commits on its own on PostgreSQL: no BEGIN and COMMIT round trips around it. SQLite's writers keep
        # BEGIN IMMEDIATE, and a local file has no round trips to save.
        self._one_statement_writes = (db.engine.execution_options(isolation_level="AUTOCOMMIT")
                                      if db.dialect == "postgresql" else None)

    # ------------------------------------------------------------------ the tick

    def tick(self, *, run_inline: bool = False) -> TickReport:
        """Reap expired leases, claim what is due (up to free slots), start it. Cheap when nothing is due."""
        report = TickReport()
        now = self._clock.now()
        report.interrupted = self.reap_expired(now)
        self._forget_finished()
        free = self.concurrency - len(self._in_flight)
        due = self.next_due()
        if free > 0 and due is not None and due <= now and not self._stopping.is_set():
            report.claimed = self.claim_due(now, limit=min(free, self._claim_batch))
            for claim in report.claimed:
                if run_inline:
                    self.execute(claim)
                else:
                    self._submit(claim)
        report.next_due = self.next_due()
        return report

    def next_due(self) -> datetime | None:
        """The earliest next fire time of an enabled task (an index lookup, whatever the task count)."""
        with self._db.sessions() as session:
            return session.scalar(select(func.min(BackgroundTask.next_run_at)).where(BackgroundTask.enabled.is_(True)))

    def schedule_unscheduled(self, now: datetime | None = None) -> int:
        """Give tasks without a next fire time one (new tasks, edited schedules); no catch-up for them."""
        now = now or self._clock.now()
        count = 0
        with self._db.write() as session:
            rows = session.execute(
                select(BackgroundTask, ProcessingModule.timezone)
                .join(ProcessingModule, ProcessingModule.id == BackgroundTask.module_id)
                .where(BackgroundTask.next_run_at.is_(None), BackgroundTask.disabled_reason.is_(None)).limit(5000)
            ).all()
            disabled = []
            for task, tz in rows:
                try:
                    task.next_run_at = next_fire_time(task.schedule, now, tz)
                except ScheduleNeverRuns:
                    disabled.append((task.id, task.module_id, task.name, task.schedule))
                    continue
                count += 1
            for task_id, module_id, name, schedule in disabled:
                self._disable_never_running(session, task_id, module_id, name, schedule, now)
        return count

    def claim_due(self, now: datetime, limit: int) -> list[Claim]:
        """Claim up to `limit` due runs in one write transaction: a select, an insert, an update."""
        with self._db.write() as session:
            rows = session.execute(_DUE_TASKS[session.bind.dialect.name], {"now": now, "limit": limit}).all()
            claims = self._claim_rows(session, rows, now) if rows else []
        for claim in claims:
            self._listener(SchedulerEvent("run_started", claim.task_id, claim.module_id, claim.run_id,
                                          RunResult.IN_PROGRESS, f"{claim.task_name} started"))
        return claims

    def _claim_rows(self, session: Session, rows: list, now: datetime) -> list[Claim]:  # noqa: ANN001
        """Insert the runs of a batch of due tasks at once and move each task's next fire time on."""
        planned: dict[int, tuple[Claim, datetime]] = {}  # task id -> (its claim, run id still 0; next fire time)
        runs = []
        if session.bind.dialect.name == "postgresql":  # SQLite: BEGIN IMMEDIATE holds the whole database
            held = set(session.scalars(_HOLD_MODULES, {"modules": sorted({row[1] for row in rows})}))
            rows = [row for row in rows if row[1] in held]  # a module being deleted (or edited) waits
        for (task_id, module_id, kind, name, schedule, scheduled_for, module_name, tz, running, previous,
             retry_of) in rows:
            if running:
                continue  # at most one run at a time: the fire waits, and is counted when it runs
            try:
                following = _next_fire_time(schedule, scheduled_for, tz)
                if following > now:  # on time: one walk of the schedule gives the next fire time
                    missed = 0
                else:  # after downtime: one catch-up run that counts the fire times it stands for
                    missed = 1 + fire_times_between(schedule, following, now, tz, limit=MISSED_COUNT_LIMIT - 1)
                    following = _next_fire_time(schedule, now, tz)
            except ScheduleNeverRuns:  # stored before validation refused it: the task stops, the rest go on
                self._disable_never_running(session, task_id, module_id, name, schedule, now, module_name)
                continue
            token = token_source.token_hex(16)
            planned[task_id] = (Claim(0, task_id, module_id, kind, name, module_name, scheduled_for, token, missed,
                                      RunResult(previous) if previous is not None else None, retry_of), following)
            runs.append({"task_id": task_id, "scheduled_for": scheduled_for, "claim_token": token,
                         "missed_runs": missed, "retry_of": retry_of})
        if not runs:
            return []
        shared = {"started_at": now, "lease_until": now + self.lease, "worker": self.worker_id}
        if session.bind.dialect.name == "postgresql":
            inserted = session.execute(_INSERT_RUNS["postgresql"], {
                "task_ids": [run["task_id"] for run in runs], "fire_times": [run["scheduled_for"] for run in runs],
                "claim_tokens": [run["claim_token"] for run in runs], "missed": [run["missed_runs"] for run in runs],
                "retry_of": [run["retry_of"] for run in runs], **shared})
        else:
            inserted = session.execute(_INSERT_RUNS["sqlite"], [{**run, **shared, "result": RunResult.IN_PROGRESS}
                                                                 for run in runs])
        run_ids = {task_id: run_id for run_id, task_id in inserted}
        moved = list(run_ids)
        if len(run_ids) < len(planned):
            # Left out by a unique index: a run started since the select (it waits, as above), or this very
            # fire recorded already (Run now at the same instant): that fire is done, so the task moves on.
            left_out = [runs[i] for i, task_id in enumerate(planned) if task_id not in run_ids]
            moved += [run["task_id"] for run in left_out if session.scalar(
                select(TaskRun.id).where(TaskRun.task_id == run["task_id"],
                                         TaskRun.scheduled_for == run["scheduled_for"]))]
        if moved:
            session.execute(_MOVE_NEXT_RUN, [{"task": task_id, "next_run": planned[task_id][1]} for task_id in moved])
        return [replace(claim, run_id=run_ids[task_id]) for task_id, (claim, _) in planned.items()
                if task_id in run_ids]

    @entry_point()
    def run_now(self, task_id: int) -> Claim | None:
        """Claim a run of one task for now (the console's Run now), outside its schedule."""
        now = self._clock.now()
        with self._db.write() as session:
            # The module's row first (as a delete takes it, then the task's): the delete waits or is seen.
            module_id = session.scalar(select(BackgroundTask.module_id).where(BackgroundTask.id == task_id))
            if module_id is None or session.scalar(
                    select(ProcessingModule.id).where(ProcessingModule.id == module_id)
                    .with_for_update(read=True, key_share=True)) is None:
                return None
            row = session.execute(
                select(BackgroundTask, ProcessingModule.name, _last_finished_result())
                .join(ProcessingModule, ProcessingModule.id == BackgroundTask.module_id)
                .where(BackgroundTask.id == task_id).with_for_update(of=BackgroundTask)
            ).one_or_none()
            if row is None:
                return None
            task, module_name, previous = row
            if session.scalar(select(func.count()).where(TaskRun.task_id == task_id,
                                                         TaskRun.result == RunResult.IN_PROGRESS)):
                return None
            token = token_source.token_hex(16)
            run = TaskRun(task_id=task_id, scheduled_for=now, started_at=now, result=RunResult.IN_PROGRESS,
                          claim_token=token, lease_until=now + self.lease, worker=self.worker_id, missed_runs=0)
            session.add(run)
            session.flush()
            claim = Claim(run.id, task.id, task.module_id, task.kind, task.name, module_name, now, token, 0,
                          RunResult(previous) if previous is not None else None)
        self._listener(SchedulerEvent("run_started", claim.task_id, claim.module_id, claim.run_id,
                                      RunResult.IN_PROGRESS, f"{claim.task_name} started (run now)"))
        return claim

    # ------------------------------------------------------------------ running a claim

    def _submit(self, claim: Claim) -> None:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="procmod-run")
        with self._lock:
            self._in_flight[claim.run_id] = self._executor.submit(self.execute, claim)

    def _forget_finished(self) -> None:
        with self._lock:
            for run_id in [r for r, f in self._in_flight.items() if f.done()]:
                del self._in_flight[run_id]

    @property
    def in_flight(self) -> int:
        self._forget_finished()
        return len(self._in_flight)

    def execute(self, claim: Claim) -> bool:
        """Run the body under its deadline with a heartbeat; record the result if the claim still holds."""
        started = self._clock.now()
        deadline = started + self.deadline
        claim = replace(claim, guard=RunGuard(claim, self._clock, deadline, self.lease, self.deadline.total_seconds()))
        stop_heartbeat = threading.Event()
        heartbeat = threading.Thread(target=self._heartbeat, args=(claim, stop_heartbeat), daemon=True,
                                     name=f"procmod-heartbeat-{claim.run_id}")
        heartbeat.start()
        try:
            outcome = self._body(claim, deadline)
        except RunLost as lost:
            outcome = TaskOutcome(False, str(lost))
        except Exception as exc:  # noqa: BLE001 - a body's failure is a run result, not a crash
            log.warning("run %s of task %s failed: %s", claim.run_id, claim.task_id, type(exc).__name__)
            outcome = TaskOutcome(False, f"Unexpected error: {type(exc).__name__}")
        finally:
            stop_heartbeat.set()
        if self._clock.now() > deadline or claim.guard.problem() == "its deadline passed":
            outcome = TaskOutcome(False, f"Deadline of {self.deadline.total_seconds():.0f} s exceeded")
        return self.finish(claim, outcome)

    def _heartbeat(self, claim: Claim, stop: threading.Event) -> None:
        interval = max(self.lease.total_seconds() / 3, 0.05)
        while not stop.wait(interval):
            asked = time.monotonic()
            if not self.extend_lease(claim):
                if claim.guard is not None:
                    claim.guard.lose()
                return
            if claim.guard is not None:
                claim.guard.renewed(asked)

    def extend_lease(self, claim: Claim) -> bool:
        """One heartbeat: push the lease forward while the claim still holds; False once it is lost."""
        return self._write_one(_EXTEND_LEASE, {"run": claim.run_id, "token": claim.token,
                                               "until": self._clock.now() + self.lease}) == 1

    def _write_one(self, statement: Executable, params: dict) -> int:
        """One write statement in a transaction of its own; the number of rows it changed."""
        if self._one_statement_writes is not None:
            with self._one_statement_writes.connect() as connection:
                return connection.execute(statement, params).rowcount
        with self._db.write() as session:
            return session.execute(statement, params).rowcount

    def finish(self, claim: Claim, outcome: TaskOutcome) -> bool:
        """The final write: lands only while the token matches and the run is in progress."""
        return self.finish_many([(claim, outcome)])[0]

    def finish_many(self, results: Sequence[tuple[Claim, TaskOutcome]]) -> list[bool]:
        """The final writes of several runs in one transaction; whether each landed, as `finish` says.

        What a batch saves is the commit: one durable commit (one WAL flush on PostgreSQL) for the lot
        instead of one per run, which is most of a no-op run's cost. For a caller that holds several
        results at once (a drain of short runs); a run's result is durable only when the batch commits.
        """
        if not results:
            return []
        now = self._clock.now()
        writes = [self._final_write(claim, outcome, now) for claim, outcome in results]
        if len(writes) == 1 and not self._notifies(*results[0]):
            landed = [self._write_one(_FINISH_RUN, writes[0][2]) == 1]  # no streak ends, none begins
        else:
            with self._db.write() as session:  # results and their notifications land together or not at all
                # The runs still ours, locked (in id order, as the reaper takes them) so that none is taken
                # over before its write; then the writes go as one executemany (one round trip on psycopg).
                # (By id alone: a condition on the result could lure the planner to the in-progress index.)
                held = {(run_id, token) for run_id, token, result in session.execute(
                    select(TaskRun.id, TaskRun.claim_token, TaskRun.result)
                    .where(TaskRun.id.in_([claim.run_id for claim, _ in results]))
                    .order_by(TaskRun.id).with_for_update()) if result is RunResult.IN_PROGRESS}
                landed = [(claim.run_id, claim.token) in held for claim, _ in results]
                if any(landed):
                    session.execute(_FINISH_RUN, [params for (_, _, params), ok in zip(writes, landed) if ok])
                for (claim, outcome), (_, message, _), ok in zip(results, writes, landed):
                    if ok and self._notifies(claim, outcome):
                        self._notify_outcome(session, claim, outcome.ok, message, now)
        for (claim, _), (result, message, _), ok in zip(results, writes, landed):
            if ok:
                self._listener(SchedulerEvent("run_finished", claim.task_id, claim.module_id, claim.run_id,
                                              result, message))
            else:
                log.warning("late result of run %s (task %s) rejected: its lease expired and it was taken over",
                            claim.run_id, claim.task_id)
                self._listener(SchedulerEvent("late_result_rejected", claim.task_id, claim.module_id,
                                              claim.run_id, None, "late result rejected"))
        return landed

    @staticmethod
    def _final_write(claim: Claim, outcome: TaskOutcome, now: datetime) -> tuple[RunResult, str, dict]:
        """A run's result, its message (with the catch-up count) and the parameters of its final write."""
        result = RunResult.SUCCESSFUL if outcome.ok else RunResult.UNSUCCESSFUL
        message = outcome.message
        if claim.missed_runs:
            count = f"{claim.missed_runs}+" if claim.missed_runs >= MISSED_COUNT_LIMIT else str(claim.missed_runs)
            message = f"{message} (catch-up run; {count} fire time(s) missed while no worker ran)"
        return result, message, {"run": claim.run_id, "token": claim.token, "outcome": result, "at": now,
                                 "text": message[:2000]}

    @staticmethod
    def _notifies(claim: Claim, outcome: TaskOutcome) -> bool:
        """A failure (a streak begins or grows) or a success after a failure (recovery)."""
        return not outcome.ok or claim.previous_result is RunResult.UNSUCCESSFUL

    # ------------------------------------------------------------------ leases

    def reap_expired(self, now: datetime) -> int:
        """Runs in progress whose lease ended before `now` become Interrupted (never silently re-run).

        A lease ending exactly at `now` still holds. Looked up with a read first, so an idle tick writes nothing.
        """
        query = (
            select(TaskRun.id, TaskRun.task_id, TaskRun.lease_until, TaskRun.worker, BackgroundTask.module_id,
                   TaskRun.retry_of)
            .join(BackgroundTask, BackgroundTask.id == TaskRun.task_id)
            .where(TaskRun.result == RunResult.IN_PROGRESS, TaskRun.lease_until < now)
            .order_by(TaskRun.id)  # runs are locked in id order here and in finish_many: no deadlock
            .limit(500)
        )
        with self._db.sessions() as session:
            if not session.execute(query.with_only_columns(TaskRun.id).order_by(None).limit(1)).first():
                return 0
        reaped = []
        with self._db.write() as session:
            for run_id, task_id, lease_until, worker, module_id, retry_of in session.execute(query).all():
                reason = (f"Interrupted: worker {worker or '?'} stopped responding; its lease expired at "
                          f"{lease_until:%Y-%m-%d %H:%M:%S} UTC")
                retry_at = now + self.retry_backoff
                if retry_of is None:
                    reason += f"; retried once at {retry_at:%H:%M:%S} UTC"
                else:
                    reason += f"; it was the retry of run {retry_of}, so it is not retried again"
                taken = session.execute(update(TaskRun).where(
                    TaskRun.id == run_id, TaskRun.result == RunResult.IN_PROGRESS, TaskRun.lease_until < now
                ).values(result=RunResult.INTERRUPTED, finished_at=now, message=reason, claim_token=None,
                         lease_until=None)).rowcount
                if taken:
                    if retry_of is None:  # the task's next claim (at the latest retry_at) is this run's retry
                        session.execute(update(BackgroundTask).where(BackgroundTask.id == task_id).values(
                            retry_pending=run_id,
                            next_run_at=case((or_(BackgroundTask.next_run_at.is_(None),
                                                  BackgroundTask.next_run_at > retry_at), retry_at),
                                             else_=BackgroundTask.next_run_at)))
                    session.add(Notification(module_id=module_id, task_id=task_id, kind="interrupted",
                                             description=reason[:500], created_at=now, read_at=None))
                    reaped.append((run_id, task_id, module_id))
        for run_id, task_id, module_id in reaped:
            self._listener(SchedulerEvent("run_interrupted", task_id, module_id, run_id, RunResult.INTERRUPTED,
                                          "lease expired"))
        return len(reaped)

    # ------------------------------------------------------------------ notifications

    def _disable_never_running(self, session: Session, task_id: int, module_id: int, name: str, schedule: str,
                               now: datetime, module_name: str | None = None) -> None:
        """A stored schedule with no fire time: the task is disabled with the reason, and the operator told."""
        if module_name is None:
            module_name = session.scalar(select(ProcessingModule.name).where(ProcessingModule.id == module_id))
        reason = f"Disabled by the scheduler: the schedule {schedule!r} never runs (no fire time in 5 years)"
        session.execute(update(BackgroundTask).where(BackgroundTask.id == task_id).values(
            enabled=False, next_run_at=None, retry_pending=None, disabled_reason=reason))
        session.add(Notification(module_id=module_id, task_id=task_id, kind="schedule_never_runs",
                                 description=f"{module_name}: {name}: {reason}; set a schedule that fires"[:500],
                                 created_at=now, read_at=None))
        log.warning("task %s disabled: schedule %r never runs", task_id, schedule)
        self._listener(SchedulerEvent("task_disabled", task_id, module_id, None, None, reason))

    def _notify_outcome(self, session: Session, claim: Claim, ok: bool, message: str, now: datetime) -> None:
        """One notification per failure streak (its count grows), one on recovery."""
        previous = claim.previous_result
        if not ok:
            streak = session.scalars(
                select(Notification).where(Notification.task_id == claim.task_id,
                                           Notification.kind == "task_failed", Notification.read_at.is_(None))
                .order_by(Notification.id.desc()).limit(1)
            ).one_or_none()
            if streak is not None and previous is RunResult.UNSUCCESSFUL:
                streak.occurrences += 1
                streak.description = (f"{claim.task_name} failed {streak.occurrences} times in a row: "
                                      f"{message}")[:500]
                streak.created_at = now
            else:
                session.add(Notification(module_id=claim.module_id, task_id=claim.task_id, kind="task_failed",
                                         description=f"{claim.task_name} failed: {message}"[:500],
                                         created_at=now, read_at=None))
            self._listener(SchedulerEvent("notification", claim.task_id, claim.module_id, claim.run_id,
                                          RunResult.UNSUCCESSFUL, message))
        elif previous is RunResult.UNSUCCESSFUL:
            session.add(Notification(module_id=claim.module_id, task_id=claim.task_id, kind="recovered",
                                     description=f"{claim.task_name} succeeded again",
                                     created_at=now, read_at=None))
            self._listener(SchedulerEvent("notification", claim.task_id, claim.module_id, claim.run_id,
                                          RunResult.SUCCESSFUL, "recovered"))

    # ------------------------------------------------------------------ serving

    def serve(self, stop: threading.Event, *, poll: float = 1.0) -> None:
        """Tick until `stop` is set, waking for the next due time or every `poll` seconds."""
        self.schedule_unscheduled()
        while not stop.is_set():
            try:
                report = self.tick()
            except Exception:  # noqa: BLE001 - a database hiccup must not end the worker
                log.exception("scheduler tick failed; retrying")
                report = TickReport()
            wait = poll
            if report.next_due is not None:
                wait = min(poll, max(0.0, (report.next_due - self._clock.now()).total_seconds()))
            stop.wait(max(wait, 0.05))

    def shutdown(self, grace: float = 10.0) -> int:
        """Stop claiming; let in-flight runs finish within `grace`, mark the rest Interrupted."""
        self._stopping.set()
        with self._lock:
            pending = dict(self._in_flight)
        interrupted = 0
        for run_id, future in pending.items():
            try:
                future.result(timeout=grace)
            except Exception:  # noqa: BLE001 - timeout or body failure: the run is closed below
                pass
            if not future.done():
                interrupted += self._interrupt(run_id, "Interrupted: the worker was stopped before the run finished")
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
        return interrupted

    def _interrupt(self, run_id: int, reason: str) -> int:
        now = self._clock.now()
        with self._db.write() as session:
            return session.execute(
                update(TaskRun).where(TaskRun.id == run_id, TaskRun.result == RunResult.IN_PROGRESS)
                .values(result=RunResult.INTERRUPTED, finished_at=now, message=reason, claim_token=None,
                        lease_until=None)
            ).rowcount

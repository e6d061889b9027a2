"""The job engine: background work against panels (service operations, batches of them), claimed exactly
once across the console and any number of `procmod worker`s sharing a database.

It follows the scheduler's protocol (core/scheduler.py) for a different row, the `job`:
- a queued job is *claimed* in one write transaction (`BEGIN IMMEDIATE` on SQLite; on PostgreSQL a
  transaction-scoped advisory lock serializes claimers, so the per-module bound below holds across
  workers, and `FOR UPDATE SKIP LOCKED` passes rows another claimer holds): it becomes running with a
  random claim token and a lease, and its attempt count grows;
- a heartbeat extends the lease while the body runs; the body's side effects (service status, call log,
  audit entry) and the job's result are one transaction that first checks that the token still holds and
  the job is still running: a worker that lost its lease changes nothing;
- a running job whose lease expired is *interrupted* by the reaper (any worker's tick): never silently re-run,
  it lands in the failure queue, and its retry is the same idempotent job again;
- at most `per_module` jobs of one module run at a time (the module type's `operation_concurrency`), and at
  most one queued-or-running job per service (a partial unique index: the database enforces it);
- a batch is a parent job whose children carry its id; its counts by state are its progress, and it is
  closed (succeeded, or failed with the count of failures) by the transaction that finishes its last child.
"""

from __future__ import annotations

import logging
import secrets as token_source
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from procmod.core.clock import Clock
from procmod.storage.engine import Database
from procmod.storage.enums import JobState
from procmod.storage.models import Job

log = logging.getLogger("procmod.jobs")

DEFAULT_LEASE = timedelta(seconds=120)
#: How many queued jobs a claim looks at to fill its free slots (the rest wait for the next claim).
CLAIM_WINDOW = 200
#: An arbitrary constant naming the claimers' advisory lock on PostgreSQL.
_CLAIM_LOCK_KEY = 7_460_116
BATCH = "batch"


@dataclass(frozen=True)
class JobClaim:
    """A running job as its body sees it: what to do, on what, and the token its writes must show."""

    job_id: int
    kind: str
    module_id: int | None
    service_id: int | None
    batch_id: int | None
    token: str
    attempt: int
    created_by: str
    params: Mapping[str, Any] = field(default_factory=dict)
    sealed: str | None = field(default=None, repr=False)


#: The side effects of a finished job, applied in the transaction that checks its claim.
Effects = Callable[[Session], None]


@dataclass(frozen=True)
class JobOutcome:
    ok: bool
    message: str
    error_kind: str | None = None
    hint: str | None = None
    effects: Effects | None = field(default=None, repr=False, compare=False)


class JobBody(Protocol):
    def __call__(self, claim: JobClaim) -> JobOutcome: ...


@dataclass(frozen=True)
class JobEvent:
    """Posted to listeners (the console's screens and pane, the worker's log)."""

    kind: str  # "job_started" | "job_finished" | "job_interrupted" | "late_result_rejected"
    job_id: int
    service_id: int | None
    module_id: int | None
    batch_id: int | None
    state: JobState | None = None
    message: str = ""


JobListener = Callable[[JobEvent], None]


def close_batch_if_done(session: Session, batch_id: int, now: datetime) -> None:
    """Close a batch whose children are all finished: succeeded, or failed naming how many failed.

    Called in the transaction that finished (or cancelled, or interrupted) one of its children, with the
    parent's row locked first, so two children finishing at once cannot both leave it open.
    """
    parent = session.scalars(select(Job).where(Job.id == batch_id).with_for_update()).one_or_none()
    if parent is None or not parent.state.open:
        return
    counts = dict(session.execute(select(Job.state, func.count()).where(Job.batch_id == batch_id)
                                  .group_by(Job.state)).all())
    if counts.get(JobState.QUEUED) or counts.get(JobState.RUNNING):
        return
    failed = counts.get(JobState.FAILED, 0) + counts.get(JobState.INTERRUPTED, 0)
    done, cancelled = counts.get(JobState.SUCCEEDED, 0), counts.get(JobState.CANCELLED, 0)
    parts = [f"{done} done", f"{failed} failed"] + ([f"{cancelled} cancelled"] if cancelled else [])
    parent.state = JobState.FAILED if failed else (JobState.CANCELLED if cancelled and not done else JobState.SUCCEEDED)
    parent.outcome = ", ".join(parts)
    parent.finished_at = now


class JobEngine:
    """Claims queued jobs, runs their bodies on a small thread pool, records results under the claim."""

    def __init__(self, db: Database, clock: Clock, body: JobBody, *, worker_id: str, concurrency: int = 4,
                 per_module: Callable[[int], int] | None = None, lease: timedelta = DEFAULT_LEASE,
                 listener: JobListener | None = None) -> None:
        self._db, self._clock, self._body = db, clock, body
        self.worker_id = worker_id
        self.concurrency = concurrency
        self._per_module = per_module or (lambda module_id: 2)
        self.lease = lease
        self._listener = listener or (lambda event: None)
        self._executor: ThreadPoolExecutor | None = None
        self._in_flight: dict[int, Future[bool]] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        #: Set by `wake` (a job was queued here): the serving loop claims at once instead of at its next poll.
        self._wake = threading.Event()

    # ------------------------------------------------------------------ claiming

    def claim(self, limit: int) -> list[JobClaim]:
        """Claim up to `limit` queued jobs, oldest first, within each module's bound, in one transaction."""
        if limit <= 0:
            return []
        now = self._clock.now()
        with self._db.write() as session:
            postgres = session.bind.dialect.name == "postgresql"
            if postgres:
                session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CLAIM_LOCK_KEY})
            # The window is read as plain (id, module) rows and only the jobs chosen are loaded: a claim
            # runs after every finished job of a bulk run, on the console's own threads beside its screens.
            query = (select(Job.id, Job.module_id).where(Job.state == JobState.QUEUED, Job.kind != BATCH)
                     .order_by(Job.id).limit(CLAIM_WINDOW))
            if postgres:
                query = query.with_for_update(skip_locked=True)
            candidates = session.execute(query).all()
            if not candidates:
                return []
            modules = {module_id for _, module_id in candidates if module_id is not None}
            running = dict(session.execute(
                select(Job.module_id, func.count()).where(Job.state == JobState.RUNNING, Job.module_id.in_(modules))
                .group_by(Job.module_id)).all()) if modules else {}
            free = {module_id: self._per_module(module_id) - running.get(module_id, 0) for module_id in modules}
            chosen = []
            for job_id, module_id in candidates:
                if len(chosen) >= limit:
                    break
                if module_id is not None:
                    if free[module_id] <= 0:
                        continue
                    free[module_id] -= 1
                chosen.append(job_id)
            claims = []
            for job in (session.scalars(select(Job).where(Job.id.in_(chosen)).order_by(Job.id)) if chosen else ()):
                job.state, job.claim_token = JobState.RUNNING, token_source.token_hex(16)
                job.started_at, job.lease_until, job.worker = now, now + self.lease, self.worker_id
                job.attempts += 1
                job.finished_at = None
                claims.append(JobClaim(job.id, job.kind, job.module_id, job.service_id, job.batch_id, job.claim_token,
                                       job.attempts, job.created_by, dict(job.params or {}), job.sealed))
        for claim in claims:
            self._emit(JobEvent("job_started", claim.job_id, claim.service_id, claim.module_id, claim.batch_id,
                                JobState.RUNNING, f"{claim.kind} started"))
        return claims

    # ------------------------------------------------------------------ running

    def tick(self, *, run_inline: bool = False) -> int:
        """Reap expired leases, claim what fits in the free slots and start it; the number claimed."""
        self.reap_expired(self._clock.now())
        self._forget_finished()
        if self._stopping.is_set():
            return 0
        claims = self.claim(self.concurrency - len(self._in_flight))
        for claim in claims:
            if run_inline:
                self.execute(claim)
            else:
                self._submit(claim)
        return len(claims)

    def run_until_idle(self) -> int:
        """Claim and run inline until nothing is queued (tests, `procmod worker --once`); jobs run."""
        total = 0
        while True:
            claimed = self.tick(run_inline=True)
            if not claimed:
                return total
            total += claimed

    def drain(self, stop: threading.Event | None = None, *, poll: float = 0.05) -> None:
        """Run what is queued now on the pool, until nothing is queued or running here (a console without a
        serving engine drains after queuing); `stop` ends it early, leaving queued jobs for the next one."""
        stop = stop or threading.Event()
        while not stop.is_set():
            claimed = self.tick()
            if not claimed and not self.in_flight:
                return
            self._wake.wait(poll)
            self._wake.clear()

    def _submit(self, claim: JobClaim) -> None:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="procmod-job")
        with self._lock:
            future = self._in_flight[claim.job_id] = self._executor.submit(self.execute, claim)
        # A slot is free again: claim the next job now, not at the next poll (a bulk run of 1,000 on one
        # module bound to 2 at a time would otherwise take a poll per pair: 500 s at the console's 1 s poll).
        future.add_done_callback(lambda _: self._wake.set())

    def _forget_finished(self) -> None:
        with self._lock:
            for job_id in [j for j, f in self._in_flight.items() if f.done()]:
                del self._in_flight[job_id]

    @property
    def in_flight(self) -> int:
        self._forget_finished()
        return len(self._in_flight)

    def execute(self, claim: JobClaim) -> bool:
        """Run the body with a heartbeat; record its outcome if the claim still holds."""
        stop_heartbeat = threading.Event()
        heartbeat = threading.Thread(target=self._heartbeat, args=(claim, stop_heartbeat), daemon=True,
                                     name=f"procmod-job-heartbeat-{claim.job_id}")
        heartbeat.start()
        try:
            outcome = self._body(claim)
        except Exception as exc:  # noqa: BLE001 - a body's crash is a failed job, not a dead worker
            log.warning("job %s (%s) failed: %s", claim.job_id, claim.kind, type(exc).__name__)
            outcome = JobOutcome(False, f"Unexpected error: {type(exc).__name__}", "error")
        finally:
            stop_heartbeat.set()
        return self.finish(claim, outcome)

    def _heartbeat(self, claim: JobClaim, stop: threading.Event) -> None:
        interval = max(self.lease.total_seconds() / 3, 0.05)
        while not stop.wait(interval):
            if not self.extend_lease(claim):
                return

    def extend_lease(self, claim: JobClaim) -> bool:
        with self._db.write() as session:
            return session.execute(
                update(Job).where(Job.id == claim.job_id, Job.claim_token == claim.token,
                                  Job.state == JobState.RUNNING)
                .values(lease_until=self._clock.now() + self.lease)).rowcount == 1

    def finish(self, claim: JobClaim, outcome: JobOutcome) -> bool:
        """The job's result and its side effects, in one transaction, only while its claim holds."""
        now = self._clock.now()
        state = JobState.SUCCEEDED if outcome.ok else JobState.FAILED
        with self._db.write() as session:
            job = session.scalars(select(Job).where(Job.id == claim.job_id).with_for_update()).one_or_none()
            landed = job is not None and job.claim_token == claim.token and job.state is JobState.RUNNING
            if landed:
                if outcome.effects is not None:
                    try:
                        with session.begin_nested():  # effects that fail leave nothing, and the job says why
                            outcome.effects(session)
                    except Exception as exc:  # noqa: BLE001 - e.g. the service was deleted meanwhile
                        log.warning("job %s: recording its effects failed: %s", claim.job_id, type(exc).__name__)
                        state = JobState.FAILED
                        outcome = JobOutcome(False, f"{outcome.message} — but recording it failed "
                                             f"({type(exc).__name__}); retry it to reconcile", "error")
                job.state, job.finished_at, job.lease_until = state, now, None
                job.outcome = outcome.message[:1000]
                job.error_kind = None if outcome.ok else (outcome.error_kind or "error")[:50]
                job.hint = (outcome.hint or None) and outcome.hint[:500]
                session.flush()
                if claim.batch_id is not None:
                    close_batch_if_done(session, claim.batch_id, now)
        if landed:
            self._emit(JobEvent("job_finished", claim.job_id, claim.service_id, claim.module_id, claim.batch_id,
                                state, outcome.message))
        else:
            log.warning("late result of job %s rejected: its lease expired and it was taken over", claim.job_id)
            self._emit(JobEvent("late_result_rejected", claim.job_id, claim.service_id, claim.module_id,
                                claim.batch_id, None, "late result rejected"))
        return landed

    # ------------------------------------------------------------------ leases

    def reap_expired(self, now: datetime) -> int:
        """Running jobs whose lease ended before `now` become Interrupted, with the reason; an idle call reads."""
        expired = select(Job.id).where(Job.state == JobState.RUNNING, Job.lease_until < now).order_by(Job.id)
        with self._db.sessions() as session:
            if session.execute(expired.limit(1)).first() is None:
                return 0
        reaped: list[Job] = []
        with self._db.write() as session:
            for job in session.scalars(select(Job).where(Job.id.in_(expired.limit(500).scalar_subquery()))
                                       .order_by(Job.id).with_for_update()):
                if job.state is not JobState.RUNNING or job.lease_until is None or job.lease_until >= now:
                    continue
                job.outcome = (f"Interrupted: worker {job.worker or '?'} stopped responding; its lease expired at "
                               f"{job.lease_until:%Y-%m-%d %H:%M:%S} UTC")
                self._interrupt(session, job, now)
                reaped.append(job)
        for job in reaped:
            self._emit(JobEvent("job_interrupted", job.id, job.service_id, job.module_id, job.batch_id,
                                JobState.INTERRUPTED, job.outcome or ""))
        return len(reaped)

    #: Set by the operations (core/services.py): what an interrupted job leaves on its service.
    interrupt_effects: Callable[[Session, Job], None] | None = None

    def _interrupt(self, session: Session, job: Job, now: datetime) -> None:
        job.state, job.finished_at, job.claim_token, job.lease_until = JobState.INTERRUPTED, now, None, None
        job.error_kind, job.hint = "interrupted", "Retry it: the operation is safe to repeat and finds what the first try did."
        if self.interrupt_effects is not None:
            self.interrupt_effects(session, job)
        session.flush()
        if job.batch_id is not None:
            close_batch_if_done(session, job.batch_id, now)

    # ------------------------------------------------------------------ serving

    def wake(self) -> None:
        """Claim now rather than at the next poll (a job was queued in this process)."""
        self._wake.set()

    def serve(self, stop: threading.Event, *, poll: float = 1.0) -> None:
        """Tick until `stop` is set, every `poll` seconds or when woken."""
        while not stop.is_set():
            try:
                self.tick()
            except Exception:  # noqa: BLE001 - a database hiccup must not end the worker
                log.exception("job engine tick failed; retrying")
            self._wake.wait(poll)
            self._wake.clear()

    def shutdown(self, grace: float = 10.0) -> int:
        """Stop claiming; let running jobs finish within `grace`, mark the rest Interrupted."""
        self._stopping.set()
        self._wake.set()
        with self._lock:
            pending = dict(self._in_flight)
        interrupted = 0
        for job_id, future in pending.items():
            try:
                future.result(timeout=grace)
            except Exception:  # noqa: BLE001 - a timeout or the body's failure: closed below
                pass
            if not future.done():
                now = self._clock.now()
                with self._db.write() as session:
                    job = session.scalars(select(Job).where(Job.id == job_id).with_for_update()).one_or_none()
                    if job is not None and job.state is JobState.RUNNING and job.worker == self.worker_id:
                        job.outcome = "Interrupted: the worker was stopped before the operation finished"
                        self._interrupt(session, job, now)
                        interrupted += 1
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
        return interrupted

    def _emit(self, event: JobEvent) -> None:
        try:
            self._listener(event)
        except Exception:  # noqa: BLE001 - a listener's failure must not lose a job's result
            log.exception("job listener failed")

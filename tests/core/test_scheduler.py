"""The scheduler with a fake clock: due runs, catch-up, one at a time, leases, late results, streaks."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update

from procmod.core.backend import Backend
from procmod.core.clock import FixedClock
from procmod.core.scheduler import Claim, DatabaseClock, Scheduler, TaskOutcome
from procmod.core.schedule import fire_times_between, next_fire_time
from procmod.storage.enums import ModuleStatus, RunResult
from procmod.storage.models import BackgroundTask, Notification, ProcessingModule, TaskRun

T0 = datetime(2026, 11, 26, 10, 0, tzinfo=timezone.utc)
UTC = timezone.utc


class Bodies:
    """A scripted task body: returns queued outcomes (success by default) and records its calls."""

    def __init__(self) -> None:
        self.outcomes: list[TaskOutcome] = []
        self.calls: list[Claim] = []

    def __call__(self, claim: Claim, deadline: datetime) -> TaskOutcome:
        self.calls.append(claim)
        return self.outcomes.pop(0) if self.outcomes else TaskOutcome(True, "ok")


@pytest.fixture
def one_task(empty_backend: Backend) -> tuple[Backend, int]:
    """The demo data with every task disabled but one `*/15` connection check due at T0."""
    from procmod.demo.seed import seed_demo

    seed_demo(empty_backend, service_count=10)
    with empty_backend.db.write() as session:
        session.execute(update(BackgroundTask).values(enabled=False))
        # The demo's own run in progress would be reaped by these clocks: close it first.
        session.execute(update(TaskRun).where(TaskRun.result == RunResult.IN_PROGRESS)
                        .values(result=RunResult.SUCCESSFUL, finished_at=T0 - timedelta(hours=1)))
        task_id = session.scalar(select(BackgroundTask.id).where(BackgroundTask.module_id == 2,
                                                                 BackgroundTask.kind == "check_connection"))
        session.execute(update(BackgroundTask).where(BackgroundTask.id == task_id)
                        .values(enabled=True, next_run_at=T0, schedule="*/15 * * * *"))
    return empty_backend, task_id


def make(backend: Backend, clock: FixedClock, body: Bodies, **kw) -> Scheduler:  # noqa: ANN003
    return Scheduler(backend.db, clock, body, worker_id="test", lease=timedelta(seconds=60),
                     deadline=timedelta(seconds=30), **kw)


def runs(backend: Backend, task_id: int) -> list[TaskRun]:
    with backend.db.sessions() as session:
        return list(session.scalars(select(TaskRun).where(TaskRun.task_id == task_id).order_by(TaskRun.id)))


def new_runs(backend: Backend, task_id: int) -> list[TaskRun]:
    return [r for r in runs(backend, task_id) if r.started_at >= T0]


class TestScheduleComputation:
    def test_daily_job_runs_once_when_clocks_go_back(self) -> None:
        fires, t = [], datetime(2026, 10, 23, 12, tzinfo=UTC)
        for _ in range(4):
            t = next_fire_time("30 2 * * *", t, "Europe/Berlin")
            fires.append(t)
        assert [f.date().day for f in fires] == [24, 25, 26, 27]  # one a day, none doubled

    def test_every_half_hour_keeps_its_pace_through_the_repeated_hour(self) -> None:
        t, fires = datetime(2026, 10, 24, 23, 45, tzinfo=UTC), []
        while t < datetime(2026, 10, 25, 3, 0, tzinfo=UTC):
            t = next_fire_time("*/30 * * * *", t, "Europe/Berlin")
            fires.append(t)
        gaps = {b - a for a, b in zip(fires, fires[1:])}
        assert gaps == {timedelta(minutes=30)}

    def test_job_in_the_skipped_hour_runs_once_after_the_gap(self) -> None:
        t = next_fire_time("30 2 * * *", datetime(2026, 3, 28, 12, tzinfo=UTC), "Europe/Berlin")
        assert t == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)  # 03:00 CEST, the first minute after the gap
        assert next_fire_time("30 2 * * *", t, "Europe/Berlin") == datetime(2026, 3, 30, 0, 30, tzinfo=UTC)

    def test_schedules_read_in_words(self) -> None:
        from procmod.core.schedule import describe

        assert describe("*/15 * * * *") == "Every 15 minutes"
        assert describe("0 6,18 * * *") == "At 06:00 and 18:00"

    def test_missed_fire_times_are_counted(self) -> None:
        assert fire_times_between("*/15 * * * *", T0, T0 + timedelta(hours=2)) == 8
        assert fire_times_between("0 6,18 * * *", T0, T0 + timedelta(hours=1)) == 0


class TestClaims:
    def test_due_task_runs_once_and_is_rescheduled(self, one_task) -> None:  # noqa: ANN001
        backend, task_id = one_task
        clock, body = FixedClock(T0 + timedelta(seconds=1)), Bodies()
        scheduler = make(backend, clock, body)
        assert len(scheduler.tick(run_inline=True).claimed) == 1
        assert scheduler.tick(run_inline=True).claimed == []  # not due again until 10:15
        [run] = new_runs(backend, task_id)
        assert run.result is RunResult.SUCCESSFUL and run.scheduled_for == T0 and run.claim_token
        assert scheduler.next_due() == T0 + timedelta(minutes=15)

    def test_nothing_due_claims_nothing(self, one_task) -> None:  # noqa: ANN001
        backend, task_id = one_task
        scheduler = make(backend, FixedClock(T0 - timedelta(seconds=1)), Bodies())
        report = scheduler.tick(run_inline=True)
        assert report.claimed == [] and report.next_due == T0 and new_runs(backend, task_id) == []

    def test_downtime_gives_one_catch_up_run_that_counts_the_missed(self, one_task) -> None:  # noqa: ANN001
        backend, task_id = one_task
        clock, body = FixedClock(T0 + timedelta(hours=2, minutes=5)), Bodies()
        scheduler = make(backend, clock, body)
        scheduler.tick(run_inline=True)
        scheduler.tick(run_inline=True)
        [run] = new_runs(backend, task_id)
        assert run.missed_runs == 8 and "8 fire time(s) missed" in run.message
        assert scheduler.next_due() == T0 + timedelta(hours=2, minutes=15)

    def test_at_most_one_run_of_a_task_at_a_time(self, one_task) -> None:  # noqa: ANN001
        backend, task_id = one_task
        clock = FixedClock(T0)
        scheduler = make(backend, clock, Bodies())
        [claim] = scheduler.claim_due(clock.now(), limit=10)
        clock.advance(timedelta(minutes=16))  # the next fire is due, the first run still in progress
        assert scheduler.claim_due(clock.now(), limit=10) == []
        assert scheduler.run_now(task_id) is None
        assert scheduler.finish(claim, TaskOutcome(True, "done"))
        assert len(scheduler.claim_due(clock.now(), limit=10)) == 1

    def test_run_now_records_an_extra_run(self, one_task) -> None:  # noqa: ANN001
        backend, task_id = one_task
        clock, body = FixedClock(T0 - timedelta(minutes=5)), Bodies()
        scheduler = make(backend, clock, body)
        claim = scheduler.run_now(task_id)
        assert scheduler.execute(claim) and [r.result for r in new_runs(backend, task_id)] == []
        assert runs(backend, task_id)[-1].result is RunResult.SUCCESSFUL

    def test_a_fire_recorded_already_is_not_run_again_and_the_task_moves_on(self, one_task) -> None:  # noqa: ANN001
        backend, task_id = one_task
        clock = FixedClock(T0)
        scheduler = make(backend, clock, Bodies())
        claim = scheduler.run_now(task_id)  # Run now at the very instant of the 10:00 fire
        assert claim.scheduled_for == T0 and scheduler.finish(claim, TaskOutcome(True, "done"))
        assert scheduler.claim_due(clock.now(), limit=10) == []  # that fire is recorded: not a second run
        assert scheduler.next_due() == T0 + timedelta(minutes=15)  # and the task is not stuck on it
        clock.advance(timedelta(minutes=15))
        [claim] = scheduler.claim_due(clock.now(), limit=10)
        assert claim.scheduled_for == T0 + timedelta(minutes=15)

    def test_a_batch_claims_each_due_task_once_in_fire_time_order(self, one_task) -> None:  # noqa: ANN001
        backend, _ = one_task
        with backend.db.write() as session:
            session.execute(update(BackgroundTask).values(enabled=True, next_run_at=T0 + timedelta(minutes=1)))
            of_enabled_modules = (select(BackgroundTask.id).join(ProcessingModule)
                                  .where(ProcessingModule.status == ModuleStatus.ENABLED))
            due = len(session.scalars(of_enabled_modules).all())
            first = max(session.scalars(of_enabled_modules))  # the last by id, the first by fire time
            session.execute(update(BackgroundTask).where(BackgroundTask.id == first).values(next_run_at=T0))
        scheduler = make(backend, FixedClock(T0 + timedelta(minutes=2)), Bodies())
        claims = scheduler.claim_due(T0 + timedelta(minutes=2), limit=due + 5)
        assert len(claims) == len({c.task_id for c in claims}) == due
        assert claims[0].task_id == first and [c.task_id for c in claims[1:]] == sorted(c.task_id for c in claims[1:])
        assert all(c.run_id and c.module_name and c.token for c in claims)
        assert scheduler.claim_due(T0 + timedelta(minutes=2), limit=due) == []

    def test_concurrency_is_bounded(self, one_task) -> None:  # noqa: ANN001
        backend, _ = one_task
        with backend.db.write() as session:
            session.execute(update(BackgroundTask).values(enabled=True, next_run_at=T0))
        release = threading.Event()

        def blocking(claim: Claim, deadline: datetime) -> TaskOutcome:
            release.wait(10)
            return TaskOutcome(True, "ok")

        scheduler = make(backend, FixedClock(T0), blocking, concurrency=2)
        try:
            assert len(scheduler.tick().claimed) == 2
            assert scheduler.tick().claimed == [] and scheduler.in_flight == 2
        finally:
            release.set()
            scheduler.shutdown(grace=10)


class TestLeases:
    def test_lease_is_not_reclaimable_at_expiry_and_is_after(self, one_task) -> None:  # noqa: ANN001
        backend, task_id = one_task
        clock = FixedClock(T0)
        scheduler = make(backend, clock, Bodies())
        [claim] = scheduler.claim_due(clock.now(), limit=1)
        assert scheduler.reap_expired(T0 + timedelta(seconds=60)) == 0  # exactly at expiry: still held
        assert scheduler.reap_expired(T0 + timedelta(seconds=60, microseconds=1)) == 1
        [run] = new_runs(backend, task_id)
        assert run.result is RunResult.INTERRUPTED and "lease expired" in run.message
        with backend.db.sessions() as session:
            kinds = session.scalars(select(Notification.kind).where(Notification.task_id == task_id)).all()
        assert kinds == ["interrupted"]

    def test_late_result_of_a_paused_worker_is_rejected(self, one_task) -> None:  # noqa: ANN001
        backend, task_id = one_task
        clock = FixedClock(T0)
        paused = make(backend, clock, Bodies())
        other = make(backend, clock, Bodies())
        [claim] = paused.claim_due(clock.now(), limit=1)
        clock.advance(timedelta(seconds=61))
        assert other.reap_expired(clock.now()) == 1
        assert paused.extend_lease(claim) is False
        assert paused.finish(claim, TaskOutcome(True, "late")) is False
        [run] = new_runs(backend, task_id)
        assert run.result is RunResult.INTERRUPTED and run.message.startswith("Interrupted")

    def test_heartbeat_extends_a_held_lease(self, one_task) -> None:  # noqa: ANN001
        backend, task_id = one_task
        clock = FixedClock(T0)
        scheduler = make(backend, clock, Bodies())
        [claim] = scheduler.claim_due(clock.now(), limit=1)
        clock.advance(timedelta(seconds=50))
        assert scheduler.extend_lease(claim)
        clock.advance(timedelta(seconds=50))  # 100 s after the claim, 50 s after the heartbeat
        assert scheduler.reap_expired(clock.now()) == 0

    def test_shutdown_interrupts_runs_that_do_not_finish(self, one_task) -> None:  # noqa: ANN001
        backend, task_id = one_task
        release = threading.Event()
        scheduler = make(backend, FixedClock(T0), lambda c, d: (release.wait(10), TaskOutcome(True, "x"))[1])
        scheduler.tick()
        assert scheduler.shutdown(grace=0.05) == 1
        release.set()
        [run] = new_runs(backend, task_id)
        assert run.result is RunResult.INTERRUPTED and "stopped" in run.message


class TestNotifications:
    def test_one_notification_per_failure_streak_then_recovery(self, one_task) -> None:  # noqa: ANN001
        backend, task_id = one_task
        clock, body = FixedClock(T0), Bodies()
        body.outcomes = [TaskOutcome(False, "Unreachable: timed out")] * 3 + [TaskOutcome(True, "ok")]
        scheduler = make(backend, clock, body)
        for _ in range(4):
            scheduler.tick(run_inline=True)
            clock.advance(timedelta(minutes=15))
        with backend.db.sessions() as session:
            notes = session.scalars(select(Notification).where(Notification.task_id == task_id)
                                    .order_by(Notification.id)).all()
        assert [(n.kind, n.occurrences) for n in notes] == [("task_failed", 3), ("recovered", 1)]
        assert "failed 3 times in a row" in notes[0].description

    def test_a_batch_of_results_lands_in_one_go_with_its_notifications(self, one_task) -> None:  # noqa: ANN001
        backend, _ = one_task
        with backend.db.write() as session:
            session.execute(update(BackgroundTask).values(enabled=True, next_run_at=T0))
        clock = FixedClock(T0)
        scheduler = make(backend, clock, Bodies())
        late, failed, *succeeded = scheduler.claim_due(clock.now(), limit=4)
        with backend.db.write() as session:  # `late` was taken over (its lease expired and it was reaped)
            session.execute(update(TaskRun).where(TaskRun.id == late.run_id)
                            .values(result=RunResult.INTERRUPTED, claim_token=None))
        outcomes = [TaskOutcome(True, "late"), TaskOutcome(False, "Unreachable")] + [TaskOutcome(True, "ok")] * 2
        assert scheduler.finish_many(list(zip([late, failed, *succeeded], outcomes))) == [False, True, True, True]
        with backend.db.sessions() as session:
            results = dict(session.execute(select(TaskRun.id, TaskRun.result).where(
                TaskRun.id.in_([c.run_id for c in (late, failed, *succeeded)]))).all())
            kinds = session.scalars(select(Notification.kind).where(Notification.task_id == failed.task_id)).all()
        assert results == {late.run_id: RunResult.INTERRUPTED, failed.run_id: RunResult.UNSUCCESSFUL,
                           **{c.run_id: RunResult.SUCCESSFUL for c in succeeded}}
        assert kinds == ["task_failed"] and scheduler.finish_many([]) == []

    def test_body_exception_is_an_unsuccessful_run_not_a_crash(self, one_task) -> None:  # noqa: ANN001
        backend, task_id = one_task

        def broken(claim: Claim, deadline: datetime) -> TaskOutcome:
            raise RuntimeError("boom with a secret=hunter2")

        make(backend, FixedClock(T0), broken).tick(run_inline=True)
        [run] = new_runs(backend, task_id)
        assert run.result is RunResult.UNSUCCESSFUL and run.message == "Unexpected error: RuntimeError"


def test_database_clock_is_aware_and_current(empty_backend: Backend) -> None:
    now = DatabaseClock(empty_backend.db).now()
    assert now.tzinfo is not None and abs(now - datetime.now(UTC)) < timedelta(seconds=5)


@settings(max_examples=400, deadline=None)
@given(schedule=st.sampled_from(["*/15 * * * *", "30 */4 * * *", "0 6,18 * * *", "30 2 * * *", "0 3 * * 0",
                                 "*/30 * * * *", "45 1 1 * *"]),
       zone=st.sampled_from(["Europe/Berlin", "America/New_York", "Australia/Sydney", "UTC"]),
       after=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31)))
def test_the_quick_path_agrees_with_the_careful_walk(schedule: str, zone: str, after: datetime) -> None:
    """Away from clock changes one croniter step is enough; it must give what the careful walk gives."""
    from zoneinfo import ZoneInfo

    from procmod.core.schedule import _next_fire_time_across_a_change

    moment = after.replace(tzinfo=UTC)
    assert next_fire_time(schedule, moment, zone) == _next_fire_time_across_a_change(schedule, moment,
                                                                                        ZoneInfo(zone))

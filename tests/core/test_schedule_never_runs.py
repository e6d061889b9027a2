"""A cron expression with valid syntax and no fire time (30 February): refused by validation, and when one
is already stored, the scheduler disables that task with the reason and a notification, and runs the rest."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select, update

from procmod.core.backend import Backend
from procmod.core.clock import FixedClock
from procmod.core.lifecycle import next_run_times, validate_cron
from procmod.core.schedule import ScheduleNeverRuns, check_fires, next_fire_time
from procmod.core.scheduler import Scheduler, SchedulerEvent, TaskOutcome
from procmod.core.validation import ValidationError
from procmod.storage.enums import ModuleStatus, RunResult
from procmod.storage.models import BackgroundTask, Notification, ProcessingModule, TaskRun

T0 = datetime(2026, 11, 26, 10, 0, tzinfo=timezone.utc)
NEVER = ["0 0 30 2 *", "0 0 31 4 *", "15 3 31 6,9,11 *", "0 0 30,31 2 *"]


@pytest.mark.parametrize("schedule", NEVER)
def test_validation_refuses_a_schedule_that_never_runs(schedule: str) -> None:
    with pytest.raises(ValidationError) as refused:
        validate_cron(schedule)
    assert refused.value.errors == {"schedule": "This schedule never runs: it has no fire time in the next 5 years"}
    with pytest.raises(ValidationError):
        next_run_times(schedule, T0)
    with pytest.raises(ScheduleNeverRuns):
        next_fire_time(schedule, T0, "Europe/Berlin")


def test_rare_schedules_that_do_run_are_accepted() -> None:
    assert validate_cron("0 0 29 2 *") == "0 0 29 2 *"  # a leap day: once in four years
    assert check_fires("0 0 29 2 *", T0) == datetime(2028, 2, 29, tzinfo=timezone.utc)
    assert validate_cron("0 0 31 12 *") == "0 0 31 12 *"


def test_set_task_schedule_refuses_it_and_saves_nothing(backend: Backend) -> None:
    task = backend.tasks.list().rows[0]
    with pytest.raises(ValidationError, match="never runs"):
        backend.commands.set_task_schedule(task.id, "0 0 30 2 *", True)
    with backend.db.sessions() as session:
        assert session.get(BackgroundTask, task.id).schedule == task.schedule


@pytest.mark.parametrize("next_run", [T0, None], ids=["due", "never-scheduled"])
def test_scheduler_disables_a_stored_never_running_task_and_runs_the_others(
        backend: Backend, next_run: datetime | None) -> None:
    with backend.db.write() as session:
        session.execute(update(BackgroundTask).values(enabled=False))
        session.execute(update(TaskRun).where(TaskRun.result == RunResult.IN_PROGRESS)
                        .values(result=RunResult.SUCCESSFUL, lease_until=None))
        good, bad, other = session.scalars(
            select(BackgroundTask.id).join(ProcessingModule, ProcessingModule.id == BackgroundTask.module_id)
            .where(ProcessingModule.status == ModuleStatus.ENABLED).order_by(BackgroundTask.id).limit(3)).all()
        # Stored before validation refused it (an older version, a script): the scheduler meets it.
        session.execute(update(BackgroundTask).where(BackgroundTask.id == bad)
                        .values(enabled=True, schedule="0 0 30 2 *", next_run_at=next_run))
        session.execute(update(BackgroundTask).where(BackgroundTask.id.in_([good, other]))
                        .values(enabled=True, schedule="*/15 * * * *", next_run_at=T0))
    events: list[SchedulerEvent] = []
    scheduler = Scheduler(backend.db, FixedClock(T0), lambda c, d: TaskOutcome(True, "ok"), worker_id="t",
                          lease=timedelta(seconds=60), deadline=timedelta(seconds=30), listener=events.append)
    scheduler.schedule_unscheduled(T0)
    report = scheduler.tick(run_inline=True)
    assert sorted(c.task_id for c in report.claimed) == sorted([good, other])  # the others ran
    assert report.next_due == T0 + timedelta(minutes=15)
    with backend.db.sessions() as session:
        task = session.get(BackgroundTask, bad)
        [note] = session.scalars(select(Notification).where(Notification.task_id == bad,
                                                            Notification.kind == "schedule_never_runs")).all()
        runs = session.scalars(select(TaskRun).where(TaskRun.task_id == bad, TaskRun.started_at >= T0)).all()
    assert not task.enabled and task.next_run_at is None and runs == []
    assert task.disabled_reason.startswith("Disabled by the scheduler: the schedule '0 0 30 2 *' never runs")
    assert "never runs" in note.description and note.read_at is None
    assert [e.kind for e in events if e.task_id == bad] == ["task_disabled"]
    # The next ticks pass it by without a word; the operator's new schedule brings it back.
    assert scheduler.tick(run_inline=True).claimed == []
    scheduler.schedule_unscheduled(T0)  # a worker's next start: no second notification
    with backend.db.sessions() as session:
        assert len(session.scalars(select(Notification).where(Notification.kind == "schedule_never_runs")).all()) == 1
    backend.commands.set_task_schedule(bad, "0 6 * * *", True)
    with backend.db.sessions() as session:
        task = session.get(BackgroundTask, bad)
    assert task.enabled and task.disabled_reason is None and task.next_run_at is not None

"""Pilot tests of background tasks in the console: the scheduler worker, live updates of the pane, the card and
the tasks list (rows by key, never a clear), the failed-run toast, Run now, enable/disable, a task's runs.

The scheduler is driven by the test: a FixedClock moved by hand and a scripted body that fails for one
module. Runs are triggered with `tick(run_inline=True)` or the `r` key; waiting is for the app's workers
(never the long-lived scheduler worker) and `pilot.pause`, no sleeps.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from textual.pilot import Pilot

from procmod.core.backend import Backend
from procmod.core.clock import DEMO_NOW, FixedClock
from procmod.core.dto import ModuleStatus, PageRequest, RunResult, TaskFilter
from procmod.core.scheduler import Claim, Listener, Scheduler, TaskOutcome
from procmod.tui.app import SCHEDULER_REFRESH_SECONDS, ProcmodApp, make_app
from procmod.tui.cli import _console_runs_tasks, _parser
from procmod.tui.screens.module_card import ModuleCardScreen
from procmod.tui.screens.task_history import TaskHistoryScreen
from procmod.tui.screens.task_list import TaskListScreen
from procmod.tui.widgets.notifications_pane import NotificationsPane
from procmod.tui.widgets.row_table import RowTable

SIZE = (80, 24)
FAILURE = "scripted failure: credentials refused"


def scripted_body(failing_module_id: int | None) -> Callable[[Claim, datetime], TaskOutcome]:
    def body(claim: Claim, deadline: datetime) -> TaskOutcome:
        if claim.module_id == failing_module_id:
            return TaskOutcome(False, FAILURE)
        return TaskOutcome(True, "scripted success")

    return body


def healthy_module_id(backend: Backend) -> int:
    """An enabled module whose tasks all last succeeded: a failure opens a new notification (no streak)."""
    for module in backend.modules.list().rows:
        if module.status is not ModuleStatus.ENABLED:
            continue
        tasks = backend.tasks.list(TaskFilter(module_id=module.id)).rows
        if tasks and all(t.enabled and t.last_result is RunResult.SUCCESSFUL for t in tasks):
            return module.id
    raise AssertionError("the demo data has no healthy module")


def forbid_clear(monkeypatch: pytest.MonkeyPatch, table: RowTable) -> None:
    """Live updates go by row key (`set_rows` keeps unchanged rows): a clear-and-refill fails the test."""
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError(f"{table.id or table} was cleared and refilled")

    monkeypatch.setattr(table, "clear", refuse)


async def settle(pilot: Pilot) -> None:
    """Wait for the app's workers (not the scheduler's) and for gathered scheduler events to be shown."""
    app = pilot.app
    assert isinstance(app, ProcmodApp)
    for _ in range(20):
        busy = [w for w in app.workers if w.group != "scheduler" and not w.is_finished]
        if busy:
            await app.workers.wait_for_complete(busy)
        await pilot.pause()
        if not busy and not app.scheduler_events_pending:
            break
        await pilot.pause(SCHEDULER_REFRESH_SECONDS)
    await pilot.pause()


def relayed_scheduler(backend: Backend, clock: FixedClock, failing_module_id: int | None,
                      app_ref: list[ProcmodApp]) -> Scheduler:
    """A scheduler the test ticks itself; its events reach the app through the app's public relay."""
    return Scheduler(backend.db, clock, scripted_body(failing_module_id), worker_id="pilot", concurrency=100,
                     listener=lambda event: app_ref[0].relay_scheduler_event(event))


def scheduler_factory(clock: FixedClock, failing_module_id: int | None = None) -> Callable[[Listener], Scheduler]:
    def build(listener: Listener) -> Scheduler:
        return Scheduler(_backend_of[0].db, clock, scripted_body(failing_module_id), worker_id="pilot",
                         concurrency=100, listener=listener)

    return build


_backend_of: list[Backend] = []


@pytest.fixture
def backend(demo_backend: Backend) -> Backend:
    _backend_of[:] = [demo_backend]
    return demo_backend


# ---------------------------------------------------------------- live pane, card, toast


async def test_pane_and_card_update_by_key_as_runs_finish(backend: Backend, monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    module_id = healthy_module_id(backend)
    module_name = backend.modules.name(module_id)
    task_ids = [t.id for t in backend.tasks.list(TaskFilter(module_id=module_id)).rows]
    clock = FixedClock(DEMO_NOW)
    app_ref: list[ProcmodApp] = []
    scheduler = relayed_scheduler(backend, clock, module_id, app_ref)
    app = make_app(backend, start=f"card:{module_id}")
    app_ref.append(app)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f2")  # the pane is collapsed at 80 columns; F2 shows it
        await pilot.pause()
        card = app.screen
        assert isinstance(card, ModuleCardScreen)
        pane = card.query_one(NotificationsPane)
        assert pane.display
        before = set(pane.notification_ids)
        for table in (card.query_one("#card-tasks", RowTable), card.query_one("#card-notifications", RowTable),
                      pane.table):
            forbid_clear(monkeypatch, table)
        toasts: list[tuple[str, dict[str, Any]]] = []
        notify = app.notify
        monkeypatch.setattr(app, "notify", lambda message, **kw: (toasts.append((message, kw)),
                                                                    notify(message, **kw))[1])

        clock.advance(timedelta(hours=6))  # every enabled task is due
        report = scheduler.tick(run_inline=True)
        assert {c.task_id for c in report.claimed} >= set(task_ids)
        await settle(pilot)

        newest = backend.notifications.latest_unread(limit=50)
        latest = next(n for n in newest if n.module_id == module_id and FAILURE in n.description)
        assert latest.id not in before
        assert latest.id in pane.notification_ids  # added by key
        assert pane.notification_ids == [n.id for n in newest[:len(pane.notification_ids)]]  # newest first
        tasks_table = card.query_one("#card-tasks", RowTable)
        for task_id in task_ids:
            assert tasks_table.get_cell(str(task_id), "result").plain == "Unsuccessful"
        shown = card.query_one("#card-notifications", RowTable).row_keys
        assert str(latest.id) in shown
        assert shown == [str(n.id) for n in backend.modules.card(module_id).notifications] + ["all"]
        failed = [(m, kw) for m, kw in toasts if kw.get("severity") == "warning"]
        assert failed and all(module_name in kw["title"] for _, kw in failed)
        assert any(FAILURE in m for m, _ in failed)


async def test_burst_of_events_is_one_refresh(backend: Backend, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = FixedClock(DEMO_NOW)
    app_ref: list[ProcmodApp] = []
    scheduler = relayed_scheduler(backend, clock, None, app_ref)
    app = make_app(backend, start="tasks")
    app_ref.append(app)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, TaskListScreen)
        refreshes: list[int] = []
        original = screen.paged.refresh_rows
        monkeypatch.setattr(screen.paged, "refresh_rows", lambda: (refreshes.append(1), original())[1])
        forbid_clear(monkeypatch, screen.paged.table)
        clock.advance(timedelta(hours=6))
        report = scheduler.tick(run_inline=True)
        assert len(report.claimed) > 10  # dozens of events (started, finished) ...
        await settle(pilot)
        assert len(refreshes) == 1  # ... shown in one update of the rows
        shown = {row.id: row for row in screen.paged.rows}
        ran = [c.task_id for c in report.claimed if c.task_id in shown]
        assert ran and all(shown[t].last_result is RunResult.SUCCESSFUL for t in ran)
        key = str(ran[0])
        assert screen.paged.table.get_cell(key, "last_run").plain == (DEMO_NOW + timedelta(hours=6)).strftime(
            "%Y-%m-%d %H:%M")


# ---------------------------------------------------------------- the scheduler worker


async def test_scheduler_is_off_by_default_and_with_no_scheduler(backend: Backend) -> None:
    app = make_app(backend)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.scheduler is None
        assert not [w for w in app.workers if w.group == "scheduler"]
    assert _console_runs_tasks(_parser().parse_args([])) is True
    assert _console_runs_tasks(_parser().parse_args(["--no-scheduler"])) is False
    assert _console_runs_tasks(_parser().parse_args(["--read-only"])) is False


async def test_scheduler_worker_runs_due_tasks_and_stops_on_exit(backend: Backend) -> None:
    clock = FixedClock(DEMO_NOW + timedelta(hours=6))  # tasks are due when the console starts
    app = make_app(backend, start="tasks", scheduler=scheduler_factory(clock), scheduler_poll=0.05)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()  # it starts once the first screen is painted
        workers = [w for w in app.workers if w.group == "scheduler"]
        assert len(workers) == 1 and app.scheduler is not None
        for _ in range(200):  # the worker's thread claims and runs them; the UI keeps answering meanwhile
            await pilot.pause(0.05)
            runs = backend.tasks.list(TaskFilter(result=RunResult.SUCCESSFUL), PageRequest(0, 500)).rows
            if sum(1 for r in runs if r.last_run_at == clock.now()) >= 20:
                break
        else:
            raise AssertionError("the scheduler worker ran nothing")
        await pilot.press("down")  # still responsive
    assert app.scheduler_stop_requested  # on exit: serve() returns, then shutdown(grace) closes in-flight runs


def test_runs_reporting_after_the_console_closed_are_dropped_quietly(backend: Backend) -> None:
    """A run finishing during shutdown reports to a console whose screens are gone: nothing to show, no error
    (this raised ScreenStackError now and then when a test's console closed)."""
    from procmod.core.scheduler import SchedulerEvent

    app = make_app(backend, start="tasks")
    assert not app.screen_stack
    app._pending_events.append(SchedulerEvent("run_finished", task_id=1, module_id=1))  # gathered, not yet shown
    app.show_scheduler_activity()
    assert app.scheduler_events_pending == 0


# ---------------------------------------------------------------- Background tasks screen


async def test_tasks_screen_shows_cron_words_and_next_run(backend: Backend) -> None:
    app = make_app(backend, start="tasks")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, TaskListScreen)
        row = next(r for r in screen.paged.rows if r.enabled)
        table = screen.paged.table
        assert table.column_keys == [
            "module", "name", "last_run", "result", "duration", "schedule", "next_run", "words"]  # issue 18 item 9
        assert table.get_cell(str(row.id), "schedule").plain == row.schedule
        assert table.get_cell(str(row.id), "words").plain == row.schedule_in_words != ""
        assert table.get_cell(str(row.id), "next_run").plain == row.next_run_at.strftime("%Y-%m-%d %H:%M")


async def test_run_now_records_a_run(backend: Backend) -> None:
    clock = FixedClock(DEMO_NOW)
    app = make_app(backend, start="tasks", scheduler=scheduler_factory(clock))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, TaskListScreen)
        row = screen.paged.selected
        assert row is not None
        before = backend.tasks.runs(row.id).total
        await pilot.press("r")
        await settle(pilot)
        runs = backend.tasks.runs(row.id)
        assert runs.total == before + 1
        assert runs.rows[0].result is RunResult.SUCCESSFUL and runs.rows[0].started_at == DEMO_NOW
        assert screen.paged.table.get_cell(str(row.id), "result").plain == "Successful"


async def test_run_now_without_a_scheduler_uses_a_one_off_one(backend: Backend,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(backend.integrations, "run_task", scripted_body(None))
    app = make_app(backend, start="tasks")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        row = app.screen.paged.selected
        before = backend.tasks.runs(row.id).total
        await pilot.press("r")
        await settle(pilot)
        assert backend.tasks.runs(row.id).total == before + 1
        assert not [w for w in app.workers if w.group == "scheduler"]


async def test_disable_and_enable_a_task(backend: Backend) -> None:
    app = make_app(backend, start="tasks")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, TaskListScreen)
        row = screen.paged.selected
        assert row is not None and row.enabled
        assert screen.check_action("enable_task", ()) is False  # already enabled: dimmed
        await pilot.press("D")
        await settle(pilot)
        stored = next(r for r in backend.tasks.list(TaskFilter(module_id=row.module_id)).rows if r.id == row.id)
        assert not stored.enabled
        assert screen.paged.table.get_cell(str(row.id), "next_run").plain == "off (disabled)"
        await pilot.press("E")
        await settle(pilot)
        stored = next(r for r in backend.tasks.list(TaskFilter(module_id=row.module_id)).rows if r.id == row.id)
        assert stored.enabled and stored.schedule == row.schedule


async def test_read_only_has_no_run_now_or_enable(backend: Backend) -> None:
    app = make_app(backend, start="tasks", read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        for action in ("run_now", "enable_task", "disable_task"):
            assert app.screen.check_action(action, ()) is False  # hidden, not dimmed


# ---------------------------------------------------------------- a task's runs


async def test_history_lists_runs_newest_first_and_new_runs_arrive(backend: Backend,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    clock = FixedClock(DEMO_NOW + timedelta(minutes=1))
    app = make_app(backend, start="tasks", scheduler=scheduler_factory(clock))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        row = app.screen.paged.selected
        await pilot.press("enter")
        await pilot.pause()
        history = app.screen
        assert isinstance(history, TaskHistoryScreen)
        stored = backend.tasks.runs(row.id)
        assert [r.id for r in history.paged.rows] == [r.id for r in stored.rows]
        started = [r.started_at for r in history.paged.rows]
        assert started == sorted(started, reverse=True) and len(started) > 1
        forbid_clear(monkeypatch, history.paged.table)
        await pilot.press("r")  # Run now from the history: the new run arrives on top, by key
        await settle(pilot)
        newest = backend.tasks.runs(row.id).rows[0]
        table = history.paged.table
        assert table.row_keys[0] == str(newest.id)
        assert table.get_cell(str(newest.id), "result").plain == "Successful"
        assert [r.id for r in history.paged.rows][1:] == [r.id for r in stored.rows][:len(history.paged.rows) - 1]

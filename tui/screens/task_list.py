"""Background tasks of every module: schedule (cron and in words), next run, last run, result, duration.

Enter opens a task's runs; `r` runs it now (claimed through the scheduler, executed in a worker); `E`/`D`
enable or disable it; `e` edits its schedule. Scheduler events rewrite the rows shown by key, live.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.message import Message

from procmod.core.dto import Page, PageRequest, RunResult, TaskFilter, TaskRow
from procmod.core.formatting import format_duration, format_time
from procmod.core.errors import NotFound
from procmod.core.validation import ValidationError
from procmod.tui.actions import bindings_for
from procmod.tui.screens.list_base import ListScreen, cycle
from procmod.tui.widgets.paged_table import Column
from procmod.tui.widgets.row_table import RowTable

if TYPE_CHECKING:
    from procmod.tui.messages import SchedulerActivity


def _name(row: TaskRow) -> str | Text:
    """The task's name; a disabled one is dimmed here and says "off" under Next run (the words survive
    NO_COLOR; a suffix here would push Duration off a 120-column screen)."""
    return row.name if row.enabled else Text(row.name, style="dim")


def _next_run(row: TaskRow) -> str:
    return format_time(row.next_run_at) if row.enabled else "off (disabled)"


class TaskListScreen(ListScreen[TaskFilter]):
    SCREEN_ID = "tasks"
    FILTER_TYPE = TaskFilter
    BINDINGS = bindings_for("tasks")

    class Done(Message):
        """A worker of this screen finished: what to tell the operator (None: nothing), how loudly."""

        def __init__(self, text: str | None, severity: str = "information", task_id: int | None = None) -> None:
            super().__init__()
            self.text, self.severity, self.task_id = text, severity, task_id

    def columns(self) -> list[Column[Any]]:
        return [
            # The manual's columns first (name, last run, last result, duration, schedule), so that they
            # are on screen at 120 columns with the pane shown; the rest is a → or two away.
            Column("module", "Processing module", lambda r: r.module_name),
            Column("name", "Name", _name),
            Column("last_run", "Last run", lambda r: format_time(r.last_run_at), width=16),
            Column("result", "Last result", lambda r: r.last_result.label if r.last_result else "Never run",
                   width=12),
            Column("duration", "Duration", lambda r: format_duration(r.last_duration), width=8),
            Column("schedule", "Schedule", lambda r: r.schedule),
            Column("next_run", "Next run", _next_run),
            Column("words", "In words", lambda r: r.schedule_in_words),
        ]

    def fetch(self, page: PageRequest) -> Page[TaskRow]:
        return self.backend.tasks.list(self.filter, page)

    def describe_filter(self) -> list[str]:
        parts = super().describe_filter()
        if self.filter.result:
            parts.append(f"last result {self.filter.result.label}")
        return parts

    def action_cycle_status(self) -> None:
        self.set_filter(result=cycle(list(RunResult), self.filter.result))

    # ------------------------------------------------------------------ live

    def on_scheduler_activity(self, message: SchedulerActivity) -> None:
        """Runs started or finished: rewrite the rows shown of those tasks (by key, no reload)."""
        if message.task_ids & {row.id for row in self.paged.rows}:
            self.paged.refresh_rows()
            self.refresh_bindings()

    # ------------------------------------------------------------------ keys

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        allowed = super().check_action(action, parameters)
        if allowed and action in ("enable_task", "disable_task"):
            row = self.paged.selected if self.is_mounted else None
            if row is not None and row.enabled == (action == "enable_task"):
                return False  # dimmed: the task already is
        return allowed

    @on(RowTable.RowHighlighted)
    def _row_highlighted(self) -> None:
        self.refresh_bindings()

    def open_row(self, row: TaskRow) -> None:
        from procmod.tui.screens.task_history import TaskHistoryScreen

        self.app.push_screen(TaskHistoryScreen(row))

    def action_task_history(self) -> None:
        self.action_open_row()

    def action_task_module(self) -> None:
        row = self.paged.selected
        if row is not None:
            self.app.open_card(row.module_id)

    def action_edit_schedule(self) -> None:
        from procmod.tui.screens.schedule_editor import ScheduleScreen

        row = self.paged.selected
        if row is None:
            return

        def saved(done: bool | None) -> None:
            if done:
                self.notify(f"Schedule of {row.name} ({row.module_name}) saved", title="Background tasks")
                self.paged.reload()

        self.app.push_screen(ScheduleScreen(row), saved)

    def action_run_now(self) -> None:
        row = self.paged.selected
        if row is not None:
            run_task_now(self, row)

    def action_enable_task(self) -> None:
        self._set_enabled_on_selected(True)

    def action_disable_task(self) -> None:
        self._set_enabled_on_selected(False)

    def _set_enabled_on_selected(self, enabled: bool) -> None:
        row = self.paged.selected
        if row is not None and row.enabled != enabled:
            self._set_enabled(row, enabled)

    @work(thread=True, group="tasks", exit_on_error=False)
    def _set_enabled(self, row: TaskRow, enabled: bool) -> None:
        try:
            self.backend.commands.set_task_schedule(row.id, row.schedule, enabled)
        except (NotFound, ValidationError) as refused:
            self.post_message(self.Done(str(refused), "warning"))
            return
        state = "enabled: it runs on its schedule" if enabled else "disabled: it no longer runs"
        self.post_message(self.Done(f"{row.name} ({row.module_name}) {state}", task_id=row.id))

    def on_task_list_screen_done(self, message: Done) -> None:
        if message.text:
            self.notify(message.text, title="Background tasks", severity=message.severity)  # type: ignore[arg-type]
        self.paged.refresh_rows()
        self.refresh_bindings()


def run_task_now(screen: Any, row: TaskRow) -> None:
    """Run now, from the tasks list or a task's history: claim through the scheduler, execute in a worker.

    The scheduler's own events then update the rows; a failure is the app's toast, a success is said here.
    """
    screen.notify(f"{row.name} ({row.module_name}) started", title="Run now")
    screen.run_worker(lambda: _run_now(screen, row), thread=True, group="run-now", exit_on_error=False,
                      name=f"run-now-{row.id}")


def _run_now(screen: Any, row: TaskRow) -> None:
    scheduler = screen.app.scheduler_for_run_now()
    claim = scheduler.run_now(row.id)
    if claim is None:
        screen.post_message(TaskListScreen.Done(
            f"{row.name} ({row.module_name}) is already running (or was deleted): not started again", "warning"))
        return
    scheduler.execute(claim)
    latest = screen.backend.tasks.runs(row.id, PageRequest(0, 1)).rows
    if latest and latest[0].result is RunResult.SUCCESSFUL:
        screen.post_message(TaskListScreen.Done(f"{row.name} ({row.module_name}): {latest[0].message or 'done'}",
                                                task_id=row.id))
    else:
        screen.post_message(TaskListScreen.Done(None, task_id=row.id))

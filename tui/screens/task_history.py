"""The runs of one background task, newest first, a page at a time: started, scheduled for, result,
duration, message. New runs arrive live (by row key); `r` runs the task now from here too."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Static

from procmod.core.dto import Page, PageRequest, TaskRow, TaskRunRow
from procmod.core.formatting import format_duration, format_time
from procmod.tui.actions import bindings_for
from procmod.tui.screens.base import ConsoleScreen
from procmod.tui.screens.task_list import TaskListScreen, run_task_now
from procmod.tui.widgets.paged_table import Column, PagedTable

if TYPE_CHECKING:
    from procmod.tui.messages import SchedulerActivity


class TaskHistoryScreen(ConsoleScreen):
    SCREEN_ID = "task_history"
    AUTO_FOCUS = "#runs > RowTable"
    BINDINGS = bindings_for("task_history")

    def __init__(self, task: TaskRow) -> None:
        super().__init__()
        self.task_row = task

    def crumbs(self, *, first: bool) -> tuple[str, ...]:
        here = f"{self.task_row.module_name}: {self.task_row.name}"
        return ("Background tasks", here) if first else (here,)

    def compose_content(self) -> ComposeResult:
        yield Static("", id="runs-title")
        yield PagedTable(self.columns(), self.fetch, id="runs")

    @staticmethod
    def columns() -> list[Column[Any]]:
        return [
            Column("started", "Started", lambda r: format_time(r.started_at)),
            Column("scheduled", "Scheduled for", lambda r: format_time(r.scheduled_for)),
            Column("result", "Result", lambda r: r.result.label),
            Column("duration", "Duration", lambda r: format_duration(r.duration)),
            Column("message", "Message", lambda r: r.message or "—"),
        ]

    def fetch(self, page: PageRequest) -> Page[TaskRunRow]:
        return self.backend.tasks.runs(self.task_row.id, page)

    @property
    def paged(self) -> PagedTable:
        return self.query_one(PagedTable)

    def on_mount(self) -> None:
        task = self.task_row
        state = "" if task.enabled else "  ·  disabled"
        self.query_one("#runs-title", Static).update(
            Text(f"Runs, newest first  ·  {task.schedule} ({task.schedule_in_words}){state}"))
        self.paged.load()

    def refresh_content(self) -> None:
        self.paged.refresh_rows()

    def on_scheduler_activity(self, message: SchedulerActivity) -> None:
        if self.task_row.id in message.task_ids:
            self.paged.refresh_rows()

    def on_task_list_screen_done(self, message: TaskListScreen.Done) -> None:
        if message.text:
            self.notify(message.text, title="Background tasks", severity=message.severity)  # type: ignore[arg-type]
        self.paged.refresh_rows()

    def action_run_now(self) -> None:
        run_task_now(self, self.task_row)

    def action_next_page(self) -> None:
        self.paged.next_page()

    def action_previous_page(self) -> None:
        self.paged.previous_page()

    def action_reload(self) -> None:
        self.paged.reload()

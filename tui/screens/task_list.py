"""Background tasks of every module: schedule, last run, its result and duration."""

from __future__ import annotations

from typing import Any

from core.dto import Page, PageRequest, RunResult, TaskFilter, TaskRow
from core.formatting import format_duration, format_time
from tui.actions import bindings_for
from tui.screens.list_base import ListScreen, cycle
from tui.widgets.paged_table import Column


class TaskListScreen(ListScreen[TaskFilter]):
    SCREEN_ID = "tasks"
    FILTER_TYPE = TaskFilter
    BINDINGS = bindings_for("tasks")

    def columns(self) -> list[Column[Any]]:
        return [
            Column("module", "Processing module", lambda r: r.module_name),
            Column("name", "Name", lambda r: r.name + ("" if r.enabled else " (off)")),
            Column("schedule", "Schedule", lambda r: r.schedule),
            Column("last_run", "Last run", lambda r: format_time(r.last_run_at)),
            Column("result", "Last result", lambda r: r.last_result.label if r.last_result else "Never run"),
            Column("duration", "Duration", lambda r: format_duration(r.last_duration)),
        ]

    def fetch(self, page: PageRequest) -> Page[TaskRow]:
        return self.backend.tasks.list(self.filter, page)

    def describe_filter(self) -> list[str]:
        parts = []
        if self.filter.module_id is not None:
            parts.append(f"module {self.module_name(self.filter.module_id)}")
        if self.filter.result:
            parts.append(f"last result {self.filter.result.label}")
        return parts + super().describe_filter()

    def action_cycle_status(self) -> None:
        self.set_filter(result=cycle(list(RunResult), self.filter.result))

    def open_row(self, row: TaskRow) -> None:
        self.app.open_card(row.module_id)

    def action_edit_schedule(self) -> None:
        from tui.screens.schedule_editor import ScheduleScreen

        row = self.paged.selected
        if row is None:
            return

        def saved(done: bool | None) -> None:
            if done:
                self.notify(f"Schedule of {row.name} ({row.module_name}) saved", title="Background tasks")
                self.paged.reload()

        self.app.push_screen(ScheduleScreen(row), saved)

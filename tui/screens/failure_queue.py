"""Failed operations (a main-menu destination): every failed or interrupted service operation and every
background task whose last run failed, newest first, with the error, the hint, the module's responsible
department and how many times it was tried. `r` retries (the same idempotent operation; for a task, Run
now), `x` dismisses with a reason (audited), Enter opens the service's card or the task's runs. A retry that
succeeds clears its entry; the list follows the job engine live."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual import work
from textual.app import ComposeResult
from textual.message import Message
from textual.widgets import Input, Static

from procmod.core.dto import Page, PageRequest, TaskFilter
from procmod.core.formatting import format_time
from procmod.tui.actions import bindings_for
from procmod.tui.screens.list_base import ListScreen
from procmod.tui.widgets.paged_table import Column, PagedTable

if TYPE_CHECKING:
    from procmod.core.services import QueueEntry
    from procmod.tui.messages import JobActivity, SchedulerActivity

STATE_WORDS = {"failed": "✗ Failed", "interrupted": "! Interrupted", "unsuccessful": "✗ Failed"}


class FailureQueueScreen(ListScreen[Any]):
    SCREEN_ID = "failures"
    BINDINGS = bindings_for("failures")

    class Done(Message):
        def __init__(self, text: str, severity: str = "information") -> None:
            super().__init__()
            self.text, self.severity = text, severity

    def columns(self) -> list[Column[Any]]:
        from procmod.core.services import OPERATIONS

        return [
            Column("when", "When", lambda e: format_time(e.at)),
            Column("what", "What", lambda e: (OPERATIONS[e.kind].title if e.source == "job" and e.kind in OPERATIONS
                                              else "Task") + f": {e.subject}"),
            Column("state", "Result", lambda e: STATE_WORDS.get(e.state, e.state)
                   + (f" ×{e.attempts}" if e.attempts > 1 else "")),
            Column("module", "Module", lambda e: e.module_name),
            Column("department", "Department", lambda e: e.department),
            Column("error", "Error · what to do", lambda e: e.message + (f" · {e.hint}" if e.hint else "")),
        ]

    def compose_content(self) -> ComposeResult:
        yield Static("", id="filter-line")
        yield Input(id="filter-input", classes="-hidden")
        yield PagedTable(self.columns(), self.fetch, id="list", row_id=lambda e: f"{e.source}:{e.id}")  # type: ignore[arg-type,return-value]

    def fetch(self, page: PageRequest) -> Page[QueueEntry]:
        from procmod.core.first_page import FIRST_PAGES

        return FIRST_PAGES["failures"](self.backend, page)

    def describe_filter(self) -> list[str]:
        return []

    def _show_filter(self) -> None:
        from procmod.tui.widgets.lines import set_line

        set_line(self.query_one("#filter-line", Static),
                 "Failed operations and background runs, newest first · r retries · x dismisses · Enter opens")

    # ------------------------------------------------------------------ keys

    def open_row(self, row: Any) -> None:
        entry: QueueEntry = row
        if entry.source == "job" and entry.subject_id is not None:
            self.app.open_service(entry.subject_id)
        elif entry.module_id is not None:
            task = self._task_row(entry)
            if task is not None:
                from procmod.tui.screens.task_history import TaskHistoryScreen

                self.app.push_screen(TaskHistoryScreen(task))

    def _task_row(self, entry: QueueEntry) -> Any:
        tasks = self.backend.tasks.list(TaskFilter(module_id=entry.module_id), PageRequest(limit=50)).rows
        return next((t for t in tasks if t.id == entry.subject_id), None)

    def action_retry(self) -> None:
        entry: QueueEntry | None = self.paged.selected
        if entry is None:
            return
        if entry.source == "run":
            task = self._task_row(entry)
            if task is not None:
                from procmod.tui.screens.task_list import run_task_now

                run_task_now(self, task)
            return
        self._retry(entry.id)

    @work(thread=True, group="failures", exit_on_error=False)
    def _retry(self, job_id: int) -> None:
        from procmod.core.errors import NotFound
        from procmod.core.services import OperationRefused, ServiceBusy

        try:
            self.backend.operations.retry(job_id)
        except (OperationRefused, ServiceBusy, NotFound) as refused:
            self.post_message(self.Done(str(refused), "warning"))
            return
        self.post_message(self.Done("Retry queued"))

    def action_dismiss(self) -> None:
        entry: QueueEntry | None = self.paged.selected
        if entry is None:
            return
        from procmod.tui.screens.dismiss_reason import DismissScreen

        def answered(reason: str | None) -> None:
            if reason:
                self.backend.operations.dismiss(entry.source, entry.id, reason)
                self.app.pane_feed.invalidate()
                self.paged.refresh_rows()
                self.notify("Dismissed; the reason is in the audit history", title="Failed operations")

        self.app.push_screen(DismissScreen(f"“{entry.subject}”"), answered)

    def on_failure_queue_screen_done(self, message: Done) -> None:
        self.notify(message.text, title="Failed operations", severity=message.severity)  # type: ignore[arg-type]
        if message.severity == "information":
            self.app.run_jobs()
        self.paged.refresh_rows()

    def on_job_activity(self, message: JobActivity) -> None:
        self.paged.refresh_rows()

    def on_scheduler_activity(self, message: SchedulerActivity) -> None:
        self.paged.refresh_rows()

    def on_task_list_screen_done(self, message: Any) -> None:
        if getattr(message, "text", None):
            self.notify(message.text, title="Background tasks", severity=message.severity)
        self.paged.refresh_rows()

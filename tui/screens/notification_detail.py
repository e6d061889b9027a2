"""One notification on its own screen: the full text, its module, the task and run that raised it, and what
to do. Opening it marks it read (the pane and the card no longer show it)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from procmod.core.dto import NotificationDetail, NotificationRow, TaskFilter
from procmod.core.errors import NotFound
from procmod.core.formatting import format_duration, format_time
from procmod.core.schedule import describe
from procmod.tui.actions import bindings_for
from procmod.tui.screens.base import ConsoleScreen

KIND_TITLES = {
    "task_failed": "A background task failed", "interrupted": "A background task was interrupted",
    "recovered": "A background task works again", "low_balance": "Balance below the minimal balance",
    "sync_drift": "Services differ from the external system", "disabled": "The module was disabled",
}


def detail_lines(pairs: list[tuple[str, str | Text]], *, label_width: int = 14) -> Text:
    """`Label   value` lines, the values wrapping under themselves (shared by the detail screens)."""
    text = Text()
    for index, (label, value) in enumerate(pairs):
        if index:
            text.append("\n")
        text.append(f"{label:<{label_width}}", style="bold")
        text.append(value if isinstance(value, Text) else Text(str(value)))
    return text


def open_drift_report(screen: ConsoleScreen, notification: NotificationRow | NotificationDetail) -> None:
    """A drift notification's report: the module's latest reconciliation (the sync stored it), headed by the
    notification's text and time; the notification is marked read, as opening it in full does."""
    from procmod.tui.screens.module_actions import ModuleRef
    from procmod.tui.screens.recon_report import ReconReportScreen

    assert notification.module_id is not None
    if notification.read_at is None:
        screen.backend.notifications.mark_read([notification.id])
        screen.app.pane_feed.invalidate()
    notice = f"Notification of {format_time(notification.created_at)}: {notification.description}"
    screen.app.push_screen(ReconReportScreen(ModuleRef(notification.module_id, notification.module_name or ""),
                                             notice=notice))


class NotificationScreen(ConsoleScreen):
    SCREEN_ID = "notification"
    BINDINGS = bindings_for("notification")

    def __init__(self, notification_id: int) -> None:
        super().__init__()
        self.notification_id = notification_id
        self.detail: NotificationDetail | None = None

    def crumbs(self, *, first: bool) -> tuple[str, ...]:
        here = f"Notification #{self.notification_id}"
        return ("Notifications", here) if first else (here,)

    def compose_content(self) -> ComposeResult:
        with VerticalScroll(id="detail"):
            yield Static("", id="detail-title")
            yield Static("", id="detail-body")
            yield Static("What to do", classes="related-title")
            yield Static("", id="detail-advice")

    def on_mount(self) -> None:
        self.refresh_content()

    def refresh_content(self) -> None:
        try:
            self.detail = detail = self.backend.notifications.open(self.notification_id)
        except NotFound as gone:
            self.notify(str(gone), title="Not found", severity="warning")
            self.detail = None
            self.query_one("#detail-title", Static).update(str(gone))
            return
        # It was just marked read: the pane (and the lists below, when shown again) read again.
        self.app.pane_feed.invalidate()
        self.apply_pane()
        pairs: list[tuple[str, str | Text]] = [
            ("Module", detail.module_name or "— (none)"),
            ("Added", format_time(detail.created_at)),
            ("State", f"Read {format_time(detail.read_at)}" if detail.read_at else "Unread"),
        ]
        if detail.occurrences > 1:
            pairs.append(("Occurrences", f"{detail.occurrences} (the latest is shown)"))
        if detail.task_name:
            pairs.append(("Task", f"{detail.task_name}, {describe(detail.task_schedule or '')}"))
        if detail.run_result is not None:
            took = format_duration(detail.run_finished_at - detail.run_started_at
                                   if detail.run_finished_at and detail.run_started_at else None)
            pairs.append(("Task run", f"{format_time(detail.run_started_at)}  {detail.run_result.label}  ({took})"))
            if detail.run_message:
                pairs.append(("Run message", detail.run_message))
        pairs.append(("Text", detail.description))
        self.query_one("#detail-title", Static).update(
            Text(KIND_TITLES.get(detail.kind, detail.kind.replace("_", " ").capitalize()), style="bold"))
        self.query_one("#detail-body", Static).update(detail_lines(pairs))
        advice = detail.advice + ("\nEnter (or o) opens the module's reconciliation report: which services drift "
                                  "and how, with the actions to fix them." if detail.kind == "sync_drift" else "")
        self.query_one("#detail-advice", Static).update(Text(advice))
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "open_report" and (self.detail is None or self.detail.kind != "sync_drift"
                                        or self.detail.module_id is None):
            return False  # only a drift notification has a reconciliation report to open
        return super().check_action(action, parameters)

    def action_open_report(self) -> None:
        """A sync_drift notification: the module's latest reconciliation report (the sync stored it)."""
        detail = self.detail
        if detail is not None and detail.kind == "sync_drift" and detail.module_id is not None:
            open_drift_report(self, detail)

    def action_open_module(self) -> None:
        if self.detail is not None and self.detail.module_id is not None:
            self.app.open_card(self.detail.module_id)

    def action_open_task_runs(self) -> None:
        detail = self.detail
        if detail is None or detail.task_id is None or detail.module_id is None:
            self.notify("This notification was not raised by a background task.", title="No task")
            return
        from procmod.tui.screens.task_history import TaskHistoryScreen

        tasks = self.backend.tasks.list(TaskFilter(module_id=detail.module_id)).rows
        task = next((t for t in tasks if t.id == detail.task_id), None)
        if task is None:
            self.notify("The task no longer exists.", title="Not found", severity="warning")
            return
        self.app.push_screen(TaskHistoryScreen(task))

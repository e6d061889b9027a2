"""The pane of the latest unread notifications, beside every screen.

`refresh_notifications()` re-reads them and updates the rows by key inside one `batch_update()`:
rows of read notifications leave, new ones arrive, ages are rewritten; nothing is cleared and refilled,
so a scheduler can call it on every event without the pane flickering. The app posts the pane a
`SchedulerActivity` (scheduler events, already coalesced) and the pane refreshes itself when shown.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from core.dto import NotificationRow
from core.formatting import format_age

if TYPE_CHECKING:
    from tui.app import SchedulerActivity

PANE_LIMIT = 20


class _Age(Text):
    """An age cell that remembers the moment it was made from, so rows sort newest first."""

    def __init__(self, text: str, created_at: datetime, notification_id: int) -> None:
        super().__init__(text)
        self.sort_key = (created_at, notification_id)


class NotificationsPane(Vertical):
    """Latest unread notifications: age and `module: description`, newest first."""

    DEFAULT_CSS = """
    NotificationsPane {
        width: 38;
        height: 1fr;
        border-left: vkey $border;
    }
    NotificationsPane > .notifications-pane--title {
        height: 1;
        padding: 0 1;
        text-style: bold;
        background: $panel;
    }
    NotificationsPane > DataTable {
        height: 1fr;
        overflow-x: hidden;
    }
    """

    def __init__(self, *, limit: int = PANE_LIMIT, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self._limit = limit
        self._refresh_pending = False
        self.unread_total = 0

    def compose(self) -> ComposeResult:
        yield Static("Unread notifications", classes="notifications-pane--title")
        table: DataTable = DataTable(cursor_type="none", show_header=False, zebra_stripes=True)
        table.can_focus = False
        table.add_column("When", key="age", width=10)
        table.add_column("Notification", key="text", width=22)
        yield table

    @property
    def table(self) -> DataTable:
        return self.query_one(DataTable)

    @property
    def notification_ids(self) -> list[int]:
        """The ids shown, top to bottom."""
        table = self.table
        return [int(table.coordinate_to_cell_key((i, 0)).row_key.value or 0) for i in range(table.row_count)]

    def schedule_refresh(self) -> None:
        """Refresh once after the current burst of updates (mount, resume and resize all ask for one)."""
        if not self._refresh_pending:
            self._refresh_pending = True
            self.call_after_refresh(self._scheduled_refresh)

    def _scheduled_refresh(self) -> None:
        self._refresh_pending = False
        if self.display:
            self.refresh_notifications()

    def refresh_notifications(self) -> None:
        backend = self.app.loaded_backend
        if backend is None:  # the database is still opening (the first screen paints before it)
            self.query_one(".notifications-pane--title", Static).update(Text("Unread notifications (opening…)"))
            return
        latest = backend.notifications.latest_unread(limit=self._limit)
        self.unread_total = backend.notifications.unread_count()
        now = backend.clock.now()
        table = self.table
        wanted = {str(n.id): n for n in latest}
        with self.app.batch_update():
            for row_key in list(table.rows):
                if row_key.value not in wanted:
                    table.remove_row(row_key)
            shown = {key.value for key in table.rows}
            for key, notification in wanted.items():
                age = _Age(format_age(notification.created_at, now), notification.created_at, notification.id)
                if key in shown:
                    table.update_cell(key, "age", age)
                    table.update_cell(key, "text", self._text(notification))  # a failure streak's count grows
                else:
                    table.add_row(age, self._text(notification), key=key)
            table.sort("age", key=lambda cell: cell.sort_key, reverse=True)
        title = f"Unread notifications ({self.unread_total:,})"
        self.query_one(".notifications-pane--title", Static).update(Text(title))

    def on_scheduler_activity(self, message: SchedulerActivity) -> None:
        """Runs finished or notifications were raised: show the latest unread (when the pane is shown)."""
        message.stop()
        if self.display:
            self.refresh_notifications()

    @staticmethod
    def _text(notification: NotificationRow) -> Text:
        prefix = f"{notification.module_name}: " if notification.module_name else ""
        return Text(prefix + notification.description, no_wrap=True, overflow="ellipsis")

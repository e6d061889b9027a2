"""The pane of the latest unread notifications, beside every screen.

`refresh_notifications()` re-reads them and gives the table its rows in one `set_rows`, which repaints
only the rows that changed: rows of read notifications leave, new ones arrive, ages are rewritten;
nothing is cleared and refilled, so a scheduler can call it on every event without the pane flickering. The app posts the pane a
`SchedulerActivity` (scheduler events, already coalesced) and the pane refreshes itself when shown.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from core.dto import NotificationRow
from core.formatting import format_age
from tui.widgets.row_table import RowTable
from tui.widgets.lines import set_line

if TYPE_CHECKING:
    from tui.app import SchedulerActivity

PANE_LIMIT = 20


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
    NotificationsPane > RowTable {
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
        table = RowTable(cursor_type="none", show_header=False, zebra_stripes=True)
        table.can_focus = False
        table.add_column("When", key="age", width=10)
        table.add_column("Notification", key="text", width=22)
        yield table

    @property
    def table(self) -> RowTable:
        return self.query_one(RowTable)

    @property
    def notification_ids(self) -> list[int]:
        """The ids shown, top to bottom."""
        return [int(key) for key in self.table.row_keys]

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
            set_line(self.query_one(".notifications-pane--title", Static), "Unread notifications (opening…)")
            return
        latest = backend.notifications.latest_unread(limit=self._limit)
        self.unread_total = backend.notifications.unread_count()
        now = backend.clock.now()
        newest_first = sorted(latest, key=lambda n: (n.created_at, n.id), reverse=True)
        self.table.set_rows((str(n.id), (format_age(n.created_at, now), self._text(n))) for n in newest_first)
        title = f"Unread notifications ({self.unread_total:,})"
        set_line(self.query_one(".notifications-pane--title", Static), title)

    def on_scheduler_activity(self, message: SchedulerActivity) -> None:
        """Runs finished or notifications were raised: show the latest unread (when the pane is shown)."""
        message.stop()
        if self.display:
            self.refresh_notifications()

    @staticmethod
    def _text(notification: NotificationRow) -> Text:
        prefix = f"{notification.module_name}: " if notification.module_name else ""
        return Text(prefix + notification.description)

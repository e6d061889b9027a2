"""The pane of the latest unread notifications, beside every screen.

Every screen has its pane, but they all show one `PaneFeed` that the app keeps: the latest unread and their
count, read from the database when something in this console changed them (a run ended, a notification
was marked read) or when the last reading is older than `PaneFeed.MAX_AGE` (other processes' changes).
So opening a screen reads nothing and its pane is filled before the screen's first frame.

`refresh_notifications()` gives the table its rows in one `set_rows`, which repaints only the rows that
changed: rows of read notifications leave, new ones arrive, ages are rewritten; nothing is cleared and
refilled, so a scheduler can call it on every event without the pane flickering. The app posts the pane a
`SchedulerActivity` (scheduler events, already coalesced) and the pane refreshes itself when shown.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from procmod.core.formatting import format_age
from procmod.tui.widgets.row_table import RowTable
from procmod.tui.widgets.lines import set_line

if TYPE_CHECKING:
    from procmod.core.backend import Backend
    from procmod.core.dto import NotificationRow
    from procmod.tui.messages import JobActivity, SchedulerActivity

PANE_LIMIT = 20
#: The pane's width: 38 columns up to a 126-column terminal, then 30% of it (up to 64), so that on a wide
#: terminal the notifications' text is not cut at 22 characters while the lists keep their columns.
PANE_MIN_WIDTH, PANE_MAX_WIDTH, PANE_SHARE = 38, 64, 0.30


def pane_width(screen_width: int) -> int:
    return max(PANE_MIN_WIDTH, min(PANE_MAX_WIDTH, int(screen_width * PANE_SHARE)))


class PaneFeed:
    """The latest unread notifications and their count, shared by every screen's pane (see the module)."""

    #: Changes made by other processes (workers, other operators) show within this many seconds.
    MAX_AGE = 10.0

    def __init__(self, *, limit: int = PANE_LIMIT, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self._monotonic = monotonic
        self._read_at: float | None = None
        self.latest: list[NotificationRow] = []
        self.total = 0
        #: Entries in the failure queue (Failed operations in the main menu).
        self.failures = 0

    def invalidate(self) -> None:
        """Something in this console changed the notifications: the next look reads them again."""
        self._read_at = None

    @property
    def stale(self) -> bool:
        return self._read_at is None or self._monotonic() - self._read_at > self.MAX_AGE

    def read(self, backend: Backend) -> None:
        latest, self.total, self.failures = backend.pane(self.limit)
        self.latest = sorted(latest, key=lambda n: (n.created_at, n.id), reverse=True)
        self._read_at = self._monotonic()


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
    NotificationsPane > .notifications-pane--failures {
        height: 1;
        padding: 0 1;
        color: $warning;
    }
    NotificationsPane > RowTable {
        height: 1fr;
        overflow-x: hidden;
    }
    """

    def compose(self) -> ComposeResult:
        yield Static("Unread notifications", classes="notifications-pane--title")
        failures = Static("", classes="notifications-pane--failures")
        failures.display = False
        yield failures
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

    @property
    def unread_total(self) -> int:
        return self.app.pane_feed.total

    def refresh_notifications(self) -> None:
        """Show the feed's notifications, read again first when it is stale. Screens call this when shown,
        so the pane is filled before their frame is painted, not in a second one."""
        backend = self.app.loaded_backend
        if backend is None:  # the database is still opening (the first screen paints before it)
            set_line(self.query_one(".notifications-pane--title", Static), "Unread notifications (opening…)")
            return
        feed = self.app.pane_feed
        if feed.stale:
            feed.read(backend)
        now = backend.clock.now()
        self.table.set_rows((str(n.id), (format_age(n.created_at, now), self._text(n))) for n in feed.latest)
        set_line(self.query_one(".notifications-pane--title", Static), f"Unread notifications ({feed.total:,})")
        failures = self.query_one(".notifications-pane--failures", Static)
        if feed.failures:
            set_line(failures, f"✗ Failed operations: {feed.failures:,}")
        failures.display = bool(feed.failures)

    def fit_to(self, screen_width: int) -> None:
        """Take the width the screen gives the pane (`pane_width`)."""
        width = pane_width(screen_width)
        if self.styles.width is None or self.styles.width.value != width:
            self.styles.width = width

    def on_scheduler_activity(self, message: SchedulerActivity) -> None:
        """Runs finished or notifications were raised: show the latest unread (when the pane is shown)."""
        message.stop()
        if self.display:
            self.refresh_notifications()  # the app invalidated the feed before posting this

    def on_job_activity(self, message: JobActivity) -> None:
        """Operations finished or failed: the failure count may have changed (when the pane is shown)."""
        message.stop()
        if self.display:
            self.refresh_notifications()

    @staticmethod
    def _text(notification: NotificationRow) -> Text:
        prefix = f"{notification.module_name}: " if notification.module_name else ""
        return Text(prefix + notification.description)

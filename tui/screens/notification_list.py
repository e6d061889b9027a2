"""Notifications: all of them, newest first, filterable by module; `r` marks one read, `R` all."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from procmod.core.dto import NotificationFilter, NotificationRow, Page, PageRequest
from procmod.core.formatting import format_time
from procmod.tui.actions import bindings_for
from procmod.tui.screens.list_base import ListScreen
from procmod.tui.widgets.paged_table import Column

if TYPE_CHECKING:
    from procmod.tui.messages import SchedulerActivity


class NotificationListScreen(ListScreen[NotificationFilter]):
    SCREEN_ID = "notifications"
    FILTER_TYPE = NotificationFilter
    TEXT_FIELD = "description"
    BINDINGS = bindings_for("notifications")

    def columns(self) -> list[Column[Any]]:
        return [
            Column("state", "State", lambda r: "Unread" if r.unread else "Read"),
            Column("added", "Date added", lambda r: format_time(r.created_at)),
            Column("module", "Processing module", lambda r: r.module_name),
            Column("description", "Description", lambda r: r.description),
        ]

    def fetch(self, page: PageRequest) -> Page[NotificationRow]:
        return self.backend.notifications.list(self.filter, replace(page, sort="created", descending=True))

    def describe_filter(self) -> list[str]:
        parts = []
        if self.filter.module_id is not None:
            parts.append(f"module {self.module_name(self.filter.module_id)}")
        if self.filter.unread_only:
            parts.append("unread only")
        text = self.filter.text
        return parts + ([f"{self.TEXT_FIELD} contains “{text}” (anywhere, any case)"] if text else [])

    def on_scheduler_activity(self, message: SchedulerActivity) -> None:
        """Notifications were raised: the page shown is read again (rows by key; the cursor stays)."""
        if any(event.kind in ("notification", "run_interrupted") for event in message.events):
            self.paged.refresh_rows()

    def open_row(self, row: NotificationRow) -> None:
        """Enter: what the notification is about. A drift notification opens its module's latest
        reconciliation report (the sync stored it; the notification is marked read and its text heads the
        report); any other opens in full on its own screen (which marks it read). `v` opens any in full."""
        if row.kind == "sync_drift" and row.module_id is not None:
            from procmod.tui.screens.notification_detail import open_drift_report

            open_drift_report(self, row)
            return
        self.open_in_full(row)

    def action_open_detail(self) -> None:
        if (row := self.paged.selected) is not None:
            self.open_in_full(row)

    def open_in_full(self, row: NotificationRow) -> None:
        from procmod.tui.screens.notification_detail import NotificationScreen

        self.app.push_screen(NotificationScreen(row.id))

    def action_mark_read(self) -> None:
        row = self.paged.selected
        if row is None or not row.unread:
            return
        self.backend.notifications.mark_read([row.id])
        self._after_marking()

    def action_mark_all_read(self) -> None:
        count = self.backend.notifications.mark_all_read(self.filter.module_id)
        self.notify(f"{count:,} notification(s) marked read.", title="Notifications")
        self._after_marking()

    def _after_marking(self) -> None:
        self.app.pane_feed.invalidate()
        self.paged.reload()
        self.apply_pane()

"""One audit entry on its own screen: when, who, what, and every field it records before → after (secrets
were masked when the entry was written: they read "changed", never a value)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from procmod.core.dto import AuditRow
from procmod.core.formatting import format_time
from procmod.tui.screens.base import ConsoleScreen
from procmod.tui.screens.module_history import field_labels
from procmod.tui.screens.notification_detail import detail_lines
from procmod.tui.widgets.row_table import RowTable


class AuditEntryScreen(ConsoleScreen):
    SCREEN_ID = "audit_entry"
    AUTO_FOCUS = "#audit-fields"

    def __init__(self, entry: AuditRow, module_name: str) -> None:
        super().__init__()
        self.entry = entry
        self.module_name = module_name

    def crumbs(self, *, first: bool) -> tuple[str, ...]:
        here = f"Change #{self.entry.id}"
        return ("Processing modules", self.module_name, "History", here) if first else (here,)

    def compose_content(self) -> ComposeResult:
        entry = self.entry
        with Vertical(id="detail"):
            yield Static(Text(entry.summary, style="bold"), id="detail-title")
            yield Static(detail_lines([("When", format_time(entry.at)), ("Who", entry.actor),
                                       ("What", entry.action.replace("_", " "))]), id="detail-body")
            yield Static("Fields", classes="related-title")
            table = RowTable(id="audit-fields")
            table.add_column("Field", key="field")
            table.add_column("Before", key="before")
            table.add_column("After", key="after")
            yield table

    def on_mount(self) -> None:
        changes = self.entry.changes(field_labels())
        self.query_one("#audit-fields", RowTable).set_rows(
            [(change.key, (change.label, change.before, change.after)) for change in changes]
            or [("none", ("—", "", "No field recorded"))])

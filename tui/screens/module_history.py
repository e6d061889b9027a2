"""The audit history of a processing module: when, who, what, and each field before → after (secrets were
masked when written: they read "changed"). Enter opens an entry on its own screen."""

from __future__ import annotations

from functools import lru_cache

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Static

from procmod.core.dto import AuditRow
from procmod.core.formatting import format_time
from procmod.core.moduletypes import MODULE_TYPES
from procmod.tui.actions import bindings_for
from procmod.tui.screens.base import ConsoleScreen
from procmod.tui.widgets.row_table import RowTable


@lru_cache(maxsize=1)
def field_labels() -> dict[str, str]:
    """The labels of every module type's fields by key (an audit entry records keys)."""
    labels = {"name": "Name", "sort_priority": "Sort priority", "department_id": "Department",
              "datacenter_id": "Data center", "minimal_balance": "Minimal balance", "status": "Status",
              "timezone": "Time zone", "module_ids": "Linked modules", "schedule": "Schedule",
              "enabled": "Enabled", "type": "Module type"}
    for mtype in MODULE_TYPES.values():
        for _group, fields in mtype.groups():
            for fld in fields:
                labels.setdefault(fld.key, fld.label)
    return labels


def changes_in_words(entry: AuditRow) -> str:
    return "; ".join(change.line for change in entry.changes(field_labels())) or "—"


class ModuleHistoryScreen(ConsoleScreen):
    SCREEN_ID = "history"
    AUTO_FOCUS = "#history"
    BINDINGS = bindings_for("history")

    def __init__(self, module_id: int, module_name: str) -> None:
        super().__init__()
        self.module_id = module_id
        self.module_name = module_name
        self.entries: dict[str, AuditRow] = {}

    def crumbs(self, *, first: bool) -> tuple[str, ...]:
        return ("Integration", "Processing modules", self.module_name, "History") if first else ("History",)

    def compose_content(self) -> ComposeResult:
        yield Static("", id="blockers-title")
        table = RowTable(id="history")
        table.add_column("When", key="when")
        table.add_column("Who", key="who")
        table.add_column("What", key="what")
        table.add_column("Changes (before → after)", key="changes")
        yield table

    def on_mount(self) -> None:
        self.refresh_content()

    def refresh_content(self) -> None:
        page = self.backend.modules.history(self.module_id)
        shown = f", latest {len(page.rows)}" if len(page.rows) < page.total else ""
        self.query_one("#blockers-title", Static).update(
            Text(f"Changes ({page.total:,}{shown}), newest first · Enter opens one"))
        self.entries = {str(entry.id): entry for entry in page.rows}
        rows = [(str(entry.id), (format_time(entry.at), entry.actor, entry.summary, changes_in_words(entry)))
                for entry in page.rows]
        self.query_one("#history", RowTable).set_rows(rows or [("none", ("—", "", "", "No recorded changes"))])

    def on_row_table_row_selected(self, event: RowTable.RowSelected) -> None:
        self._open(event.row_key)

    def action_open_entry(self) -> None:
        key = self.query_one("#history", RowTable).cursor_key
        if key is not None:
            self._open(key)

    def _open(self, key: str) -> None:
        entry = self.entries.get(key)
        if entry is not None:
            from procmod.tui.screens.audit_entry import AuditEntryScreen

            self.app.push_screen(AuditEntryScreen(entry, self.module_name))

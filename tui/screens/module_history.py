"""The audit history of a processing module: when, who, what (secrets were masked when written)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Static

from procmod.core.formatting import format_time
from procmod.tui.screens.base import ConsoleScreen
from procmod.tui.widgets.row_table import RowTable


class ModuleHistoryScreen(ConsoleScreen):
    SCREEN_ID = "history"
    AUTO_FOCUS = "#history"

    def __init__(self, module_id: int, module_name: str) -> None:
        super().__init__()
        self.module_id = module_id
        self.module_name = module_name

    def crumbs(self, *, first: bool) -> tuple[str, ...]:
        return ("Integration", "Processing modules", self.module_name, "History") if first else ("History",)

    def compose_content(self) -> ComposeResult:
        yield Static("", id="blockers-title")
        table = RowTable(id="history")
        table.add_column("When", key="when")
        table.add_column("Who", key="who")
        table.add_column("What", key="what")
        yield table

    def on_mount(self) -> None:
        self.refresh_content()

    def refresh_content(self) -> None:
        page = self.backend.modules.history(self.module_id)
        shown = f", latest {len(page.rows)}" if len(page.rows) < page.total else ""
        self.query_one("#blockers-title", Static).update(Text(f"Changes ({page.total:,}{shown}), newest first"))
        rows = [(str(entry.id), (format_time(entry.at), entry.actor, entry.summary)) for entry in page.rows]
        self.query_one("#history", RowTable).set_rows(rows or [("none", ("—", "", "No recorded changes"))])

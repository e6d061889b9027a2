"""`?`: the keys of the screen the operator is on, from the action registry."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from procmod.tui.actions import OperatorAction, actions_for
from procmod.tui.widgets.lines import set_line
from procmod.tui.widgets.row_table import RowTable


class HelpScreen(ModalScreen[None]):
    """A table of key, action and what it does; Esc, `q` or `?` closes it."""

    BINDINGS = [
        Binding("escape,q,question_mark", "dismiss", "Close", tooltip="Close the key list", id="help.close"),
    ]

    def __init__(self, screen_id: str, *, title: str, read_only: bool = False) -> None:
        super().__init__()
        self.screen_id = screen_id
        self.help_title = title
        self.actions: list[OperatorAction] = actions_for(screen_id, include_global=True, read_only=read_only)

    def compose(self) -> ComposeResult:
        with Vertical(id="help-dialog"):
            yield Static(Text(f"Keys — {self.help_title}"), id="help-title")
            table = RowTable(id="help-keys")
            table.add_column("Key", key="key")
            table.add_column("Action", key="action")
            table.add_column("What it does", key="help")
            table.set_rows((a.id, (a.shown_key, a.description, a.help)) for a in self.actions)
            yield table
            yield Static("", id="help-full")
            yield Static(Text("Esc closes · ctrl+p or : jumps to any section"), id="help-hint")
            yield Static(Text(self.log_line()), id="help-log")

    @staticmethod
    def log_line() -> str:
        from procmod.tui.logfile import current_log_path

        path = current_log_path()
        return f"Log: {path}" if path is not None else "Log: none (the console was not started from procmod)"

    def on_row_table_row_highlighted(self, event: RowTable.RowHighlighted) -> None:
        """The highlighted key's description in full: at 80 columns the table crops the longer ones."""
        action = next((a for a in self.actions if a.id == event.row_key), None)
        if action is not None:
            set_line(self.query_one("#help-full", Static), f"{action.shown_key}: {action.help}")

    @property
    def keys(self) -> list[str]:
        """The keys listed, as shown."""
        return [a.shown_key for a in self.actions]

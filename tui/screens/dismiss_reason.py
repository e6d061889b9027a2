"""Asks why a failure queue entry is dismissed: the reason goes into the audit history. Esc keeps it."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static


class DismissScreen(ModalScreen[str | None]):
    """Dismisses with the reason typed (Enter), or None (Esc); an empty reason is not accepted."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", tooltip="Keep the entry", id="dismiss.cancel")]

    def __init__(self, what: str) -> None:
        super().__init__()
        self.what = what

    def compose(self) -> ComposeResult:
        with Vertical(id="dismiss-dialog"):
            yield Static(Text(f"Dismiss {self.what}?", style="bold"))
            yield Static("Why? (recorded in the audit history; Enter dismisses, Esc keeps it)")
            yield Input(placeholder="e.g. account moved to the new panel by hand", id="dismiss-reason")
            yield Static("", id="dismiss-error")

    @on(Input.Submitted, "#dismiss-reason")
    def _submitted(self, event: Input.Submitted) -> None:
        reason = event.value.strip()
        if not reason:
            self.query_one("#dismiss-error", Static).update("Say why: the reason is required.")
            return
        self.dismiss(reason)

    def action_cancel(self) -> None:
        self.dismiss(None)

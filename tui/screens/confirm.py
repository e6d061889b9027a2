"""A yes/no question before something destructive: the safe choice is focused, Esc answers no."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static


class ConfirmScreen(ModalScreen[bool]):
    """Dismisses True only when the operator chooses the action's button; Cancel is focused."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", tooltip="Close without doing anything", id="confirm.cancel"),
        Binding("left,right", "switch", "Switch", show=False, tooltip="Move between the buttons",
                id="confirm.switch"),
    ]

    def __init__(self, title: str, message: str, *, confirm_label: str, cancel_label: str = "Cancel") -> None:
        super().__init__()
        self.question_title = title
        self.message = message
        self.confirm_label = confirm_label
        self.cancel_label = cancel_label

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-dialog"):
            yield Static(Text(self.question_title), id="confirm-title")
            yield Static(Text(self.message), id="confirm-message")
            with Horizontal(id="confirm-buttons"):
                yield Button(self.cancel_label, id="confirm-cancel", compact=True)
                yield Button(self.confirm_label, id="confirm-ok", variant="error", compact=True)

    def on_mount(self) -> None:
        self.query_one("#confirm-cancel", Button).focus()

    @on(Button.Pressed, "#confirm-ok")
    def _confirmed(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#confirm-cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)

    def action_switch(self) -> None:
        self.focus_next(Button)

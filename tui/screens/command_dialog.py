"""A small modal whose Ok runs one domain command in a worker (the Modules dialog, the schedule editor).

Dismisses True once the command saved; a refusal (ValidationError) or a record gone meanwhile (NotFound)
is shown in the dialog's `#dialog-error` line and the dialog stays open with what the operator chose.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Static
from textual.worker import Worker

from procmod.core.errors import NotFound
from procmod.core.validation import ValidationError
from procmod.tui.screens.base import report_failed_worker

if TYPE_CHECKING:
    from procmod.core.backend import Backend


class CommandDialog(ModalScreen[bool]):
    @dataclass
    class Done(Message):
        error: str | None

    busy = False

    @property
    def backend(self) -> Backend:
        return self.app.backend  # type: ignore[attr-defined]

    def submit(self, command: Callable[[], object]) -> None:
        """Run `command` (one call of `backend.commands`) unless a save is already under way."""
        if not self.busy:
            self.busy = True
            self._run(command)

    @work(thread=True, group="lifecycle", exit_on_error=False)
    def _run(self, command: Callable[[], object]) -> None:
        try:
            command()
        except ValidationError as invalid:
            self.post_message(self.Done("; ".join(invalid.errors.values())))
        except NotFound as gone:
            self.post_message(self.Done(str(gone)))
        else:
            self.post_message(self.Done(None))

    def on_command_dialog_done(self, event: Done) -> None:
        self.busy = False
        if event.error is None:
            self.dismiss(True)
        else:
            self.show_error(event.error)

    def show_error(self, text: str) -> None:
        self.query_one("#dialog-error", Static).update(Text(text))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        report_failed_worker(self, event)

    @on(Button.Pressed, "#dialog-cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)

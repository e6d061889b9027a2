"""The Modules action of a tariff plan: choose its linked processing modules (several allowed) among the
modules of its product type. Saves through `set_tariff_modules` in a worker; a refusal (an active tariff
left without a module, a module gone meanwhile) is shown in the dialog, which stays open."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, SelectionList, Static
from textual.worker import Worker

from core.backend import Backend
from core.dto import TariffRow
from core.queries import NotFound
from core.validation import ValidationError
from tui.screens.base import report_failed_worker


class TariffModulesScreen(ModalScreen[bool]):
    """Dismisses True when the links were saved, False when cancelled."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", tooltip="Close without changing the links", id="tariff_modules.cancel"),
        Binding("ctrl+s", "save", "Ok", tooltip="Save the chosen modules", id="tariff_modules.save"),
    ]

    @dataclass
    class Done(Message):
        error: str | None

    def __init__(self, tariff: TariffRow) -> None:
        super().__init__()
        self.tariff = tariff
        self.busy = False

    @property
    def backend(self) -> Backend:
        return self.app.backend  # type: ignore[attr-defined]

    def compose(self) -> ComposeResult:
        choices = self.backend.tariffs.module_choices(self.tariff.id)
        with Vertical(id="modules-dialog"):
            yield Static(Text(f"Processing modules of {self.tariff.name} ({self.tariff.product_type_name})"),
                         id="dialog-title")
            yield Static(Text("Space ticks a module; the lowest sort priority is tried first."), id="dialog-hint")
            yield SelectionList[int](*[(Text(o.label), int(o.value), on) for o, on in choices], id="modules-choice")
            yield Static("", id="dialog-error")
            with Horizontal(id="dialog-buttons"):
                yield Button("Cancel", id="dialog-cancel", compact=True)
                yield Button("Ok", id="dialog-ok", variant="primary", compact=True)

    def on_mount(self) -> None:
        self.query_one(SelectionList).focus()

    @property
    def chosen(self) -> list[int]:
        return list(self.query_one(SelectionList).selected)

    @on(Button.Pressed, "#dialog-ok")
    def action_save(self) -> None:
        if not self.busy:
            self.busy = True
            self._save(self.chosen)

    @work(thread=True, group="lifecycle", exit_on_error=False)
    def _save(self, module_ids: list[int]) -> None:
        try:
            self.backend.commands.set_tariff_modules(self.tariff.id, module_ids)
        except ValidationError as invalid:
            self.post_message(self.Done("; ".join(invalid.errors.values())))
        except NotFound as gone:
            self.post_message(self.Done(str(gone)))
        else:
            self.post_message(self.Done(None))

    def on_tariff_modules_screen_done(self, event: Done) -> None:
        self.busy = False
        if event.error is None:
            self.dismiss(True)
        else:
            self.query_one("#dialog-error", Static).update(Text(event.error))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        report_failed_worker(self, event)

    @on(Button.Pressed, "#dialog-cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)

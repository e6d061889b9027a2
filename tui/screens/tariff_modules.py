"""The Modules action of a tariff plan: choose its linked processing modules (several allowed) among the
modules of its product type. Saves through `set_tariff_modules` in a worker; a refusal (an active tariff
left without a module, a module gone meanwhile) is shown in the dialog, which stays open."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, SelectionList, Static

from procmod.core.dto import TariffRow
from procmod.tui.screens.command_dialog import CommandDialog
from procmod.tui.widgets.ticks import TickList


class TariffModulesScreen(CommandDialog):
    """Dismisses True when the links were saved, False when cancelled."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", tooltip="Close without changing the links", id="tariff_modules.cancel"),
        Binding("ctrl+s", "save", "Ok", tooltip="Save the chosen modules", id="tariff_modules.save"),
    ]

    def __init__(self, tariff: TariffRow) -> None:
        super().__init__()
        self.tariff = tariff

    def compose(self) -> ComposeResult:
        choices = self.backend.tariffs.module_choices(self.tariff.id)
        with Vertical(id="modules-dialog"):
            yield Static(Text(f"Processing modules of {self.tariff.name} ({self.tariff.product_type_name})"),
                         id="dialog-title")
            yield Static(Text("Space ticks a module ([x] linked, [ ] not); the lowest sort priority is tried first."),
                         id="dialog-hint")
            yield TickList(*[(Text(o.label), int(o.value), on) for o, on in choices], id="modules-choice")
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
        chosen = self.chosen
        self.submit(lambda: self.backend.commands.set_tariff_modules(self.tariff.id, chosen))

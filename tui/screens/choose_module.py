"""A small chooser of one processing module for a list's module filter (typing narrows it)."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from procmod.core.backend import Backend
from procmod.tui.widgets.inputs import InOrderInput


class ChooseModuleScreen(ModalScreen[int | None]):
    """Returns the chosen module's id, or None when cancelled with Esc."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", tooltip="Close without filtering", id="choose_module.cancel"),
        Binding("down", "to_options", "Options", show=False, id="choose_module.options"),
    ]

    def compose(self) -> ComposeResult:
        with Vertical(id="choose-dialog"):
            yield Static(Text("Filter by processing module"), id="choose-title")
            field = InOrderInput(max_length=100, placeholder="Part of the module name", id="choose-text")
            field.cursor_blink = False
            yield field
            yield OptionList(id="choose-options")

    @property
    def backend(self) -> Backend:
        return self.app.backend  # type: ignore[attr-defined]

    def on_mount(self) -> None:
        self._fill("")
        self.query_one(Input).focus()

    def _fill(self, text: str) -> None:
        options = self.query_one(OptionList)
        options.clear_options()
        options.add_options([Option(Text(o.label), id=o.value) for o in self.backend.modules.options(text)])
        if options.option_count:
            options.highlighted = 0

    @on(Input.Changed, "#choose-text")
    def _narrow(self, event: Input.Changed) -> None:
        self._fill(event.value.strip())

    @on(Input.Submitted, "#choose-text")
    def _take_first(self) -> None:
        options = self.query_one(OptionList)
        if options.option_count:
            self.dismiss(int(options.get_option_at_index(options.highlighted or 0).id or 0))

    @on(OptionList.OptionSelected, "#choose-options")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(int(event.option.id or 0))

    def action_to_options(self) -> None:
        self.query_one(OptionList).focus()

    def action_cancel(self) -> None:
        self.dismiss(None)

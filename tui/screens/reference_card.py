"""The card of a data center or a department: its fields, the processing modules using it (`m` lists
them) and its history in one line; `e` edits it, Del deletes it after the pre-check."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from procmod.core.errors import NotFound
from procmod.core.reference import EntitySpec, ReferenceCard
from procmod.tui.actions import DESTINATION_BY_ID, bindings_for
from procmod.tui.screens.module_card import _pairs
from procmod.tui.screens.reference_kit import RecordRef, ReferenceActions, open_fix_list


class ReferenceCardScreen(ReferenceActions):
    SCREEN_ID = "reference_card"
    AUTO_FOCUS = "#reference-card"
    BINDINGS = bindings_for("reference_card")

    def __init__(self, spec: EntitySpec, card: ReferenceCard) -> None:
        super().__init__()
        self._spec = spec  # one card screen class for every reference entity
        self.card = card

    def crumbs(self, *, first: bool) -> tuple[str, ...]:
        return (*DESTINATION_BY_ID[self.SPEC.destination].path, self.card.title) if first else (self.card.title,)

    def compose_content(self) -> ComposeResult:
        with VerticalScroll(id="reference-card"):
            yield Static("", id="card-heading")
            yield Static("Overview", classes="block-title")
            yield Static("", id="overview")
            yield Static("Related entities", classes="block-title")
            yield Static("", id="settings")

    def on_mount(self) -> None:
        self.show_card()

    def show_card(self) -> None:
        self.query_one("#card-heading", Static).update(Text(f"{self.SPEC.title}: {self.card.title}"))
        self.query_one("#overview", Static).update(_pairs(self.card.values, width=18))
        self.query_one("#settings", Static).update(_pairs(self.card.related, width=18))

    def refresh_content(self) -> None:
        try:
            self.card = self.backend.reference.card(self.SPEC, self.card.id)
        except NotFound as gone:
            self.notify(str(gone), title="Not found", severity="warning")
            self.app.pop_screen()
            return
        self.show_card()
        self.update_frame()

    def selected_record(self) -> RecordRef | None:
        return RecordRef(self.card.id, self.card.title)

    def record_gone(self) -> None:
        if self.app.screen is self:
            self.app.pop_screen()

    def action_show_modules(self) -> None:
        open_fix_list(self, "modules", ((f"{self.SPEC.kind}_id", self.card.id),))

"""The delete pre-check of a data center or a department: every blocker with the key to the list where it
is fixed; back here the check runs again, and once nothing blocks, Del deletes (after a confirmation).
The same pattern as a module's (screens/delete_check.py), over core/reference.py's generic rules."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from procmod.core.errors import Blocker, NotFound
from procmod.core.reference import EntitySpec
from procmod.tui.actions import ACTIONS, bindings_for
from procmod.tui.screens.reference_kit import RecordRef, ReferenceActions, open_fix_list

#: Blocker kind → the action of this screen that opens the list where it is fixed.
FIX_ACTIONS = {"modules": "show_modules"}
_KEY_OF = {a.action: a.shown_key for a in ACTIONS if "reference_blockers" in a.screens}


class ReferenceBlockersScreen(ReferenceActions):
    SCREEN_ID = "reference_blockers"
    BINDINGS = bindings_for("reference_blockers")

    def __init__(self, spec: EntitySpec, record: RecordRef, blockers: list[Blocker]) -> None:
        super().__init__()
        self._spec = spec
        self.record = record
        self.blockers = blockers

    def crumbs(self, *, first: bool) -> tuple[str, ...]:
        mine = (f"Delete {self.record.name}",)
        return (*self._destination_path(), *mine) if first else mine

    def _destination_path(self) -> tuple[str, ...]:
        from procmod.tui.actions import DESTINATION_BY_ID

        return DESTINATION_BY_ID[self.SPEC.destination].path

    def compose_content(self) -> ComposeResult:
        yield Static("", id="blockers-title")
        with VerticalScroll(id="blockers"):
            yield Static("", id="blockers-list")
        yield Static("", id="blockers-hint")

    def on_mount(self) -> None:
        self.show_blockers()
        self.query_one("#blockers", VerticalScroll).focus()

    def show_blockers(self) -> None:
        table = Table.grid(padding=(0, 2))
        table.add_column(no_wrap=True)
        table.add_column()
        for blocker in self.blockers:
            key = _KEY_OF.get(FIX_ACTIONS.get(blocker.kind, ""), "")
            table.add_row(Text(key, style="bold reverse") if key else Text(""), Text(blocker.message))
        self.query_one("#blockers-list", Static).update(table)
        what = f"the {self.SPEC.title.lower()} {self.record.name}"
        if self.blockers:
            title = f"{what[0].upper()}{what[1:]} cannot be deleted yet: {len(self.blockers)} thing(s) block it"
            hint = "Press a row's key to open the list where it is fixed; back here, the check runs again."
        else:
            title = f"Nothing blocks the delete of {what} any more"
            hint = "Del deletes it (you will be asked first); Esc goes back."
        self.query_one("#blockers-title", Static).update(Text(title))
        self.query_one("#blockers-hint", Static).update(Text(hint))
        self.refresh_bindings()

    def refresh_content(self) -> None:
        self.action_recheck()

    def action_recheck(self) -> None:
        try:
            self.blockers = self.backend.reference.blockers(self.SPEC, self.record.id)
        except NotFound as gone:
            self.notify(str(gone), title="Not found", severity="warning")
            self.app.pop_screen()
            return
        self.show_blockers()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        kind = next((k for k, a in FIX_ACTIONS.items() if a == action), None)
        if kind is not None and kind not in {b.kind for b in self.blockers}:
            return None
        if action == "delete_record" and self.blockers:
            return None
        return super().check_action(action, parameters)

    def selected_record(self) -> RecordRef | None:
        return self.record

    def show_reference_blockers(self, record: RecordRef, blockers: list[Blocker]) -> None:
        self.blockers = blockers  # already the pre-check of this record: show them here
        self.show_blockers()

    def record_gone(self) -> None:
        # Back past the card of the deleted record, to the list (which reads itself again).
        while len(self.app.screen_stack) > 2 and getattr(self.app.screen, "SCREEN_ID", "") != self.SPEC.destination:
            self.app.pop_screen()

    def action_show_modules(self) -> None:
        blocker = next((b for b in self.blockers if b.kind == "modules"), None)
        if blocker is not None:
            open_fix_list(self, "modules", blocker.fix_filter)

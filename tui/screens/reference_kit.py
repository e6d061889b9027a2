"""What every reference list and card shares (data centers, departments, tariff plans): add and edit open
the form of the entity's description, Del runs the delete pre-check and deletes after a confirmation.
A screen mixing this in gives `SPEC` and `selected_record()`; nothing here knows one entity from another."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.message import Message

from procmod.core.errors import Blocker, DeleteBlocked, NotFound
from procmod.core.validation import ValidationError
from procmod.tui.screens.base import ConsoleScreen

if TYPE_CHECKING:  # lists are made before the database opens; core/reference.py loads SQLAlchemy
    from procmod.core.reference import EntitySpec


@dataclass(frozen=True)
class RecordRef:
    id: int
    name: str


class ReferenceActions(ConsoleScreen):
    #: The entity's kind in core/reference.py ENTITIES ("datacenter", "department", "tariff").
    SPEC_KIND: ClassVar[str] = ""
    _spec: EntitySpec | None = None

    @property
    def SPEC(self) -> EntitySpec:  # noqa: N802 - reads as the constant it is
        if self._spec is None:
            from procmod.core.reference import ENTITIES

            self._spec = ENTITIES[self.SPEC_KIND]
        return self._spec

    @dataclass
    class Deleted(Message):
        record: RecordRef
        error: str | None = None
        blockers: list[Blocker] | None = None

    def selected_record(self) -> RecordRef | None:
        raise NotImplementedError

    def record_gone(self) -> None:
        """After a delete: a list reloads, a card closes."""

    def action_add_record(self) -> None:
        from procmod.tui.screens.reference_form import ReferenceFormScreen

        self.app.push_screen(ReferenceFormScreen(self.SPEC))

    def action_edit_record(self) -> None:
        from procmod.tui.screens.reference_form import ReferenceFormScreen

        if (record := self.selected_record()) is not None:
            try:
                self.app.push_screen(ReferenceFormScreen(self.SPEC, record.id))
            except NotFound as gone:
                self.notify(str(gone), title="Not found", severity="warning")

    def action_delete_record(self) -> None:
        record = self.selected_record()
        if record is None:
            return
        try:
            blockers = self.backend.reference.blockers(self.SPEC, record.id)
        except NotFound as gone:
            self.notify(str(gone), title="Not found", severity="warning")
            self.record_gone()
            return
        if blockers:
            self.show_reference_blockers(record, blockers)
            return
        self.confirm_delete(record)

    def show_reference_blockers(self, record: RecordRef, blockers: list[Blocker]) -> None:
        from procmod.tui.screens.reference_blockers import ReferenceBlockersScreen

        self.app.push_screen(ReferenceBlockersScreen(self.SPEC, record, blockers))

    def confirm_delete(self, record: RecordRef) -> None:
        from procmod.tui.screens.confirm import ConfirmScreen

        def answered(delete: bool | None) -> None:
            if delete:
                self._delete(record)

        self.app.push_screen(ConfirmScreen(
            f"Delete the {self.SPEC.title.lower()} {record.name}?",
            "Nothing uses it now; the check runs again as it is deleted. Its audit entries are kept.",
            confirm_label="Delete"), answered)

    @work(thread=True, group="lifecycle", exit_on_error=False)
    def _delete(self, record: RecordRef) -> None:
        try:
            self.backend.reference.delete(self.SPEC, record.id)
        except DeleteBlocked as blocked:
            self.post_message(self.Deleted(record, str(blocked), blocked.blockers))
        except (NotFound, ValidationError) as refused:
            self.post_message(self.Deleted(record, str(refused)))
        else:
            self.post_message(self.Deleted(record))

    def on_reference_actions_deleted(self, event: Deleted) -> None:
        if event.blockers:
            self.show_reference_blockers(event.record, event.blockers)
        elif event.error:
            self.notify(event.error, title=self.SPEC.plural, severity="error")
        else:
            self.notify(f"Deleted {event.record.name}", title=self.SPEC.plural)
            self.record_gone()


def open_fix_list(screen: ConsoleScreen, blocker_kind: str, fix_filter: tuple[tuple[str, int], ...]) -> None:
    """The list where a blocker is fixed, filtered to the record (modules of a data center, ...)."""
    from procmod.core.dto import ModuleFilter
    from procmod.tui.screens.module_list import ModuleListScreen

    if blocker_kind == "modules":
        screen.app.push_screen(ModuleListScreen(ModuleFilter(**dict(fix_filter))))

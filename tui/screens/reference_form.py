"""The form of a reference record (data center, department, tariff plan), drawn from its description in
core/reference.py: one input per field, `*` on the required ones, help under each; a tariff adds the
processing modules that may serve it. Ok (ctrl+s) saves in a worker; the domain's refusals (required,
lengths, a duplicate name with the existing record named, a module whose type does not serve the product
type) show under their fields and nothing is saved. Esc discards, asking first when anything was typed."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from rich.text import Text
from textual import on, work
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import Button, Input, Select, Static

from procmod.core.errors import NotFound
from procmod.core.moduletypes import FieldKind
from procmod.core.reference import TARIFF, EntitySpec, TariffLink
from procmod.core.validation import ValidationError
from procmod.tui.actions import DESTINATION_BY_ID, bindings_for
from procmod.tui.screens.base import ConsoleScreen
from procmod.tui.widgets.link_picker import LinkPicker
from procmod.tui.widgets.schema_form import FormField, SchemaForm


def _shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    return str(value)


class ReferenceFormScreen(ConsoleScreen):
    """Add (`object_id` None) or edit one record; pops itself once saved."""

    #: Letters belong to the form; leaving with unsaved changes asks first (tui/screens/base.py).
    IS_FORM = True

    @property
    def unsaved_changes(self) -> bool:
        return not self.busy and self.dirty

    SCREEN_ID = "reference_form"
    BINDINGS = [
        *bindings_for("reference_form"),
        # A priority binding runs as the key arrives, before the keys typed after it are handed on: so
        # "name Enter code" typed in one burst lands in two fields, not all in the first.
        Binding("enter", "next_field", "Next field", show=False, priority=True, id="reference_form.next"),
        # Tab and shift+tab likewise (Textual's own are handled after the keys already on their way).
        Binding("tab", "move_focus(1)", show=False, priority=True, id="reference_form.tab"),
        Binding("shift+tab", "move_focus(-1)", show=False, priority=True, id="reference_form.shift_tab"),
    ]

    @dataclass
    class Saved(Message):
        name: str

    @dataclass
    class Refused(Message):
        errors: dict[str, str]

    def __init__(self, spec: EntitySpec, object_id: int | None = None, *, defaults: dict[str, Any] | None = None
                 ) -> None:
        super().__init__()
        self.spec = spec
        self.object_id = object_id
        self.defaults = defaults or {}
        self.busy = False

    @property
    def adding(self) -> bool:
        return self.object_id is None

    def crumbs(self, *, first: bool) -> tuple[str, ...]:
        mine = ("Add",) if self.adding else (f"Edit {getattr(self, 'initial', {}).get('name', '')}",)
        if not first:
            return mine
        destination = DESTINATION_BY_ID[self.spec.destination]
        return (*destination.path, *mine)

    def compose_content(self) -> ComposeResult:
        reference = self.backend.reference
        starting = {f.key: f.default for f in self.spec.fields if f.default is not None}
        self.initial = ({**starting, **self.defaults} if self.adding
                        else reference.values(self.spec, self.object_id))
        fields = []
        for spec_field in self.spec.fields:
            choices = tuple(reference.choices(self.spec, spec_field.key)) if spec_field.kind == "choice" else ()
            fields.append(FormField(spec_field.key, spec_field.label,
                                    FieldKind.SELECT if choices else FieldKind.TEXT,
                                    spec_field.required, spec_field.help, choices))
        verb = "Add a" if self.adding else "Edit the"
        yield Static(Text(f"{verb} {self.spec.title.lower()}; * marks required fields", style="bold"),
                     id="form-title")
        with VerticalScroll(id="form-scroll"):
            yield SchemaForm([(None, fields)], {k: _shown(v) for k, v in self.initial.items()}, id="reference-form")
            if self.spec is TARIFF:
                yield Static(Text("Processing modules"), classes="form-section")
                yield LinkPicker(self._link_choices(self.initial.get("product_type")), id="links")
        yield Static("", id="form-message")
        with Horizontal(id="form-buttons"):
            yield Button("Ok", id="form-ok", variant="primary", compact=True)
            yield Button("Cancel", id="form-cancel", compact=True)

    def _link_choices(self, product_type: Any) -> list:  # noqa: ANN401
        if not product_type:
            return []
        return self.backend.reference.link_choices(str(product_type), self.object_id)

    @property
    def form(self) -> SchemaForm:
        return self.query_one("#reference-form", SchemaForm)

    def on_mount(self) -> None:
        self.form.focus_first()

    def action_next_field(self) -> None:
        """Enter in a text field moves to the next one; elsewhere (a drop-down, a button) it does its own."""
        if not isinstance(self.focused, Input):
            raise SkipAction()
        self.focus_next()

    def action_move_focus(self, step: int) -> None:
        if step > 0:
            self.focus_next()
        else:
            self.focus_previous()

    @on(Select.Changed, "#input-product_type")
    async def _product_type_changed(self, event: Select.Changed) -> None:
        if self.spec is TARIFF:
            value = None if event.value is Select.NULL else event.value
            await self.query_one(LinkPicker).show_choices(self._link_choices(value))

    def say(self, message: str, kind: str = "") -> None:
        line = self.query_one("#form-message", Static)
        line.update(Text(message))
        line.set_class(kind == "error", "-error")

    # ------------------------------------------------------------------ save

    @on(Button.Pressed, "#form-ok")
    def action_save(self) -> None:
        if self.busy:
            return
        self.busy = True
        self.say("Saving…")
        links = self.query_one(LinkPicker).links() if self.spec is TARIFF else None
        self._save(self.form.values(), links)

    @work(thread=True, group="lifecycle", exit_on_error=False)
    def _save(self, values: dict[str, Any], links: list[TariffLink] | None) -> None:
        reference = self.backend.reference
        try:
            if self.object_id is None:
                reference.create(self.spec, values, links=links)
            else:
                reference.update(self.spec, self.object_id, values, links=links)
        except ValidationError as invalid:
            self.post_message(self.Refused(invalid.errors))
        except NotFound as gone:
            self.post_message(self.Refused({"": str(gone)}))
        else:
            self.post_message(self.Saved(str(values.get("name", "")).strip()))

    def on_reference_form_screen_saved(self, event: Saved) -> None:
        self.busy = False
        self.app.pop_screen()  # the list or card below reads itself again when shown
        self.app.notify(f"Saved {event.name}", title=self.spec.plural)

    def on_reference_form_screen_refused(self, event: Refused) -> None:
        self.busy = False
        shown = self.form.show_errors(event.errors)
        if self.spec is TARIFF:  # under the list of modules, and in the line below (the list may be scrolled)
            self.query_one(LinkPicker).show_error(event.errors.get("modules", ""))
        others = [m for k, m in event.errors.items() if k not in shown]
        self.say(" ".join([f"{len(event.errors)} field(s) need attention; nothing was saved.", *others]), "error")
        if shown:
            self.form.focus_field(shown[0])

    # ------------------------------------------------------------------ leaving

    @property
    def dirty(self) -> bool:
        return self.form.dirty or (self.spec is TARIFF and {l.module_id for l in self.query_one(LinkPicker).links()}
                                   != {c.module_id for c in self.query_one(LinkPicker).choices if c.linked})

    @on(Button.Pressed, "#form-cancel")
    def action_back(self) -> None:
        if self.busy:
            return
        if not self.dirty:
            self.app.pop_screen()
            return
        from procmod.tui.screens.confirm import ConfirmScreen

        def answered(discard: bool | None) -> None:
            if discard:
                self.app.pop_screen()

        question = (f"Discard this new {self.spec.title.lower()}?" if self.adding
                    else f"Discard your changes to {self.initial.get('name', '')}?")
        self.app.push_screen(ConfirmScreen(question, "Nothing has been saved.", confirm_label="Discard"), answered)

"""Edit a processing module: its parameters and every settings group, with the current values.

Passwords show only whether they are set; left blank they stay unchanged. Ok (ctrl+s) saves through
`update_module` in a worker with the version the form was opened at: if someone saved in between, the
form says who and when, keeps what the operator typed, and ctrl+r takes the saved version (marking the
fields where it differs) so the next Ok saves over it knowingly. Esc discards, asking when anything changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import Button, Static

from procmod.core.lifecycle import Conflict, ModuleForm, ModuleParams
from procmod.core.moduletypes import FieldKind, SettingGroup, module_type
from procmod.core.errors import NotFound
from procmod.core.validation import ValidationError
from procmod.tui.actions import bindings_for
from procmod.tui.screens.base import ConsoleScreen
from procmod.tui.widgets.module_fields import field_errors, initial_values, parameter_fields, setting_sections, to_params
from procmod.tui.widgets.schema_form import SchemaForm, Section

if TYPE_CHECKING:
    from procmod.tui.console import ConsoleApp
from procmod.tui.widgets.sentences import sentence


class EditModuleScreen(ConsoleScreen):
    SCREEN_ID = "edit"
    BINDINGS = bindings_for("edit")
    IS_FORM = True
    AUTO_FOCUS = ""  # not the first field as the screen is shown: see `_focus_once_shown`

    @dataclass
    class Saved(Message):
        version: int

    @dataclass
    class Refused(Message):
        errors: dict[str, str]

    @dataclass
    class Conflicted(Message):
        text: str

    def __init__(self, form: ModuleForm, module_name: str) -> None:
        super().__init__()
        self.module_form = form
        self.module_name = module_name
        self.shown_module_id = form.id
        self.mtype = module_type(form.module_type)
        self.busy = False
        self.conflict = False
        self.fresh = True  # not shown yet with this module's values

    def crumbs(self, *, first: bool) -> tuple[str, ...]:
        return ("Integration", "Processing modules", self.module_name, "Edit") if first else ("Edit",)

    def sections(self, form: ModuleForm) -> list[Section]:
        return [(None, parameter_fields(self.mtype, self.backend)),
                *setting_sections(self.mtype, tuple(SettingGroup), form.secrets_set, form.catalogs)]

    def _title(self) -> Text:
        return Text(f"Edit {self.module_name} ({self.mtype.title}); * marks required fields", style="bold")

    def compose_content(self) -> ComposeResult:
        yield Static(self._title(), id="form-title")
        with VerticalScroll(id="form-scroll"):
            yield SchemaForm(self.sections(self.module_form), initial_values(self.module_form.params), id="edit-form",
                             validator=partial(field_errors, mtype=self.mtype,
                                               secrets_set=self.module_form.secrets_set))
        yield Static("", id="form-message")
        with Horizontal(id="form-buttons"):
            yield Button("Ok", id="form-ok", variant="primary", compact=True)
            yield Button("Cancel", id="form-cancel", compact=True)

    @property
    def form(self) -> SchemaForm:
        return self.query_one("#edit-form", SchemaForm)

    # (ConsoleScreen's own on_mount and on_screen_resume run too: Textual calls each class's handler.)
    def on_mount(self) -> None:
        self._focus_first_field()

    def on_screen_resume(self, event: events.ScreenResume) -> None:
        """Shown with a module's values: the first field takes keys at once, in the frame that shows the form;
        keys typed before it was shown (ahead, on the card) are not given to a field the operator has not
        seen (`typed_ahead_before`, tui/app.py drops them). Back from a dialog, the focus stays where it was."""
        if self.fresh:
            self.fresh = False
            self.typed_ahead_before = event.time
            self._focus_first_field()

    def _focus_first_field(self) -> None:
        if self.app.closing:
            return  # made ahead and the console closed before it was composed (tui/prepared_screens.py)
        for form in self.query("#edit-form").results(SchemaForm):
            form.focus_first()

    # ------------------------------------------------------------------ one kept screen per module type

    def fits(self, form: ModuleForm, sections: list[Section]) -> bool:
        """Whether this screen's widgets can show `form` (same type, same fields and choices), given its
        `sections`."""
        return (self.is_mounted and self not in self.app.screen_stack and form.module_type == self.mtype.key
                and SchemaForm.shape_of(sections, initial_values(form.params)) == self.form.shape)

    def load(self, form: ModuleForm, module_name: str, sections: list[Section]) -> None:
        """Show another module of the same shape (see `fits`): its values, nothing typed, no message."""
        self.module_form = form
        self.module_name = module_name
        self.shown_module_id = form.id
        self.busy = False
        self.conflict = False
        self.fresh = True
        self.form.validator = partial(field_errors, mtype=self.mtype, secrets_set=form.secrets_set)
        self.form.load(sections, initial_values(form.params))
        self.query_one("#form-title", Static).update(self._title())
        self.say("")
        self.query_one("#form-scroll", VerticalScroll).scroll_home(animate=False)

    @property
    def unsaved_changes(self) -> bool:
        return not self.busy and self.form.dirty

    def say(self, message: str, kind: str = "") -> None:
        line = self.query_one("#form-message", Static)
        line.update(Text(message))
        line.set_class(kind == "error", "-error")
        line.set_class(kind == "warning", "-warning")

    # ------------------------------------------------------------------ save

    def params(self) -> ModuleParams:
        return to_params(self.form.values(), self.mtype)

    @on(Button.Pressed, "#form-ok")
    def action_save(self) -> None:
        if self.busy:
            return
        self.busy = True
        self.say("Saving…")
        self._save(self.module_form.id, self.module_form.version, self.params())

    @work(thread=True, group="lifecycle", exit_on_error=False)
    def _save(self, module_id: int, version: int, params: ModuleParams) -> None:
        try:
            new_version = self.backend.commands.update_module(module_id, version, params)
        except ValidationError as invalid:
            self.post_message(self.Refused(invalid.errors))
        except Conflict as conflict:
            self.post_message(self.Conflicted(str(conflict)))
        else:
            self.post_message(self.Saved(new_version))

    def on_edit_module_screen_saved(self, event: Saved) -> None:
        self.busy = False
        name = self.params().name.strip() or self.module_name
        self.app.pop_screen()  # the card reads itself again when shown
        self.app.notify(f"Saved {name}", title="Processing modules")

    def on_edit_module_screen_refused(self, event: Refused) -> None:
        self.busy = False
        shown = self.form.show_errors(event.errors)
        others = [m for k, m in event.errors.items() if k not in shown]
        count = "1 field needs" if len(event.errors) == 1 else f"{len(event.errors)} fields need"
        self.say(" ".join([f"{count} attention; nothing was saved.", *map(sentence, others)]), "error")
        if shown:
            self.form.focus_field(shown[0])

    def on_edit_module_screen_conflicted(self, event: Conflicted) -> None:
        self.busy = False
        self.conflict = True
        self.say(sentence(event.text) + "  ctrl+r reloads.", "warning")
        self.refresh_bindings()

    # ------------------------------------------------------------------ conflict: reload keeping typed values

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "reload_form" and not self.conflict:
            return False
        return super().check_action(action, parameters)

    def action_reload_form(self) -> None:
        try:
            fresh = self.backend.commands.edit_form(self.module_form.id)
        except NotFound as gone:
            self.notify(str(gone), title="Not found", severity="warning")
            self.app.pop_screen()
            return
        saved = initial_values(fresh.params)
        typed = self.form.values()
        notes = {}
        for key, fld in self.form.fields.items():
            if fld.secret or key not in saved:
                continue
            if _comparable(saved[key], fld.kind) != _comparable(typed.get(key), fld.kind):
                notes[key] = f"Saved now: {_shown(saved[key], fld)}"
        self.module_form = fresh
        self.conflict = False
        self.form.show_notes(notes)
        self.say(f"Reloaded the saved version: {len(notes)} field(s) differ from yours (marked). "
                 "Your values are kept; Ok saves them over it.", "warning")
        self.refresh_bindings()

    # ------------------------------------------------------------------ leaving

    @on(Button.Pressed, "#form-cancel")
    def action_back(self) -> None:
        if self.busy:
            return
        if not self.form.dirty:
            self.app.pop_screen()
            return
        from procmod.tui.screens.confirm import ConfirmScreen

        def answered(discard: bool | None) -> None:
            if discard:
                self.app.pop_screen()

        self.app.push_screen(ConfirmScreen(f"Discard your changes to {self.module_name}?",
                                           "Nothing has been saved.", confirm_label="Discard"), answered)


def _comparable(value: Any, kind: FieldKind) -> Any:
    if kind in (FieldKind.FLAG, FieldKind.SWITCH):
        return bool(value)
    return "" if value is None else str(value).strip()


def _shown(value: Any, fld: Any) -> str:
    if fld.kind in (FieldKind.FLAG, FieldKind.SWITCH):
        return "on" if value else "off"
    if fld.choices:
        return dict(fld.choices).get(str(value), str(value) or "—")
    return str(value) if value not in (None, "") else "—"


def edit_screen_name(type_key: str) -> str:
    """The name the kept edit screen of a module type is installed under."""
    return f"edit:{type_key}"


def edit_screen(app: ConsoleApp, form: ModuleForm, module_name: str) -> EditModuleScreen:
    """The edit screen for `form`: the kept one of its module type showing it (composing ~150 widgets is
    most of what opening the form costs), or a new one, kept for next time, when none fits."""
    name = edit_screen_name(form.module_type)
    if app.is_screen_installed(name):
        kept = app.get_screen(name)
        if isinstance(kept, EditModuleScreen):
            sections = kept.sections(form)
            if kept.fits(form, sections):
                kept.load(form, module_name, sections)
                return kept
        if kept not in app.screen_stack:
            app.uninstall_screen(name)
    screen = EditModuleScreen(form, module_name)
    if not app.is_screen_installed(name):
        app.install_screen(screen, name)
    return screen

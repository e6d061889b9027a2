"""A form generated from a module type's settings schema (and the module's own parameters).

One row per field: the label, an input chosen by the field's kind (an InOrderInput for text, url, number
and masked password, taking no more than validation does; a TickBox, `[x] yes` / `[ ] no`, for a flag and
`[x] on` / `[ ] off` for a switch; Select for a select with choices, free text when the schema gives none),
the help line, and an inline error under the field. The form collects values and shows errors; validation
is the domain's (`procmod.core.validation`, through the `validator` given), the screen decides what to do.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.widget import Widget
from textual.widgets import Checkbox, Input, Label, Select, Static

from procmod.core.moduletypes import FieldKind, SettingField
from procmod.tui.widgets.inputs import InOrderInput
from procmod.tui.widgets.ticks import TickBox


@dataclass(frozen=True)
class FormField:
    """One input of a form: a setting of the schema, or one of the module's own parameters."""

    key: str
    label: str
    kind: FieldKind = FieldKind.TEXT
    required: bool = False
    help: str = ""
    choices: tuple[tuple[str, str], ...] = ()  # (value, label)
    secret_set: bool = False  # a password already stored: left blank, it stays unchanged
    from_panel: bool = False  # the choices were read from the external system (Update configuration)
    max_length: int = 255  # what validation accepts: the input takes no more (a paste is cut to it)

    @classmethod
    def from_setting(cls, setting: SettingField, *, secret_set: bool = False) -> FormField:
        return cls(setting.key, setting.label, setting.kind, setting.required, setting.help, setting.choices,
                   secret_set=secret_set, max_length=setting.max_length)

    @property
    def secret(self) -> bool:
        return self.kind is FieldKind.PASSWORD


#: A titled group of fields (the title None draws no heading).
Section = tuple[str | None, list[FormField]]


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _keeping_current(fld: FormField, initial: Mapping[str, Any]) -> FormField:
    """A drop-down of the panel's choices keeps a saved value the panel no longer lists (marked), so opening
    and saving the form never blanks it silently."""
    current = _text(initial.get(fld.key))
    if not fld.from_panel or not current or current in dict(fld.choices):
        return fld
    return replace(fld, choices=(*fld.choices, (current, f"{current} (not on the panel's list)")))


def _kept_sections(sections: Iterable[Section], initial: Mapping[str, Any]) -> list[Section]:
    return [(title, [_keeping_current(f, initial) for f in fields]) for title, fields in sections]


#: How each line under a field is drawn (theme variables; under NO_COLOR the error stays bold).
_LINE_STYLES = (("help", ""), ("note", "$warning"), ("error", "bold $error"))  # help: the block's colour


def _shape(sections: Iterable[Section]) -> tuple[Any, ...]:
    return tuple((title, tuple(replace(f, secret_set=False) for f in fields)) for title, fields in sections)


class SchemaForm(Vertical):
    """Fields in sections; `values()` reads them, `show_errors()` puts each message under its field."""

    DEFAULT_CSS = """
    SchemaForm { height: auto; }
    SchemaForm .form-section { text-style: bold underline; margin-top: 1; }
    SchemaForm .form-field { height: auto; layout: grid; grid-size: 2; grid-columns: 26 1fr; grid-rows: auto; }
    SchemaForm .form-label { width: 26; padding: 0 1 0 0; }
    SchemaForm .form-field > Input, SchemaForm .form-field > Select { width: 1fr; }
    SchemaForm .form-lines { column-span: 2; padding-left: 26; color: $text-muted; }
    SchemaForm .-empty { display: none; }
    """

    def __init__(self, sections: Iterable[Section], values: Mapping[str, Any] | None = None, *,
                 validator: Callable[[dict[str, Any]], Mapping[str, str]] | None = None,
                 id: str | None = None) -> None:  # noqa: A002 - Textual's name
        super().__init__(id=id)
        #: What the domain would refuse in the form's values, without the database
        #: (module_fields.field_errors): an error shown under a field goes once the field is fixed.
        self.validator = validator
        self._initial = dict(values or {})
        self.sections = _kept_sections(sections, self._initial)
        self.fields = {f.key: f for _, fields in self.sections for f in fields}
        #: The errors shown now, by field key.
        self.errors: dict[str, str] = {}
        #: The lines under each field: its help, a note (e.g. the saved value after a conflict), its error.
        self._lines: dict[str, dict[str, str]] = {}

    # ------------------------------------------------------------------ building

    def compose(self) -> ComposeResult:
        for title, fields in self.sections:
            if title:
                yield Static(Text(title), classes="form-section")
            for fld in fields:
                # Four widgets a field (a form of 25 fields is ~100 widgets to style each time it is shown):
                # the label and the input side by side in a grid, and one block for its help, note and error.
                self._lines[fld.key] = {"help": self._help(fld), "note": "", "error": ""}
                with Vertical(classes="form-field", id=f"field-{fld.key}"):
                    yield Label(Text(fld.label + (" *" if fld.required else "")), classes="form-label")
                    yield self._input(fld, self._initial.get(fld.key))
                    lines = self._lines_content(fld.key)
                    yield Static(lines, classes="form-lines" + ("" if lines else " -empty"))

    @staticmethod
    def _help(fld: FormField) -> str:
        if fld.secret:
            state = "set; leave blank to keep it" if fld.secret_set else "not set"
            return f"{fld.help}  ({state})".strip() if fld.help else f"Currently {state}"
        return fld.help

    @staticmethod
    def _input(fld: FormField, value: Any) -> Widget:
        widget_id = f"input-{fld.key}"
        if fld.kind is FieldKind.FLAG:
            return TickBox(bool(value), compact=True, id=widget_id)
        if fld.kind is FieldKind.SWITCH:
            return TickBox(bool(value), words=("on", "off"), compact=True, id=widget_id)
        if fld.kind is FieldKind.SELECT and fld.choices:
            options = [(label, choice) for choice, label in fld.choices]
            current = _text(value)
            selected = current if current in dict(fld.choices) else Select.NULL
            return Select(options, value=selected, allow_blank=True, compact=True, id=widget_id,
                          prompt="Choose…")
        field = InOrderInput(
            "" if fld.secret else _text(value), password=fld.secret, compact=True, id=widget_id,
            placeholder=("•••••• (unchanged)" if fld.secret_set else "") if fld.secret else "",
            type="integer" if fld.kind is FieldKind.NUMBER else "text", max_length=fld.max_length,
        )
        field.cursor_blink = False
        return field

    @staticmethod
    def shape_of(sections: Iterable[Section], values: Mapping[str, Any] | None = None) -> tuple[Any, ...]:
        """What the form's widgets depend on (fields, kinds, choices, lengths): two forms of one shape have
        the same widgets, so one can show the other's values (`load`) instead of being built again."""
        return _shape(_kept_sections(sections, dict(values or {})))

    @property
    def shape(self) -> tuple[Any, ...]:
        return _shape(self.sections)

    def load(self, sections: Iterable[Section], values: Mapping[str, Any]) -> None:
        """Show another record of the same shape: its values, whether each secret is set, no errors or notes;
        nothing counts as typed."""
        self._initial = dict(values)
        self.sections = _kept_sections(sections, self._initial)
        self.fields = {f.key: f for _, fields in self.sections for f in fields}
        self.errors = {}
        for key, fld in self.fields.items():
            widget = self.widget_of(key)
            if fld.secret:
                assert isinstance(widget, Input)
                widget.value = ""
                widget.placeholder = "•••••• (unchanged)" if fld.secret_set else ""
            else:
                self.set_value(key, values.get(key))
            self._set_line(key, "help", self._help(fld))
            self._set_line(key, "note", "")
            self._set_line(key, "error", "")
            widget.remove_class("-invalid")

    # ------------------------------------------------------------------ values

    def widget_of(self, key: str) -> Widget:
        return self.query_one(f"#input-{key}")

    def value_of(self, key: str) -> Any:
        widget = self.widget_of(key)
        if isinstance(widget, Checkbox):
            return widget.value
        if isinstance(widget, Select):
            return "" if widget.value is Select.NULL else widget.value
        assert isinstance(widget, Input)
        return widget.value

    def values(self) -> dict[str, Any]:
        return {key: self.value_of(key) for key in self.fields}

    def set_value(self, key: str, value: Any) -> None:
        widget = self.widget_of(key)
        if isinstance(widget, Checkbox):
            widget.value = bool(value)
        elif isinstance(widget, Select):
            widget.value = _text(value) if _text(value) in dict(self.fields[key].choices) else Select.NULL
        elif isinstance(widget, Input):
            widget.value = _text(value)
            widget.cursor_position = len(widget.value)  # typing goes after the value, as on a new form

    @property
    def dirty(self) -> bool:
        """Anything typed or toggled since the form was built (a typed secret counts)."""
        for key, fld in self.fields.items():
            now = self.value_of(key)
            if fld.secret:
                if now:
                    return True
            elif fld.kind in (FieldKind.FLAG, FieldKind.SWITCH):
                if bool(now) != bool(self._initial.get(key)):
                    return True
            elif _text(now) != _text(self._initial.get(key)):
                return True
        return False

    # ------------------------------------------------------------------ errors and notes

    def line_of(self, key: str, kind: str) -> str:
        """The `help`, `note` or `error` line shown under a field ("" when none)."""
        return self._lines[key][kind]

    def _lines_content(self, key: str) -> Content:
        lines = self._lines[key]
        parts = [Content.styled(lines[kind], style) for kind, style in _LINE_STYLES if lines[kind]]
        return Content("\n").join(parts)

    def _set_line(self, key: str, kind: str, text: str) -> None:
        if self._lines[key][kind] == text:
            return  # unchanged: no repaint, no layout
        self._lines[key][kind] = text
        block = self.query_one(f"#field-{key} > .form-lines", Static)
        content = self._lines_content(key)
        block.update(content)
        block.set_class(not content, "-empty")

    def show_errors(self, errors: Mapping[str, str]) -> list[str]:
        """Put each error under its field (others are cleared); returns the keys of this form that erred."""
        shown = []
        self.errors = {k: v for k, v in errors.items() if k in self.fields}
        for key in self.fields:
            message = errors.get(key, "")
            self._set_line(key, "error", message)
            self.widget_of(key).set_class(bool(message), "-invalid")
            if message:
                shown.append(key)
        return shown

    def check(self) -> dict[str, str]:
        """The validator's errors for this form's fields now (none without a validator)."""
        if self.validator is None:
            return {}
        return {k: v for k, v in self.validator(self.values()).items() if k in self.fields}

    @on(Input.Changed)
    @on(Checkbox.Changed)
    @on(Select.Changed)
    def _field_changed(self, event: Input.Changed | Checkbox.Changed | Select.Changed) -> None:
        key = (event.control.id or "").removeprefix("input-")
        fld = self.fields.get(key)
        if fld is None:
            return
        if fld.secret:  # "Currently not set" is not true of a secret being typed
            typed = bool(self.value_of(key))
            text = "" if typed else self._help(fld)
            self._set_line(key, "help", text)
        if key in self.errors:  # fixed? the error goes (a new error waits for the next ctrl+n or Ok)
            message = self.check().get(key, "")
            if message != self.errors[key]:
                self._show_error(key, message)

    def _show_error(self, key: str, message: str) -> None:
        if message:
            self.errors[key] = message
        else:
            self.errors.pop(key, None)
        self._set_line(key, "error", message)
        self.widget_of(key).set_class(bool(message), "-invalid")

    def show_notes(self, notes: Mapping[str, str]) -> None:
        """A warning line under fields, e.g. the saved value after a conflict; others are cleared."""
        for key in self.fields:
            self._set_line(key, "note", notes.get(key, ""))

    def focus_field(self, key: str) -> None:
        """Focus a field at once (not after the keys already on their way): what is typed next goes there."""
        widget = self.widget_of(key)
        self.screen.set_focus(widget)
        widget.scroll_visible()

    def focus_first(self) -> None:
        if self.fields:
            self.focus_field(next(iter(self.fields)))

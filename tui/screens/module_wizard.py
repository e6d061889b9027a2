"""Integration › Processing modules › Add: product type → module type → integration settings → module
parameters → Finish.

Finish runs `create_module` in a worker (the connection check talks to the network: the UI never waits on
it). A failed check keeps the operator on the integration settings with the reason; invalid values send
them to the step holding the first bad field, each error under its field. Nothing is saved unless all of
it succeeds; on success the new module's card opens. Esc asks before throwing the typed values away.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import Button, ContentSwitcher, OptionList, Static
from textual.widgets.option_list import Option

from procmod.core.lifecycle import CheckOutcome, ConnectionCheckFailed, ModuleParams
from procmod.core.moduletypes import PRODUCT_TYPE_NAMES, PRODUCT_TYPES, ModuleType, SettingGroup, module_type, module_types_for
from procmod.core.validation import ValidationError
from procmod.tui.actions import bindings_for
from procmod.tui.screens.base import ConsoleScreen
from procmod.tui.widgets.module_fields import field_errors, other_groups, parameter_fields, setting_sections, to_params
from procmod.tui.widgets.schema_form import SchemaForm
from procmod.tui.widgets.sentences import sentence

STEPS = ("step-product", "step-type", "step-connection", "step-parameters")
STEP_TITLES = ("Product type", "Module type", "Integration settings", "Module parameters")
NO_TYPE = "none"


class AddModuleScreen(ConsoleScreen):
    SCREEN_ID = "wizard"
    BINDINGS = bindings_for("wizard")
    IS_FORM = True

    @dataclass
    class Created(Message):
        module_id: int

    @dataclass
    class Refused(Message):
        errors: dict[str, str]

    @dataclass
    class CheckFailed(Message):
        outcome: CheckOutcome

    def __init__(self) -> None:
        super().__init__()
        self.step = 0
        self.product_type: str | None = None
        self.mtype: ModuleType | None = None
        self.busy = False

    def crumbs(self, *, first: bool) -> tuple[str, ...]:
        return ("Integration", "Processing modules", "Add") if first else ("Add",)

    def compose_content(self) -> ComposeResult:
        yield Static("", id="wizard-step")
        with ContentSwitcher(initial=STEPS[0], id="wizard-steps"):
            yield OptionList(*[Option(Text(p.name), id=p.code) for p in PRODUCT_TYPES], id="step-product")
            yield OptionList(id="step-type")
            yield VerticalScroll(id="step-connection", classes="wizard-form")
            yield VerticalScroll(id="step-parameters", classes="wizard-form")
        yield Static("", id="wizard-message")
        with Horizontal(id="wizard-buttons"):
            yield Button("Back", id="wizard-back", compact=True)
            yield Button("Next", id="wizard-next", variant="primary", compact=True)
            yield Button("Cancel", id="wizard-cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#step-product", OptionList).highlighted = 0
        self.show_step(0)

    # ------------------------------------------------------------------ steps

    def form(self, step_id: str) -> SchemaForm | None:
        found = self.query(f"#{step_id} SchemaForm")
        return found.first(SchemaForm) if found else None

    @property
    def unsaved_changes(self) -> bool:
        """Something typed or ticked in the settings or the parameters (the choices of the first two steps
        are two keys away: leaving them loses nothing worth a question)."""
        return any(form.dirty for step_id in STEPS[2:] if (form := self.form(step_id)) is not None)

    def show_step(self, step: int, message: str = "") -> None:
        self.step = step
        self.query_one(ContentSwitcher).current = STEPS[step]
        chosen = [PRODUCT_TYPE_NAMES.get(self.product_type or "", ""), self.mtype.title if self.mtype else ""]
        so_far = " · ".join(c for c in chosen[:step] if c)
        self.query_one("#wizard-step", Static).update(Text(
            f"Step {step + 1} of {len(STEPS)}: {STEP_TITLES[step]}" + (f"   ({so_far})" if so_far else ""),
            style="bold"))
        self.say(message)
        self.query_one("#wizard-back", Button).disabled = step == 0
        self.query_one("#wizard-next", Button).label = "Finish" if step == len(STEPS) - 1 else "Next"
        form = self.form(STEPS[step])
        if form is not None:
            form.focus_first()
        else:
            self.set_focus(self.query_one(f"#{STEPS[step]}"))  # at once: keys typed after ctrl+n go there
        self.refresh_bindings()

    def say(self, message: str, *, error: bool = False) -> None:
        line = self.query_one("#wizard-message", Static)
        line.update(Text(message))
        line.set_class(error, "-error")

    @on(OptionList.OptionSelected, "#step-product")
    def _product_chosen(self, event: OptionList.OptionSelected) -> None:
        self.product_type = event.option.id
        types = module_types_for(self.product_type or "")
        options = self.query_one("#step-type", OptionList)
        options.clear_options()
        if types:
            options.add_options([Option(Text(t.title), id=t.key) for t in types])
        else:
            options.add_option(Option(Text(f"No module type serves {event.option.prompt} yet"), id=NO_TYPE,
                                      disabled=True))
        options.highlighted = 0 if types else None
        self.show_step(1)

    @on(OptionList.OptionSelected, "#step-type")
    async def _type_chosen(self, event: OptionList.OptionSelected) -> None:
        chosen = module_type(event.option.id or "")
        if chosen is not self.mtype:  # a new type: new forms (the same type keeps what was typed)
            self.mtype = chosen
            await self._build_forms(chosen)
        self.show_step(2)

    async def _build_forms(self, mtype: ModuleType) -> None:
        connection = self.query_one("#step-connection", VerticalScroll)
        parameters = self.query_one("#step-parameters", VerticalScroll)
        await connection.remove_children()
        await parameters.remove_children()
        defaults = {f.key: f.default for f in mtype.fields if f.default is not None}
        defaults["sort_priority"] = 100
        validator = partial(field_errors, mtype=mtype)
        await connection.mount(SchemaForm(setting_sections(mtype, (SettingGroup.CONNECTION,)), defaults,
                                          validator=validator))
        await parameters.mount(SchemaForm(
            [(None, parameter_fields(mtype, self.backend)), *setting_sections(mtype, other_groups())], defaults,
            validator=validator))

    def action_next_step(self) -> None:
        if self.busy:
            return
        if self.step == 0:
            self.query_one("#step-product", OptionList).action_select()
        elif self.step == 1:
            types = self.query_one("#step-type", OptionList)
            if types.highlighted is None:  # the product type no module type serves
                name = PRODUCT_TYPE_NAMES.get(self.product_type or "", "this product type")
                self.say(f"No module type serves {name} yet, so there is nothing to add for it. ctrl+b goes "
                         "back to choose another product type.", error=True)
                return
            types.action_select()
        elif self.step == 2:
            if self.step_is_valid(2):
                self.show_step(3)
        else:
            self.action_finish()

    def step_is_valid(self, step: int) -> bool:
        """The step's fields as the domain would take them: errors under the fields and False if not."""
        form = self.form(STEPS[step])
        if form is None:
            return True
        shown = form.show_errors(form.check())
        if not shown:
            return True
        form.focus_field(shown[0])
        self.say(f"{_fields(len(shown))} on this step need{'s' if len(shown) == 1 else ''} attention before the "
                 "next one.", error=True)
        return False

    def action_previous_step(self) -> None:
        if self.step > 0 and not self.busy:
            self.show_step(self.step - 1)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "finish" and self.step != len(STEPS) - 1:
            return False
        return super().check_action(action, parameters)

    @on(Button.Pressed, "#wizard-next")
    def _next_pressed(self) -> None:
        self.action_next_step()

    @on(Button.Pressed, "#wizard-back")
    def _back_pressed(self) -> None:
        self.action_previous_step()

    @on(Button.Pressed, "#wizard-cancel")
    def _cancel_pressed(self) -> None:
        self.action_back()

    # ------------------------------------------------------------------ finish

    def params(self) -> ModuleParams:
        assert self.mtype is not None
        values = {}
        for step_id in ("step-connection", "step-parameters"):
            form = self.form(step_id)
            if form is not None:
                values.update(form.values())
        return to_params(values, self.mtype)

    def action_finish(self) -> None:
        if self.busy or self.mtype is None or self.product_type is None or self.step != len(STEPS) - 1:
            return
        self.busy = True
        self.query_one("#wizard-next", Button).disabled = True
        self.say("Checking the connection and saving…")
        self._create(self.product_type, self.mtype.key, self.params())

    @work(thread=True, group="lifecycle", exit_on_error=False)
    def _create(self, product_type: str, type_key: str, params: ModuleParams) -> None:
        try:
            module_id = self.backend.commands.create_module(product_type, type_key, params)
        except ValidationError as invalid:
            self.post_message(self.Refused(invalid.errors))
        except ConnectionCheckFailed as failed:
            self.post_message(self.CheckFailed(failed.outcome))
        else:
            self.post_message(self.Created(module_id))

    def _done(self) -> None:
        self.busy = False
        self.query_one("#wizard-next", Button).disabled = False

    def on_add_module_screen_refused(self, event: Refused) -> None:
        self._done()
        first: tuple[int, str] | None = None
        for step, step_id in ((2, "step-connection"), (3, "step-parameters")):
            form = self.form(step_id)
            shown = form.show_errors(event.errors) if form is not None else []
            if shown and first is None:
                first = (step, shown[0])
        if first is None:  # an error no field holds (e.g. the module type)
            self.show_step(1 if "module_type" in event.errors else self.step)
            self.say(sentence("; ".join(sentence(m).rstrip(".") for m in event.errors.values())), error=True)
            return
        step, key = first
        self.show_step(step)
        self.say(f"{_fields(len(event.errors))} need{'s' if len(event.errors) == 1 else ''} attention; nothing was "
                 "saved.", error=True)
        form = self.form(STEPS[step])
        assert form is not None
        form.focus_field(key)

    def on_add_module_screen_check_failed(self, event: CheckFailed) -> None:
        self._done()
        stage = f" at {event.outcome.stage}" if event.outcome.stage else ""
        self.show_step(2)
        self.say(f"Connection check failed{stage}: {sentence(event.outcome.message)} Nothing was saved.",
                 error=True)

    def on_add_module_screen_created(self, event: Created) -> None:
        self._done()
        name = self.params().name.strip()
        self.app.pop_screen()
        self.app.notify(f"Created {name}", title="Processing modules")
        self.app.open_card(event.module_id)

    # ------------------------------------------------------------------ leaving

    def action_back(self) -> None:
        """Esc and Cancel: leave, asking first if anything was typed."""
        if self.busy:
            return
        if not self.unsaved_changes:
            self.app.pop_screen()
            return
        from procmod.tui.screens.confirm import ConfirmScreen

        def answered(discard: bool | None) -> None:
            if discard:
                self.app.pop_screen()

        self.app.push_screen(ConfirmScreen("Discard the new module?", "Nothing has been saved yet; what you "
                                           "entered will be lost.", confirm_label="Discard"), answered)


def _fields(count: int) -> str:
    return "1 field" if count == 1 else f"{count} fields"

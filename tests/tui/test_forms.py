"""Forms keep the operator's work: letters belong to the form, leaving with unsaved changes asks, the Add
wizard checks a step before the next, errors go once fixed, and a key typed while a form opens is not
taken into a field the operator has not seen."""

from __future__ import annotations

from procmod.core.backend import Backend
from procmod.core.lifecycle import CheckOutcome
from procmod.tui.app import make_app
from procmod.tui.screens.confirm import ConfirmScreen
from procmod.tui.screens.module_card import ModuleCardScreen
from procmod.tui.screens.module_edit import EditModuleScreen
from procmod.tui.screens.module_list import ModuleListScreen
from procmod.tui.screens.module_wizard import AddModuleScreen
from procmod.tui.widgets.schema_form import SchemaForm
from procmod.tui.widgets.ticks import TickBox
from tests.tui.test_typing import burst, drain

SIZE = (80, 24)


def module_of(backend: Backend, module_type: str):  # noqa: ANN201
    return next(r for r in backend.modules.list().rows if r.module_type == module_type)


async def open_edit(app, pilot) -> EditModuleScreen:  # noqa: ANN001
    await pilot.pause()
    await pilot.press("e")
    await drain(pilot)
    assert isinstance(app.screen, EditModuleScreen)
    return app.screen


async def test_letters_on_a_checkbox_belong_to_the_form(demo_backend: Backend) -> None:
    app = make_app(demo_backend, start=f"card:{module_of(demo_backend, 'namecheap').id}")
    async with app.run_test(size=SIZE) as pilot:
        edit = await open_edit(app, pilot)
        edit.form.focus_field("sandbox")
        await pilot.press("q", "colon")
        await drain(pilot)
        assert app.is_running and app.screen is edit  # neither quit nor the palette
        assert isinstance(app.focused, TickBox)


async def test_leaving_a_changed_form_asks_first(demo_backend: Backend) -> None:
    app = make_app(demo_backend, start=f"card:{module_of(demo_backend, 'namecheap').id}")
    async with app.run_test(size=SIZE) as pilot:
        edit = await open_edit(app, pilot)
        edit.form.focus_field("sandbox")
        await pilot.press("space")  # ticked: a change
        assert edit.unsaved_changes
        await pilot.press("ctrl+q")
        await drain(pilot)
        assert isinstance(app.screen, ConfirmScreen) and app.focused.id == "confirm-cancel"
        await pilot.press("enter")  # Cancel
        await drain(pilot)
        assert app.is_running and app.screen is edit and edit.form.value_of("sandbox") is True
        app.open_destination("services")  # what the palette's "Go to" does (ctrl+p)
        await drain(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("escape")
        await drain(pilot)
        assert app.screen is edit
        await pilot.press("escape")
        await drain(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("right", "enter")  # Discard
        await drain(pilot)
        assert isinstance(app.screen, ModuleCardScreen)
        await pilot.press("ctrl+q")  # nothing typed anywhere: quits at once
        await drain(pilot)
        assert not app.is_running


async def test_a_key_typed_while_the_edit_form_opens_does_not_replace_the_name(demo_backend: Backend) -> None:
    module = module_of(demo_backend, "namecheap")
    app = make_app(demo_backend, start=f"card:{module.id}")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        burst(app, "e", "x")  # typed ahead, before the form is on screen
        await drain(pilot)
        edit = app.screen
        assert isinstance(edit, EditModuleScreen)
        assert edit.form.value_of("name") == module.name
        assert app.focused is edit.form.widget_of("name")
        await pilot.press("y")  # once shown, keys go where the cursor is: after the name, not over it
        assert edit.form.value_of("name") == module.name + "y"


async def open_wizard_at_namecheap(app, pilot) -> AddModuleScreen:  # noqa: ANN001
    await pilot.press("a")
    await pilot.pause()
    wizard = app.screen
    assert isinstance(wizard, AddModuleScreen)
    await pilot.press("down", "down", "down", "enter")  # Domains
    await pilot.pause()
    await pilot.press("enter")  # Namecheap
    await drain(pilot)
    assert wizard.step == 2 and wizard.mtype is not None and wizard.mtype.key == "namecheap"
    return wizard


async def test_wizard_escape_leaves_at_once_when_nothing_was_typed(demo_backend: Backend) -> None:
    app = make_app(demo_backend, start="modules")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await open_wizard_at_namecheap(app, pilot)
        await pilot.press("escape")
        await drain(pilot)
        assert isinstance(app.screen, ModuleListScreen)


async def test_wizard_checks_a_step_and_errors_go_once_fixed(demo_backend: Backend) -> None:
    app = make_app(demo_backend, start="modules")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        wizard = await open_wizard_at_namecheap(app, pilot)
        form = wizard.form("step-connection")
        assert isinstance(form, SchemaForm)
        await pilot.press(*"apiuser")
        await pilot.press("ctrl+n")
        await drain(pilot)
        assert wizard.step == 2  # API key, user name and client IP are missing
        assert set(form.errors) == {"api_key", "user_name", "client_ip"}
        message = str(wizard.query_one("#wizard-message").render())
        assert "3 fields on this step need attention" in message and ".." not in message
        assert app.focused is form.widget_of("api_key")
        assert "not set" in form.line_of("api_key", "help").lower()
        await pilot.press(*"secret")
        await drain(pilot)
        assert "api_key" not in form.errors  # fixed: the error is gone
        assert form.line_of("api_key", "error") == ""
        assert form.line_of("api_key", "help") == ""  # no "Currently not set" under a secret being typed
        assert {"user_name", "client_ip"} == set(form.errors)  # the others stay until fixed
        form.focus_field("client_ip")
        await pilot.press(*"10.0.0")
        await drain(pilot)
        assert "client_ip" in form.errors  # not yet a valid address
        await pilot.press(*".7")
        await drain(pilot)
        assert "client_ip" not in form.errors
        form.focus_field("user_name")
        await pilot.press(*"owner", "ctrl+n")
        await drain(pilot)
        assert wizard.step == 3 and not form.errors
        await pilot.press("ctrl+b")
        assert wizard.step == 2


async def test_wizard_check_failure_reads_as_one_sentence(demo_backend: Backend) -> None:
    checker = "checker" if hasattr(demo_backend.commands, "checker") else "_checker"
    setattr(demo_backend.commands, checker,
            lambda *a: CheckOutcome(False, "Namecheap refused the API key.", "authenticate"))
    app = make_app(demo_backend, start="modules")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        wizard = await open_wizard_at_namecheap(app, pilot)
        form = wizard.form("step-connection")
        for key, value in {"api_user": "u", "api_key": "k", "user_name": "u", "client_ip": "10.0.0.7"}.items():
            form.set_value(key, value)
        await pilot.press("ctrl+n")
        await drain(pilot)
        params = wizard.form("step-parameters")
        params.set_value("name", "Namecheap two")
        params.set_value("department_id", next(iter(params.fields["department_id"].choices))[0])
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await drain(pilot)
        message = str(wizard.query_one("#wizard-message").render())
        assert "refused the API key. Nothing was saved." in message and ".." not in message


async def test_wizard_says_why_a_product_type_cannot_go_on(demo_backend: Backend) -> None:
    app = make_app(demo_backend, start="modules")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("a")
        await pilot.pause()
        wizard = app.screen
        await pilot.press("down", "down", "down", "down", "enter")  # SSL certificates: no module type serves it
        await pilot.pause()
        assert wizard.step == 1
        await pilot.press("ctrl+n")
        await pilot.pause()
        message = str(wizard.query_one("#wizard-message").render())
        assert "No module type serves SSL certificates yet" in message and wizard.step == 1


async def test_the_kept_edit_form_shows_the_next_module_afresh(demo_backend: Backend) -> None:
    """One edit screen per module type is kept (composing it is most of what opening it costs): opened on
    another module it shows that module's values, nothing typed, no error or note of the one before."""
    first, second = [r for r in demo_backend.modules.list().rows if r.module_type == "namecheap"][:2]
    app = make_app(demo_backend, start=f"card:{first.id}")
    async with app.run_test(size=SIZE) as pilot:
        edit = await open_edit(app, pilot)
        edit.form.set_value("api_user", "typed-but-discarded")
        edit.form.show_errors({"user_name": "User name is required"})
        await pilot.press("escape")
        await drain(pilot)
        await pilot.press("right", "enter")  # Discard
        await drain(pilot)
        app.open_card(second.id)
        await drain(pilot)
        again = await open_edit(app, pilot)
        assert again is edit  # the kept screen
        expected = demo_backend.commands.edit_form(second.id).params
        assert again.form.value_of("name") == second.name == again.module_name
        assert again.form.value_of("api_user") == expected.settings["api_user"]
        assert not again.unsaved_changes and not again.form.errors
        assert again.form.line_of("user_name", "error") == ""
        assert again.form.value_of("api_key") == "" and again.form.fields["api_key"].secret_set
        assert app.focused is again.form.widget_of("name")
        await pilot.press(*"x", "ctrl+s")
        await app.workers.wait_for_complete()
        await drain(pilot)
    assert demo_backend.modules.name(second.id) == second.name + "x"
    assert demo_backend.modules.name(first.id) == first.name


async def test_back_from_the_discard_question_the_focus_stays_on_the_field(demo_backend: Backend) -> None:
    """Only a form shown with a module's values starts on its first field: back from a dialog, the operator
    goes on where they were, and keys typed then are theirs."""
    app = make_app(demo_backend, start=f"card:{module_of(demo_backend, 'namecheap').id}")
    async with app.run_test(size=SIZE) as pilot:
        edit = await open_edit(app, pilot)
        edit.form.focus_field("sandbox")
        await pilot.press("space")
        await pilot.press("escape")
        await drain(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("escape")  # not discarded
        await drain(pilot)
        assert app.screen is edit and app.focused is edit.form.widget_of("sandbox")
        await pilot.press("space")
        assert edit.form.value_of("sandbox") is False

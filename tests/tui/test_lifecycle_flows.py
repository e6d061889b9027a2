"""Pilot tests of the module lifecycle at 80x24: the Add wizard, Edit (errors, conflict), Disable, the
guarded Delete, a tariff's Modules and status, task schedules, the audit history, and read-only mode.

Every test asserts on state: rows in the database (through the backend's queries), the screen on top,
the messages shown; workers are awaited, never slept on.
"""

from __future__ import annotations

from procmod.core.backend import Backend
from procmod.core.dto import ModuleFilter, ModuleStatus, ServiceStatus, TariffFilter, TariffStatus, TaskFilter
from procmod.core.lifecycle import CheckOutcome, ModuleParams
from procmod.core.moduletypes import SettingGroup
from procmod.tui.app import make_app
from procmod.tui.screens.confirm import ConfirmScreen
from procmod.tui.screens.module_card import ModuleCardScreen
from procmod.tui.screens.module_list import ModuleListScreen
from procmod.tui.screens.module_wizard import AddModuleScreen
from procmod.tui.widgets.schema_form import SchemaForm

SIZE = (80, 24)


def use_checker(backend: Backend, checker) -> None:  # noqa: ANN001
    """Replace the connection check (core is making the attribute public: accept either name)."""
    setattr(backend.commands, "checker" if hasattr(backend.commands, "checker") else "_checker", checker)


def accept_every_connection(backend: Backend) -> None:
    use_checker(backend, lambda type_key, settings, secrets: CheckOutcome(True, "ok"))


async def settle(app, pilot) -> None:  # noqa: ANN001
    """Let the lifecycle workers finish and their messages land."""
    await app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause()


async def type_text(pilot, text: str) -> None:  # noqa: ANN001
    await pilot.press(*text)


async def open_wizard_at_cpanel(app, pilot) -> AddModuleScreen:  # noqa: ANN001
    """From the modules list: `a`, Shared hosting, cPanel/WHM → the integration settings step."""
    await pilot.press("a")
    await pilot.pause()
    wizard = app.screen
    assert isinstance(wizard, AddModuleScreen)
    await pilot.press("down", "enter")  # Shared hosting (second product type)
    await pilot.pause()
    assert wizard.product_type == "vhost" and wizard.step == 1
    await pilot.press("enter")  # cPanel/WHM, the only type serving it
    await pilot.pause()
    assert wizard.mtype is not None and wizard.mtype.key == "cpanel" and wizard.step == 2
    return wizard


async def fill_cpanel_connection(pilot, host: str = "web09.hostco.example") -> None:  # noqa: ANN001
    await type_text(pilot, host)
    await pilot.press("enter", "enter", "enter")  # port and WHM user keep their defaults
    await type_text(pilot, "TOKEN-9")


async def fill_parameters(app, pilot, name: str) -> None:  # noqa: ANN001
    await type_text(pilot, name)
    form = app.screen.form("step-parameters")
    form.focus_field("department_id")
    await pilot.press("enter", "down", "enter")  # open the drop-down, first department, choose it
    await pilot.pause()
    assert form.value_of("department_id") != ""


async def test_wizard_creates_a_cpanel_module_and_opens_its_card(demo_backend: Backend) -> None:
    accept_every_connection(demo_backend)
    before = demo_backend.modules.list().total
    app = make_app(demo_backend, start="modules")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        wizard = await open_wizard_at_cpanel(app, pilot)
        connection = wizard.form("step-connection")
        assert list(connection.fields) == [f.key for f in wizard.mtype.fields if f.group is SettingGroup.CONNECTION]
        assert list(connection.fields)[:4] == ["host", "port", "whm_user", "api_token"]
        assert connection.widget_of("api_token").password  # masked while typed
        await fill_cpanel_connection(pilot)
        await pilot.press("ctrl+n")
        assert wizard.step == 3
        params = wizard.form("step-parameters")
        assert "datacenter_id" not in params.fields and "minimal_balance" not in params.fields
        assert {"default_package", "nameserver1"} <= set(params.fields)
        await fill_parameters(app, pilot, "cPanel web09")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        card = app.screen
        assert isinstance(card, ModuleCardScreen)
        assert card.card.name == "cPanel web09" and card.card.module_type == "cpanel"
    assert demo_backend.modules.list().total == before + 1
    created = demo_backend.modules.card(card.card.id)
    connection_values = {v.key: v.display for v in created.settings[0].values}
    assert connection_values["host"] == "web09.hostco.example" and "TOKEN-9" not in repr(created)


async def test_wizard_failed_check_stays_on_settings_with_the_reason(demo_backend: Backend) -> None:
    use_checker(demo_backend, lambda *a: CheckOutcome(False, "WHM answered 403 Forbidden", "authenticate"))
    before = demo_backend.modules.list().total
    app = make_app(demo_backend, start="modules")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        wizard = await open_wizard_at_cpanel(app, pilot)
        await fill_cpanel_connection(pilot)
        await pilot.press("ctrl+n")
        await fill_parameters(app, pilot, "cPanel refused")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert app.screen is wizard and wizard.step == 2
        message = str(wizard.query_one("#wizard-message").render())
        assert "authenticate" in message and "403 Forbidden" in message and "Nothing was saved" in message
    assert demo_backend.modules.list().total == before


async def test_wizard_invalid_input_goes_to_the_first_bad_field(demo_backend: Backend) -> None:
    accept_every_connection(demo_backend)
    before = demo_backend.modules.list().total
    app = make_app(demo_backend, start="modules")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        wizard = await open_wizard_at_cpanel(app, pilot)
        await type_text(pilot, "not a host!")  # and no API token
        await pilot.press("ctrl+n")  # the step is checked first: it stays, errors under the fields
        assert wizard.step == 2 and set(wizard.form("step-connection").errors) == {"host", "api_token"}
        wizard.show_step(3)  # Finish validates everything again, whichever step it is pressed on
        await pilot.pause()
        await pilot.press("ctrl+s")  # no name, no department either
        await settle(app, pilot)
        assert app.screen is wizard and wizard.step == 2
        connection, params = wizard.form("step-connection"), wizard.form("step-parameters")
        assert "not a valid host" in connection.errors["host"]
        assert connection.errors["api_token"] == "API token is required"
        assert params.errors["name"] == "Name is required"
        assert "department" in params.errors["department_id"].lower()
        assert app.focused is connection.widget_of("host")
    assert demo_backend.modules.list().total == before


async def test_escape_in_the_wizard_asks_before_discarding(demo_backend: Backend) -> None:
    app = make_app(demo_backend, start="modules")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        wizard = await open_wizard_at_cpanel(app, pilot)
        await type_text(pilot, "kept.example")
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        assert app.focused.id == "confirm-cancel"  # the safe choice
        await pilot.press("enter")  # Cancel: back to the wizard, values kept
        await pilot.pause()
        assert app.screen is wizard and wizard.form("step-connection").value_of("host") == "kept.example"
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("right", "enter")  # Discard
        await pilot.pause()
        assert isinstance(app.screen, ModuleListScreen)


# ---------------------------------------------------------------------------------------------- edit


async def open_card(app, pilot, module_name: str) -> ModuleCardScreen:  # noqa: ANN001
    module_id = next(r.id for r in app.backend.modules.list(ModuleFilter(text=module_name)).rows)
    app.open_card(module_id)
    await pilot.pause()
    assert isinstance(app.screen, ModuleCardScreen)
    return app.screen


def first_module(backend: Backend, module_type: str):  # noqa: ANN201
    return next(r for r in backend.modules.list().rows if r.module_type == module_type)


async def test_edit_saves_and_the_card_shows_the_new_value(demo_backend: Backend) -> None:
    module = first_module(demo_backend, "cpanel")
    app = make_app(demo_backend, start=f"card:{module.id}")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        card = app.screen
        await pilot.press("e")
        await pilot.pause()
        edit = app.screen
        form = edit.query_one(SchemaForm)
        assert form.value_of("name") == module.name
        assert form.fields["api_token"].secret_set and form.value_of("api_token") == ""
        form.set_value("nameserver2", "ns9.hostco.example")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert app.screen is card
        settings = {v.key: v.display for g in card.card.settings for v in g.values}
        assert settings["nameserver2"] == "ns9.hostco.example"
        assert settings["api_token"].endswith("(set)")  # left blank: unchanged
    assert demo_backend.commands.edit_form(module.id).params.settings["nameserver2"] == "ns9.hostco.example"


async def test_edit_shows_each_error_under_its_field(demo_backend: Backend) -> None:
    module = first_module(demo_backend, "cpanel")
    version = demo_backend.commands.edit_form(module.id).version
    app = make_app(demo_backend, start=f"card:{module.id}")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("e")
        await pilot.pause()
        edit = app.screen
        form = edit.query_one(SchemaForm)
        form.set_value("name", "")
        form.set_value("port", "70000")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert app.screen is edit
        assert form.errors == {"name": "Name is required", "port": "Port must be between 1 and 65535"}
        assert app.focused is form.widget_of("name")
    assert demo_backend.commands.edit_form(module.id).version == version


async def test_edit_conflict_names_who_and_reload_keeps_typed_values(demo_backend: Backend) -> None:
    module = first_module(demo_backend, "cpanel")
    app = make_app(demo_backend, start=f"card:{module.id}")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("e")
        await pilot.pause()
        edit = app.screen
        form = edit.query_one(SchemaForm)
        # Another operator saves in between.
        other = demo_backend.commands.edit_form(module.id)
        demo_backend.commands.operator = "alice"
        demo_backend.commands.update_module(module.id, other.version, ModuleParams(
            **{**other.params.__dict__, "settings": {**other.params.settings, "nameserver1": "ns-alice.example"}}))
        demo_backend.commands.operator = "tester"
        form.set_value("nameserver1", "ns-mine.example")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert app.screen is edit
        assert "Changed by alice at" in str(edit.query_one("#form-message").render())
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert form.value_of("nameserver1") == "ns-mine.example"  # what the operator typed stays
        assert "ns-alice.example" in form.line_of("nameserver1", "note")
        await pilot.press("ctrl+s")  # now saved over the version they have seen
        await settle(app, pilot)
        assert isinstance(app.screen, ModuleCardScreen)
    assert demo_backend.commands.edit_form(module.id).params.settings["nameserver1"] == "ns-mine.example"


# ---------------------------------------------------------------------------------------------- history
# (Update configuration: tests/tui/test_integration_screens.py)


async def test_history_lists_the_changes_of_the_module(demo_backend: Backend) -> None:
    from procmod.tui.screens.module_history import ModuleHistoryScreen
    from procmod.tui.widgets.row_table import RowTable

    module = first_module(demo_backend, "cpanel")
    demo_backend.commands.set_module_enabled(module.id, False)
    app = make_app(demo_backend, start=f"card:{module.id}")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("h")
        await pilot.pause()
        assert isinstance(app.screen, ModuleHistoryScreen)
        table = app.screen.query_one(RowTable)
        assert table.row_count >= 1
        assert str(table.get_row_at(0)[1]) == "tester" and f"Disabled {module.name}" in str(table.get_row_at(0)[2])

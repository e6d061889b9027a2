"""Pilot tests at 80x24 of reference data: a first run from an empty database to a module selling a tariff
(against the demo's cPanel emulator), the data center / department forms, cards and guarded deletes, the
tariff form, and read-only mode. Workers are awaited, never slept on."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import Checkbox, Input, Select, Static

from procmod.core.backend import Backend, open_backend
from procmod.core.clock import DEMO_NOW, FixedClock
from procmod.core.dto import ModuleFilter, PageRequest, TariffFilter
from procmod.core.reference import DATACENTER, DEPARTMENT, TARIFF, TARIFF_PERIODS
from procmod.core.secrets import SecretBox
from procmod.demo.emulators import start_cpanel
from procmod.demo.emulators.cpanel import CpanelState
from procmod.tui.app import make_app
from procmod.tui.screens.confirm import ConfirmScreen
from procmod.tui.screens.menu import GETTING_STARTED, MenuScreen
from procmod.tui.screens.module_card import ModuleCardScreen
from procmod.tui.screens.module_list import ModuleListScreen
from procmod.tui.screens.module_wizard import AddModuleScreen
from procmod.tui.screens.provider_lists import DataCenterListScreen, DepartmentListScreen
from procmod.tui.screens.reference_blockers import ReferenceBlockersScreen
from procmod.tui.screens.reference_card import ReferenceCardScreen
from procmod.tui.screens.reference_form import ReferenceFormScreen
from procmod.tui.screens.tariff_list import _PER, TariffListScreen
from procmod.tui.widgets.link_picker import LinkPicker

SIZE = (80, 24)


async def settle(app, pilot) -> None:  # noqa: ANN001
    await app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause()


@pytest.fixture
def empty(tmp_path: Path) -> Iterator[Backend]:
    backend = open_backend(f"sqlite:///{tmp_path / 'first.db'}", clock=FixedClock(DEMO_NOW),
                           secrets=SecretBox.generate(), operator="tester")
    yield backend
    backend.close()


def panel_text(app) -> str:  # noqa: ANN001
    panel = app.screen.query_one("#getting-started", Static)
    return "" if panel.has_class("-hidden") else str(panel.render())


async def open_from_menu(app, pilot, destination: str) -> None:  # noqa: ANN001
    """Arrows to the destination in the menu (skipping group headers), then Enter."""
    while app.screen.highlighted_destination != destination:
        await pilot.press("down")
    await pilot.press("enter")
    await pilot.pause()


async def choose(pilot, select_id: str, value: str, app) -> None:  # noqa: ANN001
    """Open a drop-down with Enter, walk down to the option whose value is `value`, Enter."""
    select = app.screen.query_one(f"#{select_id}", Select)
    select.focus()
    for downs in range(1, 12):
        await pilot.press("enter")  # open: the highlight starts on the blank "Choose…"
        await pilot.pause()
        await pilot.press(*["down"] * downs, "enter")
        await pilot.pause()
        if select.value == value:
            return
    raise AssertionError(f"{value!r} is not offered by {select_id}")


async def test_first_run_to_a_module_selling_a_tariff(empty: Backend) -> None:
    """From an empty database: the getting-started panel → a data center → a department → a cPanel module
    against the emulator → a tariff plan linking it → the module's card shows the tariff."""
    emulator = start_cpanel(https=True, state=CpanelState(api_token="FIRSTRUNTOKEN", packages=["starter"]))
    app = make_app(empty)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await settle(app, pilot)
            assert isinstance(app.screen, MenuScreen)
            text = panel_text(app)
            assert "1. A data center" in text and "Integration › Data centers, then a" in text
            assert [step in text for _, step, _ in GETTING_STARTED] == [True] * 4

            # 1. a data center
            await open_from_menu(app, pilot, "datacenters")
            assert isinstance(app.screen, DataCenterListScreen)
            await pilot.press("a")
            await pilot.pause()
            assert isinstance(app.screen, ReferenceFormScreen)
            await pilot.press(*"Frankfurt FRA1", "enter", *"FRA1", "enter", *"Frankfurt, DE", "ctrl+s")
            await settle(app, pilot)
            assert isinstance(app.screen, DataCenterListScreen)
            assert [r.name for r in app.screen.paged.rows] == ["Frankfurt FRA1"]
            await pilot.press("escape")
            await settle(app, pilot)
            assert "done" in panel_text(app).splitlines()[0]

            # 2. a department
            await open_from_menu(app, pilot, "departments")
            assert isinstance(app.screen, DepartmentListScreen)
            await pilot.press("a", *"Technical support", "enter", *"support@hostco.example", "ctrl+s")
            await settle(app, pilot)
            assert [r.name for r in app.screen.paged.rows] == ["Technical support"]
            await pilot.press("escape")
            await settle(app, pilot)

            # 3. a processing module, checked against the emulator
            await open_from_menu(app, pilot, "modules")
            await pilot.press("a")
            await pilot.pause()
            wizard = app.screen
            assert isinstance(wizard, AddModuleScreen)
            await pilot.press("down", "enter", "enter")  # Shared hosting → cPanel/WHM
            await pilot.pause()
            await pilot.press(*"127.0.0.1", "enter", "home", "ctrl+k", *str(emulator.port), "enter", "enter",
                              *"FIRSTRUNTOKEN")
            connection = wizard.form("step-connection")
            connection.focus_field("ca_bundle")
            await pilot.press(*emulator.ca_file)
            await pilot.press("ctrl+n")
            await pilot.pause()
            await pilot.press(*"cPanel first")
            params = wizard.form("step-parameters")
            params.focus_field("department_id")
            await pilot.press("enter", "down", "enter")
            await pilot.press("ctrl+s")
            await settle(app, pilot)
            assert isinstance(app.screen, ModuleCardScreen), str(wizard.query_one("#wizard-message").render())
            module_id = app.screen.card.id

            # 4. a tariff plan served by it
            app.open_destination("tariffs")
            await settle(app, pilot)
            assert isinstance(app.screen, TariffListScreen)
            await pilot.press("a")
            await pilot.pause()
            form = app.screen
            assert isinstance(form, ReferenceFormScreen)
            await pilot.press(*"Hosting Start", "enter")
            await choose(pilot, "input-product_type", "vhost", app)
            await settle(app, pilot)
            picker = form.query_one(LinkPicker)
            assert [c.name for c in picker.choices] == ["cPanel first"]
            form.form.focus_field("price")
            await pilot.press(*"4.90")
            await choose(pilot, "input-period", "month", app)
            await choose(pilot, "input-status", "active", app)
            form.query_one(f"#link-{module_id}", Checkbox).focus()
            await pilot.press("space")
            await pilot.press("ctrl+s")
            await settle(app, pilot)
            assert isinstance(app.screen, TariffListScreen), str(form.query_one("#form-message").render())
            assert [r.module_names for r in app.screen.paged.rows] == [["cPanel first"]]

            # the module's card shows the tariff; the panel is gone
            assert app.open_card(module_id)
            await settle(app, pilot)
            assert [t.name for t in app.screen.card.tariffs] == ["Hosting Start"]
            await pilot.press("escape")
            await settle(app, pilot)
            app.pop_screen()
            await settle(app, pilot)
            assert isinstance(app.screen, MenuScreen) and panel_text(app) == ""
    finally:
        emulator.stop()


async def test_duplicate_name_is_refused_inline_naming_the_existing_one(demo_backend: Backend) -> None:
    app = make_app(demo_backend, start="datacenters")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("a", *"frankfurt fra1", "ctrl+s")
        await settle(app, pilot)
        form = app.screen
        assert isinstance(form, ReferenceFormScreen)
        assert "“Frankfurt FRA1”" in form.form.errors["name"]
        assert "nothing was saved" in str(form.query_one("#form-message").render())
        await pilot.press("escape")  # typed something: asks first
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is form
    assert demo_backend.provider.datacenters().total == 2


async def test_card_edit_and_guarded_delete_of_a_data_center(demo_backend: Backend) -> None:
    app = make_app(demo_backend, start="datacenters")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("enter")  # Amsterdam AMS2, first by name
        await settle(app, pilot)
        card = app.screen
        assert isinstance(card, ReferenceCardScreen) and card.card.title == "Amsterdam AMS2"
        assert ("Processing modules", "4") in card.card.related
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, ReferenceFormScreen)
        app.screen.form.focus_field("location")
        await pilot.press("home", "ctrl+k", *"Amsterdam-Zuid, NL", "ctrl+s")
        await settle(app, pilot)
        assert app.screen is card and ("Location", "Amsterdam-Zuid, NL") in card.card.values
        await pilot.press("delete")
        await settle(app, pilot)
        blockers = app.screen
        assert isinstance(blockers, ReferenceBlockersScreen)
        assert [b.kind for b in blockers.blockers] == ["modules"]
        await pilot.press("m")  # the key of the row: the modules in this data center
        await settle(app, pilot)
        assert isinstance(app.screen, ModuleListScreen)
        assert app.screen.filter == ModuleFilter(datacenter_id=card.card.id)
        assert len(app.screen.paged.rows) == 4
        assert "data center Amsterdam AMS2" in str(app.screen.query_one("#filter-line").render())
    history = demo_backend.reference.card(DATACENTER, card.card.id).related[-1][1]
    assert history.startswith("1 change(s), the last by tester")


async def test_unused_department_is_deleted_after_confirmation(demo_backend: Backend) -> None:
    spare = demo_backend.reference.create(DEPARTMENT, {"name": "Abuse desk"})
    app = make_app(demo_backend, start="departments")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert app.screen.paged.selected.id == spare
        await pilot.press("delete")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("left")  # from Cancel to Delete
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, DepartmentListScreen)
        assert [r.name for r in app.screen.paged.rows] == ["Sales department", "Technical support"]


async def test_tariff_edit_and_archive_from_the_list(demo_backend: Backend) -> None:
    app = make_app(demo_backend, start="tariffs")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        row = app.screen.paged.selected
        await pilot.press("e")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, ReferenceFormScreen)
        assert form.form.value_of("name") == row.name
        ticked = [c.name for c in form.query_one(LinkPicker).choices if c.linked]
        assert ticked == row.module_names
        form.form.focus_field("price")
        await pilot.press("home", "ctrl+k", *"abc", "ctrl+s")
        await settle(app, pilot)
        assert "amount" in form.form.errors["price"]
        await pilot.press("home", "ctrl+k", *"99.00", "ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, TariffListScreen)
        await pilot.press("A")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("left", "enter")
        await settle(app, pilot)
    values = demo_backend.reference.values(TARIFF, row.id)
    assert values["status"] == "archived" and str(values["price"]) == "99.00"


async def test_read_only_removes_every_reference_writing_key(demo_backend: Backend) -> None:
    app = make_app(demo_backend, start="datacenters", read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        for action in ("add_record", "edit_record", "delete_record"):
            assert app.screen.check_action(action, ()) is False
        await pilot.press("a", "e", "delete")
        await pilot.pause()
        assert isinstance(app.screen, DataCenterListScreen)
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, ReferenceCardScreen)
        assert app.screen.check_action("edit_record", ()) is False
        assert app.screen.check_action("show_modules", ()) is True
        app.open_destination("tariffs")
        await settle(app, pilot)
        for action in ("add_record", "edit_record", "archive_tariff"):
            assert app.screen.check_action(action, ()) is False


def test_the_price_column_names_every_period() -> None:
    assert set(_PER) == {value for value, _ in TARIFF_PERIODS}


def test_module_filter_of_a_tariff_list_still_works(demo_backend: Backend) -> None:
    assert demo_backend.tariffs.list(TariffFilter(module_id=1), PageRequest(limit=5)).rows


async def test_the_manuals_delete_procedure_to_the_end(demo_backend: Backend) -> None:
    """On the demo's "cPanel staging": Del → the pre-check lists its Active tariffs → `t` opens them → one is
    re-linked to another module (Modules), the other disabled → back, nothing blocks → Del → Ok → the module
    is gone and its audit entry kept. (Services: it has none; their operations are another issue's.)"""
    from procmod.core.dto import TariffStatus
    from procmod.core.errors import NotFound
    from procmod.tui.screens.delete_check import DeleteCheckScreen
    from procmod.tui.screens.tariff_modules import TariffModulesScreen
    from textual.widgets import SelectionList

    staging = next(r for r in demo_backend.modules.list(ModuleFilter(text="cPanel staging")).rows)
    app = make_app(demo_backend, start="modules")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("slash", *"staging", "enter")
        await settle(app, pilot)
        assert app.screen.paged.selected.id == staging.id
        await pilot.press("delete")
        await settle(app, pilot)
        check = app.screen
        assert isinstance(check, DeleteCheckScreen)
        assert [(b.kind, b.count) for b in check.blockers] == [("tariffs", 2)]

        await pilot.press("t")  # the tariff plans linking it, Active and not
        await settle(app, pilot)
        tariffs = app.screen
        assert isinstance(tariffs, TariffListScreen)
        rows = {r.name: r for r in tariffs.paged.rows}
        assert set(rows) == {"Hosting Lite", "Hosting Student", "Reseller 50"}

        # Hosting Lite: Modules → untick the module being deleted → Ok
        while tariffs.paged.selected.name != "Hosting Lite":
            await pilot.press("down")
        await pilot.press("l")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, TariffModulesScreen)
        choices = dialog.query_one(SelectionList)
        while choices.get_option_at_index(choices.highlighted).value != staging.id:
            await pilot.press("down")
        await pilot.press("space", "ctrl+s")
        await settle(app, pilot)
        assert app.screen is tariffs

        # Reseller 50: Disable
        while tariffs.paged.selected.name != "Reseller 50":
            await pilot.press("down")
        await pilot.press("D")
        await settle(app, pilot)
        statuses = {r.name: r.status for r in tariffs.paged.rows}
        assert statuses["Reseller 50"] is TariffStatus.DISABLED
        assert "Hosting Lite" not in statuses  # no longer linked to it

        await pilot.press("escape")  # back to the pre-check, which looks again
        await settle(app, pilot)
        assert app.screen is check and check.blockers == []
        await pilot.press("delete")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        assert app.screen.focused.id == "confirm-cancel"  # the safe choice first
        await pilot.press("left", "enter")
        await settle(app, pilot)
        assert isinstance(app.screen, ModuleListScreen)
    with pytest.raises(NotFound):
        demo_backend.modules.card(staging.id)
    history = demo_backend.modules.history(staging.id).rows
    assert history[0].action == "delete" and history[0].actor == "tester"
    assert demo_backend.reference.values(TARIFF, rows["Hosting Student"].id)["status"] == "disabled"


def test_getting_started_marks_steps_in_words_and_knows_read_only() -> None:
    from procmod.core.reference import SetupProgress
    from procmod.tui.screens.menu import getting_started_text

    lines = getting_started_text(SetupProgress(True, False, False, False)).plain.splitlines()
    assert lines[0].rstrip().endswith("done") and lines[1].rstrip().endswith("next") and "next" not in lines[2]
    assert "without --read-only" in getting_started_text(read_only=True).plain
    assert all(len(line) <= 72 for line in lines)  # inside its frame at 80 columns


async def test_a_new_tariff_starts_monthly_and_active(demo_backend: Backend) -> None:
    app = make_app(demo_backend, start="tariffs")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("a")
        await pilot.pause()
        values = app.screen.form.values()
        assert values["period"] == "month" and values["status"] == "active" and values["product_type"] == ""


async def test_reference_forms_keep_letters_and_ask_before_discarding(demo_backend: Backend) -> None:
    """In a data center or tariff form, `q` on a tick or a button is the form's (it never quits), the module
    ticks read `[x]`/`[ ]` without colour, and Esc with something typed asks first."""
    from procmod.tui.widgets.link_picker import LinkTick

    app = make_app(demo_backend, start="tariffs")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("e")
        await settle(app, pilot)
        form = app.screen
        assert isinstance(form, ReferenceFormScreen)
        ticks = list(form.query(LinkTick))
        assert ticks and {str(t.render())[:3] for t in ticks} <= {"[x]", "[ ]"}
        assert any(str(t.render()).startswith("[x]") for t in ticks)
        ticks[0].focus()
        await pilot.press("q", "colon")
        await pilot.pause()
        assert app.is_running and app.screen is form
        form.form.focus_field("name")
        await pilot.press("end", "Z")
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)  # typed something: leaving asks

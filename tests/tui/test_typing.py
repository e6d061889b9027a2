"""Keys that arrive in a burst (SSH, tmux send-keys, a fast typist) are applied in the order typed.

The keys are posted to the app one after another WITHOUT waiting in between, as a terminal delivers
them; `pilot.press` would wait for the app to go idle after each key and hide the problem
(Textualize/textual#6605).
"""

from __future__ import annotations

import time

import pytest

from textual import events

from procmod.core.backend import Backend
from procmod.tui.app import make_app
from procmod.tui.screens.module_edit import EditModuleScreen
from procmod.tui.widgets.inputs import InOrderInput
from procmod.tui.widgets.schema_form import SchemaForm

SIZE = (80, 24)
_NAMED = {".": "full_stop", " ": "space", "-": "minus", "/": "slash"}


def key_event(key: str) -> events.Key:
    """A key as the terminal driver makes it: a name, and the character for a printable one."""
    if len(key) == 1:
        return events.Key(_NAMED.get(key, key), key)
    return events.Key(key, None)


def burst(app, *keys: str) -> None:  # noqa: ANN001
    """Post every key at once: none is handled before the last is queued."""
    for key in keys:
        app.post_message(key_event(key))


async def drain(pilot) -> None:  # noqa: ANN001
    for _ in range(4):
        await pilot.pause()


def module_with_balance(backend: Backend):  # noqa: ANN201
    return next(r for r in backend.modules.list().rows if r.module_type == "namecheap")


async def test_a_burst_of_editing_and_typed_keys_lands_in_order_in_a_form(demo_backend: Backend) -> None:
    module = module_with_balance(demo_backend)
    app = make_app(demo_backend, start=f"card:{module.id}")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, EditModuleScreen)
        form = app.screen.query_one(SchemaForm)
        form.focus_field("minimal_balance")
        await pilot.pause()
        field = form.widget_of("minimal_balance")
        assert isinstance(field, InOrderInput) and len(field.value) <= 12
        burst(app, "end", *["backspace"] * 12, *"80.00")
        await drain(pilot)
        assert field.value == "80.00"
        burst(app, "home", "delete", "9", "end", "left", "left", "backspace", "5")
        await drain(pilot)
        assert field.value == "90500"  # 80.00 → 0.00 → 90.00 → (the point deleted) 9000 → 90500


async def test_a_burst_in_a_list_filter_keeps_its_order(demo_backend: Backend) -> None:
    app = make_app(demo_backend, start="modules")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        burst(app, "/", "a", "b", "c", "backspace", "backspace", "x")  # `a` right after / is not Add
        await drain(pilot)
        assert app.screen is screen
        field = app.screen.query_one("#filter-input", InOrderInput)
        assert app.focused is field
        await drain(pilot)
        assert field.value == "ax"
        burst(app, "backspace", "enter")  # Enter still closes the filter (a form's Enter moves on instead)
        await drain(pilot)
        assert field.value == "a" and not app.screen.filter_open


async def test_a_long_paste_is_one_edit_cut_to_the_fields_maximum(demo_backend: Backend) -> None:
    module = module_with_balance(demo_backend)
    app = make_app(demo_backend, start=f"card:{module.id}")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("e")
        await pilot.pause()
        form = app.screen.query_one(SchemaForm)
        form.focus_field("name")
        field = form.widget_of("name")
        assert isinstance(field, InOrderInput) and field.max_length == 100  # validation's NAME_MAX
        changes: list[str] = []

        def changed(value: str) -> None:
            changes.append(value)

        app.screen.watch(field, "value", changed, init=False)
        started = time.perf_counter()
        field.post_message(events.Paste("x" * 5000))
        await drain(pilot)
        elapsed = time.perf_counter() - started
        assert len(field.value) == 100  # the name the field held plus the paste, cut at 100
        assert len(changes) == 1  # one edit, not 5,000
        assert elapsed < 1.0


async def test_a_burst_across_fields_lands_in_each_field_in_order(demo_backend: Backend) -> None:
    """Tab, Enter and ctrl+n move the focus before the keys typed after them are given to a field."""
    from procmod.tui.screens.module_wizard import AddModuleScreen

    app = make_app(demo_backend, start="modules")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("a")
        await pilot.pause()
        wizard = app.screen
        assert isinstance(wizard, AddModuleScreen)
        await pilot.press("down", "enter", "enter")  # Shared hosting, cPanel/WHM
        await drain(pilot)
        assert wizard.step == 2
        form = wizard.form("step-connection")
        burst(app, *"127.0.0.1", "tab", "end", *["backspace"] * 4, *"8443", "enter", "enter", *"TOKEN-1", "ctrl+n",
              *"web 9")
        await drain(pilot)
        assert form.value_of("host") == "127.0.0.1"
        assert form.value_of("port") == "8443"
        assert form.value_of("whm_user") == "root"
        assert form.value_of("api_token") == "TOKEN-1"
        assert wizard.step == 3 and wizard.form("step-parameters").value_of("name") == "web 9"


async def test_enter_enter_after_a_filter_typed_in_a_burst_opens_the_row_it_found(demo_backend: Backend) -> None:
    """`/`, a name, Enter, Enter, as SSH delivers them: the filter is applied and closed by the first Enter,
    in order, so the second opens the module found (not lost on the closing filter, nor the row that was
    first before the filter)."""
    from procmod.tui.screens.module_card import ModuleCardScreen

    app = make_app(demo_backend, start="modules")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        burst(app, "slash", *"Proxmox", "enter", "enter")
        await drain(pilot)
        assert isinstance(app.screen, ModuleCardScreen)
        assert app.screen.card.name == "Proxmox cluster 1"


async def test_enter_and_a_key_in_one_burst_act_on_the_screen_enter_opened(demo_backend: Backend) -> None:
    """Enter on a row and `e` in one burst: Enter opens the row's card at once, in order, so `e` edits that
    module from its card (it was lost: the card opened after `e` had already been handled by the list)."""
    from procmod.tui.screens.module_card import ModuleCardScreen

    app = make_app(demo_backend, start="modules")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        chosen = app.screen.paged.selected
        burst(app, "enter", "e")
        await drain(pilot)
        assert isinstance(app.screen, EditModuleScreen), type(app.screen).__name__
        assert app.screen.shown_module_id == chosen.id
        assert isinstance(app.screen_stack[-2], ModuleCardScreen)


@pytest.mark.parametrize(("start", "opener"), [("menu", "colon"), ("modules", "colon"), ("modules", "ctrl+p")])
async def test_the_palette_and_what_is_typed_after_it_in_one_burst(demo_backend: Backend, start: str,
                                                                  opener: str) -> None:
    """`:reconc⏎` in one burst goes where it says: the letters were lost (they reached the menu, or the
    palette before its input was there) and Enter ran whatever the palette listed first."""
    from procmod.tui.screens.recon_overview import ReconOverviewScreen

    app = make_app(demo_backend, start=start)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        burst(app, opener, *"reconc", "enter")
        await drain(pilot)
        assert isinstance(app.screen, ReconOverviewScreen), type(app.screen).__name__


async def test_a_colon_in_a_text_field_is_typed_not_the_palette(demo_backend: Backend) -> None:
    """`:` opens the palette as soon as it is read, except in a text field (a URL, a time), whose it is."""
    app = make_app(demo_backend, start="modules")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        burst(app, "/", "a", ":", "b")
        await drain(pilot)
        field = app.screen.query_one("#filter-input", InOrderInput)
        assert field.value == "a:b" and app.focused is field
        assert not any(type(screen).__name__ == "CommandPalette" for screen in app.screen_stack)


@pytest.mark.parametrize("start", ["modules", "menu"])
async def test_moves_then_enter_in_one_burst_open_the_row_moved_to(demo_backend: Backend, start: str) -> None:
    """`Down Down Enter` in one burst opens the third row (Enter, run as the app read it, used to open the
    row the cursor was on before the two Downs had come back from the list's queue)."""
    from procmod.tui.screens.module_card import ModuleCardScreen
    from procmod.tui.screens.module_list import ModuleListScreen

    app = make_app(demo_backend, start=start)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        if start == "menu":  # the menu's third entry is Reconciliation; Up Down Down Enter reaches it too
            burst(app, "down", "up", "down", "down", "enter")
            await drain(pilot)
            assert type(app.screen).__name__ == "ReconOverviewScreen", type(app.screen).__name__
            return
        assert isinstance(app.screen, ModuleListScreen)
        third = app.screen.paged.rows[2]
        burst(app, "down", "down", "enter", "e")
        await drain(pilot)
        assert isinstance(app.screen, EditModuleScreen), type(app.screen).__name__
        assert app.screen.shown_module_id == third.id
        assert isinstance(app.screen_stack[-2], ModuleCardScreen) and app.screen_stack[-2].card.id == third.id


async def test_keys_typed_past_the_palettes_command_neither_crash_nor_run_it_twice(demo_backend: Backend) -> None:
    """`:reconc⏎ ↓↓⏎` in one burst: the second Enter reached the palette before it had closed, and Textual's
    palette dismissed itself twice (popping the menu: "Can't pop screen", the console crashed) and ran the
    command twice. The keys typed past the command are dropped, as typed before the screen it opens showed."""
    from procmod.tui.screens.recon_overview import ReconOverviewScreen

    app = make_app(demo_backend, start="menu")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        burst(app, "colon", *"reconc", "enter", "down", "down", "enter")
        await drain(pilot)
        assert [type(screen).__name__ for screen in app.screen_stack] == ["MenuScreen", "ReconOverviewScreen"]
        assert isinstance(app.screen, ReconOverviewScreen)
        burst(app, "colon", *"modul", "enter", "enter", "enter")  # and again from a list
        await drain(pilot)
        assert type(app.screen).__name__ in ("ModuleListScreen", "ModuleCardScreen"), type(app.screen).__name__
        assert len(app.screen_stack) <= 4

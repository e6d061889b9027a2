"""Pilot tests: the menu, the lists, the card and its links, driven by keys at 80x24."""

from __future__ import annotations

from procmod.core.backend import Backend
from procmod.core.dto import ModuleFilter, NotificationFilter
from procmod.tui.actions import DESTINATIONS
from procmod.tui.app import make_app
from procmod.tui.screens.base import ConsoleScreen
from procmod.tui.screens.help import HelpScreen
from procmod.tui.screens.list_base import ListScreen
from procmod.tui.screens.menu import MenuScreen
from procmod.tui.screens.module_card import ModuleCardScreen
from procmod.tui.screens.module_list import ModuleListScreen
from procmod.tui.screens.notification_list import NotificationListScreen
from procmod.tui.screens.tariff_list import TariffListScreen
from procmod.tui.widgets.breadcrumbs import Breadcrumbs

SIZE = (80, 24)


def crumbs(app) -> tuple[str, ...]:  # noqa: ANN001
    return app.screen.query_one(Breadcrumbs).crumbs


async def test_menu_walks_to_every_destination(demo_backend: Backend) -> None:
    app = make_app(demo_backend)
    async with app.run_test(size=SIZE) as pilot:
        menu = app.screen
        assert isinstance(menu, MenuScreen)
        for destination in DESTINATIONS:
            while menu.highlighted_destination != destination.id:
                await pilot.press("down")
            await pilot.press("enter")
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, ListScreen)
            assert screen.SCREEN_ID == destination.id
            assert screen.paged.rows, f"{destination.title} shows no rows"
            assert crumbs(app) == destination.path
            await pilot.press("escape")
            await pilot.pause()
            assert app.screen is menu


async def test_module_card_links_to_filtered_tariffs(demo_backend: Backend) -> None:
    app = make_app(demo_backend, start="modules")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        modules = app.screen
        assert isinstance(modules, ModuleListScreen)
        first = modules.paged.rows[0]
        await pilot.press("enter")
        await pilot.pause()
        card_screen = app.screen
        assert isinstance(card_screen, ModuleCardScreen)
        card = card_screen.card
        assert card.id == first.id
        assert crumbs(app) == ("Integration", "Processing modules", first.name)
        overview = dict(card_screen.overview_rows())
        assert overview["Processing module"] == card.module_type_title
        assert overview["Status"] == card.status.label

        # Tab from the card's body to the tariffs block, Enter on the first tariff's name.
        await pilot.press("tab")
        assert app.focused.id == "card-tariffs"
        await pilot.press("enter")
        await pilot.pause()
        tariffs = app.screen
        assert isinstance(tariffs, TariffListScreen)
        assert tariffs.filter.tariff_id == card.tariffs[0].id
        assert [r.id for r in tariffs.paged.rows] == [card.tariffs[0].id]
        assert crumbs(app) == ("Integration", "Processing modules", first.name, "Tariff plans")

        # `x` clears the filter the screen came with.
        await pilot.press("x")
        assert tariffs.filter.tariff_id is None
        assert tariffs.paged.page.total == demo_backend.tariffs.list().total

        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is card_screen

        # `t`: all tariffs of this module.
        await pilot.press("t")
        await pilot.pause()
        all_tariffs = app.screen
        assert isinstance(all_tariffs, TariffListScreen)
        assert all_tariffs.filter.module_id == card.id
        assert all_tariffs.paged.page.total == card.tariff_total
        assert all(first.name in row.module_names for row in all_tariffs.paged.rows)


async def test_all_tariffs_link_row_of_the_card(demo_backend: Backend) -> None:
    module = demo_backend.modules.list().rows[0]
    app = make_app(demo_backend, start=f"card:{module.id}")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        card_screen = app.screen
        assert isinstance(card_screen, ModuleCardScreen)
        await pilot.press("tab", "ctrl+end", "enter")  # the link row is the last of the tariffs block
        await pilot.pause()
        assert isinstance(app.screen, TariffListScreen)
        assert app.screen.filter.module_id == module.id
        assert app.screen.filter.tariff_id is None


async def test_card_notifications_open_the_module_filtered_list(demo_backend: Backend) -> None:
    module = next(r for r in demo_backend.modules.list().rows if r.unread_notification_count)
    app = make_app(demo_backend, start=f"card:{module.id}")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        card_screen = app.screen
        assert isinstance(card_screen, ModuleCardScreen)
        assert len(card_screen.card.notifications) == module.unread_notification_count
        # Tab to the notifications block (tariffs, tasks, notifications) and Enter on a description.
        await pilot.press("tab", "tab", "tab")
        assert app.focused.id == "card-notifications"
        await pilot.press("enter")
        await pilot.pause()
        notifications = app.screen
        assert isinstance(notifications, NotificationListScreen)
        assert notifications.filter == NotificationFilter(module_id=module.id)
        assert notifications.paged.rows
        assert {r.module_id for r in notifications.paged.rows} == {module.id}
        assert f"module {module.name}" in str(notifications.query_one("#filter-line").render())


async def test_slash_filter_narrows_and_escape_closes_it_first(demo_backend: Backend) -> None:
    app = make_app(demo_backend, start="modules")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ModuleListScreen)
        everything = screen.paged.page.total
        await pilot.press("slash")
        assert screen.filter_open
        await pilot.press(*"cpanel")
        await pilot.press("escape")  # closes the filter and applies it, staying on the list
        await pilot.pause()
        assert app.screen is screen
        assert not screen.filter_open
        assert screen.filter == ModuleFilter(text="cpanel")
        names = [r.name for r in screen.paged.rows]
        assert names and len(names) < everything
        assert all("cpanel" in n.lower() for n in names)
        assert screen.paged.page.total == demo_backend.modules.list(ModuleFilter(text="cpanel")).total
        await pilot.press("escape")  # now back
        await pilot.pause()
        assert isinstance(app.screen, MenuScreen)


async def test_status_and_type_keys_filter_modules(demo_backend: Backend) -> None:
    app = make_app(demo_backend, start="modules")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        await pilot.press("s")
        assert screen.filter.status is not None
        assert {r.status for r in screen.paged.rows} == {screen.filter.status}
        await pilot.press("t")
        assert screen.filter.module_type is not None
        assert {r.module_type for r in screen.paged.rows} <= {screen.filter.module_type}


async def test_question_mark_lists_this_screens_keys(demo_backend: Backend) -> None:
    app = make_app(demo_backend, start="modules")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("question_mark")
        await pilot.pause()
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen)
        assert help_screen.screen_id == "modules"
        assert {"/", "s", "t", "y", "]", "[", "?", "q", "escape"} <= set(help_screen.keys)
        assert "h" not in help_screen.keys  # a card key, not a list key
        # At 80 columns the table crops long descriptions; the line under it shows the highlighted one whole.
        await pilot.press("down")
        await pilot.pause()
        second = help_screen.actions[1]
        assert help_screen.query_one("#help-full").content.plain == f"{second.shown_key}: {second.help}"
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ModuleListScreen)


async def test_palette_command_jumps_to_a_destination(demo_backend: Backend) -> None:
    module = demo_backend.modules.list().rows[0]
    app = make_app(demo_backend, start=f"card:{module.id}")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Background tasks")
        await pilot.pause(0.3)  # the palette searches in its own worker
        await app.workers.wait_for_complete()
        await pilot.press("enter")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ListScreen) and screen.SCREEN_ID == "tasks"
        # The jump starts from the menu: the card is no longer on the stack.
        assert [type(s) for s in app.screen_stack] == [MenuScreen, type(screen)]
        assert crumbs(app) == ("Background tasks",)


async def test_missing_module_is_a_warning_not_a_traceback(demo_backend: Backend) -> None:
    app = make_app(demo_backend)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.open_card(999_999) is False
        await pilot.pause()
        assert isinstance(app.screen, MenuScreen)
        assert any("no longer exists" in n.message for n in app._notifications)


async def test_every_screen_is_a_console_screen_with_crumbs(demo_backend: Backend) -> None:
    app = make_app(demo_backend, start="services")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, ConsoleScreen)
        assert crumbs(app) == ("Products", "Services")

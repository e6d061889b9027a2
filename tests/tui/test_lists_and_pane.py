"""Pilot tests: paging holds one page at a time, the notifications pane, marking read, the registry, the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

from procmod.core.backend import Backend
from procmod.core.dto import NotificationFilter, PageRequest
from procmod.tui.actions import ACTIONS, DESTINATIONS, LIST_SCREENS, actions_for, markdown_table
from procmod.tui.app import make_app
from procmod.tui.cli import main
from procmod.tui.screens.module_list import ModuleListScreen
from procmod.tui.screens.notification_list import NotificationListScreen
from procmod.tui.screens.service_list import ServiceListScreen
from procmod.tui.widgets.notifications_pane import NotificationsPane
from procmod.tui.widgets.paged_table import DEFAULT_PAGE_SIZE

SIZE = (80, 24)


async def test_services_move_page_by_page(demo_backend: Backend) -> None:
    total = demo_backend.services.list().total
    assert total > 2 * DEFAULT_PAGE_SIZE
    second_page_ids = [r.id for r in demo_backend.services.list(page=PageRequest(DEFAULT_PAGE_SIZE)).rows]
    app = make_app(demo_backend, start="services")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ServiceListScreen)
        paged = screen.paged
        assert paged.table.row_count == DEFAULT_PAGE_SIZE
        assert paged.page.position == f"1–100 of {total:,}"

        await pilot.press("right_square_bracket")
        assert paged.page.offset == DEFAULT_PAGE_SIZE
        assert [r.id for r in paged.rows] == second_page_ids
        assert paged.table.row_count == DEFAULT_PAGE_SIZE  # one page held, never more
        assert paged.page.position == f"101–200 of {total:,}"

        await pilot.press("left_square_bracket")
        assert paged.page.offset == 0

        # Down on the last row loads the next page; up on its first row comes back to the last row.
        paged.table.move_cursor(row=DEFAULT_PAGE_SIZE - 1)
        await pilot.press("down")
        assert paged.page.offset == DEFAULT_PAGE_SIZE
        assert paged.table.cursor_row == 0
        await pilot.press("up")
        assert paged.page.offset == 0
        assert paged.table.cursor_row == DEFAULT_PAGE_SIZE - 1
        assert paged.table.row_count == DEFAULT_PAGE_SIZE


async def test_module_filter_key_chooses_a_module(demo_backend: Backend) -> None:
    module = demo_backend.modules.list().rows[2]
    app = make_app(demo_backend, start="services")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        await pilot.press("m")
        await pilot.pause()
        await pilot.press(*module.name)
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is screen
        assert screen.filter.module_id == module.id
        assert {r.module_name for r in screen.paged.rows} == {module.name}


async def test_pane_is_collapsed_at_80_columns_and_toggles(demo_backend: Backend) -> None:
    latest = [n.id for n in demo_backend.notifications.latest_unread(limit=20)]
    app = make_app(demo_backend, start="modules")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        pane = app.screen.query_one(NotificationsPane)
        assert not pane.display
        await pilot.press("f2")
        await pilot.pause()
        assert pane.display
        assert pane.notification_ids == latest
        await pilot.press("f2")
        assert not pane.display


async def test_pane_is_open_on_wide_terminals_unless_turned_off(demo_backend: Backend) -> None:
    app = make_app(demo_backend, start="modules")
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        assert app.screen.query_one(NotificationsPane).display
    app = make_app(demo_backend, start="modules", show_pane=False)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        assert not app.screen.query_one(NotificationsPane).display


async def test_marking_read_updates_the_list_and_the_pane_by_key(demo_backend: Backend) -> None:
    app = make_app(demo_backend, start="notifications")
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, NotificationListScreen)
        pane = screen.query_one(NotificationsPane)
        newest_unread = demo_backend.notifications.latest_unread(limit=1)[0]
        assert newest_unread.id in pane.notification_ids
        row = next(r for r in screen.paged.rows if r.id == newest_unread.id)
        screen.paged.table.move_cursor(row=screen.paged.rows.index(row))
        await pilot.press("r")
        await pilot.pause()
        assert newest_unread.id not in pane.notification_ids
        assert next(r for r in screen.paged.rows if r.id == newest_unread.id).read_at is not None

        await pilot.press("R")
        await pilot.pause()
        assert demo_backend.notifications.unread_count() == 0
        assert pane.notification_ids == []
        assert all(not r.unread for r in screen.paged.rows)


async def test_read_only_console_refuses_mutating_keys(demo_backend: Backend) -> None:
    unread = demo_backend.notifications.unread_count()
    app = make_app(demo_backend, start="notifications", read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("R")
        await pilot.pause()
        assert demo_backend.notifications.unread_count() == unread


async def test_lists_reload_when_shown_again(demo_backend: Backend) -> None:
    module = next(r for r in demo_backend.modules.list().rows if r.unread_notification_count)
    app = make_app(demo_backend, start="modules")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ModuleListScreen)
        demo_backend.notifications.mark_all_read(module.id)
        await pilot.press("question_mark")
        await pilot.press("escape")
        await pilot.pause()
        row = next(r for r in screen.paged.rows if r.id == module.id)
        assert row.unread_notification_count == 0
        assert demo_backend.notifications.list(NotificationFilter(module_id=module.id, unread_only=True)).total == 0


def test_every_key_is_a_binding_with_an_id_and_help() -> None:
    ids = [a.id for a in ACTIONS]
    assert len(ids) == len(set(ids))
    for action in ACTIONS:
        binding = action.binding()
        assert binding.id == action.id and binding.tooltip and binding.description
    for screen_id in LIST_SCREENS | {"card"}:
        keys = [a.key for a in actions_for(screen_id, include_global=True)]
        assert len(keys) == len(set(keys)), f"a key is bound twice on {screen_id}"
    table = markdown_table()
    assert table.startswith("| Key |") and "`/`" in table and "(writes)" in table


def test_cli_help_names_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    assert "demo" in out and "db" in out and "--db" in out and "--operator" in out


def test_cli_db_upgrade_prints_revisions(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    assert main(["--db", url, "db", "upgrade"]) == 0
    out = capsys.readouterr().out
    assert "Revision before: (empty database)" in out and "Revision now:" in out


def test_cli_refuses_a_database_from_a_newer_procmod(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import sqlite3

    path = tmp_path / "newer.db"
    assert main(["--db", str(path), "db", "upgrade"]) == 0
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE alembic_version SET version_num = 'ffff_from_the_future'")
    capsys.readouterr()
    assert main(["--db", str(path)]) == 2
    captured = capsys.readouterr()
    assert "newer procmod" in captured.err and "Traceback" not in captured.err


def test_palette_has_a_command_per_destination() -> None:
    from procmod.tui.app import DestinationCommands

    assert {DestinationCommands._title(d.id) for d in DESTINATIONS} == {
        "Go to " + " › ".join(d.path) for d in DESTINATIONS
    }


async def test_a_destination_opened_again_is_the_same_screen_unfiltered_on_its_first_page(
        demo_backend: Backend) -> None:
    """Destination screens are kept: opening one again re-reads its first page, unfiltered, and adds nothing
    to the stack."""
    app = make_app(demo_backend, start="services")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        services = app.screen
        services.set_filter(text="vps")
        await pilot.press("right_square_bracket")
        assert services.paged.page.offset == DEFAULT_PAGE_SIZE
        app.open_destination("tariffs")
        await pilot.pause()
        assert app.screen is not services and len(app.screen_stack) == 2
        app.open_destination("services")
        await pilot.pause()
        assert app.screen is services and len(app.screen_stack) == 2
        assert services.filter.text == "" and services.paged.page.offset == 0
        assert services.paged.page.total == demo_backend.services.list().total
        assert services.query_one("#filter-line").render().plain.startswith("All rows")
        # Opened again while showing: the same reset, in place.
        services.set_filter(text="vps1")
        app.open_destination("services")
        await pilot.pause()
        assert app.screen is services and services.filter.text == ""

"""A console opened on a list (`procmod --open services`) shows the first page its helper process read
while this process started, then opens its own database behind it (core/first_page.py)."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from procmod.core.backend import Backend
from procmod.core.dto import Page, PageRequest
from procmod.core.first_page import FIRST_PAGES
from tests.conftest import count_calls
from procmod.tui.actions import DESTINATIONS
from procmod.tui.app import make_app
from procmod.tui.widgets.notifications_pane import NotificationsPane
from procmod.tui.widgets.paged_table import DEFAULT_PAGE_SIZE

ROOT = Path(__file__).resolve().parents[2]


class GivenPage:
    """A helper whose page is given (or None: it failed), once `ready` is set."""

    def __init__(self, page: Page[Any] | None, ready: threading.Event | None = None) -> None:
        self.page = page
        self.ready = ready or threading.Event()
        if ready is None:
            self.ready.set()

    def result(self, timeout: float = 5.0) -> Page[Any] | None:
        self.ready.wait(timeout)
        return self.page


async def test_every_main_menu_list_has_its_first_page_read_as_its_screen_reads_it(demo_backend: Backend) -> None:
    assert set(FIRST_PAGES) == {d.id for d in DESTINATIONS}
    app = make_app(demo_backend)
    async with app.run_test(size=(120, 40)) as pilot:
        for destination in FIRST_PAGES:
            app.open_destination(destination)
            await pilot.pause()
            expected = FIRST_PAGES[destination](demo_backend, PageRequest(limit=DEFAULT_PAGE_SIZE))
            assert app.screen.paged.page == expected, destination


async def test_the_helpers_page_shows_before_the_database_opens(demo_backend: Backend, monkeypatch) -> None:
    page = FIRST_PAGES["modules"](demo_backend, PageRequest(limit=DEFAULT_PAGE_SIZE))
    release = threading.Event()

    def slow_open() -> Backend:
        release.wait(10)
        return demo_backend

    reads = count_calls(monkeypatch, demo_backend.modules, "list")
    app = make_app(slow_open, start="modules", first_page=GivenPage(page))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.pause()
        assert app.loaded_backend is None
        assert app.screen.paged.page == page and "All rows" in str(app.screen.query_one("#filter-line").content)
        pane = app.screen.query_one(NotificationsPane)
        assert "opening" in str(pane.query_one(".notifications-pane--title").content)
        await pilot.press("down")  # the rows are there to move over
        assert app.screen.paged.selected == page.rows[1]
        release.set()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.loaded_backend is demo_backend
        assert reads.count == 0  # the helper's page is not read again
        assert pane.unread_total == demo_backend.notifications.unread_count()
        await pilot.press("right_square_bracket")  # the next page reads through the console's own database
        await pilot.pause()


async def test_the_console_reads_the_page_itself_when_the_helper_fails(demo_backend: Backend) -> None:
    app = make_app(lambda: demo_backend, start="tariffs", first_page=GivenPage(None))
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.screen.paged.page == FIRST_PAGES["tariffs"](demo_backend, PageRequest(limit=DEFAULT_PAGE_SIZE))


async def test_a_page_that_comes_after_the_operator_filtered_or_paged_is_not_shown(demo_backend: Backend) -> None:
    stale = FIRST_PAGES["modules"](demo_backend, PageRequest(limit=DEFAULT_PAGE_SIZE))
    app = make_app(demo_backend, start="modules")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        screen.set_filter(text="cpanel")
        filtered = list(screen.paged.rows)
        assert screen.show_first_page(stale) is False and screen.paged.rows == filtered != list(stale.rows)
        screen.action_clear_filters()
        assert screen.show_first_page(stale) is False  # rows already shown: the console read them itself


async def test_the_backend_asked_for_before_its_worker_ran_is_opened_on_the_spot(demo_backend: Backend) -> None:
    """The loading worker is started by the event loop; a handler waiting for the backend blocks that loop,
    so the backend is opened where it is asked for, and the worker, when it runs, finds it open."""
    opened: list[str] = []

    def open_here() -> Backend:
        opened.append(threading.current_thread().name)
        return demo_backend

    app = make_app(open_here, start="menu")
    assert app.backend is demo_backend  # no event loop yet, no worker: opened here
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.loaded_backend is demo_backend
    assert opened == [threading.current_thread().name]


def test_open_starts_the_console_on_that_list_with_its_helper(monkeypatch, tmp_path: Path) -> None:
    import procmod.tui.cli

    made: dict[str, Any] = {}

    class Stop(Exception):
        pass

    def fake_make_app(backend: Any, **kwargs: Any) -> Any:
        made.update(kwargs)
        raise Stop

    monkeypatch.setattr("procmod.tui.app.make_app", fake_make_app)
    monkeypatch.setattr("procmod.core.first_page.usable_cpus", lambda: 2)  # as on a machine where the helper helps
    try:
        procmod.tui.cli.main(["--db", f"sqlite:///{tmp_path / 'none.db'}", "--open", "services"])
    except Stop:
        pass
    assert made["start"] == "services"
    helper = made["first_page"]
    assert helper is not None and helper.result() is None  # no database there yet: the console makes it


def test_the_command_line_imports_no_sqlalchemy_before_textual_paints() -> None:
    """`procmod` (and `procmod --open …`) reach the console with neither SQLAlchemy nor Alembic imported:
    the database opens behind the first frame (and, with --open, in the helper process too)."""
    probe = ("import sys, procmod.tui.cli\n"
             "def stop(*a, **k):\n"
             "    print('sqlalchemy' in sys.modules, 'alembic' in sys.modules, 'textual' in sys.modules)\n"
             "    raise SystemExit(0)\n"
             "procmod.tui.cli.console_app = stop\n"
             "procmod.tui.cli.main(['--open', 'modules'])\n")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert out.stdout.split() == ["False", "False", "False"], out.stderr

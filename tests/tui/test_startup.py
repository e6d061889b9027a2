"""The console paints before the database opens: a BackendSource function runs in a worker after the first
paint; a database that cannot be opened closes the console with the reason and exit code 2."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

from procmod.core.backend import Backend
from procmod.demo.seed import MODULES, MODULE_COUNT
from procmod.storage.migrate import DatabaseTooNew
from procmod.tui.app import make_app
from procmod.tui.screens.menu import MenuScreen
from procmod.tui.widgets.notifications_pane import NotificationsPane


async def test_menu_paints_while_the_database_opens(demo_backend: Backend) -> None:
    release = threading.Event()

    def slow_open() -> Backend:
        release.wait(10)
        return demo_backend

    app = make_app(slow_open, start="menu")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, MenuScreen) and app.loaded_backend is None
        pane = app.screen.query_one(NotificationsPane)
        assert "opening" in str(pane.query_one(".notifications-pane--title").content)
        release.set()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.loaded_backend is demo_backend
        assert pane.notification_ids and pane.unread_total == demo_backend.notifications.unread_count()
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen.paged.rows


async def test_a_list_opened_while_the_database_opens_fills_once_it_is_open(demo_backend: Backend) -> None:
    """Enter on the menu before the database is open (a quick operator, a slow database): the list says
    it is opening, then shows its rows when it is, without another key."""
    release = threading.Event()

    def slow_open() -> Backend:
        release.wait(10)
        return demo_backend

    app = make_app(slow_open, start="menu")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("enter")  # Processing modules, while the database is still opening
        await pilot.pause()
        assert app.loaded_backend is None and not app.screen.paged.rows
        assert "Opening the database" in str(app.screen.query_one("#filter-line").render())
        release.set()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.screen.paged.page.total == MODULE_COUNT and app.screen.paged.rows
        assert "Opening the database" not in str(app.screen.query_one("#filter-line").render())


async def test_a_start_screen_opens_once_the_database_is_open(demo_backend: Backend) -> None:
    app = make_app(lambda: demo_backend, start="modules")
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.screen.paged.page.total == MODULE_COUNT


async def test_a_database_from_a_newer_procmod_closes_the_console_with_the_reason() -> None:
    def too_new() -> Backend:
        raise DatabaseTooNew("The database x is at schema revision ffff, written by a newer procmod.")

    app = make_app(too_new)
    shown: list[str] = []
    original_exit = app.exit

    def recording_exit(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        shown.append(str(kwargs.get("message")))
        return original_exit(*args, **kwargs)

    app.exit = recording_exit  # type: ignore[method-assign]
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
    assert app.return_code == 2
    assert shown == ["procmod: The database x is at schema revision ffff, written by a newer procmod."]


def test_tui_app_import_leaves_sqlalchemy_for_later(tmp_path: Path) -> None:
    """The console and its start list paint before SQLAlchemy is imported (on the loading thread)."""
    import subprocess

    probe = ("import sys, procmod.tui.app; from procmod.tui.screens import destination_screen; destination_screen('modules'); "
             "print('sqlalchemy' in sys.modules, 'alembic' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60,
                         cwd=Path(__file__).resolve().parents[2])
    assert out.stdout.split() == ["False", "False"], out.stderr


def test_the_menu_paints_before_the_data_classes_and_the_package_metadata_load() -> None:
    """Start to menu: the command line's parser and the menu screen import neither core/dto.py (26 frozen
    dataclasses, ~13 ms to create; the lists' paging lives in core/paging.py) nor importlib.metadata
    (read for `--version` only, ~7 ms)."""
    import subprocess

    probe = ("import sys, procmod.tui.cli, procmod.tui.app\n"
             "from procmod.tui.screens.menu import MenuScreen\n"
             "procmod.tui.cli._parser()\n"
             "print('procmod.core.dto' in sys.modules, 'importlib.metadata' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60,
                         cwd=Path(__file__).resolve().parents[2])
    assert out.stdout.split() == ["False", "False"], out.stderr


def test_the_first_list_needs_neither_the_http_stack_nor_the_scheduler(tmp_path: Path) -> None:
    """Start-up cost: opening a migrated database, starting the console's log and showing a list (with the
    pane's counts) imports no driver, HTTP client, scheduler or Alembic; those load when first used (a check, a command, the scheduler after the first paint). Nor
    croniter (a schedule's next run), cryptography (a secret opened) or, on SQLite, PostgreSQL's dialect."""
    import subprocess

    from procmod.core.backend import open_backend
    from procmod.core.secrets import SecretBox

    url = f"sqlite:///{tmp_path / 'start.db'}"
    open_backend(url, secrets=SecretBox.generate(), operator="t").close()  # created and migrated here
    script = (
        "import sys\n"
        "from procmod.core.backend import open_backend\n"
        "from procmod.core.secrets import SecretBox\n"
        "import procmod.tui.app, procmod.tui.cli\n"
        "from procmod.tui.screens.module_list import ModuleListScreen\n"
        f"backend = open_backend({url!r}, secrets=SecretBox.generate(), operator='t')\n"
        "backend.warm_up(); backend.modules.list(); backend.pane(20)\n"
        f"from procmod.tui.logfile import start_logging; start_logging(__import__('pathlib').Path({str(tmp_path / 'log')!r}))\n"
        "heavy = {'httpx', 'alembic', 'procmod.core.integration', 'procmod.core.scheduler', 'procmod.core.drivers', 'procmod.demo.emulators',\n"
        "         'croniter', 'cryptography', 'sqlalchemy.dialects.postgresql'}\n"
        "print(sorted(heavy & set(sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
                         cwd=Path(__file__).resolve().parents[2])
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_the_console_options_parse_alike_without_the_commands_parsers() -> None:
    """`procmod [options]` is parsed without building the commands' parsers (start to menu); it must read
    exactly what the full parser reads, and anything else goes to the full parser."""
    import argparse

    from procmod.tui import cli

    for argv in ([], ["--db", "x.db", "--operator", "bob", "--open", "tasks"],
                 ["--read-only", "--no-scheduler", "--lease", "60", "--deadline", "30"], ["--db", "demo"]):
        _, quick = cli._parse(argv)
        assert vars(quick) == vars(cli._parser().parse_args(argv)), argv
    for argv, command in ((["demo"], "demo"), (["--db", "x.db", "worker", "--concurrency", "2"], "worker"),
                          (["export", "modules"], "export")):
        parser, args = cli._parse(argv)
        assert isinstance(parser, argparse.ArgumentParser) and args.command == command

"""Pilot tests of issue 18's operator items: one filter rule, notifications and history you can read, wide
lists, --db refusals, copy, export."""

from __future__ import annotations

from procmod.core.backend import Backend
from procmod.core.dto import PageRequest, ServiceFilter, ServiceStatus
from procmod.tui.app import make_app
from procmod.tui.screens.service_list import ServiceListScreen
from procmod.tui.screens.tariff_list import TariffListScreen

SIZE = (80, 24)


async def _type_filter(pilot, text: str) -> None:  # noqa: ANN001
    await pilot.press("slash", *text, "enter")
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def test_services_filter_matches_anywhere_in_the_name_and_says_so(demo_backend: Backend) -> None:
    """Item 11: `indigo` finds vps8.indigo-client.example (it used to match the start of the name only)."""
    app = make_app(demo_backend, start="services")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ServiceListScreen)
        assert "any part of the name, any case" in str(screen.filter_input.placeholder)
        await _type_filter(pilot, "indigo")
        rows = screen.paged.rows
        assert rows and all("indigo" in r.name for r in rows)
        assert any(not r.name.startswith("indigo") for r in rows)
        line = str(screen.query_one("#filter-line").render())
        assert "name contains “indigo” (anywhere, any case)" in line


async def test_tariffs_filter_uses_the_same_rule(demo_backend: Backend) -> None:
    app = make_app(demo_backend, start="tariffs")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, TariffListScreen)
        await _type_filter(pilot, "COM")
        names = [r.name for r in screen.paged.rows]
        assert names and all("com" in n.lower() for n in names)
        assert any(not n.lower().startswith("com") for n in names)


async def test_a_notification_opens_in_full_on_its_own_screen_and_is_marked_read(demo_backend: Backend) -> None:
    """Item 7: Enter on a notification shows its full text, module, task run and what to do (it used to
    open the module's card), and marks it read."""
    from procmod.core.dto import NotificationFilter
    from procmod.tui.screens.notification_detail import NotificationScreen

    failed = next(n for n in demo_backend.notifications.list(NotificationFilter(unread_only=True)).rows
                  if n.kind == "task_failed")
    app = make_app(demo_backend, start="notifications")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        screen.paged.table.move_cursor(row=[r.id for r in screen.paged.rows].index(failed.id))
        await pilot.press("enter")
        await pilot.pause()
        detail = app.screen
        assert isinstance(detail, NotificationScreen)
        body = str(detail.query_one("#detail-body").render())
        assert failed.description in body.replace("\n", " ") or failed.description in body
        assert failed.module_name in body
        assert "Task run" in body and "Unsuccessful" in body
        advice = str(detail.query_one("#detail-advice").render())
        assert "check the connection" in advice
        assert demo_backend.notifications.open(failed.id).read_at is not None
        assert failed.id not in [n.id for n in demo_backend.notifications.latest_unread()]
        await pilot.press("c")
        await pilot.pause()
        assert app.screen.SCREEN_ID == "card"


async def test_notification_texts_never_repeat_the_module_name(demo_backend: Backend) -> None:
    """Item 7: the module is its own column (and the pane's prefix): descriptions do not start with it."""
    rows = demo_backend.notifications.list().rows
    assert rows and not [r for r in rows if r.module_name and r.description.startswith(r.module_name)]


async def test_the_pane_grows_with_a_wide_terminal(demo_backend: Backend) -> None:
    """Item 7: at 200 columns the pane's text is not cut at 22 characters."""
    from procmod.tui.widgets.notifications_pane import NotificationsPane

    app = make_app(demo_backend, start="modules")
    async with app.run_test(size=(200, 40)) as pilot:
        await pilot.pause()
        pane = app.screen.query_one(NotificationsPane)
        assert pane.outer_size.width == 60
        text = str(pane.table.get_row_at(0)[1])
        shown = "".join(segment.text for segment in pane.table.render_line(0))
        assert len(text) > 30 and text[:40] in shown  # at 80–126 columns it was cut at 22


async def test_history_shows_before_and_after_and_enter_opens_an_entry(demo_backend: Backend) -> None:
    """Item 8: "Minimal balance: 1.00 → 80.00" and a secret as "changed", never a value; Enter opens it."""
    from decimal import Decimal

    from procmod.tui.screens.audit_entry import AuditEntryScreen
    from procmod.tui.screens.module_history import ModuleHistoryScreen

    module = next(r for r in demo_backend.modules.list().rows if r.module_type == "namecheap")
    form = demo_backend.commands.edit_form(module.id)
    demo_backend.commands.update_module(module.id, form.version, type(form.params)(**{
        **form.params.__dict__, "minimal_balance": Decimal("80.00"),
        "settings": {**form.params.settings, "api_key": "new-secret-key-123"}}))
    app = make_app(demo_backend, start="modules")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.push_screen(ModuleHistoryScreen(module.id, module.name))
        await pilot.pause()
        table = app.screen.query_one("#history")
        changes = str(table.get_row_at(0)[3])
        assert "Minimal balance:" in changes and "→ 80.00" in changes
        assert "API key: changed" in changes or "Api key: changed" in changes
        assert "new-secret-key-123" not in changes
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, AuditEntryScreen)
        fields = app.screen.query_one("#audit-fields")
        rows = {str(fields.get_row_at(i)[0]): (str(fields.get_row_at(i)[1]), str(fields.get_row_at(i)[2]))
                for i in range(fields.row_count)}
        assert rows["Minimal balance"][1] == "80.00"
        assert ("changed", "changed") in rows.values()


async def test_background_tasks_show_the_manuals_columns_at_120_and_arrows_move_a_column(
        demo_backend: Backend) -> None:
    """Item 9: Last run, Last result and Duration are on screen at 120x40 (with the pane), and → moves a
    whole column (it used to move one character: ~100 presses to reach them at 80 columns)."""
    app = make_app(demo_backend, start="tasks")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        table = app.screen.paged.table
        header = "".join(segment.text for segment in table.render_line(0))
        for label in ("Name", "Last run", "Last result", "Duration"):
            assert label in header
    app = make_app(demo_backend, start="tasks")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        table = app.screen.paged.table
        assert table.max_scroll_x > 0
        await pilot.press("right")
        first = table.scroll_x
        assert first > 10  # the module column, whole
        await pilot.press("right")
        assert table.scroll_x > first
        await pilot.press("left", "left")
        assert table.scroll_x == 0


def test_db_in_a_directory_that_does_not_exist_is_refused(tmp_path, capsys) -> None:  # noqa: ANN001
    """Item 17: a typo in --db's directory used to create the directory and an empty database silently."""
    from procmod.tui.cli import main

    missing = tmp_path / "no-such-dir" / "billing.db"
    assert main(["--db", str(missing), "db", "upgrade"]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert not missing.parent.exists()
    assert main(["--db", f"sqlite:///{missing}", "seed", "--scale", "small"]) == 2
    assert not missing.parent.exists()


def test_db_new_file_in_an_existing_directory_is_made_and_said(tmp_path, capsys) -> None:  # noqa: ANN001
    from procmod.tui.cli import main

    fresh = tmp_path / "fresh.db"
    assert main(["--db", str(fresh), "db", "upgrade"]) == 0
    assert "a new, empty database is created" in capsys.readouterr().err
    assert fresh.exists()
    assert main(["--db", str(fresh), "db", "upgrade"]) == 0
    assert "new" not in capsys.readouterr().err  # an existing file: nothing to say


async def test_y_copies_the_row_and_shift_y_the_cell_at_the_left_edge(demo_backend: Backend) -> None:
    """Item 14: through Textual's copy_to_clipboard (OSC 52)."""
    app = make_app(demo_backend, start="tasks")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        table = app.screen.paged.table
        row = [cell.plain for cell in table.get_row(table.cursor_key)]
        await pilot.press("y")
        assert app.clipboard == "\t".join(row)
        await pilot.press("Y")
        assert app.clipboard == row[0]
        await pilot.press("right", "Y")
        assert app.clipboard == row[1]


async def test_x_exports_every_page_of_the_filtered_list(demo_backend: Backend, tmp_path) -> None:  # noqa: ANN001
    """Item 13: the key asks for the path, writes all pages with the list's filters, says how many."""
    import csv

    from procmod.core.dto import ServiceFilter
    from procmod.tui.screens.export_dialog import ExportScreen

    expected = [r.id for r in demo_backend.services.list(ServiceFilter(text="client"),
                                                          PageRequest(limit=10_000)).rows]
    assert len(expected) > 100  # more than one page of the console
    target = tmp_path / "services.csv"
    app = make_app(demo_backend, start="services")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await _type_filter(pilot, "client")
        await pilot.press("X")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ExportScreen)
        path_input = dialog.query_one("#export-path")
        path_input.value = str(tmp_path / "missing" / "x.csv")
        await pilot.press("enter")
        await pilot.pause()
        assert "does not exist" in str(dialog.query_one("#dialog-error").render())
        path_input.value = str(target)
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert not isinstance(app.screen, ExportScreen)
    with target.open() as written:
        rows = list(csv.DictReader(written))
    assert [int(r["id"]) for r in rows] == expected
    assert all("client" in r["name"] for r in rows)


def test_export_command_streams_json_with_filters(tmp_path, capsys) -> None:  # noqa: ANN001
    import json

    from procmod.core.clock import DEMO_NOW, FixedClock
    from procmod.core.backend import open_backend
    from procmod.core.secrets import SecretBox
    from procmod.demo.seed import seed_demo
    from procmod.tui.cli import main

    url = f"sqlite:///{tmp_path / 'x.db'}"
    backend = open_backend(url, clock=FixedClock(DEMO_NOW), secrets=SecretBox.generate(), operator="t")
    seed_demo(backend)
    active = backend.services.list(ServiceFilter(status=ServiceStatus.ACTIVE), PageRequest(limit=10_000)).rows
    backend.close()
    out = tmp_path / "active.json"
    assert main(["--db", url, "export", "services", "--status", "active", "--format", "json",
                 "--output", str(out)]) == 0
    assert f"{len(active):,} services rows written" in capsys.readouterr().err
    assert [r["id"] for r in json.loads(out.read_text())] == [r.id for r in active]
    assert main(["--db", url, "export", "departments", "--status", "active"]) == 2


def test_the_settings_file_sets_defaults_and_bad_values_are_refused(tmp_path, monkeypatch, capsys) -> None:  # noqa: ANN001
    """Item 15: TOML in the user config dir (its path in --help); the command line wins over it."""
    from procmod.tui import cli, config

    path = tmp_path / "config.toml"
    monkeypatch.setattr(config, "config_path", lambda: path)
    monkeypatch.delenv("PROCMOD_DATABASE_URL", raising=False)
    path.write_text('database = "sqlite:///%s"\noperator = "alice"\nopen = "services"\npage_size = 50\n'
                    'pane = false\n' % (tmp_path / "from-config.db"))
    args = cli._parser().parse_args([])
    loaded = cli._apply_config(args)
    assert (args.db, args.operator, args.open) == (f"sqlite:///{tmp_path / 'from-config.db'}", "alice", "services")
    assert loaded.page_size == 50 and loaded.pane is False
    args = cli._parser().parse_args(["--db", "other.db", "--operator", "bob", "--open", "tasks"])
    cli._apply_config(args)
    assert (args.db, args.operator, args.open) == ("other.db", "bob", "tasks")
    app = cli.console_app(f"sqlite:///{tmp_path / 'from-config.db'}", config=loaded, start="menu")
    assert app.page_size == 50 and app.pane_wanted is False
    path.write_text("page_size = 5\n")
    assert cli.main(["db", "upgrade"]) == 2
    assert "page_size must be a whole number from 10 to 1000" in capsys.readouterr().err
    path.write_text("colour = 'red'\n")
    assert cli.main(["db", "upgrade"]) == 2
    assert "unknown setting(s) colour" in capsys.readouterr().err
    with __import__("pytest").raises(SystemExit):
        cli.main(["--help"])
    assert str(path) in capsys.readouterr().out.replace("\n", "")


async def test_the_theme_chosen_is_remembered_in_the_settings_file(demo_backend: Backend, tmp_path) -> None:  # noqa: ANN001
    from procmod.tui.config import Config

    path = tmp_path / "config.toml"
    path.write_text("# my settings\noperator = \"alice\"\n")
    settings = Config.load(path)
    app = make_app(demo_backend, start="modules", config=settings)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.theme = "nord"
        await pilot.pause()
    assert path.read_text() == '# my settings\noperator = "alice"\ntheme = "nord"\n'
    app = make_app(demo_backend, start="modules", config=Config.load(path))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.theme == "nord"


def test_dumb_terminal_gets_a_message_not_a_full_screen(monkeypatch, capsys) -> None:  # noqa: ANN001
    """Item 16."""
    from procmod.tui import cli, config

    monkeypatch.setattr(config, "config_path", lambda: __import__("pathlib").Path("/nonexistent/config.toml"))
    monkeypatch.setenv("TERM", "dumb")
    assert cli.main(["--db", "sqlite:///:memory:"]) == 1
    assert "TERM=dumb" in capsys.readouterr().err


async def test_log_file_holds_failures_without_secrets_and_help_names_it(demo_backend: Backend, tmp_path) -> None:  # noqa: ANN001
    import logging

    from procmod.tui.logfile import start_logging, stop_logging
    from procmod.tui.screens.help import HelpScreen

    path = start_logging(tmp_path / "console.log")
    try:
        logging.getLogger("procmod.integration").warning(
            "check_connection of module 3 failed: GET https://api.example/xml.response?ApiUser=u&ApiKey=s3cr3t-key")
        app = make_app(demo_backend, start="modules")
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            await pilot.press("question_mark")
            await pilot.pause()
            assert isinstance(app.screen, HelpScreen)
            assert str(path) in str(app.screen.query_one("#help-log").render())
    finally:
        stop_logging()
    text = path.read_text()
    assert "check_connection of module 3 failed" in text and "s3cr3t-key" not in text


async def test_time_zone_in_the_edit_form_on_the_card_and_beside_schedules(demo_backend: Backend) -> None:
    """Item 18: the edit form sets the module's zone; the card and Background tasks show it; the tasks'
    next runs follow it."""
    from procmod.core.dto import TaskFilter
    from procmod.tui.screens.module_card import ModuleCardScreen
    from procmod.tui.widgets.module_fields import initial_values, parameter_fields, to_params

    module = demo_backend.modules.list().rows[0]
    form = demo_backend.commands.edit_form(module.id)
    mtype = __import__("procmod.core.moduletypes", fromlist=["module_type"]).module_type(form.module_type)
    zone_field = next(f for f in parameter_fields(mtype, demo_backend) if f.key == "timezone")
    assert ("Europe/Amsterdam", "Europe/Amsterdam") in zone_field.choices
    values = {**initial_values(form.params), "timezone": "Europe/Amsterdam"}
    demo_backend.commands.update_module(module.id, form.version, to_params(values, mtype))
    assert demo_backend.modules.card(module.id).timezone == "Europe/Amsterdam"
    tasks = demo_backend.tasks.list(TaskFilter(module_id=module.id)).rows
    assert tasks and all(t.schedule_in_words.endswith(" Europe/Amsterdam") for t in tasks)
    history = demo_backend.modules.history(module.id).rows[0]
    assert ("timezone", "UTC", "Europe/Amsterdam") in [(c.key, c.before, c.after) for c in history.changes()]
    app = make_app(demo_backend, start=f"card:{module.id}")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, ModuleCardScreen)
        overview = str(app.screen.query_one("#overview").render())
        assert "Time zone" in overview and "Europe/Amsterdam" in overview
        assert "Europe/Amsterdam" in str(app.screen.query_one("#tasks-title").render())
    import pytest

    from procmod.core.validation import ValidationError

    form = demo_backend.commands.edit_form(module.id)
    with pytest.raises(ValidationError) as refused:
        demo_backend.commands.update_module(module.id, form.version, to_params(
            {**initial_values(form.params), "timezone": "Mars/Olympus"}, mtype))
    assert "Unknown time zone" in refused.value.errors["timezone"]


async def test_the_card_health_follows_a_scheduled_check_live(demo_backend: Backend) -> None:
    """Item 10: a scheduled connection check that failed shows on the open card at once (it kept the
    previous check until ctrl+r)."""
    from sqlalchemy import update

    from procmod.core.dto import RunResult, TaskFilter
    from procmod.core.scheduler import SchedulerEvent
    from procmod.storage.models import ProcessingModule
    from procmod.tui.messages import SchedulerActivity

    module = next(r for r in demo_backend.modules.list().rows if r.health_ok)
    app = make_app(demo_backend, start=f"card:{module.id}")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        card = app.screen
        assert "OK" in str(card.query_one("#card-health").render())
        # What a scheduled check's run writes (core/integration.py check_module), by another process.
        with demo_backend.db.write() as session:
            session.execute(update(ProcessingModule).where(ProcessingModule.id == module.id).values(
                health_ok=False, health_summary="Login refused: the API token was revoked",
                health_checked_at=demo_backend.clock.now()))
        task = demo_backend.tasks.list(TaskFilter(module_id=module.id)).rows[0]
        card.post_message(SchedulerActivity((SchedulerEvent("run_finished", task.id, module.id, None,
                                                            RunResult.UNSUCCESSFUL, "revoked"),)))
        await pilot.pause()
        assert "token was revoked" in str(card.query_one("#card-health").render())


def test_a_module_created_through_a_passing_check_has_that_check_as_its_health(demo_backend: Backend) -> None:
    """Item 10: the wizard's Finish check is the module's first health record (it said "not checked yet")."""
    from procmod.core.lifecycle import CheckOutcome, ModuleParams

    demo_backend.commands.checker = lambda type_key, settings, secrets: CheckOutcome(
        True, "Connection OK (API 11.110.0.5)")
    department = demo_backend.provider.department_options()[0]
    module_id = demo_backend.commands.create_module("vhost", "cpanel", ModuleParams(
        name="cPanel new", department_id=int(department.value), settings={
            "host": "whm.example.net", "whm_user": "root", "api_token": "TOKEN-abcdef-123456"}))
    card = demo_backend.modules.card(module_id)
    assert card.health_ok is True and card.health_summary == "Connection OK (API 11.110.0.5)"
    assert card.health_checked_at == demo_backend.clock.now()


async def test_the_modules_list_health_follows_scheduled_checks_live(demo_backend: Backend) -> None:
    """Item 10: the lists update from the scheduler's events too."""
    from sqlalchemy import update

    from procmod.core.dto import RunResult, TaskFilter
    from procmod.core.scheduler import SchedulerEvent
    from procmod.storage.models import ProcessingModule
    from procmod.tui.messages import SchedulerActivity

    app = make_app(demo_backend, start="modules")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        row = next(r for r in screen.paged.rows if r.health_ok)
        with demo_backend.db.write() as session:
            session.execute(update(ProcessingModule).where(ProcessingModule.id == row.id).values(
                health_ok=False, health_checked_at=demo_backend.clock.now()))
        task = demo_backend.tasks.list(TaskFilter(module_id=row.id)).rows[0]
        screen.post_message(SchedulerActivity((SchedulerEvent("run_finished", task.id, row.id, None,
                                                              RunResult.UNSUCCESSFUL, "x"),)))
        await pilot.pause()
        assert str(screen.paged.table.get_cell(str(row.id), "health")).startswith("FAIL")

"""`procmod`: open the console; `procmod demo` on fresh demo data; `procmod db upgrade` migrates;
`procmod worker` runs the scheduler headless (no Textual is imported on that path).

Heavy imports (Textual, SQLAlchemy, Alembic) happen inside the commands, so `--help` is quick.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

EXIT_DATABASE_TOO_NEW = 2
EXIT_DATABASE_LOCATION = 2
EXIT_DUMB_TERMINAL = 1


def _terminal_can_show_the_console() -> bool:
    """TERM=dumb (Emacs shell buffers, some CI logs) cannot draw a full-screen UI: say so plainly."""
    import os

    if os.environ.get("TERM", "") != "dumb":
        return True
    print("procmod: this terminal (TERM=dumb) cannot show the full-screen console. Open it in a terminal "
          "that can (xterm, tmux, screen, a terminal emulator; e.g. TERM=xterm-256color), or use the commands "
          "that need no screen: procmod export, procmod worker, procmod db upgrade (procmod --help).",
          file=sys.stderr)
    return False


class _NotTheConsoleAlone(Exception):
    """The console's options alone could not take the command line (a command, a mistake): the full parser
    takes it, and says what is wrong with its own usage line."""


class _ConsoleOptionsParser(argparse.ArgumentParser):
    """The console's options alone. While it parses, a mistake hands the command line to the full parser;
    after (`_run_timing`'s checks), an error is said with the full parser's usage line."""

    parsing = True

    def error(self, message: str) -> NoReturn:
        if self.parsing:
            raise _NotTheConsoleAlone(message)
        _parser().error(message)
        raise AssertionError("unreachable")  # argparse's error exits


def _parse(argv: Sequence[str] | None) -> tuple[argparse.ArgumentParser, argparse.Namespace]:
    """The command line, parsed. `procmod [--db URL] [--open LIST] ...` (the console, the common case) is
    parsed without building the commands' parsers (19 of them: ~5 ms before the first frame); anything
    else (a command, --help, --version, a mistake) goes to the full parser, which also gives every error
    its message."""
    words = list(sys.argv[1:] if argv is None else argv)
    if not {"-h", "--help", "--version"} & set(words):
        quick = _parser(commands=False, parser_class=_ConsoleOptionsParser)
        try:
            args, rest = quick.parse_known_args(words)
        except _NotTheConsoleAlone:
            rest = words
        if not rest:
            quick.parsing = False
            args.command = None
            return quick, args
    parser = _parser()
    return parser, parser.parse_args(words)


def _parser(*, commands: bool = True, parser_class: type[argparse.ArgumentParser] = argparse.ArgumentParser
            ) -> argparse.ArgumentParser:
    from procmod.core.first_page import FIRST_PAGES  # no SQLAlchemy, no Textual: `--help` stays quick

    from procmod.tui.config import KEYS, config_path

    parser = parser_class(
        prog="procmod",
        description="Terminal console for the processing modules of a hosting billing platform.",
        epilog="Without a command, the console opens on the database chosen by --db, "
               "$PROCMOD_DATABASE_URL, the settings file, or the SQLite file in your data directory. "
               f"Settings file (TOML; {', '.join(KEYS)}): {config_path()}. "
               f"Console log: {_log_path_text()}.",
    )
    parser.add_argument("--version", action=_VersionAction)
    parser.add_argument("--db", metavar="URL",
                        help="database URL (sqlite:///path.db, postgresql://…) or a SQLite file path; "
                             "default: $PROCMOD_DATABASE_URL, else procmod.db in the user data directory")
    parser.add_argument("--operator", metavar="NAME", help="the name written in the audit log (default: your login)")
    parser.add_argument("--read-only", action="store_true",
                        help="open the console read-only: every key that changes something is gone")
    lists = tuple(FIRST_PAGES)  # the main menu's lists (tui/actions.py; a test holds the two the same)
    parser.add_argument("--open", metavar="LIST", choices=lists, default=None,
                        help="open the console on a list instead of the menu: " + ", ".join(lists))
    parser.add_argument("--no-scheduler", action="store_true",
                        help="do not run background tasks from the console (when `procmod worker` runs them)")
    _timing_options(parser, "the console's background tasks")
    if commands:
        _add_commands(parser)
    return parser


def _add_commands(parser: argparse.ArgumentParser) -> None:
    from procmod.tui.cli_setup import add_setup_commands

    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    demo = commands.add_parser(
        "demo", help="open the console on a fresh demo database",
        description="Create a fresh database filled with deterministic demo data (modules, tariffs, services, "
                    "tasks, notifications) and open the console on it. Without --db, a new SQLite file in a "
                    "temporary directory is used; a database given with --db must be empty.",
    )
    demo.add_argument("--db", dest="demo_db", metavar="URL",
                      help="where to create the demo database (must be empty); default: a temporary SQLite file")
    seed = commands.add_parser(
        "seed", help="fill an empty database with a large provider's data (benchmarks, trials at scale)",
        description="Bulk-load a deterministic data set into the empty database chosen by --db: large = "
                    "10,000 modules, 100,000 tariffs, 1,000,000 services, 30,000 background tasks with run "
                    "history and 100,000 notifications (10–20 s on SQLite or PostgreSQL); medium and small are "
                    "a tenth and a hundredth of that; xlarge (for PostgreSQL) is 100,000 modules, 1,000,000 "
                    "tariffs and 10,000,000 services.",
    )
    seed.add_argument("--scale", choices=("small", "medium", "large", "xlarge"), default="large")
    for count in ("modules", "tariffs", "services", "notifications"):
        seed.add_argument(f"--{count}", type=_positive_count, metavar="N",
                          help=f"this many {count} instead of the scale's"
                               + (" (and 3 background tasks each)" if count == "modules" else ""))
    db = commands.add_parser("db", help="database maintenance (migrations)",
                             description="Database maintenance commands.")
    db_commands = db.add_subparsers(dest="db_command", metavar="DB_COMMAND", required=True)
    db_commands.add_parser("upgrade", help="migrate the database to this version's schema and print the revisions",
                           description="Apply the schema migrations to the database chosen by --db "
                                       "(or $PROCMOD_DATABASE_URL) and print the revision before and after.")
    export = commands.add_parser(
        "export", help="write a list (every page, with its filters) to CSV or JSON",
        description="Write every row of a list, with the filters given, to CSV or JSON, streaming page by page "
                    "(a million services without holding them). The text filter matches anywhere in the name, "
                    "in any case, as in the console. Prints how many rows were written.",
    )
    export.add_argument("list", metavar="LIST", choices=("modules", "tariffs", "services", "notifications", "tasks",
                                                        "departments", "datacenters"),
                        help="modules, tariffs, services, notifications, tasks, departments or datacenters")
    export.add_argument("--filter", dest="text", metavar="TEXT", default="",
                        help="only rows whose name (a notification's description) contains TEXT")
    export.add_argument("--module", dest="module_id", type=_positive_int, metavar="ID",
                        help="only rows of this processing module (tariffs, services, notifications, tasks)")
    export.add_argument("--status", metavar="STATUS",
                        help="only rows with this status (modules: enabled, disabled; tariffs: active, disabled, "
                             "archived, deleted; services: ordered, in_progress, active, suspended, deleted)")
    export.add_argument("--format", dest="fmt", choices=("csv", "json"), default="csv", help="default: csv")
    export.add_argument("--output", metavar="PATH", help="the file to write (default: standard output)")
    worker = commands.add_parser(
        "worker", help="run the background tasks without a screen (for servers; stop with SIGTERM)",
        description="Run the scheduler of background tasks headless, logging each run to stderr. Several "
                    "workers may share one database: each run is claimed exactly once. SIGTERM or SIGINT "
                    "stops claiming, lets in-flight runs finish, and marks the rest Interrupted.",
    )
    worker.add_argument("--db", dest="worker_db", metavar="URL",
                        help="the database to serve (default: the top-level --db, $PROCMOD_DATABASE_URL, ...)")
    worker.add_argument("--concurrency", type=_positive_int, default=4, metavar="N",
                        help="runs executed at the same time (default: 4)")
    worker.add_argument("--poll", type=_positive_float, default=1.0, metavar="SECONDS",
                        help="longest wait between looks for due tasks (default: 1)")
    _timing_options(worker, "this worker's runs", dest_prefix="worker_")
    types = commands.add_parser(
        "module-types", help="list the installed module types (built-in and plugins) and what each serves",
        description="List the module types procmod found in the procmod.module_types entry point group: "
                    "product types served and features; a broken plugin is listed as unavailable, with why.",
    )
    types.add_argument("--json", action="store_true", help="print JSON instead of a table")
    serve = commands.add_parser(
        "serve", help="run the console for web browsers (textual-serve), on 127.0.0.1 by default",
        description="Serve the console to web browsers: each browser session runs its own console on the "
                    "database chosen by --db. A new access token is made at every start and printed in the URL "
                    "to open. Sessions are read-only unless --operator is given; served consoles run no "
                    "background tasks (run `procmod worker` beside it).",
    )
    serve.add_argument("--db", dest="serve_db", metavar="URL", help="the database to serve (default: the top-level --db, ...)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    serve.add_argument("--port", type=_positive_int, default=8000, help="port to listen on (default: 8000)")
    serve.add_argument("--allow-remote", action="store_true",
                       help="allow a non-loopback --host (plain HTTP: put a TLS proxy in front)")
    add_setup_commands(commands)  # datacenter, department, tariff, module: tui/cli_setup.py


DEFAULT_LEASE_SECONDS = 120.0
DEFAULT_DEADLINE_SECONDS = 90.0


def _timing_options(parser: argparse.ArgumentParser, whose: str, dest_prefix: str = "") -> None:
    parser.add_argument("--lease", dest=f"{dest_prefix}lease", type=_positive_float, metavar="SECONDS",
                        help=f"lease of {whose}: a run whose worker stops answering (killed, paused, cut off) is "
                             "taken over this long after its last heartbeat, marked Interrupted and retried once, "
                             f"a quarter of the lease (at most 30 s) later (default: {DEFAULT_LEASE_SECONDS:g})")
    parser.add_argument("--deadline", dest=f"{dest_prefix}deadline", type=_positive_float, metavar="SECONDS",
                        help=f"deadline of {whose}: a run stops calling the panel after this long and is "
                             f"Unsuccessful; shorter than the lease (default: {DEFAULT_DEADLINE_SECONDS:g}, or "
                             "3/4 of a shorter lease)")


def _run_timing(parser: argparse.ArgumentParser, lease: float | None, deadline: float | None
                ) -> tuple[float, float] | None:
    """(lease, deadline) in seconds from the options, or None for the defaults; a deadline must be shorter."""
    if lease is None and deadline is None:
        return None
    lease = lease if lease is not None else max(DEFAULT_LEASE_SECONDS, (deadline or 0) * 4 / 3)
    deadline = deadline if deadline is not None else min(DEFAULT_DEADLINE_SECONDS, lease * 3 / 4)
    if deadline >= lease:
        parser.error(f"--deadline ({deadline:g} s) must be shorter than --lease ({lease:g} s)")
    return lease, deadline


class _VersionAction(argparse.Action):
    """`--version`: the version is read from the installed metadata only when asked for (reading it on every
    start cost ~7 ms before the first frame: importlib.metadata and the email parser it loads)."""

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS,
                         help="show program's version number and exit", **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: str | None = None) -> None:
        print(f"procmod {_version()}")  # on stdout, as argparse's own version action prints it
        parser.exit()


def _version() -> str:
    """The installed distribution's version (its metadata), as `pip show procmod` says it."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("procmod")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown (not installed)"


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be more than 0")
    return value


def _log_path_text() -> str:
    from procmod.tui.logfile import log_path

    return str(log_path())


def _apply_config(args: argparse.Namespace) -> Any:
    """The settings file under the command line: --db, $PROCMOD_DATABASE_URL, then `database`; --operator,
    then `operator`; --open, then `open`. Returns the Config (ConfigError when it cannot be used)."""
    import os

    from procmod.core.first_page import FIRST_PAGES
    from procmod.storage.location import ENV_DATABASE_URL
    from procmod.tui.config import Config

    config = Config.load(screens=tuple(FIRST_PAGES))
    if args.db is None and not os.environ.get(ENV_DATABASE_URL) and config.database:
        args.db = config.database
    if args.operator is None:
        args.operator = config.operator
    if args.open is None:
        args.open = config.open or "menu"
    return config


def main(argv: Sequence[str] | None = None) -> int:
    parser, args = _parse(argv)
    timing = _run_timing(parser, args.lease, args.deadline)
    if args.command == "worker":
        timing = _run_timing(parser, args.worker_lease if args.worker_lease is not None else args.lease,
                             args.worker_deadline if args.worker_deadline is not None else args.deadline)
    from procmod.tui.cli_setup import SETUP_COMMANDS, run_setup
    from procmod.tui.config import ConfigError

    try:
        config = _apply_config(args)
    except ConfigError as bad:
        print(f"procmod: {bad}", file=sys.stderr)
        return 2
    from procmod.storage.errors import DatabaseLocationMissing, DatabaseTooNew  # not procmod.storage.migrate: SQLAlchemy would load before the menu
    from procmod.storage.location import check_location

    chosen = {"demo": getattr(args, "demo_db", None), "worker": getattr(args, "worker_db", None)}.get(
        args.command or "") or args.db
    new_file = None
    if chosen is not None or args.command != "demo":
        try:
            new_file = check_location(chosen)
        except DatabaseLocationMissing as missing:
            print(f"procmod: {missing}", file=sys.stderr)
            return EXIT_DATABASE_LOCATION
        if new_file:
            print(new_file, file=sys.stderr)
    try:
        if args.command in SETUP_COMMANDS:
            return run_setup(args)
        if args.command == "db":
            return _db_upgrade(args.db)
        if args.command == "seed":
            counts = {k: getattr(args, k) for k in ("modules", "tariffs", "services", "notifications")}
            return _seed(args.db, args.scale, {k: v for k, v in counts.items() if v is not None})
        if args.command == "export":
            return _export(args)
        if args.command == "worker":
            return _run_worker(args.worker_db or args.db, concurrency=args.concurrency, poll=args.poll,
                               timing=timing)
        if args.command == "module-types":
            from procmod.tui.cli_types import print_module_types

            return print_module_types(as_json=args.json)
        if args.command == "serve":
            from procmod.tui.serve import ServeSettings, serve

            return serve(ServeSettings(args.serve_db or args.db, host=args.host, port=args.port,
                                       operator=args.operator, allow_remote=args.allow_remote))
        if args.command in (None, "demo") and not _terminal_can_show_the_console():
            return EXIT_DUMB_TERMINAL
        if args.command in (None, "demo"):
            from procmod.tui.logfile import start_logging

            start_logging()
        if args.command == "demo":
            return _run_console(args.demo_db or args.db or _fresh_demo_url(), operator=args.operator, demo=True,
                                read_only=args.read_only, scheduler=_console_runs_tasks(args), start=args.open,
                                timing=timing)
        code = _run_console(args.db, operator=args.operator, demo=False, read_only=args.read_only,
                            scheduler=_console_runs_tasks(args), start=args.open, config=config, timing=timing)
        if new_file:  # said again once the full screen is gone (the first line was under it)
            print(new_file.replace("does not exist yet: a new, empty database is created there",
                                   "is the new database made for this session"), file=sys.stderr)
        return code
    except DatabaseTooNew as too_new:
        print(f"procmod: {too_new}", file=sys.stderr)
        return EXIT_DATABASE_TOO_NEW


def _db_upgrade(url: str | None) -> int:
    from procmod.storage import migrate
    from procmod.storage.engine import Database

    db = Database.open(url)
    try:
        before, after = migrate.upgrade(db)
    finally:
        db.dispose()
    print(f"Database: {db.redacted_url()}")
    print(f"Revision before: {before or '(empty database)'}")
    print(f"Revision now:    {after}")
    return 0


def _positive_count(text: str) -> int:
    try:
        value = int(text.replace("_", "").replace(",", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 1 <= value <= 100_000_000:
        raise argparse.ArgumentTypeError(f"{value:,} is out of range (1 to 100,000,000)")
    return value


def _seed(url: str | None, scale: str, counts: dict[str, int] | None = None) -> int:
    import dataclasses

    from procmod.core.backend import open_backend
    from procmod.demo.large import SCALES, seed_large

    chosen = dataclasses.replace(SCALES[scale], **(counts or {}))
    backend = open_backend(url)
    try:
        if backend.modules.list().total:
            print(f"procmod: seed needs an empty database; {backend.db.redacted_url()} has data.", file=sys.stderr)
            return 1
        seed_large(backend, chosen, lambda table, rows, seconds: print(
            f"{table:>18}: {rows:>9,} rows in {seconds:5.1f} s", flush=True))
    finally:
        backend.close()
    print(f"Seeded {backend.db.redacted_url()} ({scale}{', with ' + ', '.join(f'{v:,} {k}' for k, v in counts.items()) if counts else ''})")
    return 0


def _export(args: argparse.Namespace) -> int:
    """`procmod export`: see core/export.py."""
    from procmod.core.backend import open_backend
    from procmod.core.export import export, make_filter
    from procmod.storage.enums import ModuleStatus, ServiceStatus, TariffStatus

    status = None
    if args.status:
        kind = {"modules": ModuleStatus, "tariffs": TariffStatus, "services": ServiceStatus}.get(args.list)
        values = [s.value for s in kind] if kind else []
        if args.status not in values:
            print(f"procmod: --status {args.status!r} does not apply to {args.list}"
                  + (f"; one of: {', '.join(values)}" if values else ""), file=sys.stderr)
            return 2
        status = kind(args.status)
    output = Path(args.output).expanduser() if args.output else None
    if output is not None and not output.parent.is_dir():
        print(f"procmod: the directory {output.parent} does not exist; nothing was written.", file=sys.stderr)
        return 2
    backend = open_backend(args.db, upgrade=False)
    try:
        flt = make_filter(args.list, text=args.text, module_id=args.module_id, status=status)
        if output is None:
            try:
                count = export(backend, args.list, flt, args.fmt, sys.stdout)
            except BrokenPipeError:  # `procmod export … | head`: the reader has what it wanted
                import os

                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
                return 0
        else:
            with output.open("w", encoding="utf-8", newline="") as out:
                count = export(backend, args.list, flt, args.fmt, out)
    finally:
        backend.close()
    print(f"{count:,} {args.list} rows written to {output or 'standard output'} ({args.fmt}).", file=sys.stderr)
    return 0


def _run_worker(url: str | None, *, concurrency: int, poll: float, timing: tuple[float, float] | None = None
                ) -> int:
    """`procmod worker`: the scheduler without Textual; logs to stderr, stops on SIGTERM/SIGINT."""
    import logging

    from procmod.core.backend import open_backend
    from procmod.core.worker import run_worker

    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from datetime import timedelta

    lease, deadline = timing or (DEFAULT_LEASE_SECONDS, DEFAULT_DEADLINE_SECONDS)
    backend = open_backend(url)
    try:
        run_worker(backend, concurrency=concurrency, poll=poll, lease=timedelta(seconds=lease),
                   deadline=timedelta(seconds=deadline))
    finally:
        backend.close()
    return 0


def _fresh_demo_url() -> str:
    import tempfile

    directory = Path(tempfile.mkdtemp(prefix="procmod-demo-"))
    return f"sqlite:///{directory / 'demo.db'}"


def _console_runs_tasks(args: argparse.Namespace) -> bool:
    """The console runs due background tasks unless `--no-scheduler` (headless workers do) or read-only."""
    return not (args.no_scheduler or args.read_only)


def console_app(url: str | None, *, operator: str | None = None, read_only: bool = False,
                scheduler: bool = False, start: str = "menu", config: Any = None,
                timing: tuple[float, float] | None = None):  # noqa: ANN201 - Textual imported lazily
    """The console as `procmod` opens it: the menu paints first, and the database (SQLAlchemy, migrations)
    opens behind it in a worker. Opened on a list (`--open`), a helper process reads that list's first page
    meanwhile (core/first_page.py); it is started first, before this process imports Textual."""
    from procmod.core.first_page import FirstPageHelper

    from procmod.tui.widgets.paged_table import DEFAULT_PAGE_SIZE

    page_size = (config.page_size if config is not None else None) or DEFAULT_PAGE_SIZE
    first_page = FirstPageHelper.start(url, start, page_size)  # None for the menu, a card, or one CPU
    from procmod.tui.idle_gc import hold_during_start_up

    hold_during_start_up()  # from here to a settled console (the app's IdleCollector then takes over)
    from procmod.tui.app import make_app

    def open_database():  # noqa: ANN202 - core types imported lazily
        from procmod.core.backend import open_backend

        backend = open_backend(url, operator=operator)
        backend.run_timing = timing
        return backend

    app = make_app(open_database, read_only=read_only, scheduler=scheduler, start=start, prepare_screens=True,
                   first_page=first_page, page_size=page_size, config=config, live=True,
                   show_pane=config.pane is not False if config is not None else True)
    if config is not None and config.pane:
        app.pane_wanted = True  # shown even on a narrow terminal
    return app


def _run_console(url: str | None, *, operator: str | None, demo: bool, read_only: bool = False,
                 scheduler: bool = False, start: str = "menu", config: Any = None,
                 timing: tuple[float, float] | None = None) -> int:
    if not demo:
        app = console_app(url, operator=operator, read_only=read_only, scheduler=scheduler, start=start,
                          config=config, timing=timing)
        try:
            app.run()
        finally:
            if app.loaded_backend is not None:
                app.loaded_backend.close()
        return app.return_code or 0

    from procmod.core.backend import open_backend
    from procmod.demo.seed import seed_demo
    from procmod.tui.app import make_app

    backend = open_backend(url, operator=operator)
    backend.run_timing = timing
    try:
        if backend.modules.list().total:
            print(f"procmod: the demo needs an empty database; {backend.db.redacted_url()} has data.",
                  file=sys.stderr)
            return 1
        seed_demo(backend)
        environment = _start_demo_environment(backend)
        sheet = demo_connection_text(environment.connection_sheet())
        sheet_file = _write_demo_sheet(sheet)
        print(sheet)  # stays on the terminal under the console, and shows again when it closes
        try:
            app = make_app(backend, read_only=read_only, scheduler=scheduler, prepare_screens=True, start=start,
                           live=True)
            app.notify(f"To add a working module, use the addresses and credentials in {sheet_file} (also on "
                       "the terminal when the console closes).", title="The demo's panels",
                       timeout=DEMO_SHEET_SECONDS, markup=False)
            app.run()
        finally:
            environment.stop()
    finally:
        backend.close()
    print(sheet)
    print(f"The demo database is kept at {backend.db.redacted_url()}")
    return 0


def _write_demo_sheet(sheet: str) -> Path:
    import tempfile

    path = Path(tempfile.mkdtemp(prefix="procmod-demo-panels-")) / "panels.txt"
    path.write_text(sheet + "\n", encoding="utf-8")
    return path


#: How long the demo's connection sheet stays on screen at start (it is on the terminal after exit too).
DEMO_SHEET_SECONDS = 45


def demo_connection_text(sheet: str) -> str:
    """The demo's start note: where its loopback panels answer and with which credentials, so an operator
    trying the console can add a working module (a) with them."""
    return ("The demo's panels answer on this machine while its console is open. To add a working module "
            "(Processing modules, a), use one of them (or untick Verify TLS instead of giving the CA bundle):\n"
            + sheet)


def _start_demo_environment(backend):  # noqa: ANN001, ANN202 - core types imported lazily
    """Loopback emulators behind the demo modules, so checks, balances and syncs are real HTTP calls (two
    modules are broken on purpose: one unreachable, one with a revoked token). Stop it when the app exits."""
    from procmod.demo.env import start_demo_environment

    return start_demo_environment(backend)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

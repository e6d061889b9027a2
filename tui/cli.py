"""`procmod`: open the console; `procmod demo` on fresh demo data; `procmod db upgrade` migrates.

Heavy imports (Textual, SQLAlchemy, Alembic) happen inside the commands, so `--help` is quick.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

EXIT_DATABASE_TOO_NEW = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="procmod",
        description="Terminal console for the processing modules of a hosting billing platform.",
        epilog="Without a command, the console opens on the database chosen by --db, "
               "$PROCMOD_DATABASE_URL, or the SQLite file in your data directory.",
    )
    parser.add_argument("--db", metavar="URL",
                        help="database URL (sqlite:///path.db, postgresql://…) or a SQLite file path; "
                             "default: $PROCMOD_DATABASE_URL, else procmod.db in the user data directory")
    parser.add_argument("--operator", metavar="NAME", help="the name written in the audit log (default: your login)")
    parser.add_argument("--read-only", action="store_true",
                        help="open the console read-only: every key that changes something is gone")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    demo = commands.add_parser(
        "demo", help="open the console on a fresh demo database",
        description="Create a fresh database filled with deterministic demo data (modules, tariffs, services, "
                    "tasks, notifications) and open the console on it. Without --db, a new SQLite file in a "
                    "temporary directory is used; a database given with --db must be empty.",
    )
    demo.add_argument("--db", dest="demo_db", metavar="URL",
                      help="where to create the demo database (must be empty); default: a temporary SQLite file")
    db = commands.add_parser("db", help="database maintenance (migrations)",
                             description="Database maintenance commands.")
    db_commands = db.add_subparsers(dest="db_command", metavar="DB_COMMAND", required=True)
    db_commands.add_parser("upgrade", help="migrate the database to this version's schema and print the revisions",
                           description="Apply the schema migrations to the database chosen by --db "
                                       "(or $PROCMOD_DATABASE_URL) and print the revision before and after.")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from storage.migrate import DatabaseTooNew

    try:
        if args.command == "db":
            return _db_upgrade(args.db)
        if args.command == "demo":
            return _run_console(args.demo_db or args.db or _fresh_demo_url(), operator=args.operator, demo=True,
                                read_only=args.read_only)
        return _run_console(args.db, operator=args.operator, demo=False, read_only=args.read_only)
    except DatabaseTooNew as too_new:
        print(f"procmod: {too_new}", file=sys.stderr)
        return EXIT_DATABASE_TOO_NEW


def _db_upgrade(url: str | None) -> int:
    from storage import migrate
    from storage.engine import Database

    db = Database.open(url)
    try:
        before, after = migrate.upgrade(db)
    finally:
        db.dispose()
    print(f"Database: {db.redacted_url()}")
    print(f"Revision before: {before or '(empty database)'}")
    print(f"Revision now:    {after}")
    return 0


def _fresh_demo_url() -> str:
    directory = Path(tempfile.mkdtemp(prefix="procmod-demo-"))
    return f"sqlite:///{directory / 'demo.db'}"


def _run_console(url: str | None, *, operator: str | None, demo: bool, read_only: bool = False) -> int:
    from core.backend import open_backend

    backend = open_backend(url, operator=operator)
    try:
        if demo:
            from core.demo import seed_demo

            if backend.modules.list().total:
                print(f"procmod: the demo needs an empty database; {backend.db.redacted_url()} has data.",
                      file=sys.stderr)
                return 1
            seed_demo(backend)
        from tui.app import make_app

        make_app(backend, read_only=read_only).run()
    finally:
        backend.close()
    if demo:
        print(f"The demo database is kept at {backend.db.redacted_url()}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

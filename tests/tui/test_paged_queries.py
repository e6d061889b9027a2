"""Regression guard for scale: every list the console shows comes from a bounded query.

On a database with 10,000 services, every SELECT the console issues while visiting every screen, paging
and filtering must either be bounded (LIMIT) or an aggregate, and no statement may return more rows
than a page. A change that loads a whole table fails here long before anyone notices at a million rows.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import event
from textual.app import App

from procmod.core.backend import Backend, open_backend
from procmod.core.clock import DEMO_NOW, FixedClock
from procmod.demo.large import SCALES, seed_large
from procmod.core.secrets import SecretBox
from procmod.tui.actions import DESTINATIONS
from procmod.tui.app import make_app

PAGE_LIMIT = 100
AGGREGATE = re.compile(r"^\s*SELECT\s+(count|min|max|sum)\(", re.I)
#: Bounded without LIMIT: one row by primary key, or the rows of one page's ids (IN with ≤ a page of ids).
BY_PRIMARY_KEY = re.compile(r"\bWHERE\s+\w+\.id\s*=\s*\?", re.I)
IN_LIST = re.compile(r"\bIN\s*\(((?:\?,\s*)*\?)\)", re.I)


class StatementLog:
    def __init__(self, engine) -> None:  # noqa: ANN001
        self.unbounded: list[str] = []
        event.listen(engine, "after_cursor_execute", self.after)

    def after(self, conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        text = " ".join(statement.split())
        if not text.upper().startswith("SELECT") or AGGREGATE.match(text) or "alembic_version" in text:
            return
        if " LIMIT " in text.upper() or BY_PRIMARY_KEY.search(text):
            return
        in_list = IN_LIST.search(text)
        if in_list and in_list.group(1).count("?") <= PAGE_LIMIT:
            return
        self.unbounded.append(text[:300])


def small_scale(path: Path) -> Backend:
    backend = open_backend(f"sqlite:///{path}", clock=FixedClock(DEMO_NOW), secrets=SecretBox.generate(),
                           operator="tester")
    seed_large(backend, SCALES["small"])
    return backend


def visit_every_list(backend: Backend, keys: tuple[str, ...], *then: Callable[[App], object]) -> None:
    """Open every main-menu list at 120x40, press `keys` on each, then take the steps `then`, one by one."""
    app = make_app(backend)

    async def visit() -> None:
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            for destination in DESTINATIONS:
                app.open_destination(destination.id)
                await pilot.pause()
                for key in keys:
                    await pilot.press(key)
                    await pilot.pause()
            for step in then:
                step(app)
                await pilot.pause()

    asyncio.run(visit())


def test_every_screen_reads_pages_not_tables(tmp_path: Path) -> None:
    backend = small_scale(tmp_path / "scale.db")
    log = StatementLog(backend.db.engine)
    fetched: list[int] = []
    original = backend.services.list

    def counting_list(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        page = original(*args, **kwargs)
        fetched.append(len(page.rows))
        return page

    backend.services.list = counting_list  # type: ignore[method-assign]
    visit_every_list(backend, ("right_square_bracket", "right_square_bracket", "left_square_bracket", "end"),
                     lambda app: app.open_destination("services"),
                     lambda app: app.screen.set_filter(text="client1"),
                     lambda app: app.open_card(1))
    backend.close()
    assert log.unbounded == [], "\n".join(log.unbounded)
    assert fetched and max(fetched) <= PAGE_LIMIT


BIG_TABLES = ("service", "notification", "task_run", "tariff_module")


def test_every_screen_query_is_served_by_an_index_once_the_file_is_analyzed(tmp_path: Path) -> None:
    """The plans behind every screen, after ANALYZE (what `PRAGMA optimize` or an operator may run): no big
    table read whole to be sorted, and per-row counts search by module, never walk every unread notification."""
    backend = small_scale(tmp_path / "plans.db")
    with backend.db.engine.begin() as connection:
        connection.exec_driver_sql("ANALYZE")
    statements: list[tuple[str, object]] = []

    def after(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        if statement.lstrip().upper().startswith("SELECT") and "alembic_version" not in statement:
            statements.append((statement, parameters))

    event.listen(backend.db.engine, "after_cursor_execute", after)
    visit_every_list(backend, ("right_square_bracket",), lambda app: app.open_card(1))
    event.remove(backend.db.engine, "after_cursor_execute", after)
    problems = []
    with backend.db.engine.connect() as connection:
        for statement, parameters in statements:
            plan = [row[-1] for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)]
            sorts = any(line.startswith("USE TEMP B-TREE") for line in plan)
            for line in plan:
                # A scan in an index's (or the rowid's) order stops at the page's LIMIT; a scan that must
                # then be sorted reads the whole table.
                sorted_scan = sorts and any(re.fullmatch(rf"SCAN {table}", line) for table in BIG_TABLES)
                walks_unread = "notification" in line and "read_at=?" in line
                if sorted_scan or walks_unread:
                    problems.append(f"{line}  ←  {' '.join(statement.split())[:200]}")
    backend.close()
    assert statements and problems == [], "\n".join(problems)

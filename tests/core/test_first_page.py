"""The helper process that reads a start list's first page (core/first_page.py): the same page the console
would read, on SQLite and PostgreSQL, forked or spawned; and when it cannot help, it says nothing and
leaves nothing behind (the console then reads the page itself and reports what is wrong)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from procmod.core import first_page
from procmod.core.backend import Backend
from procmod.core.dto import PageRequest
from procmod.core.first_page import FIRST_PAGES, PAGE_SIZE, FirstPageHelper, read_first_page
from procmod.storage.engine import Database


@pytest.fixture(autouse=True)
def _two_cpus(monkeypatch: pytest.MonkeyPatch) -> None:
    """The helper is started only with two usable CPUs; these tests run it on any machine."""
    monkeypatch.setattr(first_page, "usable_cpus", lambda: 2)


def _url(backend: Backend) -> str:
    return backend.db.engine.url.render_as_string(hide_password=False)


def test_each_lists_first_page_is_read_as_the_console_reads_it(seeded_backend: Backend) -> None:
    for destination, read in FIRST_PAGES.items():
        expected = read(seeded_backend, PageRequest(limit=PAGE_SIZE))
        assert expected.rows, destination
        assert read_first_page(_url(seeded_backend), destination) == expected, destination


@pytest.mark.parametrize("fork", [True, False], ids=["forked", "spawned"])
def test_the_helper_process_sends_the_page(seeded_backend: Backend, fork: bool) -> None:
    helper = FirstPageHelper.start(_url(seeded_backend), "services", fork=fork)
    assert helper is not None
    page = helper.result()
    assert page == FIRST_PAGES["services"](seeded_backend, PageRequest(limit=PAGE_SIZE))
    assert helper.result() is None  # one page per helper


@pytest.mark.parametrize("fork", [True, False], ids=["forked", "spawned"])
def test_a_missing_or_unmigrated_database_gets_no_page_and_nothing_created(tmp_path: Path, fork: bool) -> None:
    missing = tmp_path / "nowhere" / "procmod.db"
    helper = FirstPageHelper.start(f"sqlite:///{missing}", "modules", fork=fork)
    assert helper is not None and helper.result() is None
    assert not missing.parent.exists()  # the console creates and migrates a database, a helper never does

    empty = tmp_path / "empty.db"
    Database.open(f"sqlite:///{empty}").dispose()
    empty.touch()
    helper = FirstPageHelper.start(f"sqlite:///{empty}", "modules", fork=fork)
    assert helper is not None and helper.result() is None


def test_a_late_helper_is_stopped_and_reaped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def slow(url: str | None, destination: str, limit: int = PAGE_SIZE) -> None:
        time.sleep(30)

    monkeypatch.setattr(first_page, "read_first_page", slow)  # the fork runs this module's function
    helper = FirstPageHelper.start(f"sqlite:///{tmp_path / 'x.db'}", "modules", fork=True)
    assert helper is not None
    started = time.monotonic()
    assert helper.result(timeout=0.2) is None
    assert time.monotonic() - started < 5
    with pytest.raises(ChildProcessError):
        os.waitpid(helper._pid, os.WNOHANG)  # noqa: SLF001 - reaped: no zombie left behind


def test_no_helper_where_it_cannot_help(monkeypatch: pytest.MonkeyPatch) -> None:
    assert FirstPageHelper.start(None, "menu") is None
    assert FirstPageHelper.start(None, "card:3") is None
    monkeypatch.setattr(first_page, "usable_cpus", lambda: 1)  # it would only compete with the console
    assert FirstPageHelper.start(None, "modules") is None

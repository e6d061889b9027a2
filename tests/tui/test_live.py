"""Live across consoles: a change committed by another process (here a real second Python process) shows
in an open console within about a second, on SQLite (PRAGMA data_version) and PostgreSQL (LISTEN/NOTIFY):
the notifications pane, the rows of the list on screen and the open card."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from procmod.core.backend import Backend
from procmod.core.dto import ModuleStatus
from procmod.tui.app import make_app

#: The console looks (SQLite) and reports (both) this often in these tests; the command line uses 1 s.
INTERVAL = 0.2
#: What "within about a second" allows on a loaded CI machine.
WITHIN = 5.0


def other_process(backend: Backend, code: str) -> None:
    """Run `code` in a new Python process with `backend` (an open Backend on the same database) bound."""
    url = backend.db.engine.url.render_as_string(hide_password=False)
    script = ("from procmod.core.backend import open_backend\n"
              f"backend = open_backend({url!r}, operator='other-console')\n" + code + "\nbackend.close()\n")
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60)


async def wait_until(pilot, condition, what: str) -> float:  # noqa: ANN001
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < WITHIN, f"{what} did not show within {WITHIN} s"
        await pilot.pause(0.05)
    return time.monotonic() - started


@pytest.fixture(autouse=True)
def quick_look(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("procmod.tui.live.LIVE_INTERVAL", INTERVAL)


async def test_another_process_reading_notifications_empties_the_pane(backend: Backend) -> None:
    app = make_app(backend, live=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert app.pane_feed.total > 0
        await pilot.pause(INTERVAL * 2)  # the watcher has taken its first look
        other_process(backend, "backend.notifications.mark_all_read()")
        delay = await wait_until(pilot, lambda: app.pane_feed.total == 0, "notifications read elsewhere")
        assert delay < WITHIN


async def test_another_process_disabling_a_module_updates_the_list_and_the_card(backend: Backend) -> None:
    app = make_app(backend, start="modules", live=True)
    async with app.run_test(size=(120, 40)) as pilot:
        # Every worker but the long-lived ones (`changes`, `jobs`: they serve until the console closes).
        busy = [w for w in app.workers if w.group not in ("changes", "jobs")]
        if busy:  # (an empty list would mean every worker to Textual)
            await app.workers.wait_for_complete(busy)
        await pilot.pause()
        listing = app.screen
        first = listing.paged.rows[0]
        assert first.status is ModuleStatus.ENABLED
        await pilot.pause(INTERVAL * 2)
        other_process(backend, f"backend.commands.set_module_enabled({first.id}, False)")

        def shown_status():  # noqa: ANN202
            return next(r.status for r in listing.paged.rows if r.id == first.id)

        await wait_until(pilot, lambda: shown_status() is ModuleStatus.DISABLED, "the module's new status")
        assert listing.paged.table.cursor_row == 0  # updated in place, the cursor kept
        assert app.open_card(first.id)
        await pilot.pause()
        card = app.screen
        assert card.card.status is ModuleStatus.DISABLED
        other_process(backend, f"backend.commands.set_module_enabled({first.id}, True)")
        await wait_until(pilot, lambda: card.card.status is ModuleStatus.ENABLED, "the card's new status")

"""Pilot tests of service operations at 80x24 against the demo's loopback emulators: the service card
(opened by Enter on a row), an operation from it run in the background, a refused one, the failure queue
(retry, dismiss), a bulk operation on a selection with its progress and summary, and read-only mode.

Workers are awaited (`app.workers.wait_for_complete`), never slept on.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from procmod.core.backend import Backend, open_backend
from procmod.core.clock import DEMO_NOW, FixedClock
from procmod.core.dto import ModuleFilter, PageRequest, ServiceFilter
from procmod.core.secrets import SecretBox
from procmod.demo.env import DemoEnvironment, start_demo_environment
from procmod.demo.seed import seed_demo
from procmod.storage.enums import JobState, ServiceStatus
from procmod.storage.models import AuditEntry, Job, Service
from procmod.tui.app import make_app
from procmod.tui.screens.bulk_progress import BulkProgressScreen
from procmod.tui.screens.confirm import ConfirmScreen
from procmod.tui.screens.dismiss_reason import DismissScreen
from procmod.tui.screens.failure_queue import FailureQueueScreen
from procmod.tui.screens.service_card import ServiceCardScreen
from procmod.tui.screens.service_list import ServiceListScreen
from tests.tui.test_integration_screens import FAST_DRIVERS, screen_text, settle

SIZE = (80, 24)
MODULE = "cPanel shared-01"


@pytest.fixture
def live(tmp_path: Path) -> Iterator[tuple[Backend, DemoEnvironment]]:
    backend = open_backend(f"sqlite:///{tmp_path / 'live.db'}", clock=FixedClock(DEMO_NOW),
                           secrets=SecretBox.generate(), operator="tester")
    seed_demo(backend)
    env = start_demo_environment(backend)
    backend.integrations._options.update(FAST_DRIVERS)  # noqa: SLF001
    try:
        yield backend, env
    finally:
        env.stop()
        backend.close()


def module_id(backend: Backend, name: str) -> int:
    return next(r.id for r in backend.modules.list(ModuleFilter(text=name)).rows if r.name == name)


def services(backend: Backend, status: ServiceStatus, module: str = MODULE) -> list:
    return backend.services.list(ServiceFilter(module_id=module_id(backend, module), status=status),
                                 PageRequest(limit=100, sort="id")).rows


def status_of(backend: Backend, service_id: int) -> ServiceStatus:
    with backend.db.sessions() as session:
        return session.get(Service, service_id).status


async def open_list(app, pilot, backend: Backend, status: ServiceStatus) -> ServiceListScreen:  # noqa: ANN001
    app.open_destination("services")
    await pilot.pause()
    screen = app.screen
    assert isinstance(screen, ServiceListScreen)
    screen.set_filter(module_id=module_id(backend, MODULE), status=status)
    await pilot.pause()
    return screen


async def test_enter_opens_the_card_and_suspend_runs_in_the_background(live) -> None:  # noqa: ANN001
    backend, env = live
    first = services(backend, ServiceStatus.ACTIVE)[0]
    app = make_app(backend, show_pane=False)
    async with app.run_test(size=SIZE) as pilot:
        listing = await open_list(app, pilot, backend, ServiceStatus.ACTIVE)
        assert listing.paged.selected.id == first.id
        await pilot.press("enter")
        await pilot.pause()
        card = app.screen
        assert isinstance(card, ServiceCardScreen) and card.card.id == first.id
        text = screen_text(app)
        assert first.name in text and MODULE in text and "Active" in text and "No operation has run" in text
        await pilot.press("p")
        await settle(app, pilot)
        await settle(app, pilot)
        assert status_of(backend, first.id) is ServiceStatus.SUSPENDED
        assert env.handles[MODULE].state.accounts[first.remote_id]["suspended"] == 1
        card.reread()
        await pilot.pause()
        text = screen_text(app)
        assert "Suspend" in text and "✓ Done" in text and "suspend account" in text and "tester" in text
        # Suspend no longer applies: the key says why instead of queuing anything.
        await pilot.press("p")
        await settle(app, pilot)
        with backend.db.sessions() as session:
            assert len(session.scalars(select(Job).where(Job.service_id == first.id)).all()) == 1
        assert any("applies to a service that is Active" in str(n.message) for n in app._notifications)  # noqa: SLF001


async def test_close_asks_first_and_the_failure_queue_retries_and_dismisses(live) -> None:  # noqa: ANN001
    backend, env = live
    victims = services(backend, ServiceStatus.ACTIVE)[:2]
    handle = env.handles[MODULE]
    handle.set_fault("500")  # the panel is down: both closes fail
    app = make_app(backend, show_pane=False)
    async with app.run_test(size=SIZE) as pilot:
        for victim in victims:
            assert app.open_service(victim.id)
            await pilot.pause()
            await pilot.press("delete")
            await pilot.pause()
            assert isinstance(app.screen, ConfirmScreen)
            await pilot.press("right", "enter")
            await settle(app, pilot)
            await settle(app, pilot)
            assert status_of(backend, victim.id) is ServiceStatus.ACTIVE  # kept its status
            await pilot.press("escape")
        handle.clear_faults()
        app.open_destination("failures")
        await pilot.pause()
        queue = app.screen
        assert isinstance(queue, FailureQueueScreen)
        text = screen_text(app)
        assert f"Close: {victims[0].name}" in text and "Technical support" in text
        entries = [e for e in queue.paged.rows if e.source == "job"]
        assert len(entries) == 2
        queue.paged.table.move_cursor(row=queue.paged.rows.index(entries[0]))
        await pilot.press("r")
        await settle(app, pilot)
        await settle(app, pilot)
        retried = next(v for v in victims if v.id == entries[0].subject_id)
        assert status_of(backend, retried.id) is ServiceStatus.DELETED
        assert retried.remote_id not in handle.state.accounts
        queue.paged.refresh_rows()
        remaining = [e for e in queue.paged.rows if e.source == "job"]
        assert [e.id for e in remaining] == [entries[1].id]  # the retry that succeeded cleared its entry
        queue.paged.table.move_cursor(row=queue.paged.rows.index(remaining[0]))
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(app.screen, DismissScreen)
        await pilot.press("enter")  # no reason: refused
        assert isinstance(app.screen, DismissScreen)
        await pilot.press(*"handled by hand", "enter")
        await pilot.pause()
        assert not [e for e in queue.paged.rows if e.source == "job"]
        with backend.db.sessions() as session:
            assert session.scalar(select(AuditEntry.summary).where(AuditEntry.action == "dismiss")).endswith(
                "handled by hand")


async def test_bulk_suspend_on_a_selection_shows_progress_and_a_summary(live) -> None:  # noqa: ANN001
    backend, env = live
    active = services(backend, ServiceStatus.ACTIVE)
    app = make_app(backend, show_pane=False)
    async with app.run_test(size=SIZE) as pilot:
        listing = await open_list(app, pilot, backend, ServiceStatus.ACTIVE)
        await pilot.press("space", "space", "space")
        assert listing.selected_ids == {row.id for row in active[:3]}
        assert "Selected: 3" in screen_text(app)
        await pilot.press("p")
        await settle(app, pilot)
        confirm = app.screen
        assert isinstance(confirm, ConfirmScreen)
        assert "Suspend 3 service(s) on cPanel shared-01 (3)" in confirm.message
        await pilot.press("right", "enter")
        await settle(app, pilot)
        await settle(app, pilot)
        progress = app.screen
        assert isinstance(progress, BulkProgressScreen)
        progress.read_progress()
        await settle(app, pilot)
        assert progress.progress is not None and progress.progress.finished
        assert (progress.progress.succeeded, progress.progress.failed) == (3, 0)
        assert "Finished: 3 done, 0 failed" in screen_text(app)
        assert all(status_of(backend, row.id) is ServiceStatus.SUSPENDED for row in active[:3])
        await pilot.press("escape")
        assert listing.selected_ids == set()


async def test_the_progress_window_opens_before_the_batch_is_queued(live, monkeypatch) -> None:  # noqa: ANN001
    """Enter on the confirmation opens the progress window at once (queuing is a worker's); it shows the
    batch's counts when queued, or why nothing was."""
    import threading

    from procmod.core.services import OperationRefused

    backend, _env = live
    operations = backend.operations
    start_bulk = operations.start_bulk
    release = threading.Event()
    refuse = []

    def slow_start_bulk(kind, selection):  # noqa: ANN001, ANN202
        assert release.wait(30)
        if refuse:
            raise OperationRefused(refuse[0])
        return start_bulk(kind, selection)

    monkeypatch.setattr(operations, "start_bulk", slow_start_bulk)
    app = make_app(backend, show_pane=False)
    async with app.run_test(size=SIZE) as pilot:
        listing = await open_list(app, pilot, backend, ServiceStatus.ACTIVE)
        for attempt in ("queued", "refused"):
            await pilot.press("space", "space")
            await pilot.press("p")
            await settle(app, pilot)
            await pilot.press("right", "enter")
            await pilot.pause()
            progress = app.screen
            assert isinstance(progress, BulkProgressScreen) and progress.batch_id is None
            assert "Suspend: queuing 2 service(s)…" in screen_text(app)
            assert progress.check_action("cancel_batch", ()) is False  # nothing to cancel yet
            if attempt == "refused":
                refuse.append("The console is read-only")
            release.set()
            await settle(app, pilot)
            await settle(app, pilot)
            if attempt == "queued":
                assert progress.batch_id is not None and progress.progress is not None
                assert progress.progress.total == 2 and "Suspend: 2 service(s), batch" in screen_text(app)
                assert listing.selected_ids == set()  # the selection went into the batch
            else:
                assert progress.batch_id is None
                assert "Nothing was queued: The console is read-only" in screen_text(app)
            release.clear()
            await pilot.press("escape")
            await pilot.pause()
            assert app.screen is listing


async def test_the_list_under_a_confirmation_reads_its_page_when_shown_not_in_between(live, monkeypatch) -> None:  # noqa: ANN001
    """Confirming a bulk operation closes the confirmation and opens the progress window in one go: the list
    below is not read again in between (it would delay the window), but when it is shown again."""
    backend, _env = live
    app = make_app(backend, show_pane=False)
    async with app.run_test(size=SIZE) as pilot:
        listing = await open_list(app, pilot, backend, ServiceStatus.ACTIVE)
        reads = []
        service_list = backend.services.list
        monkeypatch.setattr(backend.services, "list", lambda *a, **k: reads.append(1) or service_list(*a, **k))
        await pilot.press("space", "p")
        await settle(app, pilot)
        await pilot.press("right", "enter")
        await settle(app, pilot)
        assert isinstance(app.screen, BulkProgressScreen) and not reads
        await pilot.press("escape")
        await settle(app, pilot)
        assert app.screen is listing and reads


async def test_read_only_removes_every_operation_key(live) -> None:  # noqa: ANN001
    backend, _env = live
    first = services(backend, ServiceStatus.ACTIVE)[0]
    app = make_app(backend, show_pane=False, read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        await open_list(app, pilot, backend, ServiceStatus.ACTIVE)
        writing = {"service_open", "service_suspend", "service_resume", "service_close", "service_transfer"}
        assert all(app.screen.check_action(action, ()) is False for action in writing)
        assert {"toggle_select", "select_all"} <= {b.binding.action for b in app.active_bindings.values()}
        app.open_service(first.id)
        await pilot.pause()
        await pilot.press("p")
        await settle(app, pilot)
        assert status_of(backend, first.id) is ServiceStatus.ACTIVE
        app.open_destination("failures")
        await pilot.pause()
        assert app.screen.check_action("retry", ()) is False and app.screen.check_action("dismiss", ()) is False
        with backend.db.sessions() as session:
            assert session.scalars(select(Job)).first() is None

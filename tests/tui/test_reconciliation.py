"""End to end, by keys at 80x24, against the demo's loopback emulators: for one module of each type in the
demo, `R` on its card reads the panel and shows the report's groups; each group's rows are selected and
acted on (import, with the plan → tariff mapping asked once; mark closed; take the panel's values), each
through its plan and an apply; `r` reads the panel again and nothing is left. Also: pushing the billing's
values shows the batch's progress, and a sync_drift notification opens the module's report.

Workers are awaited (`app.workers.wait_for_complete`), never slept on.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import Select

from procmod.core.backend import Backend, open_backend
from procmod.core.clock import DEMO_NOW, FixedClock
from procmod.core.dto import ModuleFilter
from procmod.core.reconciliation import ReconAction, ReconGroup
from procmod.core.secrets import SecretBox
from procmod.demo.env import DemoEnvironment, start_demo_environment
from procmod.demo.seed import seed_demo
from procmod.tui.app import make_app
from procmod.tui.screens.bulk_progress import BulkProgressScreen
from procmod.tui.screens.recon_plan import ReconMappingScreen, ReconPlanScreen
from procmod.tui.screens.recon_report import ReconReportScreen
from procmod.tui.screens.recon_row import ReconRowScreen
from tests.tui.test_integration_screens import FAST_DRIVERS, screen_text

SIZE = (80, 24)
#: One module of each type in the demo (those broken on purpose are left out).
ONE_OF_EACH_TYPE = ("cPanel shared-01", "VM Frankfurt 1", "Namecheap main", "Proxmox cluster 1", "Dedicated servers")
#: What each group's rows are resolved with here (the billing-side actions: no service operation to wait for).
RESOLVE = {ReconGroup.PANEL_ONLY: ("1", "i"), ReconGroup.BILLING_ONLY: ("2", "x"),
           ReconGroup.DIFFERENT: ("3", "t")}


@pytest.fixture
def live(tmp_path: Path) -> Iterator[tuple[Backend, DemoEnvironment]]:
    backend = open_backend(f"sqlite:///{tmp_path / 'recon.db'}", clock=FixedClock(DEMO_NOW),
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


async def settle(app, pilot) -> None:  # noqa: ANN001
    for _ in range(3):
        await app.workers.wait_for_complete()
        await pilot.pause()


async def reconcile_on_card(app, pilot) -> ReconReportScreen:  # noqa: ANN001
    await pilot.press("R")
    await settle(app, pilot)
    report = app.screen
    assert isinstance(report, ReconReportScreen), screen_text(app)
    assert report.report is not None, screen_text(app)
    return report


async def resolve_group(app, pilot, report: ReconReportScreen, group: ReconGroup) -> None:  # noqa: ANN001
    """Select every open row of the group that offers the action, then plan and apply it by keys."""
    number, key = RESOLVE[group]
    await pilot.press(number)
    await pilot.pause()
    assert report.group is group
    action = ReconAction({"i": "import", "x": "mark_closed", "t": "take_panel"}[key])
    rows = report.paged.rows
    assert rows, f"{group.title}: no rows shown"
    for row in rows:
        if action in row.actions:
            await pilot.press("space")
        else:
            await pilot.press("down")
    assert report.selected, f"{group.title}: no row offers {action.title}: {screen_text(app)}"
    await pilot.press(key)
    await settle(app, pilot)
    if isinstance(app.screen, ReconMappingScreen):
        for select in app.screen.query(Select):
            options = [value for _, value in select._options if isinstance(value, int)]  # noqa: SLF001
            if options and not isinstance(select.value, int):
                select.value = options[0]
        await pilot.press("ctrl+s")
        await settle(app, pilot)
    plan = app.screen
    assert isinstance(plan, ReconPlanScreen), screen_text(app)
    assert plan.plan.runnable, screen_text(app)
    await pilot.press("a")
    await settle(app, pilot)
    assert app.screen is report, screen_text(app)
    assert "done:" in screen_text(app)  # resolved rows say what was done


@pytest.mark.parametrize("name", ONE_OF_EACH_TYPE)
async def test_reconcile_each_type_end_to_end(live, name: str) -> None:  # noqa: ANN001
    backend, _env = live
    app = make_app(backend, show_pane=False, start=f"card:{module_id(backend, name)}")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        report = await reconcile_on_card(app, pilot)
        first = report.report
        assert first.panel_only and first.billing_only and first.different, f"{name}: {first.summary}"
        assert not first.incomplete, first.incomplete
        text = screen_text(app)
        assert f"1 {ReconGroup.PANEL_ONLY.title}: {first.panel_only}" in text
        assert f"2 {ReconGroup.BILLING_ONLY.title}: {first.billing_only}" in text
        assert f"3 {ReconGroup.DIFFERENT.title}: {first.different}" in text
        for group in (ReconGroup.PANEL_ONLY, ReconGroup.BILLING_ONLY, ReconGroup.DIFFERENT):
            await resolve_group(app, pilot, report, group)
        await pilot.press("r")  # read the panel again: nothing is left
        await settle(app, pilot)
        again = report.report
        assert again.id != first.id
        assert again.drift == 0, f"{name}: {again.summary}: {screen_text(app)}"
        assert "no drift" in screen_text(app)


async def test_enter_shows_a_row_side_by_side_and_push_shows_the_batch(live) -> None:  # noqa: ANN001
    backend, _env = live
    app = make_app(backend, show_pane=False, start=f"card:{module_id(backend, 'cPanel shared-01')}")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        report = await reconcile_on_card(app, pilot)
        assert report.report.different, "the demo holds no difference on cPanel shared-01"
        await pilot.press("3")
        await pilot.pause()
        # A status difference (a plan cannot be pushed to the panel, only a suspend or a resume can).
        pushable = next(i for i, r in enumerate(report.paged.rows) if ReconAction.PUSH_BILLING in r.actions)
        await pilot.press(*["down"] * pushable, "enter")
        await pilot.pause()
        row = app.screen
        assert isinstance(row, ReconRowScreen)
        text = screen_text(app)
        assert "Billing" in text and "Panel" in text and "differs" in text
        await pilot.press("p")
        await settle(app, pilot)
        assert isinstance(app.screen, ReconPlanScreen), screen_text(app)
        await pilot.press("a")
        await settle(app, pilot)
        assert isinstance(app.screen, BulkProgressScreen), screen_text(app)
        await settle(app, pilot)
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is report


async def open_notifications_at(app, pilot, notification_id: int) -> None:  # noqa: ANN001
    """The Notifications list, its cursor on one notification."""
    from procmod.tui.screens.notification_list import NotificationListScreen

    app.open_destination("notifications")
    await settle(app, pilot)
    assert isinstance(app.screen, NotificationListScreen)
    table = app.screen.paged.table
    table.move_cursor(row=table.get_row_index(str(notification_id)))
    await pilot.pause()


async def test_enter_on_a_drift_notification_opens_the_modules_report(live) -> None:  # noqa: ANN001
    """The scheduled sync stores its comparison as the module's latest report; Enter on its notification (in
    the list, or on the notification's own screen) opens that report, headed by the notification's text, and
    marks it read; `v` still opens the notification in full."""
    backend, _env = live
    from procmod.core.dto import NotificationFilter, PageRequest
    from procmod.tui.screens.notification_detail import NotificationScreen

    target = module_id(backend, "Namecheap main")
    backend.integrations.sync_services(target)
    latest = backend.reconciliation.latest(target)
    assert latest is not None and latest.drift and latest.started_by == "schedule"
    notifications = backend.notifications.list(NotificationFilter(module_id=target), PageRequest(limit=50)).rows
    newest = max((n for n in notifications if n.kind == "sync_drift"), key=lambda n: (n.created_at, n.id))
    assert newest.description == f"Service sync: {latest.summary}" and newest.unread
    app = make_app(backend, show_pane=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await open_notifications_at(app, pilot, newest.id)
        listing = app.screen
        await pilot.press("enter")
        await settle(app, pilot)
        report = app.screen
        assert isinstance(report, ReconReportScreen), screen_text(app)
        assert report.report is not None and report.report.id == latest.id
        text = screen_text(app)
        assert newest.description in text and "Only on the panel" in text
        unread = {n.id for n in backend.notifications.list(NotificationFilter(module_id=target, unread_only=True),
                                                            PageRequest(limit=50)).rows}
        assert newest.id not in unread  # opened: read, as opening it in full marks it
        await pilot.press("escape", "v")  # the notification in full, still
        await settle(app, pilot)
        assert isinstance(app.screen, NotificationScreen) and app.screen.notification_id == newest.id
        assert newest.description in screen_text(app)
        await pilot.press("enter")  # on its own screen too, Enter opens the report
        await settle(app, pilot)
        assert isinstance(app.screen, ReconReportScreen) and app.screen.report.id == latest.id
        await pilot.press("escape", "escape")
        await pilot.pause()
        assert app.screen is listing


async def test_enter_on_another_notification_opens_it_in_full(demo_backend) -> None:  # noqa: ANN001
    from procmod.core.dto import NotificationFilter, PageRequest
    from procmod.tui.screens.notification_detail import NotificationScreen

    other = next(n for n in demo_backend.notifications.list(NotificationFilter(), PageRequest(limit=50)).rows
                 if n.kind == "low_balance")
    app = make_app(demo_backend, show_pane=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await open_notifications_at(app, pilot, other.id)
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, NotificationScreen) and app.screen.notification_id == other.id
        assert app.screen.check_action("open_report", ()) is False  # no report behind a balance notification


async def test_the_demos_drift_notifications_open_the_report_their_sync_stored(demo_backend) -> None:  # noqa: ANN001
    """The seeded history's drift notifications (the registrars') have the report their sync stored."""
    from procmod.core.dto import NotificationFilter, PageRequest

    drifts = [n for n in demo_backend.notifications.list(NotificationFilter(), PageRequest(limit=50)).rows
              if n.kind == "sync_drift"]
    assert drifts
    app = make_app(demo_backend, show_pane=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        for notification in drifts:
            report = demo_backend.reconciliation.latest(notification.module_id)
            assert report is not None and notification.description == f"Service sync: {report.summary}"
            await open_notifications_at(app, pilot, notification.id)
            await pilot.press("enter")
            await settle(app, pilot)
            assert isinstance(app.screen, ReconReportScreen) and app.screen.report.id == report.id
            await pilot.press("escape", "escape")
            await pilot.pause()

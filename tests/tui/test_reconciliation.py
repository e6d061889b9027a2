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
        await pilot.press("3", "enter")
        await pilot.pause()
        row = app.screen
        assert isinstance(row, ReconRowScreen)
        text = screen_text(app)
        assert "Billing" in text and "Panel" in text and "differs" in text
        if ReconAction.PUSH_BILLING not in row.row.actions:
            pytest.skip(f"the row offers no push: {row.row.actions}")
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


async def test_a_drift_notification_opens_the_modules_report(live) -> None:  # noqa: ANN001
    """The scheduled sync stores its comparison as the module's latest report; its notification opens it."""
    backend, _env = live
    from procmod.core.dto import NotificationFilter, PageRequest
    from procmod.tui.screens.notification_detail import NotificationScreen

    target = module_id(backend, "Namecheap main")
    backend.integrations.sync_services(target)
    latest = backend.reconciliation.latest(target)
    assert latest is not None and latest.drift
    notifications = backend.notifications.list(NotificationFilter(module_id=target), PageRequest(limit=50)).rows
    newest = max((n for n in notifications if n.kind == "sync_drift"), key=lambda n: (n.created_at, n.id))
    assert latest.summary in newest.description
    app = make_app(backend, show_pane=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.push_screen(NotificationScreen(newest.id))
        await pilot.pause()
        await pilot.press("o")
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, ReconReportScreen)
        assert screen.report is not None and screen.report.id == latest.id

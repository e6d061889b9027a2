"""Pilot tests of the reconciliation screens' own behaviour (keys, groups, selection, plan, mapping, refusals)
against an in-memory Reconciliation that keeps the interface of core/reconciliation.py: no panel is read,
so these run fast and the end-to-end tests (test_reconciliation.py) stay about the real thing."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from datetime import datetime

import pytest

from procmod.core.backend import Backend
from procmod.core.clock import DEMO_NOW
from procmod.core.dto import ModuleFilter, Page, PageRequest
from procmod.core.reconciliation import (ActionPlan, ApplyResult, FieldDiff, ModuleDrift, PlanMapping, PlanStep,
                                         ReconAction, ReconGroup, ReconRowView, ReportSummary, ReconciliationError)
from procmod.tui.app import make_app
from procmod.tui.screens.recon_overview import ReconOverviewScreen
from procmod.tui.screens.recon_plan import ReconMappingScreen, ReconPlanScreen
from procmod.tui.screens.recon_report import ReconReportScreen
from procmod.tui.screens.recon_row import ReconRowScreen
from tests.tui.test_integration_screens import screen_text

SIZE = (80, 24)
ACTIONS = {ReconGroup.PANEL_ONLY: (ReconAction.IMPORT,),
           ReconGroup.BILLING_ONLY: (ReconAction.MARK_CLOSED, ReconAction.OPEN_AGAIN),
           ReconGroup.DIFFERENT: (ReconAction.TAKE_PANEL, ReconAction.PUSH_BILLING)}


def _row(row_id: int, group: ReconGroup, key: str) -> ReconRowView:
    billing = "" if group is ReconGroup.PANEL_ONLY else "active"
    panel = "" if group is ReconGroup.BILLING_ONLY else ("suspended" if group is ReconGroup.DIFFERENT else "active")
    fields = (FieldDiff("status", "Status", billing, panel, group is ReconGroup.DIFFERENT),
              FieldDiff("plan", "Plan / tariff", "" if not billing else "Start", "" if not panel else "start", False),
              FieldDiff("address", "Address", "" if not billing else f"{key}.example",
                        "" if not panel else f"{key}.example", False))
    return ReconRowView(row_id, group, key, f"Name {key}", None if group is ReconGroup.PANEL_ONLY else row_id,
                        None if group is ReconGroup.BILLING_ONLY else f"r{row_id}", fields, ACTIONS[group], None)


class FakeReconciliation:
    """The interface of `Reconciliation`, in memory: one module's report with rows in each group."""

    def __init__(self, module_id: int, module_name: str) -> None:
        self.module_id, self.module_name = module_id, module_name
        self.rows_by_id: dict[int, ReconRowView] = {}
        self.reports = 0
        self.mapping: dict[str, int | None] = {"start": None}
        self.applied: list[ActionPlan] = []
        self.fail_read: str | None = None
        #: Objects read after each page the panel answers.
        self.pages: Sequence[int] = (100, 200, 250)
        #: Called between pages (a test moves its clock there).
        self.between_pages: Callable[[], None] = lambda: None

    def reconcile(self, module_id: int, *, guard: object = None, started_by: str | None = None,
                  progress: Callable[[int], None] | None = None) -> ReportSummary:
        if self.fail_read:
            raise ReconciliationError(self.fail_read)
        for read in self.pages:
            self.between_pages()
            if progress:
                progress(read)
        self.reports += 1
        keys = {ReconGroup.PANEL_ONLY: ["web101", "web102", "web103"], ReconGroup.BILLING_ONLY: ["gone201"],
                ReconGroup.DIFFERENT: ["diff301", "diff302"]}
        self.rows_by_id = {}
        for group, names in keys.items():
            for key in names:
                row_id = len(self.rows_by_id) + 1
                self.rows_by_id[row_id] = _row(row_id, group, key)
        return self.report(self.reports)

    def report(self, report_id: int) -> ReportSummary:
        rows = list(self.rows_by_id.values())
        count = lambda g: sum(1 for r in rows if r.group is g and r.resolved is None)  # noqa: E731
        return ReportSummary(report_id, self.module_id, self.module_name, "cpanel", DEMO_NOW, "tester", 250,
                             count(ReconGroup.PANEL_ONLY), count(ReconGroup.BILLING_ONLY),
                             count(ReconGroup.DIFFERENT), sum(1 for r in rows if r.resolved is None), None, 12)

    def latest(self, module_id: int) -> ReportSummary | None:
        return self.report(self.reports) if self.reports and module_id == self.module_id else None

    def rows(self, report_id: int, group: ReconGroup, page: PageRequest = PageRequest(limit=100), *,
             open_only: bool = False) -> Page[ReconRowView]:
        rows = [r for r in self.rows_by_id.values() if r.group is group]
        return Page(rows=rows[page.offset:page.offset + page.limit], total=len(rows), offset=page.offset,
                    limit=page.limit)

    def overview(self, page: PageRequest = PageRequest(limit=100)) -> Page[ModuleDrift]:
        drift = [ModuleDrift(self.module_id, self.module_name, "cpanel", self.latest(self.module_id)),
                 ModuleDrift(self.module_id + 1000, "Never read", "cpanel", None)]
        return Page(rows=drift, total=2, offset=0, limit=page.limit)

    def mappings(self, module_id: int) -> list[PlanMapping]:
        return [PlanMapping(plan, tariff, None, ((7, "Hosting Start"), (8, "Hosting Pro")))
                for plan, tariff in self.mapping.items()]

    def set_mapping(self, module_id: int, panel_plan: str, tariff_id: int | None) -> None:
        self.mapping[panel_plan] = tariff_id

    def plan(self, report_id: int, action: ReconAction, row_ids: Sequence[int]) -> ActionPlan:
        unmapped = ("start",) if action is ReconAction.IMPORT and self.mapping["start"] is None else ()
        steps = tuple(PlanStep(i, self.rows_by_id[i].key, f"{action.title}: {self.rows_by_id[i].key}")
                      for i in row_ids)
        return ActionPlan(report_id, action, steps, unmapped)

    def apply(self, plan: ActionPlan) -> ApplyResult:
        self.applied.append(plan)
        for step in plan.runnable:
            row = self.rows_by_id[step.row_id]
            self.rows_by_id[step.row_id] = dataclasses.replace(row, actions=(), resolved=f"{plan.action.value} by tester")
        return ApplyResult(len(plan.runnable), 0, ())


@pytest.fixture
def fake(demo_backend: Backend, monkeypatch: pytest.MonkeyPatch) -> FakeReconciliation:
    module = demo_backend.modules.list(ModuleFilter(text="cPanel shared-01")).rows[0]
    recon = FakeReconciliation(module.id, module.name)
    monkeypatch.setattr(Backend, "reconciliation", property(lambda self: recon), raising=False)
    return recon


async def _settle(app, pilot) -> None:  # noqa: ANN001
    for _ in range(3):
        await app.workers.wait_for_complete()
        await pilot.pause()


async def test_r_on_the_card_reads_then_shows_the_groups_and_acts_on_a_selection(demo_backend, fake) -> None:  # noqa: ANN001
    app = make_app(demo_backend, show_pane=False, start=f"card:{fake.module_id}")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("R")
        await _settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, ReconReportScreen)
        text = screen_text(app)
        assert "[1 Only on the panel: 3]" in text and "2 Only in the billing: 1" in text
        assert "web101" in text and "[ ]" in text
        # Space selects two rows ([x]), import asks the mapping first, then shows the plan, a applies.
        await pilot.press("space", "space")
        assert "[x]" in screen_text(app) and len(screen.selected) == 2
        await pilot.press("i")
        await _settle(app, pilot)
        assert isinstance(app.screen, ReconMappingScreen)
        app.screen.query_one("#map-0").value = 7
        await pilot.press("ctrl+s")
        await _settle(app, pilot)
        assert fake.mapping == {"start": 7}
        assert isinstance(app.screen, ReconPlanScreen)
        assert "2 row(s) will be done" in screen_text(app)
        await pilot.press("a")
        await _settle(app, pilot)
        assert app.screen is screen
        assert [s.key for s in fake.applied[0].steps] == ["web101", "web102"]
        text = screen_text(app)
        assert "Only on the panel: 1" in text
        assert [screen.paged.table.get_cell(str(r.id), "state").plain for r in screen.paged.rows] == [
            "done", "done", "open"]
        await pilot.press("up")  # the line below the table says what was done to the row highlighted
        await pilot.pause()
        assert "done: import by tester" in screen_text(app)


async def test_groups_switch_by_number_and_tab_and_keys_follow_the_group(demo_backend, fake) -> None:  # noqa: ANN001
    fake.reconcile(fake.module_id)
    app = make_app(demo_backend, show_pane=False, start=f"card:{fake.module_id}")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.push_screen(ReconReportScreen(app.screen.target_module()))
        await _settle(app, pilot)
        screen = app.screen
        assert screen.check_action("recon", ("import",)) is True
        assert screen.check_action("recon", ("take_panel",)) is False
        await pilot.press("3")
        assert screen.group is ReconGroup.DIFFERENT
        # On both: only the fields that differ, billing / panel, under a header that says so.
        assert "Status active / suspended" in screen_text(app)
        assert screen.paged.table.column_labels[-1] == "Differs: billing / panel"
        assert screen.check_action("recon", ("take_panel",)) is True
        await pilot.press("tab")
        assert screen.group is ReconGroup.PANEL_ONLY
        await pilot.press("2", "enter")
        await pilot.pause()
        assert isinstance(app.screen, ReconRowScreen)
        text = screen_text(app)
        assert "gone201" in text and "Billing" in text and "Panel" in text
        await pilot.press("x")  # mark closed from the difference view: its plan
        await _settle(app, pilot)
        assert isinstance(app.screen, ReconPlanScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen


async def test_a_failed_read_says_why(demo_backend, fake) -> None:  # noqa: ANN001
    fake.fail_read = "the panel refused the token"
    app = make_app(demo_backend, show_pane=False, start=f"card:{fake.module_id}")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("R")
        await _settle(app, pilot)
        assert isinstance(app.screen, ReconReportScreen)
        assert "the panel refused the token" in screen_text(app)


async def test_the_overview_opens_a_report_or_offers_to_read(demo_backend, fake) -> None:  # noqa: ANN001
    fake.reconcile(fake.module_id)
    app = make_app(demo_backend, show_pane=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.open_destination("reconciliation")
        await _settle(app, pilot)
        assert isinstance(app.screen, ReconOverviewScreen)
        text = screen_text(app)
        assert "cPanel shared-01" in text and "never" in text
        await pilot.press("enter")
        await _settle(app, pilot)
        assert isinstance(app.screen, ReconReportScreen) and app.screen.report is not None
        await pilot.press("escape", "down", "enter")
        await pilot.pause()
        assert "never reconciled" in screen_text(app)


async def test_keys_in_a_burst_select_in_order_and_plan_once(demo_backend, fake) -> None:  # noqa: ANN001
    """3, Space, Space, t, t typed at once: both rows selected, one plan of both (the second t is not a
    second plan, it arrives while the first is being made or on the plan screen, where t means nothing)."""
    fake.reconcile(fake.module_id)
    app = make_app(demo_backend, show_pane=False, start=f"card:{fake.module_id}")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.push_screen(ReconReportScreen(app.screen.target_module()))
        await _settle(app, pilot)
        report = app.screen
        await pilot.press("3", "space", "space", "t", "t")
        await _settle(app, pilot)
        assert isinstance(app.screen, ReconPlanScreen)
        assert [step.key for step in app.screen.plan.steps] == ["diff301", "diff302"]
        assert sum(isinstance(s, ReconPlanScreen) for s in app.screen_stack) == 1
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is report and len(report.selected) == 2


async def test_read_only_offers_no_action_but_reads(demo_backend, fake) -> None:  # noqa: ANN001
    fake.reconcile(fake.module_id)
    app = make_app(demo_backend, show_pane=False, start=f"card:{fake.module_id}", read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.push_screen(ReconReportScreen(app.screen.target_module()))
        await _settle(app, pilot)
        report = app.screen
        assert report.check_action("recon", ("import",)) is False
        await pilot.press("space", "i")
        await _settle(app, pilot)
        assert app.screen is report and not fake.applied


async def test_the_objects_read_are_counted_a_few_times_a_second_not_on_every_page(
        demo_backend, fake, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    """A panel's pages come every few ms: a repaint of the count for each kept the screen on the 60 fps frame
    grid and a key waited for the next frame (scripts/bench_recon.py). 100 pages 1/64 s apart: a count every
    16 pages (0.25 s), 6 in all."""
    from procmod.tui.screens import recon_report

    clock = [1000.0]
    monkeypatch.setattr(recon_report, "monotonic", lambda: clock[0])
    fake.pages = tuple(range(100, 10_001, 100))
    fake.between_pages = lambda: clock.__setitem__(0, clock[0] + 1 / 64)
    counted: list[int] = []
    monkeypatch.setattr(ReconReportScreen, "on_recon_report_screen_reading",
                        lambda self, event: counted.append(event.objects))
    app = make_app(demo_backend, show_pane=False, start=f"card:{fake.module_id}")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("R")
        await _settle(app, pilot)
        assert isinstance(app.screen, ReconReportScreen) and app.screen.report is not None
    assert counted == [1600, 3200, 4800, 6400, 8000, 9600], counted

"""A reconciliation action's plan, applied on confirm; and the panel plan → tariff mapping asked before an import.

The plan screen lists each chosen row's step (what would be done) and each refusal (why that row is
skipped), like Update configuration: nothing changes until `a` applies it (`Reconciliation.apply`, in a
worker). It then closes with the result, and the report reads its rows again. The mapping form shows each
panel plan not mapped yet with a drop-down of the module's tariffs; ctrl+s saves the mapping (once per
module, audited) and the import is planned again.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import Select, Static

from procmod.core.reconciliation import ActionPlan, ApplyResult, PlanMapping, ReconAction, ReconRowView
from procmod.tui.actions import bindings_for
from procmod.tui.screens.base import ConsoleScreen
from procmod.tui.screens.module_actions import ModuleRef
from procmod.tui.screens.recon_words import error_text


def plan_renderable(plan: ActionPlan) -> Group:
    runnable, refused = len(plan.runnable), len(plan.steps) - len(plan.runnable)
    head = (f"{runnable:,} row(s) will be done" + (f", {refused:,} refused (skipped)" if refused else "")
            + (": a applies, Esc leaves everything as it is." if runnable else ": nothing to apply."))
    table = Table(box=None, padding=(0, 1), show_edge=False, expand=True, header_style="bold")
    table.add_column("", no_wrap=True)
    table.add_column("Key", no_wrap=True)
    table.add_column("What", ratio=1, overflow="fold")
    for step in plan.steps:
        if step.refused is None:
            table.add_row(Text("do"), Text(step.key), Text(step.description))
        else:
            table.add_row(Text("skip", style="bold"), Text(step.key), Text(f"refused: {step.refused}"))
    return Group(Text(head, style="bold"), table)


class ReconPlanScreen(ConsoleScreen):
    SCREEN_ID = "recon_plan"
    BINDINGS = bindings_for("recon_plan")

    @dataclass
    class Applied(Message):
        result: ApplyResult

    @dataclass
    class Failed(Message):
        text: str

    def __init__(self, module: ModuleRef, plan: ActionPlan) -> None:
        super().__init__()
        self.module = module
        self.plan = plan
        self.busy = False

    @property
    def shown_module_id(self) -> int:
        return self.module.id

    def crumbs(self, *, first: bool) -> tuple[str, ...]:
        part = (self.plan.action.title,)
        return ("Integration", "Reconciliation", self.module.name, *part) if first else part

    def compose_content(self) -> ComposeResult:
        yield Static(Text(f"{self.plan.action.title}: {self.module.name}", style="bold"), id="plan-title")
        with VerticalScroll(id="plan-body"):
            yield Static(plan_renderable(self.plan), id="plan-changes")
        yield Static("", id="plan-message")

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#plan-body").focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "apply_plan" and (self.busy or not self.plan.runnable):
            return False
        return super().check_action(action, parameters)

    def action_apply_plan(self) -> None:
        if self.busy or not self.plan.runnable:
            return
        self.busy = True
        self.refresh_bindings()
        self.query_one("#plan-message", Static).update(Text("Applying…"))
        self._apply(self.plan)

    @work(thread=True, group="recon-apply", exit_on_error=False)
    def _apply(self, plan: ActionPlan) -> None:
        try:
            result = self.backend.reconciliation.apply(plan)
        except Exception as error:  # noqa: BLE001 - a refusal (read-only, gone, another operator): in words
            self.post_message(self.Failed(f"Not applied: {error_text(error)}"))
        else:
            self.post_message(self.Applied(result))

    def on_recon_plan_screen_applied(self, event: Applied) -> None:
        self.busy = False
        if event.result.queued:
            self.app.run_jobs()
        self.dismiss(event.result)

    def on_recon_plan_screen_failed(self, event: Failed) -> None:
        self.busy = False
        self.refresh_bindings()
        line = self.query_one("#plan-message", Static)
        line.update(Text(event.text))
        line.add_class("-error")


class ReconMappingScreen(ConsoleScreen):
    """Panel plan → tariff of one module: each plan the import needs, with a drop-down of candidate tariffs."""

    SCREEN_ID = "recon_map"
    IS_FORM = True
    BINDINGS = bindings_for("recon_map")

    def __init__(self, module: ModuleRef, needed: tuple[str, ...]) -> None:
        super().__init__()
        self.module = module
        self.needed = needed
        self.mappings: list[PlanMapping] = []

    @property
    def shown_module_id(self) -> int:
        return self.module.id

    def crumbs(self, *, first: bool) -> tuple[str, ...]:
        part = ("Plan → tariff",)
        return ("Integration", "Reconciliation", self.module.name, *part) if first else part

    def compose_content(self) -> ComposeResult:
        every = self.backend.reconciliation.mappings(self.module.id)
        # The plans the import needs first, then the module's other panel plans (to review them at once).
        self.mappings = sorted(every, key=lambda m: (m.panel_plan not in self.needed, m.panel_plan))
        yield Static(Text(f"Import as which tariff? Each panel plan of {self.module.name} maps to a tariff, once "
                          "per module (ctrl+s saves, Esc leaves)", style="bold"), id="plan-title")
        with VerticalScroll(id="plan-body"):
            for index, mapping in enumerate(self.mappings):
                mark = " (needed)" if mapping.panel_plan in self.needed else ""
                with Horizontal(classes="recon-map-row"):
                    yield Static(Text(f"{mapping.panel_plan or '(no plan)'}{mark}"), classes="recon-map-plan")
                    yield Select([(name, tariff_id) for tariff_id, name in mapping.candidates],
                                 value=mapping.tariff_id if mapping.tariff_id is not None else Select.NULL,
                                 prompt="No tariff", id=f"map-{index}", compact=True)
        yield Static("", id="plan-message")

    def on_mount(self) -> None:
        super().on_mount()
        selects = list(self.query(Select))
        if selects:
            selects[0].focus()
        else:
            self.query_one("#plan-message", Static).update(Text("The report shows no panel plan to map."))

    def chosen(self) -> list[tuple[PlanMapping, int | None]]:
        values = []
        for index, mapping in enumerate(self.mappings):
            value = self.query_one(f"#map-{index}", Select).value
            values.append((mapping, value if isinstance(value, int) else None))
        return values

    @property
    def unsaved_changes(self) -> bool:
        return any(tariff != mapping.tariff_id for mapping, tariff in self.chosen())

    def action_save(self) -> None:
        chosen = self.chosen()
        missing = [m.panel_plan for m, tariff in chosen if tariff is None and m.panel_plan in self.needed]
        recon = self.backend.reconciliation
        try:
            for mapping, tariff in chosen:
                if tariff != mapping.tariff_id:
                    recon.set_mapping(self.module.id, mapping.panel_plan, tariff)
        except Exception as error:  # noqa: BLE001 - read-only, a tariff gone: in words
            line = self.query_one("#plan-message", Static)
            line.update(Text(f"Not saved: {error_text(error)}"))
            line.add_class("-error")
            return
        if missing:
            self.notify(f"Not mapped: {', '.join(missing)}; their rows are refused in the plan.",
                        title="Plan → tariff", severity="warning")
        self.dismiss(True)


class ReconActionFlow:
    """An action key on the report (or a row's view): plan it in a worker, ask the plan → tariff mapping
    when an import needs it, show the plan, and after the apply read the report again (a queued batch then
    shows its progress). Mixed into the report screen, which gives `report`, `module`, `targets`, `say`."""

    @dataclass
    class Planned(Message):
        plan: ActionPlan

    @dataclass
    class PlanFailed(Message):
        text: str

    def action_recon(self, action: str) -> None:
        recon_action = ReconAction(action)
        rows = [row for row in self.targets() if recon_action in row.actions]
        if rows and not self.busy:
            self.start_action(recon_action, rows)

    def start_action(self, action: ReconAction, rows: list[ReconRowView]) -> None:
        if self.report is None:
            return
        self._set_busy(True)
        self.say(f"{action.title}: planning {len(rows):,} row(s)…")
        self._plan(self.report.id, action, [row.id for row in rows])

    @work(thread=True, group="recon-plan", exit_on_error=False)
    def _plan(self, report_id: int, action: ReconAction, row_ids: list[int]) -> None:
        try:
            plan = self.backend.reconciliation.plan(report_id, action, row_ids)
        except Exception as error:  # noqa: BLE001 - a refusal, a gone report: said in words
            self.post_message(self.PlanFailed(f"{action.title}: {error_text(error)}"))
        else:
            self.post_message(self.Planned(plan))

    def on_recon_action_flow_planned(self, event: Planned) -> None:
        self._set_busy(False)
        plan = event.plan
        self.show_selection()
        if plan.unmapped_plans and not self.mapped_once:
            def mapped(saved: bool | None) -> None:
                if saved:  # planned again once: rows still unmapped are then the plan's refusals
                    self.mapped_once = True
                    self._set_busy(True)
                    self._plan(plan.report_id, plan.action, [step.row_id for step in plan.steps])

            self.app.push_screen(ReconMappingScreen(self.module, plan.unmapped_plans), mapped)
            return
        self.mapped_once = False
        self.app.push_screen(ReconPlanScreen(self.module, plan), self.applied)

    def applied(self, result: ApplyResult | None) -> None:
        if result is None:
            return
        from procmod.tui.screens.bulk_progress import BulkProgressScreen

        parts = [f"{result.applied:,} done"] + ([f"{result.queued:,} queued"] if result.queued else [])
        parts += [f"{len(result.skipped):,} skipped"] if result.skipped else []
        self.notify(", ".join(parts) + "".join(f"\n{why}" for why in result.skipped[:3]),
                    title=f"Reconciliation of {self.module.name}")
        self.selected.clear()
        self.load_report()
        if result.batch_id is not None:
            self.app.push_screen(BulkProgressScreen(result.batch_id))

    def on_recon_action_flow_plan_failed(self, event: PlanFailed) -> None:
        self._set_busy(False)
        self.say(event.text, error=True)
        self.notify(event.text, title="Reconciliation", severity="error")

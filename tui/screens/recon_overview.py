"""Integration › Reconciliation: every module's latest reconciliation report, worst first (the most open
drift first; modules never reconciled last), so the whole provider's drift shows at a glance.

Enter opens the module's latest report (a module never reconciled: asks, then reads its panel); `R` reads
the highlighted module's panel now (a new report).
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.widgets import Input, Static

from procmod.core.dto import Page, PageRequest
from procmod.core.formatting import format_time
from procmod.core.reconciliation import ModuleDrift
from procmod.tui.actions import bindings_for
from procmod.tui.screens.list_base import ListScreen
from procmod.tui.screens.module_actions import ModuleRef
from procmod.tui.screens.recon_words import type_title
from procmod.tui.widgets.lines import set_line
from procmod.tui.widgets.paged_table import Column, PagedTable


def _count(drift: ModuleDrift, field: str) -> str:
    return "" if drift.report is None else f"{getattr(drift.report, field):,}"


def _state(drift: ModuleDrift) -> str:
    report = drift.report
    if report is None:
        return "never read"
    return f"incomplete: {report.incomplete}" if report.incomplete else ("no drift" if not report.drift else "")


class ReconOverviewScreen(ListScreen[Any]):
    SCREEN_ID = "reconciliation"
    BINDINGS = bindings_for("reconciliation")

    def columns(self) -> list[Column[Any]]:
        return [
            Column("module", "Module", lambda d: d.module_name),
            Column("type", "Type", lambda d: type_title(d.module_type)),
            Column("read", "Read", lambda d: format_time(d.report.read_at) if d.report else "never"),
            Column("panel_only", "Panel", lambda d: _count(d, "panel_only"), width=7),
            Column("billing_only", "Billing", lambda d: _count(d, "billing_only"), width=7),
            Column("different", "Differ", lambda d: _count(d, "different"), width=7),
            Column("state", "State", _state),
        ]

    def compose_content(self) -> ComposeResult:
        yield Static("", id="filter-line")
        yield Input(id="filter-input", classes="-hidden")
        yield PagedTable(self.columns(), self.fetch, id="list", page_size=self.app.page_size,
                         row_id=lambda d: d.module_id)  # type: ignore[attr-defined]

    def fetch(self, page: PageRequest) -> Page[ModuleDrift]:
        from procmod.core.first_page import FIRST_PAGES

        return FIRST_PAGES["reconciliation"](self.backend, page)

    def describe_filter(self) -> list[str]:
        return []

    def _show_filter(self) -> None:
        set_line(self.query_one("#filter-line", Static),
                 "Latest report of each module, worst first · Enter opens it · R reads again")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "reconcile" and self.paged.selected is None:
            return False
        return super().check_action(action, parameters)

    def open_row(self, row: Any) -> None:
        from procmod.tui.screens.confirm import ConfirmScreen
        from procmod.tui.screens.recon_report import ReconReportScreen

        drift: ModuleDrift = row
        module = ModuleRef(drift.module_id, drift.module_name)
        if drift.report is not None:
            self.app.push_screen(ReconReportScreen(module, report_id=drift.report.id))
            return

        def answered(read: bool | None) -> None:
            if read:
                self.app.push_screen(ReconReportScreen(module, read=True))

        self.app.push_screen(ConfirmScreen(
            f"Reconcile {drift.module_name}?", "It was never reconciled. Its panel is read and compared with the "
            "billing; nothing changes until you apply an action.", confirm_label="Reconcile"), answered)

    def action_reconcile(self) -> None:
        from procmod.tui.screens.recon_report import ReconReportScreen

        drift = self.paged.selected
        if drift is not None:
            self.app.push_screen(ReconReportScreen(ModuleRef(drift.module_id, drift.module_name), read=True))

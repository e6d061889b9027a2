"""One row of a reconciliation report side by side: each compared field, the billing's value, the panel's,
and the word "differs" where they differ (readable without colour). The action keys the row offers act on
it (the report shows the plan first); Esc goes back to the report."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from procmod.core.reconciliation import ReconAction, ReconRowView
from procmod.tui.actions import ACTIONS, bindings_for
from procmod.tui.screens.base import ConsoleScreen
from procmod.tui.screens.module_actions import ModuleRef
from procmod.tui.screens.notification_detail import detail_lines
from procmod.tui.screens.recon_words import field_verdict, row_state


def action_key(action: ReconAction) -> str:
    """The key of a reconciliation action, from the registry (so remaps and the README agree)."""
    return next(a.shown_key for a in ACTIONS if a.action == f"recon('{action.value}')")


def difference_table(row: ReconRowView) -> Table:
    table = Table(box=None, padding=(0, 1), show_edge=False, expand=True, header_style="bold")
    table.add_column("Field", no_wrap=True)
    table.add_column("Billing", ratio=1, overflow="fold")
    table.add_column("Panel", ratio=1, overflow="fold")
    table.add_column("", no_wrap=True)
    for field in row.fields:
        table.add_row(Text(field.label), Text(field.billing or "—"), Text(field.panel or "—"),
                      Text(field_verdict(field), style="bold" if field.differs else ""))
    return table


def row_renderable(row: ReconRowView) -> Group:
    pairs: list[tuple[str, str | Text]] = [("Group", row.group.title), ("Name", row.name or "—"),
                                           ("Service", f"#{row.service_id}" if row.service_id else "— (none)"),
                                           ("Remote id", row.remote_id or "—"), ("State", row_state(row))]
    parts: list[object] = [detail_lines(pairs, label_width=11), Text(""), difference_table(row)]
    if row.actions:
        offered = " · ".join(f"{action_key(a)} {a.title.lower()}" for a in row.actions)
        parts += [Text(""), Text(f"Offered: {offered} (the plan is shown first)")]
    return Group(*parts)


class ReconRowScreen(ConsoleScreen):
    SCREEN_ID = "recon_row"
    BINDINGS = bindings_for("recon_row")

    def __init__(self, module: ModuleRef, row: ReconRowView) -> None:
        super().__init__()
        self.module = module
        self.row = row

    @property
    def shown_module_id(self) -> int:
        return self.module.id

    def crumbs(self, *, first: bool) -> tuple[str, ...]:
        part = (self.row.key,)
        return ("Integration", "Reconciliation", self.module.name, *part) if first else part

    def compose_content(self) -> ComposeResult:
        yield Static(Text(f"{self.row.key}: {self.row.group.title.lower()}", style="bold"), id="recon-row-title")
        with VerticalScroll(id="recon-row-body"):
            yield Static(row_renderable(self.row), id="recon-row-fields")

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#recon-row-body").focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "recon" and ReconAction(str(parameters[0])) not in self.row.actions:
            return False
        return super().check_action(action, parameters)

    def action_recon(self, action: str) -> None:
        if ReconAction(action) in self.row.actions:
            self.dismiss(action)

"""The delete pre-check of a processing module: every blocker, each with a key to the list where it is
fixed (tariffs to re-link or disable, services to delete or transfer, tasks to wait for). Coming back from
a fix checks again; once nothing blocks, Del deletes (after a confirmation)."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from procmod.core.dto import RunResult, ServiceFilter, ServiceStatus, TariffFilter, TaskFilter
from procmod.core.errors import Blocker
from procmod.core.errors import NotFound
from procmod.tui.actions import ACTIONS, bindings_for
from procmod.tui.screens.module_actions import ModuleActions, ModuleRef

#: Blocker kind → the action of this screen that goes where it is fixed.
FIX_ACTIONS = {
    "tariffs": "fix_tariffs",
    "active_services": "fix_active_services",
    "other_services": "fix_other_services",
    "tasks_in_progress": "fix_tasks",
}
_KEY_OF = {a.action: a.shown_key for a in ACTIONS if "delete_check" in a.screens}


class DeleteCheckScreen(ModuleActions):
    SCREEN_ID = "delete_check"
    BINDINGS = bindings_for("delete_check")

    def __init__(self, module: ModuleRef, blockers: list[Blocker]) -> None:
        super().__init__()
        self.module = module
        self.shown_module_id = module.id
        self.blockers = blockers

    def crumbs(self, *, first: bool) -> tuple[str, ...]:
        crumbs = (f"Delete {self.module.name}",)
        return ("Integration", "Processing modules", *crumbs) if first else crumbs

    def compose_content(self) -> ComposeResult:
        yield Static("", id="blockers-title")
        with VerticalScroll(id="blockers"):
            yield Static("", id="blockers-list")
        yield Static("", id="blockers-hint")

    def on_mount(self) -> None:
        self.show_blockers_table()
        self.query_one("#blockers", VerticalScroll).focus()

    def target_module(self) -> ModuleRef | None:
        return self.module

    @property
    def kinds(self) -> set[str]:
        return {b.kind for b in self.blockers}

    def show_blockers_table(self) -> None:
        table = Table.grid(padding=(0, 2))
        table.add_column(no_wrap=True)
        table.add_column()
        for blocker in self.blockers:
            key = _KEY_OF.get(FIX_ACTIONS.get(blocker.kind, ""), "")
            table.add_row(Text(key, style="bold reverse") if key else Text(""), Text(blocker.message))
        self.query_one("#blockers-list", Static).update(table)
        if self.blockers:
            count = "1 thing blocks" if len(self.blockers) == 1 else f"{len(self.blockers)} things block"
            title = f"{self.module.name} cannot be deleted yet: {count} it"
            hint = "Press a row's key to open the list where it is fixed; back here, the check runs again."
        else:
            title = f"Nothing blocks the delete of {self.module.name} any more"
            hint = "Del deletes it (you will be asked first); Esc goes back."
        self.query_one("#blockers-title", Static).update(Text(title))
        self.query_one("#blockers-hint", Static).update(Text(hint))
        self.refresh_bindings()

    def refresh_content(self) -> None:
        self.action_recheck()

    def action_recheck(self) -> None:
        try:
            self.blockers = self.backend.commands.delete_blockers(self.module.id)
        except NotFound as gone:
            self.notify(str(gone), title="Not found", severity="warning")
            self.app.pop_screen()
            return
        self.show_blockers_table()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        kind = next((k for k, a in FIX_ACTIONS.items() if a == action), None)
        if kind is not None and kind not in self.kinds:
            return None
        return super().check_action(action, parameters)

    def action_delete_module(self) -> None:
        """Del: checks again, then deletes (asking first) once nothing blocks; else says why nothing happens."""
        super().action_delete_module()
        if self.blockers and self.app.screen is self:
            count = "1 thing still blocks" if len(self.blockers) == 1 else f"{len(self.blockers)} things still block"
            self.notify(f"{count} {self.module.name} (listed here): fix each with its key first.",
                        title="Nothing was deleted", severity="warning")

    def show_blockers(self, module: ModuleRef, blockers: list[Blocker]) -> None:
        self.blockers = blockers  # already the pre-check of this module: show them here
        self.show_blockers_table()

    # ------------------------------------------------------------------ where each blocker is fixed

    def action_fix_tariffs(self) -> None:
        from procmod.tui.screens.tariff_list import TariffListScreen

        self.app.push_screen(TariffListScreen(TariffFilter(module_id=self.module.id)))

    def action_fix_active_services(self) -> None:
        from procmod.tui.screens.service_list import ServiceListScreen

        self.app.push_screen(ServiceListScreen(ServiceFilter(module_id=self.module.id, status=ServiceStatus.ACTIVE)))

    def action_fix_other_services(self) -> None:
        from procmod.tui.screens.service_list import ServiceListScreen

        self.app.push_screen(ServiceListScreen(ServiceFilter(module_id=self.module.id)))

    def action_fix_tasks(self) -> None:
        from procmod.tui.screens.task_list import TaskListScreen

        self.app.push_screen(TaskListScreen(TaskFilter(module_id=self.module.id, result=RunResult.IN_PROGRESS)))

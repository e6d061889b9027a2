"""Integration › Processing modules: every module with its type, placement, status and counts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from procmod.core.dto import ModuleFilter, ModuleRow, ModuleStatus, Page, PageRequest
from procmod.core.moduletypes import MODULE_TYPES
from procmod.tui.actions import bindings_for
from procmod.tui.screens.list_base import ListScreen, cycle
from procmod.tui.screens.module_actions import ModuleActions, ModuleRef
from procmod.tui.widgets.health_badge import health_cell
from procmod.tui.widgets.paged_table import Column

if TYPE_CHECKING:
    from procmod.tui.messages import SchedulerActivity


class ModuleListScreen(ListScreen[ModuleFilter], ModuleActions):
    SCREEN_ID = "modules"
    FILTER_TYPE = ModuleFilter
    BINDINGS = bindings_for("modules")

    def on_scheduler_activity(self, message: SchedulerActivity) -> None:
        """Runs of modules shown ended: their health and unread counts are rewritten (by key, no reload)."""
        if message.module_ids & {row.id for row in self.paged.rows}:
            self.paged.refresh_rows()

    def columns(self) -> list[Column[Any]]:
        return [
            Column("name", "Name", lambda r: r.name),
            # Right after the name, so the last connection check shows at 80 columns.
            Column("health", "Health", self._health),
            Column("status", "Status", lambda r: r.status.label),
            Column("type", "Type", lambda r: r.module_type_title),
            Column("datacenter", "Data center", lambda r: r.datacenter_name),
            Column("department", "Department", lambda r: r.department_name),
            Column("priority", "Priority", lambda r: r.sort_priority),
            Column("tariffs", "Tariffs", lambda r: f"{r.tariff_count:,}"),
            Column("active", "Active services", lambda r: f"{r.active_service_count:,}"),
        ]

    def _health(self, row: ModuleRow) -> Any:
        return health_cell(row.health_ok, row.health_checked_at, self.app.now())

    def fetch(self, page: PageRequest) -> Page[ModuleRow]:
        return self.backend.modules.list(self.filter, page)

    def describe_filter(self) -> list[str]:
        parts = super().describe_filter()
        if self.filter.module_type:
            mtype = MODULE_TYPES.get(self.filter.module_type)
            parts.append(f"type {mtype.title if mtype else self.filter.module_type}")
        # Opened from a data center's or a department's card or delete pre-check.
        if self.filter.datacenter_id is not None:
            parts.append(f"data center {self.backend.reference.card_title('datacenter', self.filter.datacenter_id)}")
        if self.filter.department_id is not None:
            parts.append(f"department {self.backend.reference.card_title('department', self.filter.department_id)}")
        return parts

    def action_cycle_status(self) -> None:
        self.set_filter(status=cycle(list(ModuleStatus), self.filter.status))

    def action_cycle_type(self) -> None:
        self.set_filter(module_type=cycle(list(MODULE_TYPES), self.filter.module_type))

    def open_row(self, row: ModuleRow) -> None:
        self.app.open_card(row.id)

    def target_module(self) -> ModuleRef | None:
        row = self.paged.selected
        return ModuleRef(row.id, row.name) if row is not None else None

    def action_add_module(self) -> None:
        from procmod.tui.screens.module_wizard import AddModuleScreen

        self.app.push_screen(AddModuleScreen())

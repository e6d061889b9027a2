"""Integration › Data centers and Provider › Departments: short lists filtered by name only."""

from __future__ import annotations

from typing import Any

from procmod.core.dto import DataCenterRow, DepartmentRow, Page, PageRequest
from procmod.tui.actions import bindings_for
from procmod.tui.screens.list_base import ListScreen, TextFilter
from procmod.tui.widgets.paged_table import Column


class DataCenterListScreen(ListScreen[TextFilter]):
    SCREEN_ID = "datacenters"
    BINDINGS = bindings_for("datacenters")

    def columns(self) -> list[Column[Any]]:
        return [
            Column("name", "Name", lambda r: r.name),
            Column("external", "External id", lambda r: r.external_id),
            Column("modules", "Processing modules", lambda r: f"{r.module_count:,}"),
        ]

    def fetch(self, page: PageRequest) -> Page[DataCenterRow]:
        return self.backend.provider.datacenters(page, text=self.filter.text)


class DepartmentListScreen(ListScreen[TextFilter]):
    SCREEN_ID = "departments"
    BINDINGS = bindings_for("departments")

    def columns(self) -> list[Column[Any]]:
        return [
            Column("name", "Name", lambda r: r.name),
            Column("modules", "Processing modules", lambda r: f"{r.module_count:,}"),
        ]

    def fetch(self, page: PageRequest) -> Page[DepartmentRow]:
        return self.backend.provider.departments(page, text=self.filter.text)

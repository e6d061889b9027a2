"""Products › Services, filterable by tariff, processing module, status and name."""

from __future__ import annotations

from typing import Any

from procmod.core.dto import Page, PageRequest, ServiceFilter, ServiceRow, ServiceStatus
from procmod.core.formatting import format_time
from procmod.tui.actions import bindings_for
from procmod.tui.screens.list_base import ListScreen, cycle
from procmod.tui.widgets.paged_table import Column


class ServiceListScreen(ListScreen[ServiceFilter]):
    SCREEN_ID = "services"
    FILTER_TYPE = ServiceFilter
    BINDINGS = bindings_for("services")

    def columns(self) -> list[Column[Any]]:
        return [
            Column("name", "Name", lambda r: r.name),
            Column("status", "Status", lambda r: r.status.label),
            Column("tariff", "Tariff", lambda r: r.tariff_name),
            Column("module", "Processing module", lambda r: r.module_name),
            Column("remote", "Remote id", lambda r: r.remote_id),
            Column("created", "Created", lambda r: format_time(r.created_at)),
        ]

    def fetch(self, page: PageRequest) -> Page[ServiceRow]:
        return self.backend.services.list(self.filter, page)

    def action_cycle_status(self) -> None:
        self.set_filter(status=cycle(list(ServiceStatus), self.filter.status))

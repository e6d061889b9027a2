"""Integration › Data centers and Provider › Departments: lists filtered by name; `a` adds, Enter opens the
card, `e` edits, Del deletes after the pre-check (the shared kit: screens/reference_kit.py)."""

from __future__ import annotations

from typing import Any

from procmod.core.dto import DataCenterRow, DepartmentRow, Page, PageRequest
from procmod.core.errors import NotFound
from procmod.tui.actions import bindings_for
from procmod.tui.screens.list_base import ListScreen, TextFilter
from procmod.tui.screens.reference_kit import RecordRef, ReferenceActions
from procmod.tui.widgets.paged_table import Column


class ReferenceListScreen(ListScreen[TextFilter], ReferenceActions):
    """A list of one reference entity; subclasses give SPEC, columns and fetch."""

    def selected_record(self) -> RecordRef | None:
        row = self.paged.selected
        return RecordRef(row.id, row.name) if row is not None else None

    def record_gone(self) -> None:
        self.paged.reload()

    def open_row(self, row: Any) -> None:
        from procmod.tui.screens.reference_card import ReferenceCardScreen

        try:
            card = self.backend.reference.card(self.SPEC, row.id)
        except NotFound as gone:
            self.notify(str(gone), title="Not found", severity="warning")
            self.paged.reload()
            return
        self.app.push_screen(ReferenceCardScreen(self.SPEC, card))


class DataCenterListScreen(ReferenceListScreen):
    SCREEN_ID = "datacenters"
    SPEC_KIND = "datacenter"
    BINDINGS = bindings_for("datacenters")

    def columns(self) -> list[Column[Any]]:
        return [
            Column("name", "Name", lambda r: r.name),
            Column("code", "Short name", lambda r: r.code),
            Column("location", "Location", lambda r: r.location),
            Column("external", "External id", lambda r: r.external_id),
            Column("modules", "Processing modules", lambda r: f"{r.module_count:,}"),
        ]

    def fetch(self, page: PageRequest) -> Page[DataCenterRow]:
        return self.backend.provider.datacenters(page, text=self.filter.text)


class DepartmentListScreen(ReferenceListScreen):
    SCREEN_ID = "departments"
    SPEC_KIND = "department"
    BINDINGS = bindings_for("departments")

    def columns(self) -> list[Column[Any]]:
        return [
            Column("name", "Name", lambda r: r.name),
            Column("email", "E-mail", lambda r: r.email),
            Column("notify", "Notifications to", lambda r: r.notify_email or r.email),
            Column("modules", "Processing modules", lambda r: f"{r.module_count:,}"),
        ]

    def fetch(self, page: PageRequest) -> Page[DepartmentRow]:
        return self.backend.provider.departments(page, text=self.filter.text)

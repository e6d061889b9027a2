"""Products › Tariff plans, filterable by processing module, status and name (or one tariff, from a card)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual import work
from textual.message import Message

from procmod.core.dto import Page, PageRequest, ServiceFilter, TariffFilter, TariffRow, TariffStatus
from procmod.core.formatting import format_money
from procmod.core.errors import NotFound
from procmod.core.validation import ValidationError
from procmod.tui.actions import bindings_for
from procmod.tui.screens.list_base import ListScreen, cycle
from procmod.tui.screens.reference_kit import RecordRef, ReferenceActions
from procmod.tui.widgets.paged_table import Column

#: How the price column names a period (core/reference.py TARIFF_PERIODS; not imported: SQLAlchemy with it).
_PER = {"month": "month", "quarter": "quarter", "half_year": "half-year", "year": "year", "once": "once"}


class TariffListScreen(ListScreen[TariffFilter], ReferenceActions):
    SCREEN_ID = "tariffs"
    SPEC_KIND = "tariff"
    FILTER_TYPE = TariffFilter
    BINDINGS = bindings_for("tariffs")

    def columns(self) -> list[Column[Any]]:
        return [
            Column("name", "Name", lambda r: r.name),
            Column("product", "Product type", lambda r: r.product_type_name),
            Column("status", "Status", lambda r: r.status.label),
            Column("price", "Price", lambda r: f"{format_money(r.price)}/{_PER.get(r.period, r.period)}"),
            Column("modules", "Processing modules", lambda r: ", ".join(r.module_names) or "—"),
            Column("active", "Active services", lambda r: f"{r.active_service_count:,}"),
        ]

    def fetch(self, page: PageRequest) -> Page[TariffRow]:
        return self.backend.tariffs.list(self.filter, page)

    def action_cycle_status(self) -> None:
        self.set_filter(status=cycle(list(TariffStatus), self.filter.status))

    def open_row(self, row: TariffRow) -> None:
        """A tariff opens its services (on the module this list is filtered by, if any)."""
        from procmod.tui.screens.service_list import ServiceListScreen

        self.app.push_screen(ServiceListScreen(ServiceFilter(tariff_id=row.id, module_id=self.filter.module_id)))

    # ------------------------------------------------------------------ Add, Edit (the kit), Archive

    def selected_record(self) -> RecordRef | None:
        row = self.paged.selected
        return RecordRef(row.id, row.name) if row is not None else None

    def record_gone(self) -> None:
        self.paged.reload()

    def action_archive_tariff(self) -> None:
        from procmod.tui.screens.confirm import ConfirmScreen

        row = self.paged.selected
        if row is None or row.status is TariffStatus.ARCHIVED:
            return

        def answered(archive: bool | None) -> None:
            if archive:
                self._set_status(row, TariffStatus.ARCHIVED)

        self.app.push_screen(ConfirmScreen(f"Archive the tariff plan {row.name}?",
                                           "It is no longer sold; its services and links are kept.",
                                           confirm_label="Archive"), answered)

    # ------------------------------------------------------------------ Modules, Enable, Disable

    @dataclass
    class StatusSet(Message):
        text: str
        error: bool

    def action_link_modules(self) -> None:
        from procmod.tui.screens.tariff_modules import TariffModulesScreen

        row = self.paged.selected
        if row is None:
            return

        def saved(done: bool | None) -> None:
            if done:
                self.notify(f"Linked modules of {row.name} saved", title="Tariff plans")
                self.paged.reload()

        self.app.push_screen(TariffModulesScreen(row), saved)

    def action_enable_tariff(self) -> None:
        if (row := self.paged.selected) is not None:
            self._set_status(row, TariffStatus.ACTIVE)

    def action_disable_tariff(self) -> None:
        if (row := self.paged.selected) is not None:
            self._set_status(row, TariffStatus.DISABLED)

    @work(thread=True, group="lifecycle", exit_on_error=False)
    def _set_status(self, row: TariffRow, status: TariffStatus) -> None:
        try:
            if status is TariffStatus.ARCHIVED:
                self.backend.reference.archive_tariff(row.id)
            else:
                self.backend.commands.set_tariff_status(row.id, status)
        except ValidationError as invalid:
            self.post_message(self.StatusSet(f"{row.name}: " + "; ".join(invalid.errors.values()), True))
        except NotFound as gone:
            self.post_message(self.StatusSet(str(gone), True))
        else:
            self.post_message(self.StatusSet(f"{row.name} is now {status.label}", False))

    def on_tariff_list_screen_status_set(self, event: StatusSet) -> None:
        self.notify(event.text, title="Tariff plans", severity="error" if event.error else "information")
        self.paged.reload()

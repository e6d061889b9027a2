"""Products › Services, filterable by tariff, processing module, status and name.

Enter opens a service's card. Space selects rows and `*` selects every service matching the filter; the
operation keys (tui/screens/service_ops.py) then act on the selection as one bulk operation, else on the
highlighted row.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.app import ComposeResult
from textual.widgets import Static

from procmod.core.dto import Page, PageRequest, ServiceFilter, ServiceRow, ServiceStatus
from procmod.core.formatting import format_time
from procmod.tui.actions import bindings_for
from procmod.tui.screens.list_base import ListScreen, cycle
from procmod.tui.screens.service_ops import ServiceOperationKeys
from procmod.tui.widgets.lines import set_line
from procmod.tui.widgets.paged_table import Column

if TYPE_CHECKING:
    from procmod.core.services import Selection
    from procmod.tui.messages import JobActivity

SELECTED_MARK = "●"


class ServiceListScreen(ServiceOperationKeys, ListScreen[ServiceFilter]):
    SCREEN_ID = "services"
    FILTER_TYPE = ServiceFilter
    BINDINGS = bindings_for("services")

    def __init__(self, fixed: ServiceFilter | None = None) -> None:
        super().__init__(fixed)
        self.selected_ids: set[int] = set()
        #: "Select all": every service matching this filter (at the time of the key) is selected.
        self.selected_filter: ServiceFilter | None = None

    def columns(self) -> list[Column[Any]]:
        return [
            Column("sel", " ", lambda r: self._mark(r.id), width=1),
            Column("name", "Name", lambda r: r.name),
            Column("status", "Status", lambda r: r.status.label),
            Column("tariff", "Tariff", lambda r: r.tariff_name),
            Column("module", "Processing module", lambda r: r.module_name),
            Column("remote", "Remote id", lambda r: r.remote_id),
            Column("created", "Created", lambda r: format_time(r.created_at)),
        ]

    def compose_content(self) -> ComposeResult:
        yield from super().compose_content()
        line = Static("", id="selection-line")
        line.display = False
        yield line

    def fetch(self, page: PageRequest) -> Page[ServiceRow]:
        return self.backend.services.list(self.filter, page)

    def action_cycle_status(self) -> None:
        self.set_filter(status=cycle(list(ServiceStatus), self.filter.status))

    def open_row(self, row: Any) -> None:
        self.app.open_service(row.id)

    # ------------------------------------------------------------------ selection

    def _mark(self, service_id: int) -> str:
        return SELECTED_MARK if self.selected_filter is not None or service_id in self.selected_ids else " "

    def target_service(self) -> tuple[int, str] | None:
        row = self.paged.selected
        return None if row is None else (row.id, row.name)

    def selection(self) -> Selection | None:
        from procmod.core.services import Selection

        if self.selected_filter is not None:
            return Selection(filter=self.selected_filter)
        return Selection(ids=frozenset(self.selected_ids)) if self.selected_ids else None

    def action_toggle_select(self) -> None:
        row = self.paged.selected
        if row is None:
            return
        if self.selected_filter is not None:  # from "all matching" to an explicit choice: start from this page
            self.selected_filter = None
            self.selected_ids = {r.id for r in self.paged.rows}
        self.selected_ids ^= {row.id}
        self._show_selection()
        table = self.paged.table
        table.move_cursor(row=min(table.cursor_row + 1, table.row_count - 1))

    def action_select_all(self) -> None:
        if self.selected_filter is not None or self.selected_ids:
            self.selected_filter, self.selected_ids = None, set()
        else:
            self.selected_filter = self.filter
        self._show_selection()

    def _show_selection(self) -> None:
        table = self.paged.table
        for row in self.paged.rows:
            table.update_cell(str(row.id), "sel", self._mark(row.id))
        line = self.query_one("#selection-line", Static)
        if self.selected_filter is not None:
            total = self.paged.page.total
            count = f"{total:,}{'+' if self.paged.page.total_is_lower_bound else ''}"
            set_line(line, f"Selected: all {count} matching the filter · o p r Del t act on them · * selects none")
        elif self.selected_ids:
            set_line(line, f"Selected: {len(self.selected_ids):,} · o p r Del t act on them · * selects none")
        line.display = self.selected_filter is not None or bool(self.selected_ids)

    def requery(self) -> None:
        super().requery()
        if getattr(self, "selected_filter", None) is not None and self.selected_filter != self.filter:
            self.selected_filter = None  # "all matching" meant the filter it was chosen with
            self._show_selection()

    def bulk_started(self) -> None:
        self.selected_filter, self.selected_ids = None, set()
        self._show_selection()

    def on_job_activity(self, message: JobActivity) -> None:
        shown = {row.id for row in self.paged.rows}
        if shown & message.service_ids:
            self.paged.refresh_rows()

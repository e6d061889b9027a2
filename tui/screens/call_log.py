"""The call log of a processing module: every API call its driver made, newest first, a page at a time.

URLs were masked (secrets by key name) before they were stored; nothing here unmasks them. Status and
duration come right after the operation so they show at 80 columns; the URL and the error follow.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from procmod.core.dto import ApiCallRow, Page, PageRequest
from procmod.core.formatting import format_time
from procmod.tui.actions import bindings_for
from procmod.tui.screens.base import ConsoleScreen
from procmod.tui.screens.module_actions import ModuleRef
from procmod.tui.widgets.lines import set_line
from procmod.tui.widgets.paged_table import Column, PagedTable


def _status(row: ApiCallRow) -> str:
    return "no answer" if row.status is None else str(row.status)


CALL_COLUMNS: list[Column[ApiCallRow]] = [
    Column("at", "Time", lambda r: format_time(r.at)),
    Column("operation", "Operation", lambda r: r.operation),
    Column("status", "Status", _status),
    Column("duration", "Duration", lambda r: f"{r.duration_ms:,} ms"),
    Column("method", "Method", lambda r: r.method),
    Column("url", "URL", lambda r: r.url),
    Column("error", "Error", lambda r: r.error or ""),
]


class CallLogScreen(ConsoleScreen):
    SCREEN_ID = "calls"
    AUTO_FOCUS = "#calls > RowTable"
    BINDINGS = bindings_for("calls")

    def __init__(self, module: ModuleRef) -> None:
        super().__init__()
        self.module = module

    @property
    def shown_module_id(self) -> int:
        return self.module.id

    def crumbs(self, *, first: bool) -> tuple[str, ...]:
        part = ("Call log",)
        return ("Integration", "Processing modules", self.module.name, *part) if first else part

    def compose_content(self) -> ComposeResult:
        yield Static("", id="calls-title")
        yield PagedTable(CALL_COLUMNS, self.fetch, id="calls")

    @property
    def paged(self) -> PagedTable:
        return self.query_one(PagedTable)

    def fetch(self, page: PageRequest) -> Page[ApiCallRow]:
        return self.backend.integrations.call_log(self.module.id, page)

    def on_mount(self) -> None:
        self.paged.load()
        self._title(self.paged.page)  # now, not when the page's message arrives: one layout, one frame

    def _title(self, page: Page[ApiCallRow]) -> None:
        title = (f"API calls of {self.module.name}, newest first (secrets masked)" if page.total else
                 f"No API calls of {self.module.name} recorded yet: c on its card checks the connection")
        set_line(self.query_one("#calls-title", Static), title)

    def refresh_content(self) -> None:
        self.paged.reload()

    def on_paged_table_page_loaded(self, event: PagedTable.PageLoaded) -> None:
        self._title(event.page)

    def action_next_page(self) -> None:
        self.paged.next_page()

    def action_previous_page(self) -> None:
        self.paged.previous_page()

    def action_reload(self) -> None:
        self.paged.reload()

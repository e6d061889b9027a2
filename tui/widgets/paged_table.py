"""A RowTable over a paged query: it holds one page of rows, never the whole table.

The owner gives a fetch function `(PageRequest) -> Page[Row]` and the columns; row keys are the rows'
ids. `]`/`[` (the screen's bindings call `next_page`/`previous_page`), or down (and page down) on the
last row and up (and page up) on the first, move page by page. The position (`101–200 of 2,140`) is
shown under the table. A page load and a live refresh are each one `RowTable.set_rows`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Static

from procmod.core.paging import Page, PageRequest
from procmod.core.first_page import PAGE_SIZE
from procmod.tui.widgets.row_table import RowTable
from procmod.tui.widgets.lines import set_line

RowT = TypeVar("RowT")

DEFAULT_PAGE_SIZE = PAGE_SIZE  # core/first_page.py reads the start list's first page with it


@dataclass(frozen=True)
class Column(Generic[RowT]):
    """A column: its key, its header and how a row's cell reads (plain text, never markup)."""

    key: str
    label: str
    value: Callable[[RowT], Any]
    width: int | None = None


class _PageRowTable(RowTable):
    """A RowTable that asks its PagedTable for the next/previous page at its edges (down, up, page keys)."""

    def __init__(self, owner: PagedTable, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._owner = owner

    def _at_last_row(self) -> bool:
        return bool(self.row_count) and self.cursor_row >= self.row_count - 1 and self._owner.page.has_next

    def _at_first_row(self) -> bool:
        return self.cursor_row <= 0 and self._owner.page.has_previous

    def action_cursor_down(self) -> None:
        if self._at_last_row():
            self._owner.next_page()
        else:
            super().action_cursor_down()

    def action_cursor_up(self) -> None:
        if self._at_first_row():
            self._owner.previous_page(cursor_at_end=True)
        else:
            super().action_cursor_up()

    def action_page_down(self) -> None:
        if self._at_last_row():
            self._owner.next_page()
        else:
            super().action_page_down()

    def action_page_up(self) -> None:
        if self._at_first_row():
            self._owner.previous_page()
        else:
            super().action_page_up()


class PagedTable(Vertical, Generic[RowT]):
    """One page of a list in a RowTable, with its position and page-by-page moves."""

    DEFAULT_CSS = """
    PagedTable {
        height: 1fr;
    }
    PagedTable > RowTable {
        height: 1fr;
    }
    PagedTable > .paged-table--position {
        height: 1;
        padding: 0 1;
        color: $text-muted;
        background: $panel;
    }
    """

    class RowChosen(Message):
        """Enter on a row: the row's DTO."""

        def __init__(self, table: PagedTable, row: Any) -> None:
            super().__init__()
            self.table = table
            self.row = row

        @property
        def control(self) -> PagedTable:
            return self.table

    class PageLoaded(Message):
        def __init__(self, table: PagedTable, page: Page[Any]) -> None:
            super().__init__()
            self.table = table
            self.page = page

        @property
        def control(self) -> PagedTable:
            return self.table

    def __init__(
        self,
        columns: list[Column[RowT]],
        fetch: Callable[[PageRequest], Page[RowT]],
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
        row_id: Callable[[RowT], int] = lambda row: row.id,  # type: ignore[attr-defined]
        id: str | None = None,  # noqa: A002 - Textual's name
    ) -> None:
        super().__init__(id=id)
        self._columns = columns
        self._fetch = fetch
        self._row_id = row_id
        self._request = PageRequest(limit=page_size)
        self.page: Page[RowT] = Page(rows=[], total=0, offset=0, limit=page_size)
        self._rows_by_key: dict[str, RowT] = {}

    def compose(self) -> ComposeResult:
        table = _PageRowTable(self, zebra_stripes=True)
        for column in self._columns:
            table.add_column(column.label, key=column.key, width=column.width)
        yield table
        yield Static("", classes="paged-table--position")

    @property
    def table(self) -> RowTable:
        return self.query_one(_PageRowTable)

    @property
    def rows(self) -> list[RowT]:
        """The rows of the page shown, in order."""
        return list(self.page.rows)

    @property
    def selected(self) -> RowT | None:
        key = self.table.cursor_key
        return None if key is None else self._rows_by_key.get(key)

    def set_fetch(self, fetch: Callable[[PageRequest], Page[RowT]]) -> None:
        """A new query (filters changed): back to the first page."""
        self._fetch = fetch
        self._request = self._request.first()
        self.load()

    def show_page(self, fetch: Callable[[PageRequest], Page[RowT]], page: Page[RowT]) -> None:
        """Show `page`, read elsewhere, as the first page of `fetch` (which reads the pages after it)."""
        self._fetch = fetch
        self._request = self._request.first()
        self._show(page, keep_key=None, cursor_at_end=False)

    def reload(self) -> None:
        """The same page again, keeping the cursor on the same row when it is still there."""
        selected = self.selected
        self.load(keep_key=str(self._row_id(selected)) if selected is not None else None)

    def refresh_rows(self) -> None:
        """Live update: read the page shown again and give the table its rows in one `set_rows`.

        The table repaints only rows whose key or cells changed and leaves the cursor on its row; nothing
        is cleared, so a scheduler may call this on every burst of events.
        """
        page = self._fetch(self._request)
        if not page.rows and page.total and self._request.offset:
            self.load()  # the page emptied under us: show the last one
            return
        self._rows_by_key = self._keyed(page.rows)
        self.table.set_rows(self._table_rows())
        self.page = page
        set_line(self.query_one(".paged-table--position", Static), self.position_text())

    def next_page(self) -> None:
        if self.page.has_next:
            self._request = self._request.next(self.page)
            self.load()

    def previous_page(self, *, cursor_at_end: bool = False) -> None:
        if self.page.has_previous:
            self._request = self._request.previous(self.page)
            self.load(cursor_at_end=cursor_at_end)

    def load(self, *, keep_key: str | None = None, cursor_at_end: bool = False) -> None:
        page = self._fetch(self._request)
        if not page.rows and page.total and self._request.offset:
            # The list shrank under us (rows deleted or filtered): show its last page instead.
            self._request = self._request.at((page.total - 1) // self._request.limit * self._request.limit)
            page = self._fetch(self._request)
        self._show(page, keep_key=keep_key, cursor_at_end=cursor_at_end)

    def _show(self, page: Page[RowT], *, keep_key: str | None, cursor_at_end: bool) -> None:
        self.page = page
        self._rows_by_key = self._keyed(page.rows)
        keys = list(self._rows_by_key)
        if keep_key is not None and keep_key in self._rows_by_key:
            cursor = keys.index(keep_key)
        else:
            cursor = len(keys) - 1 if cursor_at_end else 0
        self.table.set_rows(self._table_rows(), cursor_row=cursor)
        set_line(self.query_one(".paged-table--position", Static), self.position_text())
        self.post_message(self.PageLoaded(self, page))

    def _keyed(self, rows: list[RowT]) -> dict[str, RowT]:
        """The rows by their table key (the row id as a string), in the page's order."""
        return {str(self._row_id(row)): row for row in rows}

    def _table_rows(self) -> list[tuple[str, list[Any]]]:
        """The rows held as the table takes them, `(key, cells)`; the table reads cells as plain text, so a
        tariff named `[bold]` is not read as markup."""
        return [(key, [column.value(row) for column in self._columns]) for key, row in self._rows_by_key.items()]

    def position_text(self) -> str:
        page = self.page
        if not page.total:
            return "No rows"
        moves = []
        if page.has_previous:
            moves.append("[ previous")
        if page.has_next:
            moves.append("] next")
        return page.position + (f"  ·  {'  '.join(moves)}" if moves else "")

    def on_row_table_row_selected(self, event: RowTable.RowSelected) -> None:
        event.stop()
        row = self._rows_by_key.get(event.row_key)
        if row is not None:
            self.post_message(self.RowChosen(self, row))

"""A DataTable over a paged query: it holds one page of rows, never the whole table.

The owner gives a fetch function `(PageRequest) -> Page[Row]` and the columns; row keys are the rows'
ids. `]`/`[` (the screen's bindings call `next_page`/`previous_page`), or down on the last row and up on
the first, move page by page. The position (`101–200 of 2,140`) is shown under the table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable, Static

from core.dto import Page, PageRequest

RowT = TypeVar("RowT")

DEFAULT_PAGE_SIZE = 100


@dataclass(frozen=True)
class Column(Generic[RowT]):
    """A column: its key, its header and how a row's cell reads (plain text, never markup)."""

    key: str
    label: str
    value: Callable[[RowT], Any]
    width: int | None = None


class _PageDataTable(DataTable):
    """A DataTable that asks its PagedTable for the next/previous page at its edges."""

    def __init__(self, owner: PagedTable, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._owner = owner

    def action_cursor_down(self) -> None:
        if self.row_count and self.cursor_row >= self.row_count - 1 and self._owner.page.has_next:
            self._owner.next_page()
            return
        super().action_cursor_down()

    def action_cursor_up(self) -> None:
        if self.cursor_row <= 0 and self._owner.page.has_previous:
            self._owner.previous_page(cursor_at_end=True)
            return
        super().action_cursor_up()


class PagedTable(Vertical, Generic[RowT]):
    """One page of a list in a DataTable, with its position and page-by-page moves."""

    DEFAULT_CSS = """
    PagedTable {
        height: 1fr;
    }
    PagedTable > DataTable {
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
        self._request = PageRequest(offset=0, limit=page_size)
        self.page: Page[RowT] = Page(rows=[], total=0, offset=0, limit=page_size)
        self._rows_by_key: dict[str, RowT] = {}

    def compose(self) -> ComposeResult:
        table = _PageDataTable(self, cursor_type="row", zebra_stripes=True)
        for column in self._columns:
            table.add_column(column.label, key=column.key, width=column.width)
        yield table
        yield Static("", classes="paged-table--position")

    @property
    def table(self) -> DataTable:
        return self.query_one(_PageDataTable)

    @property
    def rows(self) -> list[RowT]:
        """The rows of the page shown, in order."""
        return list(self.page.rows)

    @property
    def selected(self) -> RowT | None:
        table = self.table
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return self._rows_by_key.get(key or "")

    def set_fetch(self, fetch: Callable[[PageRequest], Page[RowT]]) -> None:
        """A new query (filters changed): back to the first page."""
        self._fetch = fetch
        self._request = PageRequest(0, self._request.limit, self._request.sort, self._request.descending)
        self.load()

    def reload(self) -> None:
        """The same page again, keeping the cursor on the same row when it is still there."""
        selected = self.selected
        self.load(keep_key=str(self._row_id(selected)) if selected is not None else None)

    def refresh_rows(self) -> None:
        """Live update: read the page shown again and change the table by row key in one `batch_update()`.

        Rows gone are removed, new ones added, changed cells rewritten, the page's order kept and the cursor
        left on its row; nothing is cleared, so a scheduler may call this on every burst of events.
        """
        page = self._fetch(self._request)
        if not page.rows and page.total and self._request.offset:
            self.load()  # the page emptied under us: show the last one
            return
        table = self.table
        selected = self.selected
        keep = str(self._row_id(selected)) if selected is not None else None
        fresh = {str(self._row_id(row)): row for row in page.rows}
        added = False
        with self.app.batch_update():
            for key in [k for k in self._rows_by_key if k not in fresh]:
                table.remove_row(key)
            for key, row in fresh.items():
                old = self._rows_by_key.get(key)
                if old is not None and old == row:
                    continue
                cells = [self._cell(column.value(row)) for column in self._columns]
                if old is None:
                    table.add_row(*cells, key=key)
                    added = True
                else:
                    for column, cell in zip(self._columns, cells):
                        table.update_cell(key, column.key, cell)
            if added and len(fresh) > 1:
                # New rows went to the bottom: put the page's order back (cells are this table's own objects).
                first = self._columns[0].key
                rank = {id(table.get_cell(key, first)): index for index, key in enumerate(fresh)}
                table.sort(first, key=lambda cell: rank.get(id(cell), len(rank)))
            self._rows_by_key = fresh
            self.page = page
            if keep is not None and keep in fresh:
                table.move_cursor(row=table.get_row_index(keep), animate=False)
            self.query_one(".paged-table--position", Static).update(Text(self.position_text()))

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
            last_offset = max(0, (page.total - 1) // self._request.limit * self._request.limit)
            self._request = PageRequest(last_offset, self._request.limit, self._request.sort,
                                        self._request.descending)
            page = self._fetch(self._request)
        self._show(page, keep_key=keep_key, cursor_at_end=cursor_at_end)

    def _show(self, page: Page[RowT], *, keep_key: str | None, cursor_at_end: bool) -> None:
        self.page = page
        table = self.table
        table.clear()
        self._rows_by_key = {}
        for row in page.rows:
            key = str(self._row_id(row))
            self._rows_by_key[key] = row
            table.add_row(*(self._cell(column.value(row)) for column in self._columns), key=key)
        if keep_key is not None and keep_key in self._rows_by_key:
            table.move_cursor(row=table.get_row_index(keep_key), animate=False)
        elif cursor_at_end and page.rows:
            table.move_cursor(row=len(page.rows) - 1, animate=False)
        else:
            table.move_cursor(row=0, animate=False)
        self.query_one(".paged-table--position", Static).update(Text(self.position_text()))
        self.post_message(self.PageLoaded(self, page))

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

    @staticmethod
    def _cell(value: Any) -> Text:
        """Cells are plain text: a tariff named `[bold]` must not be read as markup."""
        if isinstance(value, Text):
            return value
        return Text("—" if value is None else str(value))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        row = self._rows_by_key.get(event.row_key.value or "")
        if row is not None:
            self.post_message(self.RowChosen(self, row))

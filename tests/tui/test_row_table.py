"""RowTable and PagedTable on their own: widths and cropping, literal text, keys and clicks, what a change
repaints, page moves at the edges, live updates keeping the cursor, and a visible cursor without colour."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import pytest
from rich.text import Text
from textual.app import App, ComposeResult
from textual.geometry import Region
from textual.message import Message
from textual.strip import Strip

from procmod.core.dto import Page, PageRequest
from procmod.tui.widgets.paged_table import Column, PagedTable
from procmod.tui.widgets.row_table import RowTable, fit_widths

WIDTH, HEIGHT = 40, 10


class TableApp(App[None]):
    """One RowTable filling the screen; records the table's messages."""

    def __init__(self, rows: list[tuple[str, tuple[Any, ...]]], **options: Any) -> None:
        super().__init__()
        self.rows = rows
        self.options = options
        self.messages: list[Message] = []

    def compose(self) -> ComposeResult:
        table = RowTable(**self.options)
        table.add_column("Name", key="name")
        table.add_column("Status", key="status", width=6)
        table.add_column("Note", key="note")
        yield table

    def on_mount(self) -> None:
        table = self.query_one(RowTable)
        table.set_rows(self.rows)
        table.focus()

    def on_row_table_row_highlighted(self, message: RowTable.RowHighlighted) -> None:
        self.messages.append(message)

    def on_row_table_row_selected(self, message: RowTable.RowSelected) -> None:
        self.messages.append(message)


def numbered(count: int) -> list[tuple[str, tuple[Any, ...]]]:
    return [(f"k{i}", (f"row {i}", "ok", f"note {i}")) for i in range(count)]


def lines(table: RowTable) -> list[Strip]:
    """The table's lines as painted (through Textual's styles cache)."""
    return table.render_lines(Region(0, 0, table.size.width, table.size.height))


def texts(table: RowTable) -> list[str]:
    return [strip.text for strip in lines(table)]


# ---------------------------------------------------------------------------------------------- widths


def test_columns_that_fit_leave_the_rest_to_the_last() -> None:
    assert fit_widths([6, 8, 10], [6, 8, 10], 40) == [6, 8, 26]


def test_columns_too_wide_shrink_the_widest_first_and_fill_the_width() -> None:
    widths = fit_widths([30, 8, 40], [10, 8, 10], 50)
    assert sum(widths) == 50 and widths[1] == 8  # the narrow column keeps its width
    assert abs(widths[0] - widths[2]) <= 1  # the two wide ones share the cut


def test_columns_that_cannot_fit_keep_their_widths() -> None:
    assert fit_widths([30, 30], [10, 10], 12) == [30, 30]  # the table scrolls sideways, cropping nothing


async def test_long_cells_are_cropped_with_an_ellipsis_and_the_header_shows() -> None:
    long_note = "a note far longer than the forty columns of this table"
    app = TableApp([("a", ("short", "ok", long_note))])
    async with app.run_test(size=(WIDTH, HEIGHT)) as pilot:
        await pilot.pause()
        table = app.query_one(RowTable)
        header, first = texts(table)[:2]
        assert header.split() == ["Name", "Status", "Note"]
        assert len(first) == WIDTH and first.rstrip().endswith("…")
        assert first.startswith(" short  ok ")
        assert table.get_cell("a", "note").plain == long_note  # the cell itself is whole


async def test_a_fitted_cell_shortens_itself_and_the_recon_pairs_keep_both_sides() -> None:
    """A reconciliation row's differing plans at 80 columns: both heads show, not the billing's whole and
    the panel's cut off (`Plan E-2388G-32Gb-2x960SSD / i9-9…` before)."""
    from procmod.tui.screens.recon_words import _pairs_text
    from procmod.tui.widgets.row_table import FittedCell

    pairs = [("Plan", "E-2388G-32Gb-2x960SSD", "i9-9900K-64Gb-2x1024NVMe")]
    assert _pairs_text(pairs, None) == "Plan E-2388G-32Gb-2x960SSD / i9-9900K-64Gb-2x1024NVMe"
    assert _pairs_text(pairs, 36) == "Plan E-2388G-32Gb-… / i9-9900K-64Gb…"
    assert _pairs_text(pairs, 80) == _pairs_text(pairs, None)  # room for all: whole
    two = [("Status", "Active", "Suspended"), *pairs]
    assert _pairs_text(two, 50) == "Status Active / Suspend… · Plan E-2388G… / i9-990…"  # short values give spare
    assert len(_pairs_text(two, 36)) == 36
    cell = FittedCell(_pairs_text(pairs, None), lambda width: _pairs_text(pairs, width))
    app = TableApp([("a", ("short", "ok", cell))])
    async with app.run_test(size=(WIDTH, HEIGHT)) as pilot:
        await pilot.pause()
        first = texts(app.query_one(RowTable))[1]
        assert "Plan E-" in first and " / i9-" in first and first.rstrip().endswith("…"), first
        assert len(first) == WIDTH


async def test_a_column_renamed_shows_its_new_header_at_its_new_width() -> None:
    app = TableApp([("a", ("short", "ok", "n"))])
    async with app.run_test(size=(WIDTH, HEIGHT)) as pilot:
        await pilot.pause()
        table = app.query_one(RowTable)
        table.set_column_label("name", "A longer name")
        await pilot.pause()
        assert texts(table)[0].split() == ["A", "longer", "name", "Status", "Note"]
        assert table.column_labels[0] == "A longer name"
        assert texts(table)[1].startswith(" short          ok ")  # the column widened to its header


async def test_columns_wider_than_the_floor_scroll_sideways() -> None:
    name, note = "a name of twenty-five ch", "a note"
    app = TableApp([("a", (name, "ok", note))])
    async with app.run_test(size=(30, HEIGHT)) as pilot:
        await pilot.pause()
        await pilot.pause()
        table = app.query_one(RowTable)
        assert table.virtual_size.width == 26 + 8 + 8  # even at its floor the name would not fit
        assert texts(table)[0].endswith("›") and not texts(table)[0].startswith("‹")  # more to the right
        await pilot.press("right")  # a column at a time (issue 18, item 9): the name scrolls out whole
        assert table.scroll_x == table.max_scroll_x == 42 - 30
        assert texts(table)[1].startswith("wenty-five ch  ok")  # as far as it goes
        await pilot.press("left")
        assert table.scroll_x == 0
        assert texts(table)[0].endswith("›") and not texts(table)[0].startswith("‹")
        table.scroll_to(x=table.max_scroll_x, animate=False, immediate=True)
        await pilot.pause()
        assert texts(table)[0].startswith("‹") and not texts(table)[0].endswith("›")


async def test_markup_looking_text_is_shown_literally_and_text_styles_are_kept() -> None:
    app = TableApp([("a", ("[bold]VPS[/bold]", Text("Off", style="italic"), None))])
    async with app.run_test(size=(WIDTH, HEIGHT)) as pilot:
        await pilot.pause()
        table = app.query_one(RowTable)
        table.move_cursor(row=0)
        table.blur()
        await pilot.pause()
        row = lines(table)[1]
        assert "[bold]VPS[/bold]" in row.text and "—" in row.text  # None reads as a dash
        styles = {segment.text.strip(): segment.style for segment in row if segment.text.strip()}
        assert styles["Off"] is not None and styles["Off"].italic


# ---------------------------------------------------------------------------------------------- keys, mouse


async def test_keys_move_the_cursor_and_keep_it_in_view() -> None:
    app = TableApp(numbered(50))
    async with app.run_test(size=(WIDTH, HEIGHT)) as pilot:
        await pilot.pause()
        table = app.query_one(RowTable)
        visible = HEIGHT - 1  # under the header

        def in_view() -> bool:
            return table.scroll_y <= table.cursor_row < table.scroll_y + visible

        await pilot.press("down", "down")
        assert table.cursor_row == 2 and table.cursor_key == "k2"
        await pilot.press("pagedown")
        assert table.cursor_row == 2 + visible and in_view()
        await pilot.press("end")
        assert table.cursor_row == 49 and in_view()
        assert texts(table)[-1].split()[:2] == ["row", "49"]
        await pilot.press("pageup")
        assert table.cursor_row == 49 - visible and in_view()
        await pilot.press("home")
        assert table.cursor_row == 0 and table.scroll_y == 0
        await pilot.press("up")  # stays on the first row
        assert table.cursor_row == 0
        await pilot.press("enter")
        await pilot.pause()
        highlighted = [m.row_key for m in app.messages if isinstance(m, RowTable.RowHighlighted)]
        assert highlighted[:3] == ["k0", "k1", "k2"] and highlighted[-1] == "k0"
        selected = app.messages[-1]
        assert isinstance(selected, RowTable.RowSelected) and selected.row_key == "k0"
        assert selected.control is table


async def test_a_click_moves_the_cursor_and_a_second_click_selects() -> None:
    app = TableApp(numbered(5))
    async with app.run_test(size=(WIDTH, HEIGHT)) as pilot:
        await pilot.pause()
        table = app.query_one(RowTable)
        await pilot.click(RowTable, offset=(2, 3))  # line 3 is row 2 (the header is line 0)
        await pilot.pause()
        assert table.cursor_key == "k2"
        assert not any(isinstance(m, RowTable.RowSelected) for m in app.messages)
        await pilot.click(RowTable, offset=(2, 3))
        await pilot.pause()
        assert isinstance(app.messages[-1], RowTable.RowSelected) and app.messages[-1].row_key == "k2"


# ---------------------------------------------------------------------------------------------- repaints


async def test_a_cursor_move_repaints_two_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    app = TableApp(numbered(20))
    async with app.run_test(size=(WIDTH, HEIGHT)) as pilot:
        await pilot.pause()
        table = app.query_one(RowTable)
        refreshed: list[tuple[Region, ...]] = []
        refresh = table.refresh
        monkeypatch.setattr(table, "refresh", lambda *regions, **kw: (refreshed.append(regions), refresh(*regions, **kw))[1])
        table.move_cursor(row=3)
        assert [r[0].y for r in refreshed] == [1, 4] and all(r[0].height == 1 for r in refreshed)


async def test_set_rows_repaints_only_changed_rows_and_keeps_the_cursor_on_its_row(
        monkeypatch: pytest.MonkeyPatch) -> None:
    rows = numbered(8)
    app = TableApp(rows)
    async with app.run_test(size=(WIDTH, HEIGHT)) as pilot:
        await pilot.pause()
        table = app.query_one(RowTable)
        table.move_cursor(row=5)
        await pilot.pause()
        refreshed: list[tuple[Region, ...]] = []
        refresh = table.refresh
        monkeypatch.setattr(table, "refresh", lambda *regions, **kw: (refreshed.append(regions), refresh(*regions, **kw))[1])
        changed = list(rows)
        changed[2] = ("k2", ("row 2", "ok", "note changed"))
        table.set_rows(changed)
        assert [r[0].y for r in refreshed] == [3]  # row 2 is line 3
        assert table.cursor_key == "k5" and table.get_cell("k2", "note").plain == "note changed"
        await pilot.pause()
        app.messages.clear()

        with_new = [("new", ("row new", "ok", "")), *changed]
        table.set_rows(with_new)  # a row arrives on top
        assert table.cursor_key == "k5" and table.cursor_row == 6
        await pilot.pause()
        assert not app.messages  # the highlighted row did not change
        table.set_rows([row for row in with_new if row[0] != "k5"])  # the cursor's row leaves: same place
        assert table.cursor_row == 6 and table.cursor_key == "k6"


async def test_update_and_remove_by_key() -> None:
    app = TableApp(numbered(3))
    async with app.run_test(size=(WIDTH, HEIGHT)) as pilot:
        await pilot.pause()
        table = app.query_one(RowTable)
        table.update_cell("k1", "status", "off")
        table.remove_row("k0")
        table.add_row("row 9", "ok", "", key="k9")
        await pilot.pause()
        assert table.row_keys == ["k1", "k2", "k9"] and table.get_row_index("k9") == 2
        assert [cell.plain for cell in table.get_row("k1")] == ["row 1", "off", "note 1"]
        assert texts(table)[1].split()[:3] == ["row", "1", "off"]
        table.clear()
        assert table.row_count == 0 and table.cursor_key is None


async def test_focus_and_theme_restyle_the_rows() -> None:
    app = TableApp(numbered(3), zebra_stripes=True)
    async with app.run_test(size=(WIDTH, HEIGHT)) as pilot:
        await pilot.pause()
        table = app.query_one(RowTable)

        def background(line: int) -> object:
            return next(iter(lines(table)[line])).style.bgcolor

        focused, stripe = background(1), background(3)
        table.blur()
        await pilot.pause()
        assert background(1) != focused and background(3) == stripe  # focus shows in the cursor row alone
        app.theme = "textual-light"
        await pilot.pause()
        assert background(3) != stripe


# ---------------------------------------------------------------------------------------------- no colour


async def test_without_colour_the_cursor_row_is_reversed_and_bold(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = TableApp(numbered(3))
    async with app.run_test(size=(WIDTH, HEIGHT)) as pilot:
        await pilot.pause()
        assert app.no_color
        table = app.query_one(RowTable)
        table.move_cursor(row=1)
        await pilot.pause()
        cursor_line, other_line = lines(table)[2], lines(table)[3]
        assert all(s.style and s.style.reverse and s.style.bold for s in cursor_line if s.text.strip())
        assert not any(s.style and s.style.reverse for s in other_line)
        table.blur()
        await pilot.pause()
        assert all(s.style and s.style.bold for s in lines(table)[2] if s.text.strip())  # still marked


# ---------------------------------------------------------------------------------------------- PagedTable


@dataclass(frozen=True)
class Item:
    id: int
    name: str


class Store:
    """A list of items served a page at a time (by offset; the keyset cursors are carried, not needed)."""

    def __init__(self, count: int) -> None:
        self.items = [Item(i, f"item {i}") for i in range(count)]
        self.requests: list[PageRequest] = []

    def fetch(self, request: PageRequest) -> Page[Item]:
        self.requests.append(request)
        rows = self.items[request.offset:request.offset + request.limit]
        return Page(rows, len(self.items), request.offset, request.limit,
                    first_key=(rows[0].id,) if rows else None, last_key=(rows[-1].id,) if rows else None)


class PagedApp(App[None]):
    def __init__(self, store: Store) -> None:
        super().__init__()
        self.store = store

    def compose(self) -> ComposeResult:
        yield PagedTable([Column("name", "Name", lambda item: item.name)], self.store.fetch, page_size=10)

    def on_mount(self) -> None:
        paged = self.query_one(PagedTable)
        paged.load()
        paged.table.focus()


async def test_moves_past_the_edges_of_a_page_load_the_next_and_previous_pages() -> None:
    store = Store(25)
    app = PagedApp(store)
    async with app.run_test(size=(WIDTH, 8)) as pilot:
        await pilot.pause()
        paged = app.query_one(PagedTable)
        table = paged.table
        await pilot.press("end", "down")
        assert paged.page.offset == 10 and table.cursor_row == 0
        assert store.requests[-1].after == (9,)  # a keyset request from the page shown
        await pilot.press("up")
        assert paged.page.offset == 0 and table.cursor_row == 9
        await pilot.press("home", "pagedown")  # not on the last row: a screen of rows down (6 in view)
        assert paged.page.offset == 0 and table.cursor_row == 6
        await pilot.press("pagedown")
        assert paged.page.offset == 0 and table.cursor_row == 9
        await pilot.press("pagedown")  # on the last row: the next page
        assert paged.page.offset == 10 and table.cursor_row == 0
        await pilot.press("pageup")  # on the first row: the previous page
        assert paged.page.offset == 0
        paged.next_page()
        paged.next_page()
        assert paged.page.offset == 20 and table.row_count == 5 and paged.position_text().startswith("21–25 of 25")
        await pilot.press("end", "down")  # no page after the last
        assert paged.page.offset == 20 and table.cursor_row == 4


async def test_live_refresh_keeps_the_cursor_on_its_row() -> None:
    store = Store(25)
    app = PagedApp(store)
    async with app.run_test(size=(WIDTH, 8)) as pilot:
        await pilot.pause()
        paged = app.query_one(PagedTable)
        paged.table.move_cursor(row=4)
        store.items.insert(0, Item(100, "item new"))  # a row arrives above the cursor
        store.items[6] = replace(store.items[6], name="item 5 renamed")
        paged.refresh_rows()
        await pilot.pause()
        assert paged.selected == Item(4, "item 4") and paged.table.cursor_row == 5
        assert paged.table.get_cell("5", "name").plain == "item 5 renamed"
        assert [row.id for row in paged.rows][:2] == [100, 0]


async def test_equal_plain_cells_share_one_text_and_a_render_never_changes_it() -> None:
    from procmod.tui.widgets.row_table import as_cell

    assert as_cell("Enabled") is as_cell("Enabled")  # a page repeats its statuses: one Text each
    assert as_cell("two\nlines").plain == "two lines" and as_cell(None).plain == "—"
    name = "a name far too long for a forty-column table " * 2
    app = TableApp([("a", (name, "ok", "")), ("b", (name, "ok", ""))])
    async with app.run_test(size=(WIDTH, HEIGHT)) as pilot:
        await pilot.pause()
        table = app.query_one(RowTable)
        assert texts(table)[1].startswith(" a name far too long for…")  # shown cropped…
        assert table.get_cell("a", "name") is table.get_cell("b", "name")
        assert table.get_cell("a", "name").plain == name  # …from a copy: the shared cell is whole


class FixedHeightApp(App[None]):
    """A table of a fixed height (as in every list) above one that follows its rows (as in the card)."""

    CSS = "#fixed { height: 5; } #auto { height: auto; }"

    def compose(self) -> ComposeResult:
        for table_id in ("fixed", "auto"):
            table = RowTable(id=table_id)
            table.add_column("Name", key="name")
            table.add_column("Status", key="status", width=6)
            yield table


async def test_new_rows_lay_the_screen_out_only_for_a_table_whose_height_follows_them(monkeypatch) -> None:  # noqa: ANN001
    from textual.screen import Screen

    from tests.conftest import count_calls

    app = FixedHeightApp()
    async with app.run_test(size=(20, 20)) as pilot:
        fixed, auto = app.query_one("#fixed", RowTable), app.query_one("#auto", RowTable)
        fixed.set_rows([(str(i), (f"row {i}", "ok")) for i in range(10)])
        await pilot.pause()
        layouts = count_calls(monkeypatch, Screen, "_refresh_layout")
        fixed.set_rows([(str(i), ("a much longer name " * 2, "ok")) for i in range(3)])  # other widths, fewer rows
        await pilot.pause()
        assert layouts.count == 0  # a repaint, not a layout
        assert fixed.virtual_size.height == 4 and fixed.max_scroll_y == 0
        assert fixed.virtual_size.width > 18 and fixed.max_scroll_x > 0  # now it scrolls sideways
        assert texts(fixed)[1].startswith(" a much longer")

        auto.set_rows([(str(i), (f"row {i}", "ok")) for i in range(4)])
        await pilot.pause()
        assert layouts.count > 0 and auto.size.height == 5  # header and four rows: its box grew

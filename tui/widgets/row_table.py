"""RowTable: a light table of single-line rows that renders only the rows on screen.

Textual's DataTable measures and renders every cell it holds and refreshes itself whole on most changes:
a screen holding 100 rows of 8 columns took ~200 ms to its last frame. RowTable is a Line API ScrollView:
`render_line(y)` renders the rows in view, each row's strip is cached until that row, the cursor or the
styles change, and moving the cursor repaints two lines. It holds what a console list needs and no more:

- columns with a fixed width or one measured from the label and the cells held (capped); the last
  column takes the space left; when the columns are a little too wide the widest are shrunk (cells
  cropped with an ellipsis) down to a legible floor, and when that is not enough the table keeps its
  widths and scrolls sideways;
- cells are plain values or Rich `Text` (styles kept, never read as markup: a tariff named `[bold]`
  shows literally);
- an optional header line, optional zebra stripes, a row cursor (or none) styled by component classes,
  so themes and NO_COLOR work;
- up/down/pageup/pagedown/home/end move the cursor (kept in view), enter or a click on the cursor row
  selects; `RowHighlighted` and `RowSelected` carry the row key (a string);
- `set_rows` replaces every row in one operation, repainting only rows that changed and keeping the
  cursor on its row: page loads and live updates both use it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import ClassVar, Literal, NamedTuple

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

CursorType = Literal["row", "none"]

#: Padding each side of a cell, as DataTable has it.
CELL_PADDING = 1
#: A measured column is never wider than this (cells beyond it are cropped).
MAX_MEASURED_WIDTH = 40
#: When the columns do not fit, measured columns may shrink to this, so that names stay readable; when
#: that is not enough the table scrolls sideways (as DataTable does) rather than crop every column.
MIN_SHRUNK_WIDTH = 20

ELLIPSIS = "…"


@dataclass
class RowColumn:
    """A column: its key, its header and the width it was given (None: measured from the cells)."""

    key: str
    label: Text
    width: int | None = None


class _Palette(NamedTuple):
    """The styles a render uses. When one changes (theme), every cached strip is stale; when only the
    cursor's does (focus), only the cursor row is. `cursor` stays the last field."""

    base: Style
    header: Style
    even: Style
    odd: Style
    cursor: Style


class FittedCell(Text):
    """A cell that shortens itself to a column narrower than it (`fit`), where cutting its end would hide
    what matters: a pair of values keeps the head of both (`Plan E-2388G-32… / i9-9900K-64G…`)."""

    def __init__(self, plain: str, fit: Callable[[int], str]) -> None:
        super().__init__(plain)
        self._fit = fit

    def fit(self, width: int) -> Text:
        text = Text(self._fit(width))
        text.truncate(width, overflow="ellipsis")  # never wider than asked, whatever `fit` made
        return text


def cell_width(text: Text) -> int:
    """The cells a Text takes: its length for printable ASCII (nearly every cell, and ~10× quicker than
    asking rich, which counts on the 900 cells measured for every new page)."""
    plain = text.plain
    return len(plain) if plain.isascii() and plain.isprintable() else text.cell_len


def as_cell(value: object) -> Text:
    """A cell as Text: Text is kept (styles and all), anything else is its `str`, never markup; None is `—`.

    A cell is one line: line breaks become spaces. Cells are read, never changed in place (a render crops
    a copy), so equal plain cells share one Text: a page repeats its statuses, types and dates.
    """
    if isinstance(value, Text):
        text = value
    else:
        return _plain_cell("—" if value is None else str(value))
    if "\n" in text.plain:
        text = Text(" ").join(text.split("\n", allow_blank=True))
    return text


@lru_cache(maxsize=4096)
def _plain_cell(value: str) -> Text:
    if "\n" in value:
        return Text(" ").join(Text(value).split("\n", allow_blank=True))
    return Text(value)


def _same_cells(old: Sequence[Text], new: Sequence[Text]) -> bool:
    """Text's `==` ignores the base style; a cell restyled (e.g. italic) must repaint."""
    return len(old) == len(new) and all(
        a is b or (a.plain == b.plain and a.style == b.style and a.spans == b.spans) for a, b in zip(old, new)
    )


def fit_widths(natural: Sequence[int], minimum: Sequence[int], available: int) -> list[int]:
    """Column widths for `available` cells: the natural widths with the last column taking the rest;
    when they are too wide, the widest shrink together towards their minimum so that the table fits;
    when even the minimums do not fit, the natural widths (the table scrolls sideways, cropping nothing)."""
    widths = list(natural)
    if not widths:
        return widths
    total = sum(widths)
    if total <= available:
        widths[-1] += available - total
        return widths
    if sum(minimum) > available:
        return widths

    def shrunk(cap: int) -> list[int]:
        return [max(low, min(want, cap)) for want, low in zip(natural, minimum)]

    low, high = 0, max(natural)  # the largest cap whose widths fit
    while low < high:
        middle = (low + high + 1) // 2
        if sum(shrunk(middle)) <= available:
            low = middle
        else:
            high = middle - 1
    widths = shrunk(low)
    spare = available - sum(widths)
    for index, (width, want) in enumerate(zip(widths, natural)):  # the cells left go to capped columns
        if spare <= 0:
            break
        if width < want:
            widths[index] += 1
            spare -= 1
    widths[-1] += spare
    return widths


class RowTable(ScrollView, can_focus=True):
    """A table of rows keyed by strings, rendering only the rows in view. See the module docstring."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor_up", "Up", show=False, id="row_table.up", tooltip="Previous row"),
        Binding("down", "cursor_down", "Down", show=False, id="row_table.down", tooltip="Next row"),
        Binding("pageup", "page_up", "Page up", show=False, id="row_table.page_up",
                tooltip="One screen of rows up"),
        Binding("pagedown", "page_down", "Page down", show=False, id="row_table.page_down",
                tooltip="One screen of rows down"),
        Binding("home,ctrl+home", "cursor_first", "First", show=False, id="row_table.first", tooltip="First row"),
        Binding("end,ctrl+end", "cursor_last", "Last", show=False, id="row_table.last", tooltip="Last row"),
        Binding("enter", "select_cursor", "Select", show=False, id="row_table.select",
                tooltip="Choose the highlighted row"),
        Binding("right", "column_right", "Right", show=False, id="row_table.column_right",
                tooltip="Scroll a wide table one column to the right"),
        Binding("left", "column_left", "Left", show=False, id="row_table.column_left",
                tooltip="Scroll a wide table one column to the left"),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "row-table--header",
        "row-table--cursor",
        "row-table--even-row",
        "row-table--odd-row",
    }

    DEFAULT_CSS = """
    /* No scrollbars: the cursor and the position line under a list say where one is, and a scrollbar
       appearing after the first layout costs every new screen a second layout and frame. The wheel and
       the keys still scroll (see allow_vertical_scroll). */
    RowTable {
        background: $surface;
        color: $foreground;
        height: auto;
        max-height: 100%;
        overflow: hidden hidden;
        & > .row-table--header {
            text-style: bold;
            background: $panel;
            color: $foreground;
        }
        &:ansi > .row-table--header {
            background: ansi_bright_blue;
            color: ansi_default;
        }
        & > .row-table--even-row {
            background: $surface-lighten-1 50%;
        }
        &:dark > .row-table--even-row {
            background: $surface-darken-1 40%;
        }
        & > .row-table--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
        /* Focus shows in the cursor alone (no background tint), so focusing repaints one row, not all. */
        &:focus {
            & > .row-table--cursor {
                background: $block-cursor-background;
                color: $block-cursor-foreground;
                text-style: $block-cursor-text-style;
            }
        }
        /* Without colour a background alone may vanish: the cursor is also bold, and reversed when focused. */
        &:nocolor > .row-table--cursor {
            text-style: bold;
        }
        &:nocolor:focus > .row-table--cursor {
            color: $foreground;
            background: $background;
            text-style: bold reverse;
        }
    }
    """

    class _RowMessage(Message):
        def __init__(self, table: RowTable, cursor_row: int, row_key: str) -> None:
            super().__init__()
            self.table = table
            self.cursor_row = cursor_row
            self.row_key = row_key

        @property
        def control(self) -> RowTable:
            return self.table

    class RowHighlighted(_RowMessage):
        """The cursor moved to another row (also when a new set of rows puts it on another key)."""

    class RowSelected(_RowMessage):
        """Enter, or a click on the cursor row: the row was chosen."""

    def __init__(
        self,
        *,
        show_header: bool = True,
        zebra_stripes: bool = False,
        cursor_type: CursorType = "row",
        name: str | None = None,
        id: str | None = None,  # noqa: A002 - Textual's name
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self.show_header = show_header
        self.zebra_stripes = zebra_stripes
        self.cursor_type: CursorType = cursor_type
        self._columns: list[RowColumn] = []
        self._keys: list[str] = []
        self._cells: list[tuple[Text, ...]] = []
        self._index: dict[str, int] = {}
        self._cursor = 0
        self._highlighted: str | None = None
        self._natural: list[int] = []  # wanted render widths (padding included)
        self._minimum: list[int] = []  # render widths the columns may shrink to
        self._layout_for: tuple[int, tuple[int, ...]] | None = None
        self._widths: list[int] = []
        self._strips: dict[int, Strip] = {}  # rendered rows by index (-1: the header), full table width
        self._palette: _Palette | None = None
        self._palette_sources: tuple[object, ...] = ()
        self._render_width = 0
        self._scroll_pending = False
        self._next_key = 0

    # ------------------------------------------------------------------ columns

    def add_column(self, label: str | Text, *, key: str | None = None, width: int | None = None) -> str:
        """Add a column; `width` (cells, padding excluded) fixes it, else it is measured. Returns its key."""
        key = key if key is not None else f"column-{len(self._columns)}"
        if any(column.key == key for column in self._columns):
            raise ValueError(f"column key {key!r} is already used")
        self._columns.append(RowColumn(key, as_cell(label), width))
        self._cells = [cells + (Text(),) for cells in self._cells]
        self._rows_changed((), everything=True)
        return key

    def set_column_label(self, key: str, label: str | Text) -> None:
        """Rename a column (a list whose column means another thing by mode); measured again, repainted."""
        column = self._columns[self._column_index(key)]
        column.label = as_cell(label)
        self._rows_changed((), everything=True)

    @property
    def column_keys(self) -> list[str]:
        return [column.key for column in self._columns]

    @property
    def column_labels(self) -> list[str]:
        return [column.label.plain for column in self._columns]

    # ------------------------------------------------------------------ rows

    @property
    def row_count(self) -> int:
        return len(self._keys)

    @property
    def row_keys(self) -> list[str]:
        """The keys of the rows, top to bottom."""
        return list(self._keys)

    def get_row_index(self, key: str) -> int:
        """The index of a row; KeyError when no row has that key."""
        return self._index[key]

    def get_row(self, key: str) -> tuple[Text, ...]:
        return self._cells[self._index[key]]

    def get_row_at(self, index: int) -> tuple[Text, ...]:
        return self._cells[index]

    def get_cell(self, row_key: str, column_key: str) -> Text:
        return self._cells[self._index[row_key]][self._column_index(column_key)]

    def add_row(self, *cells: object, key: str | None = None) -> str:
        """Append a row; returns its key (a made-up one when none is given)."""
        if key is None:
            key = self._make_key()
        self.add_rows([(key, cells)])
        return key

    def add_rows(self, rows: Iterable[tuple[str, Sequence[object]]]) -> None:
        """Append rows given as `(key, cells)`, with one repaint."""
        self.set_rows([*zip(self._keys, self._cells), *rows])

    def set_rows(self, rows: Iterable[tuple[str, Sequence[object]]], *, cursor_row: int | None = None) -> None:
        """Replace every row by `(key, cells)` in one operation.

        The cursor goes to `cursor_row` when given, else stays on the row it was on (by key), else keeps
        its index. Only rows whose key or cells changed are repainted, unless the column widths
        changed.
        """
        old_keys, old_cells, old_cursor = self._keys, self._cells, self._cursor
        old_cursor_key = self.cursor_key
        keys: list[str] = []
        cells_list: list[tuple[Text, ...]] = []
        for key, cells in rows:
            keys.append(str(key))
            cells_list.append(self._row_cells(cells))
        index = {key: position for position, key in enumerate(keys)}
        if len(index) != len(keys):
            raise ValueError("row keys must be unique")
        self._keys, self._cells, self._index = keys, cells_list, index
        shared = min(len(keys), len(old_keys))
        self._rows_changed([
            *(position for position in range(shared)
              if keys[position] != old_keys[position] or not _same_cells(old_cells[position], cells_list[position])),
            *range(shared, max(len(keys), len(old_keys))),  # rows added, or lines left blank
        ])
        if cursor_row is None:
            cursor_row = index.get(old_cursor_key, old_cursor) if old_cursor_key is not None else old_cursor
        self._move(cursor_row, scroll=True)

    def clear(self) -> None:
        """Remove every row (the columns stay)."""
        self.set_rows([], cursor_row=0)

    def remove_row(self, key: str) -> None:
        position = self._index[key]
        keys = self._keys[:position] + self._keys[position + 1:]
        cells = self._cells[:position] + self._cells[position + 1:]
        cursor_key = self.cursor_key
        self.set_rows(zip(keys, cells), cursor_row=None if cursor_key != key else min(position, len(keys) - 1))

    def update_cell(self, row_key: str, column_key: str, value: object) -> None:
        position = self._index[row_key]
        cells = list(self._cells[position])
        cells[self._column_index(column_key)] = as_cell(value)
        self.update_row(row_key, cells)

    def update_row(self, row_key: str, cells: Sequence[object]) -> None:
        """Rewrite the cells of one row (repainting it alone unless a column width changes)."""
        position = self._index[row_key]
        new = self._row_cells(cells)
        if _same_cells(self._cells[position], new):
            return
        self._cells[position] = new
        self._rows_changed([position])

    # ------------------------------------------------------------------ cursor

    @property
    def cursor_row(self) -> int:
        """The index of the cursor row (0 when the table is empty)."""
        return max(0, self._cursor)

    @property
    def cursor_key(self) -> str | None:
        """The key of the cursor row, None when there are no rows."""
        return self._keys[self._cursor] if 0 <= self._cursor < len(self._keys) else None

    def move_cursor(self, *, row: int, animate: bool = False, scroll: bool = True) -> None:
        """Put the cursor on row `row` (clamped) and keep it in view. `animate` is accepted for DataTable's
        callers; the table never animates."""
        del animate
        self._move(row, scroll=scroll)

    def _move(self, row: int, *, scroll: bool) -> None:
        row = max(0, min(row, len(self._keys) - 1))
        self._cursor_changed(row)
        if scroll:
            self._scroll_cursor_into_view()

    def _cursor_changed(self, row: int) -> None:
        old, self._cursor = self._cursor, row
        if old != row and self.cursor_type == "row":
            for position in (old, row):
                self._strips.pop(position, None)
                self._refresh_row(position)
        key = self.cursor_key
        if key is not None and key != self._highlighted and self.cursor_type == "row":
            self.post_message(self.RowHighlighted(self, row, key))
        self._highlighted = key

    @property
    def _visible_rows(self) -> int:
        return max(0, self.scrollable_content_region.height - self._header_height)

    @property
    def _header_height(self) -> int:
        return 1 if self.show_header else 0

    def _scroll_cursor_into_view(self) -> None:
        visible = self._visible_rows
        if not visible:  # not laid out yet: when it is
            self._scroll_pending = True
            return
        self._scroll_pending = False
        top = round(self.scroll_y)
        if self.cursor_row < top:
            self.scroll_to(y=self.cursor_row, animate=False)
        elif self.cursor_row >= top + visible:
            self.scroll_to(y=self.cursor_row - visible + 1, animate=False)

    def on_resize(self) -> None:
        # The width the rows fill, known as soon as the table is laid out (a prepared screen is laid out
        # before it is shown): whether it scrolls sideways is then settled before its first paint.
        if self._learn_width():
            self._update_virtual_size()
        if self._scroll_pending or self.row_count:
            self._scroll_cursor_into_view()

    # ------------------------------------------------------------------ actions

    def action_cursor_down(self) -> None:
        if self.cursor_type == "none":
            self.scroll_down(animate=False)
        else:
            self._move(self.cursor_row + 1, scroll=True)

    def action_cursor_up(self) -> None:
        if self.cursor_type == "none":
            self.scroll_up(animate=False)
        else:
            self._move(self.cursor_row - 1, scroll=True)

    def action_page_down(self) -> None:
        step = max(1, self._visible_rows)
        if self.cursor_type == "none":
            self.scroll_to(y=self.scroll_y + step, animate=False)
            return
        self.scroll_to(y=self.scroll_y + step, animate=False)
        self._move(self.cursor_row + step, scroll=True)

    def action_page_up(self) -> None:
        step = max(1, self._visible_rows)
        if self.cursor_type == "none":
            self.scroll_to(y=self.scroll_y - step, animate=False)
            return
        self.scroll_to(y=self.scroll_y - step, animate=False)
        self._move(self.cursor_row - step, scroll=True)

    def action_cursor_first(self) -> None:
        if self.cursor_type == "none":
            self.scroll_home(animate=False)
        else:
            self._move(0, scroll=True)

    def action_cursor_last(self) -> None:
        if self.cursor_type == "none":
            self.scroll_end(animate=False)
        else:
            self._move(len(self._keys) - 1, scroll=True)

    def _column_starts(self) -> list[int]:
        """Where each column begins, in cells from the table's left edge."""
        starts, position = [], 0
        for width in self._layout(self._render_width) if self._render_width else []:
            starts.append(position)
            position += width
        return starts

    @property
    def first_shown_column(self) -> int:
        """The index of the leftmost column in view (→ and ← move it a column at a time)."""
        starts = self._column_starts()
        return max((index for index, start in enumerate(starts) if start <= self.scroll_x), default=0)

    def row_text(self, key: str) -> str:
        """A row as plain text, cells separated by tabs (pastes into a spreadsheet as cells)."""
        return "\t".join(cell.plain for cell in self.get_row(key))

    def action_column_right(self) -> None:
        """→ on a table wider than the screen: the next column becomes the first shown (one press a column,
        not one a cell)."""
        if self.max_scroll_x <= 0:
            return
        target = next((start for start in self._column_starts() if start > self.scroll_x), self.max_scroll_x)
        self.scroll_to(x=min(target, self.max_scroll_x), animate=False, immediate=True)

    def action_column_left(self) -> None:
        """← : the previous column becomes the first shown."""
        if self.scroll_x <= 0:
            return
        target = max((start for start in self._column_starts() if start < self.scroll_x), default=0)
        self.scroll_to(x=target, animate=False, immediate=True)

    def action_select_cursor(self) -> None:
        key = self.cursor_key
        if key is not None and self.cursor_type == "row":
            self.post_message(self.RowSelected(self, self.cursor_row, key))

    def on_click(self, event: events.Click) -> None:
        """A click moves the cursor to the row; a click on the cursor row selects it."""
        offset = event.get_content_offset(self)
        if offset is None or self.cursor_type == "none":
            return
        position = offset.y - self._header_height + round(self.scroll_y)
        if offset.y < self._header_height or not 0 <= position < len(self._keys):
            return
        event.stop()
        if position == self._cursor:
            self.action_select_cursor()
        else:
            self._move(position, scroll=True)

    # Scrolling without scrollbars: Textual allows it only where a scrollbar shows; here, wherever there is
    # something to scroll to (the wheel, the arrow keys sideways, and the cursor keeping itself in view).

    @property
    def allow_vertical_scroll(self) -> bool:
        return not self._check_disabled() and self.max_scroll_y > 0

    @property
    def allow_horizontal_scroll(self) -> bool:
        return not self._check_disabled() and self.max_scroll_x > 0

    # ------------------------------------------------------------------ rendering

    def render_lines(self, crop: Region) -> list[Strip]:
        """Once per repaint: the styles (focus and theme change them) and the width the rows fill."""
        palette = self._current_palette()
        if palette != self._palette:
            if self._palette is not None and palette[:-1] == self._palette[:-1]:
                self._strips.pop(self._cursor, None)  # focus in or out: only the cursor row changes
            else:
                self._strips.clear()
            self._palette = palette
        if self._learn_width():  # painted before its Resize came (a screen's first frame)
            self.call_after_refresh(self._update_virtual_size)  # it may need sideways scrolling now
        return super().render_lines(crop)

    def _learn_width(self) -> bool:
        """Take the width the rows fill now; True when it changed."""
        width = self.scrollable_content_region.width
        changed, self._render_width = width != self._render_width, width
        if changed:
            self._strips.clear()  # rows are rendered as wide as the table
        return changed

    def render_line(self, y: int) -> Strip:
        width = self._render_width
        palette = self._palette or self._current_palette()
        widths = self._layout(width)
        if y < self._header_height:
            position = -1
        else:
            position = y - self._header_height + round(self.scroll_y)
            if position >= len(self._keys):
                return self._blank(width, palette.base)
        strip = self._strips.get(position)
        if strip is None:
            strip = self._strips[position] = self._render_row(position, widths, palette, width)
        scroll_x = round(self.scroll_x)
        if scroll_x or strip.cell_length != width:
            strip = strip.crop_extend(scroll_x, scroll_x + width, palette.base)
        if position < 0 and width > 2:
            strip = self._mark_hidden_columns(strip, width, scroll_x, strip_width=sum(widths), palette=palette)
        return strip

    @staticmethod
    def _mark_hidden_columns(header: Strip, width: int, scroll_x: int, *, strip_width: int,
                             palette: _Palette) -> Strip:
        """Columns out of view sideways (no scrollbar says so): `‹` / `›` at the header's ends, and ←/→
        bring them in."""
        left, right = scroll_x > 0, scroll_x + width < strip_width
        if not (left or right):
            return header
        style = palette.base + palette.header
        parts = [Strip([Segment("‹", style)], 1)] if left else []
        parts.append(header.crop(1 if left else 0, width - 1 if right else width))
        if right:
            parts.append(Strip([Segment("›", style)], 1))
        return Strip.join(parts)

    @staticmethod
    @lru_cache(maxsize=16)
    def _blank(width: int, style: Style) -> Strip:
        """The line under the last row (Strips are not cheap to make: one per width and style)."""
        return Strip.blank(width, style)

    def _current_palette(self) -> _Palette:
        """The styles now. Computing them walks the ancestors (~0.5 ms), so they are kept while the
        stylesheet has not applied itself to this table again: it replaces the component styles each
        time it does (focus, theme, classes), which is what can change them."""
        sources = tuple(self._component_styles.values())
        kept = self._palette_sources
        if self._palette is not None and len(kept) == len(sources) and all(a is b for a, b in zip(kept, sources)):
            return self._palette
        self._palette_sources = sources
        style = self.get_component_rich_style
        return _Palette(self.rich_style, style("row-table--header"), style("row-table--even-row"),
                        style("row-table--odd-row"), style("row-table--cursor"))

    def _layout(self, available: int) -> list[int]:
        """The render widths of the columns for this width (cached; a change drops every strip)."""
        wanted = (available, tuple(self._natural))
        if wanted != self._layout_for:
            self._layout_for = wanted
            widths = fit_widths(self._natural, self._minimum, available)
            if widths != self._widths:
                self._widths = widths
                self._strips.clear()
        return self._widths

    @staticmethod
    @lru_cache(maxsize=64)
    def _row_styles(palette: _Palette, *, header: bool, cursor: bool,
                    stripe: Style | None) -> tuple[Style, Style | None]:
        """The style of a whole row and the one laid over its cells, per palette and kind of row: adding
        Styles costs ~40 µs, too much to repeat for every row of every page."""
        if header:
            return palette.base + palette.header, None
        row_style = palette.base if stripe is None else palette.base + stripe
        if cursor:
            row_style += palette.cursor
            if palette.cursor.color is not None:  # the cursor's colour wins over the cells' own
                return row_style, Style(color=palette.cursor.color)
        return row_style, None

    def _render_row(self, position: int, widths: list[int], palette: _Palette, width: int) -> Strip:
        """One row's line, as wide as the table (`width`): the cells at their column widths, then blank."""
        if position < 0:
            cells: Sequence[Text] = [column.label for column in self._columns]
            row_style, post_style = self._row_styles(palette, header=True, cursor=False, stripe=None)
        else:
            cells = self._cells[position]
            stripe = (palette.odd if position % 2 else palette.even) if self.zebra_stripes else None
            cursor = position == self._cursor and self.cursor_type == "row"
            row_style, post_style = self._row_styles(palette, header=False, cursor=cursor, stripe=stripe)
        console = self.app.console
        pad = " " * CELL_PADDING
        segments: list[Segment] = []
        for text, column_width in zip(cells, widths):
            inner = column_width - 2 * CELL_PADDING
            if inner <= 0:
                segments.append(Segment(" " * column_width, row_style))
                continue
            length = cell_width(text)
            if length > inner:
                if isinstance(text, FittedCell):
                    text = text.fit(inner)
                else:
                    text = text.copy()
                    text.truncate(inner, overflow="ellipsis")
                length = text.cell_len
            segments.append(Segment(pad, row_style))
            if text.spans or text.style:  # Text.render leaves the text's own base style out
                cell_style = row_style + console.get_style(text.style, default=Style.null())
                segments.extend(Segment.apply_style(text.render(console), cell_style, post_style))
            else:
                segments.append(Segment(text.plain, row_style + post_style if post_style else row_style))
            segments.append(Segment(" " * (inner - length) + pad, row_style))
        filled = sum(widths)
        if filled < width:  # blank to the table's edge here, not by cropping and extending every repaint
            segments.append(Segment(" " * (width - filled), palette.base))
        return Strip(segments, max(filled, width))

    # ------------------------------------------------------------------ bookkeeping

    def _rows_changed(self, changed: Iterable[int], *, everything: bool = False) -> None:
        """After a change of rows: measure the columns again and repaint the rows at `changed` (indexes),
        or everything when the columns' widths changed (or a column came)."""
        self._measure()
        self._update_virtual_size()
        widths = self._widths
        if everything or not self._render_width or self._layout(self._render_width) != widths:
            self._strips.clear()
            self.refresh()
            return
        for position in changed:
            self._strips.pop(position, None)
            self._refresh_row(position)

    def _update_virtual_size(self) -> None:
        """Rows (and header) high; wide only when the columns cannot fit (see `fit_widths`), so that the
        table scrolls sideways then.

        Textual lays the screen out again on any change of a virtual size (scrollbars may come or go). This
        table has none, so only a table whose height follows its rows (`height: auto`) needs that; for the
        others (every list) a new page of other widths or another count of rows is a repaint, not a layout.
        """
        width = sum(self._natural) if sum(self._minimum) > self._render_width > 0 else 0
        size = Size(width, len(self._keys) + self._header_height)
        if size == self.virtual_size:
            return
        height = self.styles.height
        if size.height != self.virtual_size.height and (height is None or height.is_auto):
            self.virtual_size = size
        else:
            self.set_reactive(RowTable.virtual_size, size)
            if self.scroll_x > self.max_scroll_x or self.scroll_y > self.max_scroll_y:  # it shrank: back in range
                self.scroll_to(x=min(self.scroll_x, self.max_scroll_x), y=min(self.scroll_y, self.max_scroll_y),
                               animate=False, force=True)
            self.refresh()

    def _measure(self) -> None:
        """Measure the columns from their labels and the cells held."""
        natural, minimum = [], []
        for position, column in enumerate(self._columns):
            if column.width is not None:
                want = low = column.width
            else:
                longest = max((cell_width(cells[position]) for cells in self._cells), default=0)
                want = min(MAX_MEASURED_WIDTH, max(column.label.cell_len, longest))
                low = min(want, MIN_SHRUNK_WIDTH)
            natural.append(want + 2 * CELL_PADDING)
            minimum.append(low + 2 * CELL_PADDING)
        self._natural, self._minimum = natural, minimum

    def _refresh_row(self, position: int) -> None:
        y = position + self._header_height - round(self.scroll_y)
        if position >= 0 and self._header_height <= y < self.size.height:
            self.refresh(Region(0, y, self.size.width, 1))

    def _row_cells(self, cells: Sequence[object]) -> tuple[Text, ...]:
        if len(cells) > len(self._columns):
            raise ValueError(f"{len(cells)} cells for {len(self._columns)} columns")
        row = tuple(as_cell(cell) for cell in cells)
        return row + (Text(),) * (len(self._columns) - len(row))

    def _column_index(self, column_key: str) -> int:
        for position, column in enumerate(self._columns):
            if column.key == column_key:
                return position
        raise KeyError(column_key)

    def _make_key(self) -> str:
        while str(self._next_key) in self._index:
            self._next_key += 1
        return str(self._next_key)

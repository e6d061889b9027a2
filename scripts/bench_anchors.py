"""The in-run anchors: a bare Textual app doing what each procmod row does, timed by the same harness.

- a cursor move and a page down in a bare Line-API list (a `ScrollView` with `render_line`, 10,000 lines),
- a cursor move in a `DataTable` of 100 rows,
- a screen push with a 100-row `DataTable` (a new screen each time; the first push is kept apart), and
  for reference the same push with the Line-API list,
- a form of N inputs pushed as a screen (N = the inputs of the procmod form it anchors),
- a filter keystroke: a key typed into a bare `Input` whose change refilters a 100-row `DataTable`.

Nothing of procmod is imported: this is what Textual itself costs on this machine, in this run.
"""

from __future__ import annotations

import statistics
from typing import Any

from rich.segment import Segment
from rich.style import Style
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.screen import Screen
from textual.strip import Strip
from textual.widgets import DataTable, Footer, Input, Label, Static
from textual.containers import VerticalScroll

from scripts.bench_harness import SIZE, Timer

COLUMNS = ("Id", "Name", "Type", "Status", "Data center", "Updated")


def _row(i: int) -> tuple[str, ...]:
    return (str(i), f"Module {i:05d}", ("vmmanager6", "cpanel", "namecheap")[i % 3], "Enabled", f"DC {i % 20:02d}",
            "2026-12-04 12:00")


class LineList(ScrollView, can_focus=True):
    """A bare Line-API list: one Strip per visible line, a cursor, nothing else."""

    BINDINGS = [Binding("down", "down"), Binding("pagedown", "page")]
    LINES = 10_000

    def __init__(self) -> None:
        super().__init__()
        self.cursor = 0
        self.virtual_size = Size(100, self.LINES)
        self._plain = Style()
        self._selected = Style(reverse=True)

    def render_line(self, y: int) -> Strip:
        index = y + int(self.scroll_offset.y)
        if index >= self.LINES:
            return Strip.blank(self.size.width)
        text = "  ".join(_row(index + 1)).ljust(self.size.width)[: self.size.width]
        return Strip([Segment(text, self._selected if index == self.cursor else self._plain)])

    def _move(self, to: int) -> None:
        self.cursor = min(self.LINES - 1, to)
        if self.cursor >= self.scroll_offset.y + self.size.height:
            self.scroll_to(y=self.cursor - self.size.height + 1, animate=False, immediate=True)
        self.refresh()

    def action_down(self) -> None:
        self._move(self.cursor + 1)

    def action_page(self) -> None:
        self._move(self.cursor + self.size.height)


class TableScreen(Screen[None]):
    def compose(self) -> ComposeResult:
        yield Static("A screen with a table of 100 rows")
        yield DataTable(cursor_type="row")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns(*COLUMNS)
        table.add_rows(_row(i) for i in range(1, 101))


class FormScreen(Screen[None]):
    def __init__(self, inputs: int) -> None:
        super().__init__()
        self.inputs = inputs

    def compose(self) -> ComposeResult:
        yield Static("A form")
        with VerticalScroll():
            for i in range(self.inputs):
                yield Label(f"Field {i}")
                yield Input(f"value {i}", compact=True)
        yield Footer()


class FilterScreen(Screen[None]):
    def compose(self) -> ComposeResult:
        yield Input(id="filter", compact=True)
        yield DataTable(cursor_type="row")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns(*COLUMNS)
        self.rows = [_row(i) for i in range(1, 101)]
        table.add_rows(self.rows)
        self.query_one(Input).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        table = self.query_one(DataTable)
        table.clear()
        table.add_rows(row for row in self.rows if event.value in row[1].lower() or event.value in row[2])


class ListScreen(Screen[None]):
    def compose(self) -> ComposeResult:
        yield LineList()
        yield Footer()


class TablesApp(App[None]):
    def compose(self) -> ComposeResult:
        yield Static("bare")


async def anchors(form_sizes: set[int], repeats: int, interactions: int) -> dict[str, list[float]]:
    """Every anchor's times (ms), keyed by the anchor's label."""
    app = TablesApp()
    timer = Timer(app)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        # Screen push with a 100-row table: the first push (styles of a new screen class) apart.
        await timer.timed("bare: push a screen with a 100-row DataTable, first", lambda: app.push_screen(TableScreen()),
                          pilot)
        app.pop_screen()
        for _ in range(repeats * 2):
            await timer.timed("bare: push a screen with a 100-row DataTable", lambda: app.push_screen(TableScreen()),
                              pilot)
            app.pop_screen()
        # The same push with a Line-API list (what procmod's lists are) instead of the DataTable.
        for _ in range(repeats * 2):
            await timer.timed("bare: push a screen with a Line-API list", lambda: app.push_screen(ListScreen()), pilot)
            app.pop_screen()
        for size in sorted(form_sizes):
            for _ in range(repeats):
                await timer.timed(f"bare: push a form of {size} inputs", lambda s=size: app.push_screen(FormScreen(s)),
                                  pilot)
                app.pop_screen()
        # Cursor moves.
        app.push_screen(TableScreen())
        await pilot.pause()
        app.screen.query_one(DataTable).focus()
        for _ in range(interactions):
            await timer.timed("bare: cursor move, DataTable of 100 rows", timer.key("down"), pilot)
        app.pop_screen()
        app.push_screen(ListScreen())
        await pilot.pause()
        app.screen.query_one(LineList).focus()
        for _ in range(interactions):
            await timer.timed("bare: cursor move, Line-API list", timer.key("down"), pilot)
        for _ in range(interactions):
            await timer.timed("bare: page down, Line-API list", timer.key("pagedown"), pilot)
        app.pop_screen()
        app.push_screen(FilterScreen())
        await pilot.pause()
        for word in ("module 0", "cpanel", "module 00"):
            for letter in word:
                await timer.timed("bare: filter keystroke, Input + 100-row DataTable",
                                  timer.key("space" if letter == " " else letter, letter), pilot)
            for _ in word:
                await timer.timed("bare: filter keystroke, Input + 100-row DataTable", timer.key("backspace"), pilot)
    return timer.results


def median(values: list[float]) -> float:
    return statistics.median(values)


def describe(results: dict[str, Any]) -> None:  # pragma: no cover - a debugging aid
    for label, values in results.items():
        print(f"{label}: {median(values):.2f} ms")


if __name__ == "__main__":
    import asyncio

    describe(asyncio.run(anchors({10, 20}, 5, 20)))

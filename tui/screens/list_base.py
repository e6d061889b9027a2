"""What every list screen shares: the filter line, the `/` text filter, status cycling, the PagedTable."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any, ClassVar, Generic, TypeVar

from rich.text import Text
from textual import on
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Input, Static

from procmod.core.dto import Page, PageRequest
from procmod.core.errors import NotFound
from procmod.tui.actions import DESTINATION_BY_ID
from procmod.tui.screens.base import ConsoleScreen
from procmod.tui.widgets.paged_table import Column, PagedTable
from procmod.tui.widgets.inputs import InOrderInput
from procmod.tui.widgets.lines import set_line

FilterT = TypeVar("FilterT")
T = TypeVar("T")

FILTER_DEBOUNCE_SECONDS = 0.25


@dataclasses.dataclass(frozen=True)
class TextFilter:
    """The filter of lists that only filter by text (departments, data centers)."""

    text: str = ""


def cycle(values: Sequence[T], current: T | None) -> T | None:
    """The next value of a filter key: none → first → … → last → none."""
    if current is None:
        return values[0] if values else None
    index = list(values).index(current)
    return values[index + 1] if index + 1 < len(values) else None


class ListScreen(ConsoleScreen, Generic[FilterT]):
    """A list of one destination. Subclasses give the columns, `fetch`, and what a row opens."""

    FILTER_TYPE: ClassVar[type] = TextFilter
    AUTO_FOCUS = "#list > RowTable"  # focused as the screen is composed, so its first frame shows it
    #: What the text filter is matched against, in the filter line's words. Every list has one rule: the
    #: text anywhere in it, in any case (core/queries.py `TextFilter`, served by a text-search index).
    TEXT_FIELD: ClassVar[str] = "name"

    def __init__(self, fixed: FilterT | None = None) -> None:
        super().__init__()
        #: The filter the screen was opened with (from a card or another list); `x` clears it.
        self.fixed: FilterT | None = fixed
        self.filter: FilterT = fixed if fixed is not None else self.FILTER_TYPE()
        self._debounce: Timer | None = None

    # ------------------------------------------------------------------ what subclasses give

    def columns(self) -> list[Column[Any]]:
        raise NotImplementedError

    def fetch(self, page: PageRequest) -> Page[Any]:
        raise NotImplementedError

    def describe_filter(self) -> list[str]:
        """The active filters in words, e.g. `module vm-fra-1`, `status Active`, from the fields the
        screen's filter has (tariff, module, status, name); screens add their own after these."""
        flt, parts = self.filter, []
        if getattr(flt, "tariff_id", None) is not None:
            parts.append(f"tariff {self.backend.tariffs.name(flt.tariff_id)}")
        if getattr(flt, "module_id", None) is not None:
            parts.append(f"module {self.module_name(flt.module_id)}")
        if getattr(flt, "status", None):
            parts.append(f"status {flt.status.label}")
        if text := getattr(flt, "text", ""):
            parts.append(f"{self.TEXT_FIELD} contains “{text}” (anywhere, any case)")
        return parts

    def open_row(self, row: Any) -> None:
        """Enter on a row; lists without a deeper screen do nothing."""

    # ------------------------------------------------------------------ frame

    def crumbs(self, *, first: bool) -> tuple[str, ...]:
        destination = DESTINATION_BY_ID[self.SCREEN_ID]
        return destination.path if first else (destination.title,)

    def compose_content(self) -> ComposeResult:
        yield Static("", id="filter-line")
        yield InOrderInput(placeholder=f"Filter: any part of the {self.TEXT_FIELD}, any case; Enter or Esc closes",
                           id="filter-input", classes="-hidden", max_length=200)
        yield PagedTable(self.columns(), self.fetch, id="list", page_size=self.app.page_size)

    @property
    def paged(self) -> PagedTable:
        return self.query_one(PagedTable)

    @property
    def filter_input(self) -> Input:
        return self.query_one("#filter-input", Input)

    def on_mount(self) -> None:
        if self.app.closing:
            return  # made ahead (tui/prepared_screens.py), and the console closed before it mounted
        self.filter_input.cursor_blink = False
        if self.app.loaded_backend is None:
            # The start list, shown while the database opens: its rows come when it is open (the app
            # reopens this screen then), so the screen is composed and painted meanwhile, not after.
            set_line(self.query_one("#filter-line", Static), "Opening the database…")
            self._waiting_for_database = True
        else:
            self.requery()

    #: Shown before the database was open: read once it is (`database_opened`), unless reopened meanwhile.
    _waiting_for_database = False

    def database_opened(self) -> None:
        if self._waiting_for_database and self.is_mounted:
            self._waiting_for_database = False
            self.requery()

    def refresh_content(self) -> None:
        self.paged.reload()

    def data_changed(self, tables: frozenset[str]) -> None:
        if not self._waiting_for_database:
            self.paged.refresh_rows()  # the rows shown, by key: no clear, the cursor stays on its row
        self.apply_pane()

    def reopen(self, *, below: Sequence[Screen[Any]]) -> None:
        """Opened again from the menu (the app keeps destination screens, and prepares them): unfiltered,
        first page, read afresh, shown over `below`. Done before the screen is shown, so that the frame it
        is shown in already has its rows and crumbs: lines rewritten after would each ask for a repaint of
        their own, a second frame."""
        if self.filter_open:
            self.filter_input.add_class("-hidden")
        self._waiting_for_database = False
        self.action_clear_filters(below=below)
        self.set_focus(self.paged.table, scroll_visible=False)
        self.reread_on_show = False  # read just now

    def show_first_page(self, page: Page[Any]) -> bool:
        """Show the first page a helper read before the console opened its database (core/first_page.py),
        unless the list was filtered or filled meanwhile. True if shown."""
        if self.filter != self.FILTER_TYPE() or self.fixed is not None or self.paged.rows or not self.is_mounted:
            return False
        self.paged.show_page(self.fetch, page)
        self._waiting_for_database = False  # it has its rows: the database need not read them again
        self._show_filter()
        return True

    def requery(self) -> None:
        """The filter changed: back to the first page, and say what the filter is."""
        self.paged.set_fetch(self.fetch)
        self._show_filter()

    def _show_filter(self) -> None:
        try:
            parts = self.describe_filter()
        except NotFound as gone:
            self.notify(str(gone), title="Not found", severity="warning")
            parts = []
        line = ("Filter: " + " · ".join(parts) + "   (x clears)") if parts else "All rows   (/ filters)"
        set_line(self.query_one("#filter-line", Static), line)

    def set_filter(self, **changes: Any) -> None:
        self.filter = dataclasses.replace(self.filter, **changes)  # type: ignore[type-var]
        self.requery()

    # ------------------------------------------------------------------ actions

    def action_filter(self) -> None:
        field = self.filter_input
        field.value = getattr(self.filter, "text", "")
        field.remove_class("-hidden")
        self.set_focus(field)  # at once: the letters typed right after / go into the filter (a priority key)

    def close_filter(self) -> None:
        self._apply_text()
        self.filter_input.add_class("-hidden")
        self.set_focus(self.paged.table)  # at once: keys typed after Enter go to the list, not the closed filter

    @property
    def filter_open(self) -> bool:
        return not self.filter_input.has_class("-hidden")

    def action_back(self) -> None:
        if self.filter_open:
            self.close_filter()
        else:
            super().action_back()

    def action_enter_field(self) -> None:
        """Enter in the filter: applied and closed now, in order with the keys around it (a second Enter in
        the same burst then opens the row the filter found, not the row that was first before it)."""
        if self.filter_open and self.focused is self.filter_input:
            self.close_filter()
        else:
            super().action_enter_field()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "back" and self.filter_open:
            return True
        if action == "enter_field" and self.focused is self.filter_input:
            return True
        if action == "filter" and self.focused is self.filter_input:
            return False  # / typed in the filter is a character of it
        return super().check_action(action, parameters)

    @on(Input.Changed, "#filter-input")
    def _text_changed(self) -> None:
        if self._debounce is not None:
            self._debounce.stop()
        self._debounce = self.set_timer(FILTER_DEBOUNCE_SECONDS, self._apply_text)

    @on(Input.Submitted, "#filter-input")
    def _text_submitted(self) -> None:
        self.close_filter()

    def _apply_text(self) -> None:
        if self._debounce is not None:
            self._debounce.stop()
            self._debounce = None
        text = self.filter_input.value.strip()
        if text != getattr(self.filter, "text", ""):
            self.set_filter(text=text)

    def action_clear_filters(self, *, below: Sequence[Screen[Any]] | None = None) -> None:
        self.filter_input.value = ""
        self.fixed = None
        self.filter = self.FILTER_TYPE()
        self.requery()
        self.update_frame(below=below)

    def action_next_page(self) -> None:
        self.paged.next_page()

    def action_previous_page(self) -> None:
        self.paged.previous_page()

    def action_reload(self) -> None:
        self.paged.reload()

    def action_export_list(self) -> None:
        """`X`: every page of this list, with its filters, to a file (tui/screens/export_dialog.py)."""
        from procmod.tui.screens.export_dialog import ExportScreen

        parts = self.describe_filter()
        described = ("filtered by " + " · ".join(parts)) if parts else "unfiltered"

        def written(message: str | None) -> None:
            if message:
                self.notify(message, title="Export")

        self.app.push_screen(ExportScreen(self.SCREEN_ID, self.filter, described, self.backend.clock.now()),
                             written)

    def action_copy_row(self) -> None:
        """`y`: the selected row to the clipboard, through the terminal (OSC 52)."""
        table = self.paged.table
        key = table.cursor_key
        if key is None:
            return
        text = table.row_text(key)
        self.app.copy_to_clipboard(text)
        self.notify(f"Copied the row: {text.replace(chr(9), ' · ')[:60]}", title="Clipboard")

    def action_copy_cell(self) -> None:
        """`Y`: one cell of the selected row, the column at the left edge (→ and ← choose it)."""
        table = self.paged.table
        key = table.cursor_key
        if key is None:
            return
        column = table.first_shown_column
        text = table.get_row(key)[column].plain
        self.app.copy_to_clipboard(text)
        self.notify(f"Copied {table.column_labels[column]}: {text[:60]}", title="Clipboard")

    def action_open_row(self) -> None:
        """Enter on the list (a priority key: run when the app reads it, in order with the keys after it, so
        `Enter e` edits the module Enter opened); in the filter or elsewhere, Enter is theirs."""
        if self.focused is not self.paged.table:
            raise SkipAction()
        row = self.paged.selected
        if row is not None:
            self.open_row(row)

    def on_paged_table_row_chosen(self, event: PagedTable.RowChosen) -> None:
        self.open_row(event.row)

    def action_choose_module(self) -> None:
        from procmod.tui.screens.choose_module import ChooseModuleScreen

        def chosen(module_id: int | None) -> None:
            if module_id is not None:
                self.set_filter(module_id=module_id)

        self.app.push_screen(ChooseModuleScreen(), chosen)

    def module_name(self, module_id: int) -> str:
        return self.backend.modules.name(module_id)

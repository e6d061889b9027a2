"""A module's reconciliation report: what is only on the panel, only in the billing, or on both but different.

`R` (card, Reconciliation list) opens it reading the panel in a thread worker, the head line counting the
objects read (a few times a second). Its three groups (1 2 3, Tab) are paged tables of key, state and the
compared fields in one column (`fields_cell`). Space selects rows; the action keys act on the selection (else
the highlighted row) through a plan (tui/screens/recon_plan.py). `r` reads the panel again (a new report).
Opened from a drift notification, the notification's time and text head it.
"""

from __future__ import annotations

from dataclasses import dataclass
from time import monotonic

from rich.text import Text
from textual import work
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.message import Message
from textual.widgets import Static

from procmod.core.dto import Page, PageRequest
from procmod.core.reconciliation import ReconAction, ReconGroup, ReconRowView, ReportSummary
from procmod.tui.actions import bindings_for
from procmod.tui.screens.base import ConsoleScreen
from procmod.tui.screens.module_actions import ModuleRef
from procmod.tui.screens.recon_plan import ReconActionFlow
from procmod.tui.screens.recon_words import (GROUPS, error_text, fields_cell, fields_label, group_count, group_tabs,
                                             report_lines, row_state, row_state_word)
from procmod.tui.widgets.lines import set_line
from procmod.tui.widgets.paged_table import Column, PagedTable
from procmod.tui.widgets.ticks import TICKED, UNTICKED


#: The head line counts the objects read at most this often (s). A panel's pages come every few ms; a repaint
#: for each kept the screen on Textual's 60 fps frame grid, so a key pressed meanwhile waited for the next
#: frame (17 ms median while reading 10,000 objects, 2 ms with the count throttled: scripts/bench_recon.py).
PROGRESS_INTERVAL = 0.25


class ReconReportScreen(ReconActionFlow, ConsoleScreen):
    SCREEN_ID = "recon"
    AUTO_FOCUS = "#recon-rows > RowTable"
    BINDINGS = bindings_for("recon")

    @dataclass
    class Reading(Message):
        objects: int

    @dataclass
    class Read(Message):
        report: ReportSummary

    @dataclass
    class Failed(Message):
        text: str

    def __init__(self, module: ModuleRef, *, report_id: int | None = None, read: bool = False,
                 notice: str | None = None) -> None:
        super().__init__()
        self.module = module
        #: The drift notification this report was opened from (its time and text), shown above the report.
        self.notice = notice
        self.report_id = report_id
        self.read_on_mount = read
        self.report: ReportSummary | None = None
        self.group = ReconGroup.PANEL_ONLY
        #: The selected rows of the group shown (by id; kept across its pages).
        self.selected: dict[int, ReconRowView] = {}
        self.busy = False
        self.mapped_once = False

    @property
    def shown_module_id(self) -> int:
        return self.module.id

    def crumbs(self, *, first: bool) -> tuple[str, ...]:
        if first:
            return ("Integration", "Reconciliation", self.module.name)
        stack = self.app.screen_stack
        below = stack[stack.index(self) - 1] if self in stack and stack.index(self) else None
        # From the module's card (its name already shown): "Reconciliation"; from the list: the module.
        return ("Reconciliation",) if getattr(below, "SCREEN_ID", "") == "card" else (self.module.name,)

    def compose_content(self) -> ComposeResult:
        if self.notice:
            yield Static(Text(self.notice), id="recon-notice")
        yield Static("", id="recon-head")
        yield Static("", id="recon-warning", classes="-hidden")
        yield Static("", id="recon-groups")
        yield PagedTable(self.columns(), self.fetch, id="recon-rows", page_size=self.app.page_size)
        yield Static("", id="recon-line")

    def columns(self) -> list[Column[ReconRowView]]:
        """Key, state and the compared fields in one cell, last, taking the width left: at 80 columns every
        row's differing fields and its state show without scrolling sideways (Enter shows every field)."""
        return [
            Column("sel", "   ", lambda r: TICKED if r.id in self.selected else UNTICKED, width=3),
            Column("key", "Key", lambda r: r.key),
            Column("state", "State", row_state_word),
            Column("fields", fields_label(self.group), fields_cell),
        ]

    @property
    def paged(self) -> PagedTable:
        return self.query_one(PagedTable)

    def fetch(self, page: PageRequest) -> Page[ReconRowView]:
        if self.report is None:
            return Page(rows=[], total=0, offset=0, limit=page.limit)
        return self.backend.reconciliation.rows(self.report.id, self.group, page)

    def on_mount(self) -> None:
        if self.app.closing:
            return
        super().on_mount()
        if self.read_on_mount:
            self.action_reconcile()
        else:
            self.load_report()

    def refresh_content(self) -> None:
        if not self.busy and self.report is not None:
            self.load_report()

    def load_report(self) -> None:
        from procmod.core.errors import NotFound
        from procmod.core.reconciliation import ReconciliationError

        recon = self.backend.reconciliation
        try:
            report = recon.report(self.report_id) if self.report_id is not None else recon.latest(self.module.id)
        except (NotFound, ReconciliationError) as gone:
            self.say(str(gone), error=True)
            return
        if report is None:
            self.say("Never reconciled: r reads the panel and compares it with the billing.")
            set_line(self.query_one("#recon-head", Static), f"{self.module.name}: no report yet")
            return
        self.show_report(report)

    def show_report(self, report: ReportSummary, *, keep_rows: bool = True) -> None:
        first = self.report is None or self.report.id != report.id
        self.report, self.report_id = report, report.id
        set_line(self.query_one("#recon-head", Static), report_lines(report))
        warning = self.query_one("#recon-warning", Static)
        set_line(warning, f"Incomplete: {report.incomplete} (billing-only rows offer no action)"
                 if report.incomplete else "")
        warning.set_class(not report.incomplete, "-hidden")
        if first and not group_count(report, self.group):
            self.group = next((g for g in GROUPS if group_count(report, g)), self.group)
        self.show_groups()
        if first or not keep_rows:
            self.selected.clear()
            self.paged.set_fetch(self.fetch)
        else:
            self.paged.reload()
        self.show_selection()
        self.refresh_bindings()

    def show_groups(self) -> None:
        set_line(self.query_one("#recon-groups", Static), group_tabs(self.report, self.group))
        self.paged.table.set_column_label("fields", fields_label(self.group))

    def say(self, text: str, *, error: bool = False) -> None:
        line = self.query_one("#recon-line", Static)
        set_line(line, text)
        line.set_class(error, "-error")

    def show_selection(self) -> None:
        row = self.paged.selected
        if self.selected:
            self.say(f"Selected: {len(self.selected):,} · the action keys act on them · Space unselects")
        elif row is not None and (row.resolved or row.note):
            self.say(row_state(row))  # what was done to the highlighted row, or why it offers nothing
        elif self.report is not None:
            self.say("Enter: every field side by side, billing and panel, marked differs or same")

    # ------------------------------------------------------------------ keys

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "recon":
            recon_action = ReconAction(str(parameters[0]))
            if self.busy or self.report is None or recon_action.group is not self.group:
                return False
            if not any(recon_action in row.actions for row in self.targets()):
                return None  # this group's action, not offered by the rows chosen: shown dimmed
        elif action in {"reconcile", "toggle_select", "next_group", "show_group", "open_row"} and self.busy:
            return False
        return super().check_action(action, parameters)

    def targets(self) -> list[ReconRowView]:
        if self.selected:
            return list(self.selected.values())
        row = self.paged.selected
        return [] if row is None else [row]

    def action_show_group(self, group: str) -> None:
        if ReconGroup(group) is not self.group:
            self.group = ReconGroup(group)
            self.selected.clear()
            self.show_groups()
            self.paged.set_fetch(self.fetch)
            self.show_selection()
            self.refresh_bindings()

    def action_next_group(self) -> None:
        self.action_show_group(GROUPS[(GROUPS.index(self.group) + 1) % len(GROUPS)].value)

    def action_toggle_select(self) -> None:
        row = self.paged.selected
        if row is None:
            return
        if self.selected.pop(row.id, None) is None:
            self.selected[row.id] = row
        table = self.paged.table
        table.update_cell(str(row.id), "sel", TICKED if row.id in self.selected else UNTICKED)
        table.move_cursor(row=min(table.cursor_row + 1, table.row_count - 1))
        self.show_selection()
        self.refresh_bindings()

    def on_paged_table_row_chosen(self, event: PagedTable.RowChosen) -> None:
        self.open_row(event.row)

    def action_open_row(self) -> None:
        if self.focused is not self.paged.table:
            raise SkipAction()  # Enter is a priority key (opened in key order): elsewhere it is the widget's
        if (row := self.paged.selected) is not None:
            self.open_row(row)

    def open_row(self, row: ReconRowView) -> None:
        from procmod.tui.screens.recon_row import ReconRowScreen

        def chosen(action: str | None) -> None:
            if action:
                self.start_action(ReconAction(action), [row])

        self.app.push_screen(ReconRowScreen(self.module, row), chosen)

    def on_descendant_focus(self) -> None:
        self.refresh_bindings()  # the actions offered follow the highlighted row

    def on_row_table_row_highlighted(self) -> None:
        self.refresh_bindings()
        if not self.busy:
            self.show_selection()

    def action_next_page(self) -> None:
        self.paged.next_page()

    def action_previous_page(self) -> None:
        self.paged.previous_page()

    def action_reload(self) -> None:
        self.refresh_content()

    # ------------------------------------------------------------------ reading the panel

    def action_reconcile(self) -> None:
        if self.busy:
            return
        self._set_busy(True)
        set_line(self.query_one("#recon-head", Static), f"Reading the panel of {self.module.name}…")
        self.say("The console stays usable meanwhile; Esc leaves (the reading goes on).")
        self._reconcile(self.module)

    @work(thread=True, group="recon-read", exit_on_error=False)
    def _reconcile(self, module: ModuleRef) -> None:
        shown = [monotonic()]

        def progress(objects: int) -> None:  # after each page; said at most every PROGRESS_INTERVAL
            now = monotonic()
            if now - shown[0] >= PROGRESS_INTERVAL:
                shown[0] = now
                self.post_message(self.Reading(objects))

        try:
            report = self.backend.reconciliation.reconcile(module.id, progress=progress)
        except Exception as error:  # noqa: BLE001 - a driver's, a refusal, a gone module: said in words
            self.post_message(self.Failed(f"{module.name}: the panel was not read. {error_text(error)}"))
        else:
            self.post_message(self.Read(report))

    def on_recon_report_screen_reading(self, event: Reading) -> None:
        set_line(self.query_one("#recon-head", Static),
                 f"Reading the panel of {self.module.name}… {event.objects:,} objects")

    def on_recon_report_screen_read(self, event: Read) -> None:
        self._set_busy(False)
        self.show_report(event.report, keep_rows=False)

    def on_recon_report_screen_failed(self, event: Failed) -> None:
        self._set_busy(False)
        if self.report is not None:
            set_line(self.query_one("#recon-head", Static), report_lines(self.report))
        else:
            set_line(self.query_one("#recon-head", Static), f"{self.module.name}: no report")
        self.say(event.text, error=True)
        self.notify(event.text, title="Reconciliation", severity="error")

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        self.refresh_bindings()

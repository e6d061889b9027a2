"""The card of a processing module: Overview, Settings (grouped, secrets masked) and Related entities.

Related entities are read only; their rows lead to the filtered lists, as the platform's links do:
a tariff's name → Tariff plans filtered to that tariff; the row under the tariffs → all tariffs of this
module; a notification → Notifications filtered by this module.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rich.cells import cell_len
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Static

from procmod.core.dto import ModuleCard, ModuleStatus, NotificationFilter, ServiceFilter, TariffFilter, TaskFilter
from procmod.core.formatting import format_duration, format_money, format_time
from procmod.core.drivers import DriverError
from procmod.core.errors import NotFound
from procmod.tui.actions import bindings_for
from procmod.tui.screens.module_actions import ModuleActions, ModuleRef
from procmod.tui.widgets.health_badge import HealthBadge
from procmod.tui.widgets.row_table import RowTable

if TYPE_CHECKING:
    from procmod.tui.messages import SchedulerActivity

ALL_ROWS_KEY = "all"


def _pairs(rows: list[tuple[str, str]], *, indent: str = "", width: int | None = None) -> Text:
    """Labels (bold) and values in two aligned columns (labels `width` wide, else as wide as the widest),
    as one Text: a Rich Table here is measured and rendered again on every layout, several milliseconds
    each time the card is shown."""
    width = (width or max((cell_len(label) for label, _ in rows), default=0)) + 2
    text = Text()
    for index, (label, value) in enumerate(rows):
        if index:
            text.append("\n")
        text.append(indent + label + " " * (width - cell_len(label)), style="bold")
        text.append(value)
    return text


#: Card actions that need the module's type (its settings schema or its driver).
NEEDS_MODULE_TYPE = frozenset({"edit_module", "update_configuration", "check_connection", "read_balance",
                               "reconcile"})

class ModuleCardScreen(ModuleActions):
    SCREEN_ID = "card"
    AUTO_FOCUS = "#card"  # the top of the card first (Tab reaches the tables), focused before the first frame
    BINDINGS = bindings_for("card")

    def __init__(self, card: ModuleCard) -> None:
        super().__init__()
        self.card = card

    def show_module(self, card: ModuleCard, *, below: Sequence[Screen[Any]]) -> None:
        """The app keeps one card screen and shows the next module's card on it (tui/app.py `open_card`):
        its widgets are rewritten before it is shown, so it opens in one frame, top of the card focused."""
        self.card = card
        self.reread_on_show = False  # read just now
        if not self.is_mounted:
            return  # composing: on_mount draws it
        self.show_card(below=below)
        for table in self.query(RowTable):
            table.move_cursor(row=0)
        scroll = self.query_one("#card", VerticalScroll)
        scroll.scroll_home(animate=False, immediate=True)
        self.set_focus(scroll, scroll_visible=False)

    @property
    def shown_module_id(self) -> int:
        return self.card.id

    def target_module(self) -> ModuleRef | None:
        return ModuleRef(self.card.id, self.card.name)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "enable_module" and self.card.status is ModuleStatus.ENABLED:
            return False
        if action == "disable_module" and self.card.status is ModuleStatus.DISABLED:
            return False
        if action == "read_balance" and not self.card.reports_balance:
            return False
        if self.card.type_unavailable and action in NEEDS_MODULE_TYPE:
            return False  # the type's plugin is broken or missing: nothing can be set or asked of the panel
        return super().check_action(action, parameters)

    def crumbs(self, *, first: bool) -> tuple[str, ...]:
        return ("Integration", "Processing modules", self.card.name) if first else (self.card.name,)

    def compose_content(self) -> ComposeResult:
        with VerticalScroll(id="card"):
            yield Static("", id="card-heading")
            yield HealthBadge("", id="card-health")
            yield Static("Overview", classes="block-title")
            yield Static("", id="overview")
            yield Static("Settings", classes="block-title")
            yield Static("", id="settings")
            yield Static("Related entities", classes="block-title")
            yield Static("", id="tariffs-title", classes="related-title")
            yield self._table("card-tariffs", [("name", "Name"), ("status", "Status"),
                                               ("active", "Active services")])
            yield Static("Background tasks", id="tasks-title", classes="related-title")
            yield self._table("card-tasks", [("name", "Name"), ("schedule", "Schedule"), ("last_run", "Last run"),
                                             ("result", "Last result"), ("duration", "Duration")])
            yield Static("", id="notifications-title", classes="related-title")
            yield self._table("card-notifications", [("description", "Description"), ("added", "Date added")])

    @staticmethod
    def _table(table_id: str, columns: list[tuple[str, str]]) -> RowTable:
        table = RowTable(id=table_id, classes="related")
        for key, label in columns:
            table.add_column(label, key=key)
        return table

    def on_mount(self) -> None:
        if self.app.closing:
            return  # made ahead (tui/prepared_screens.py), and the console closed before it mounted
        self.show_card()

    def refresh_content(self) -> None:
        self.action_reload()

    def action_reload(self) -> None:
        try:
            self.card = self.backend.modules.card(self.card.id)
        except NotFound as gone:
            self.notify(str(gone), title="Not found", severity="warning")
            self.app.pop_screen()
            return
        self.show_card()

    # ------------------------------------------------------------------ drawing

    def show_card(self, *, below: Sequence[Screen[Any]] | None = None) -> None:
        card = self.card
        self.update_frame(below=below)  # the name may have changed
        self.refresh_bindings()
        updated = f"updated {format_time(card.updated_at)}" + (f" by {card.updated_by}" if card.updated_by else "")
        unavailable = "  ·  READ-ONLY: module type unavailable" if card.type_unavailable else ""
        self.query_one("#card-heading", Static).update(
            Text(f"{card.name}  ·  {card.status.label}  ·  {card.product_type_name}  ·  {updated}{unavailable}")
        )
        self.query_one("#card-health", HealthBadge).show(card.health_ok, card.health_summary,
                                                         card.health_checked_at, self.backend.clock.now())
        self.query_one("#overview", Static).update(_pairs(self.overview_rows()))
        width = max((cell_len(v.label) for group in card.settings for v in group.values), default=0)
        settings = Text("\n").join(
            Text.assemble((group.title, "bold underline"), "\n",
                          _pairs([(v.label, v.display) for v in group.values], indent="  ", width=width))
            for group in card.settings
        )
        self.query_one("#settings", Static).update(settings if card.settings else Text("No settings"))
        self._fill_tariffs()
        self._fill_tasks()
        self._fill_notifications()

    def overview_rows(self) -> list[tuple[str, str]]:
        card = self.card
        rows = [("Processing module", card.module_type_title)]
        if card.type_unavailable:
            rows.append(("Read-only", card.type_unavailable))
        if card.supports_datacenter:
            rows.append(("Data center", card.datacenter_name or "—"))
        rows += [("Responsible department", card.department_name), ("Status", card.status.label),
                 ("Time zone", f"{card.timezone} (its tasks' schedules fire by this clock)")]
        if card.reports_balance:
            read = f" (read {format_time(card.balance_read_at)})" if card.balance_read_at else " (not read yet)"
            rows.append(("Processing module balance", format_money(card.balance, card.balance_currency) + read))
            if card.minimal_balance is not None:
                rows.append(("Minimal balance", format_money(card.minimal_balance, card.balance_currency)))
        return rows

    def _fill_tariffs(self) -> None:
        card = self.card
        shown = len(card.tariffs)
        extra = f", first {shown}" if shown < card.tariff_total else ""
        self.query_one("#tariffs-title", Static).update(Text(f"Tariffs ({card.tariff_total:,}{extra})"))
        rows = [(str(t.id), (t.name, t.status.label, f"{t.active_service_count:,}")) for t in card.tariffs]
        rows.append((ALL_ROWS_KEY, (Text("All tariffs of this module →", style="italic"),)))
        self.query_one("#card-tariffs", RowTable).set_rows(rows)

    def _fill_tasks(self) -> None:
        self.query_one("#tasks-title", Static).update(Text(f"Background tasks (schedules in {self.card.timezone})"))
        self.query_one("#card-tasks", RowTable).set_rows(
            (str(task.id), (task.name + ("" if task.enabled else " (off)"), task.schedule,
                            format_time(task.last_run_at), task.last_result.label if task.last_result else "Never run",
                            format_duration(task.last_duration)))
            for task in self.card.tasks)

    def _fill_notifications(self) -> None:
        card = self.card
        self.query_one("#notifications-title", Static).update(
            Text(f"Notifications (unread: {card.unread_notification_total:,})")
        )
        rows = [(str(n.id), (n.description, format_time(n.created_at))) for n in card.notifications]
        rows.append((ALL_ROWS_KEY, (Text("All notifications of this module →", style="italic"),)))
        self.query_one("#card-notifications", RowTable).set_rows(rows)

    def on_scheduler_activity(self, message: SchedulerActivity) -> None:
        """Live: a run of this module's tasks ended or a notification came (tui/app.py posts this). Rewrites
        the task and notification rows by key, no reload. Added by the scheduler work; kept minimal."""
        if self.card.id not in message.module_ids:
            return
        try:
            self.card = self.backend.modules.card(self.card.id)
        except NotFound:
            return
        self._fill_tasks()  # set_rows repaints only the rows that changed and keeps each cursor on its row
        self._fill_notifications()
        # A scheduled connection check is the module's health: the badge follows it (it stayed stale).
        self.query_one("#card-health", HealthBadge).show(self.card.health_ok, self.card.health_summary,
                                                         self.card.health_checked_at, self.backend.clock.now())

    # ------------------------------------------------------------------ links

    @on(RowTable.RowSelected, "#card-tariffs")
    def _tariff_chosen(self, event: RowTable.RowSelected) -> None:
        if event.row_key == ALL_ROWS_KEY:
            self.action_module_tariffs()
        else:
            self._push_tariffs(TariffFilter(tariff_id=int(event.row_key)))

    @on(RowTable.RowSelected, "#card-tasks")
    def _task_chosen(self) -> None:
        self.action_module_tasks()

    @on(RowTable.RowSelected, "#card-notifications")
    def _notification_chosen(self) -> None:
        self.action_module_notifications()

    def _push_tariffs(self, flt: TariffFilter) -> None:
        from procmod.tui.screens.tariff_list import TariffListScreen

        self.app.push_screen(TariffListScreen(flt))

    def action_module_tariffs(self) -> None:
        self._push_tariffs(TariffFilter(module_id=self.card.id))

    def action_module_services(self) -> None:
        from procmod.tui.screens.service_list import ServiceListScreen

        self.app.push_screen(ServiceListScreen(ServiceFilter(module_id=self.card.id)))

    def action_module_notifications(self) -> None:
        from procmod.tui.screens.notification_list import NotificationListScreen

        self.app.push_screen(NotificationListScreen(NotificationFilter(module_id=self.card.id)))

    def action_module_tasks(self) -> None:
        from procmod.tui.screens.task_list import TaskListScreen

        self.app.push_screen(TaskListScreen(TaskFilter(module_id=self.card.id)))

    # ------------------------------------------------------------------ lifecycle

    def action_module_history(self) -> None:
        from procmod.tui.screens.module_history import ModuleHistoryScreen

        self.app.push_screen(ModuleHistoryScreen(self.card.id, self.card.name))

    def action_edit_module(self) -> None:
        from procmod.tui.screens.module_edit import edit_screen

        try:
            form = self.backend.commands.edit_form(self.card.id)
        except NotFound as gone:
            self.notify(str(gone), title="Not found", severity="warning")
            return
        self.app.push_screen(edit_screen(self.app, form, self.card.name))

    # ------------------------------------------------------------------ integration

    def action_check_connection(self) -> None:
        from procmod.tui.screens.connection_check import ConnectionCheckScreen

        self.app.push_screen(ConnectionCheckScreen(ModuleRef(self.card.id, self.card.name)))

    def action_update_configuration(self) -> None:
        from procmod.tui.screens.config_plan import ConfigPlanScreen

        self.app.push_screen(ConfigPlanScreen(ModuleRef(self.card.id, self.card.name)))

    def action_reconcile(self) -> None:
        from procmod.tui.screens.recon_report import ReconReportScreen

        self.app.push_screen(ReconReportScreen(ModuleRef(self.card.id, self.card.name), read=True))

    def action_read_balance(self) -> None:
        if self.card.reports_balance:
            self.notify("Reading the balance…", title=self.card.name)
            self._read_balance(ModuleRef(self.card.id, self.card.name))

    @work(thread=True, group="integration", exit_on_error=False)
    def _read_balance(self, module: ModuleRef) -> None:
        try:
            balance = self.backend.integrations.read_balance(module.id)
        except DriverError as error:
            self.post_message(self.Failed(f"{module.name}: the balance was not read. {error}"))
        except NotFound as gone:
            self.post_message(self.Failed(str(gone)))
        else:
            read = "no balance reported" if balance is None else format_money(balance.amount, balance.currency)
            self.post_message(self.Changed(module, f"{module.name}: balance {read}"))

    def action_call_log(self) -> None:
        from procmod.tui.screens.call_log import CallLogScreen

        self.app.push_screen(CallLogScreen(ModuleRef(self.card.id, self.card.name)))

"""The one registry of operator actions and menu destinations.

It feeds every screen's `BINDINGS` (each key a `Binding` with an `id`, so a keymap can remap it), the `?`
help screen, the command palette (a command per destination) and the README's key table
(`python -m procmod.tui.actions`). Mutating actions are flagged so a read-only console can remove them.

This module imports only `textual.binding`, which is light; screens import it, never the reverse.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

#: Screen id of actions that every screen has (back, quit, help, palette, notifications pane).
EVERYWHERE = "*"
#: Screen ids of the list screens (they share filter and paging keys).
LIST_SCREENS = frozenset(
    {"modules", "datacenters", "tariffs", "services", "departments", "notifications", "tasks"}
)


@dataclass(frozen=True)
class OperatorAction:
    """One thing the operator can do by a key: what it is called, where it applies, whether it writes."""

    id: str  # Binding id, globally unique: a keymap remaps it by this id
    key: str  # Textual key name(s), comma separated
    action: str  # the Textual action it runs (`action_<name>` on the screen or app)
    description: str  # short, for the footer
    help: str  # one sentence, for `?` and the footer tooltip
    screens: frozenset[str]
    mutates: bool = False
    show: bool = True  # shown in the footer (all are shown in `?` help)
    key_display: str | None = None
    #: Run as the key arrives, before it goes to the focused widget: a key that moves the focus (/ opening
    #: the filter) then moves it before the keys typed right after it are handed to a widget.
    priority: bool = False

    def binding(self):  # noqa: ANN201 - textual type imported lazily
        from textual.binding import Binding

        return Binding(
            self.key, self.action, self.description, show=self.in_footer, key_display=self.key_display,
            tooltip=self.help, id=self.id, priority=self.priority,
        )

    @property
    def in_footer(self) -> bool:
        return self.show and self.id not in FOOTER_SPARE

    @property
    def shown_key(self) -> str:
        return self.key_display or self.key.split(",")[0]


#: An 80-column footer holds about nine keys: these live in `?` help and work as ever, but leave the
#: footer to the keys an operator needs first on each screen.
FOOTER_SPARE = frozenset({
    "list.clear", "list.previous_page", "list.type", "list.copy", "list.copy_cell", "list.export",
    "card.services", "card.notifications", "card.tasks", "card.history", "card.call_log", "card.balance",
    "module.enable", "module.disable", "module.delete", "tariff.enable", "tariff.disable",
    "task.enable", "task.disable", "task.history",
    "runs.previous_page", "calls.previous_page", "blockers.recheck", "tariff.archive", "notifications.detail",
})


def _on(*screens: str) -> frozenset[str]:
    return frozenset(screens)


_FILTERABLE_BY_MODULE = _on("tariffs", "services", "notifications", "tasks")
_WITH_STATUS = _on("modules", "tariffs", "services", "tasks")
_SERVICE_OPS = _on("services", "service")

ACTIONS: tuple[OperatorAction, ...] = (
    # -------------------------------------------------------------- everywhere
    OperatorAction("app.back", "escape", "back", "Back", "Close the filter, or go back to the previous screen",
                   _on(EVERYWHERE), show=False),
    OperatorAction("app.quit", "q", "quit", "Quit", "Leave the console (in a form: ctrl+q)",
                   _on(EVERYWHERE)),
    OperatorAction("app.help", "question_mark", "help", "Keys", "Show the keys of this screen",
                   _on(EVERYWHERE), key_display="?"),
    OperatorAction("app.palette", "colon", "palette", "Go to", "Jump to any section (also ctrl+p)",
                   _on(EVERYWHERE), show=False, key_display=":", priority=True),
    OperatorAction("app.pane", "f2", "app.toggle_pane", "Pane",
                   "Show or hide the pane of the latest unread notifications", _on(EVERYWHERE)),
    # -------------------------------------------------------------- lists
    OperatorAction("list.open", "enter", "open_row", "Open",
                   "Open the selected row (a notification opens in full and is marked read; a drift notification "
                   "opens its module's latest reconciliation report, and is marked read)", LIST_SCREENS,
                   show=False, priority=True),
    OperatorAction("list.filter", "slash", "filter", "Filter", "Filter the list by text (Enter or Esc to close)",
                   LIST_SCREENS, key_display="/", priority=True),
    OperatorAction("list.status", "s", "cycle_status", "Status", "Filter by status: cycle through the values",
                   _WITH_STATUS),
    OperatorAction("list.type", "t", "cycle_type", "Type", "Filter by module type: cycle through the types",
                   _on("modules")),
    OperatorAction("list.export", "X", "export_list", "Export",
                   "Write every page of this list, with its filters, to a CSV or JSON file (asks for the path)",
                   LIST_SCREENS),
    OperatorAction("list.copy", "y", "copy_row", "Copy",
                   "Copy the selected row to the clipboard (cells separated by tabs; through the terminal, "
                   "OSC 52: works over SSH and in tmux)", LIST_SCREENS),
    OperatorAction("list.copy_cell", "Y", "copy_cell", "Copy cell",
                   "Copy one cell of the selected row: the column at the left edge (move with ← →)", LIST_SCREENS),
    OperatorAction("list.module", "m", "choose_module", "Module", "Filter by processing module",
                   _FILTERABLE_BY_MODULE),
    OperatorAction("list.clear", "x", "clear_filters", "Clear", "Clear every filter, including the one you came with",
                   LIST_SCREENS),
    OperatorAction("list.next_page", "right_square_bracket", "next_page", "Next page",
                   "Show the next page (also: down on the last row)", LIST_SCREENS, key_display="]"),
    OperatorAction("list.previous_page", "left_square_bracket", "previous_page", "Prev page",
                   "Show the previous page (also: up on the first row)", LIST_SCREENS, key_display="["),
    OperatorAction("list.reload", "ctrl+r", "reload", "Reload", "Read the list again from the database",
                   LIST_SCREENS, show=False),
    OperatorAction("notifications.detail", "v", "open_detail", "In full",
                   "The selected notification in full: its text, module, the task run that raised it, what to do "
                   "(marks it read)", _on("notifications")),
    OperatorAction("notifications.read", "r", "mark_read", "Mark read", "Mark the selected notification read",
                   _on("notifications"), mutates=True),
    OperatorAction("notifications.read_all", "R", "mark_all_read", "All read",
                   "Mark every notification in the list read (of the filtered module only, when filtered)",
                   _on("notifications"), mutates=True),
    OperatorAction("notification.card", "c", "open_module", "Card", "Open the card of the notification's module",
                   _on("notification")),
    OperatorAction("notification.runs", "b", "open_task_runs", "Task runs",
                   "The runs of the background task that raised the notification", _on("notification")),
    OperatorAction("history.open", "enter", "open_entry", "Open",
                   "Open the selected change: every field before → after (secrets only say \"changed\")",
                   _on("history")),
    # -------------------------------------------------------------- module card
    OperatorAction("card.tariffs", "t", "module_tariffs", "Tariffs",
                   "All tariff plans of this module (Tariff plans filtered by it)", _on("card")),
    OperatorAction("card.services", "s", "module_services", "Services",
                   "Services of this module (Services filtered by it)", _on("card")),
    OperatorAction("card.notifications", "n", "module_notifications", "Notifications",
                   "Notifications of this module (Notifications filtered by it)", _on("card")),
    OperatorAction("card.tasks", "b", "module_tasks", "Tasks",
                   "Background tasks of this module", _on("card")),
    OperatorAction("card.reload", "ctrl+r", "reload", "Reload", "Read the card again from the database",
                   _on("card"), show=False),
    OperatorAction("card.history", "h", "module_history", "History",
                   "The audit history of this module: when, who, what", _on("card")),
    # -------------------------------------------------------------- module lifecycle (writes)
    OperatorAction("module.add", "a", "add_module", "Add",
                   "Add a processing module: product type, module type, settings, Finish", _on("modules"),
                   mutates=True),
    OperatorAction("module.edit", "e", "edit_module", "Edit", "Edit this module's parameters and settings",
                   _on("card"), mutates=True),
    OperatorAction("module.update_config", "u", "update_configuration", "Update config",
                   "Read the configuration from the external system, review what would change, then apply it",
                   _on("card"), mutates=True),
    OperatorAction("module.enable", "E", "enable_module", "Enable",
                   "Enable the module: new services may be placed on it", _on("modules", "card"), mutates=True),
    OperatorAction("module.disable", "D", "disable_module", "Disable",
                   "Disable the module (asks first): existing services keep running, no new ones are placed",
                   _on("modules", "card"), mutates=True),
    OperatorAction("module.delete", "delete", "delete_module", "Delete",
                   "Delete the module: lists what blocks it first, then asks", _on("modules", "card"),
                   mutates=True, key_display="Del"),
    # -------------------------------------------------------------- tariffs and schedules (writes)
    OperatorAction("tariff.modules", "l", "link_modules", "Modules",
                   "Choose the processing modules linked to the selected tariff", _on("tariffs"), mutates=True),
    OperatorAction("tariff.enable", "E", "enable_tariff", "Enable", "Set the selected tariff Active",
                   _on("tariffs"), mutates=True),
    OperatorAction("tariff.disable", "D", "disable_tariff", "Disable", "Set the selected tariff Disabled",
                   _on("tariffs"), mutates=True),
    OperatorAction("task.schedule", "e", "edit_schedule", "Schedule",
                   "Edit the selected task's cron schedule and whether it runs", _on("tasks"), mutates=True),
    OperatorAction("task.run_now", "r", "run_now", "Run now",
                   "Run the task now, outside its schedule (not while a run of it is in progress)",
                   _on("tasks", "task_history"), mutates=True),
    OperatorAction("task.enable", "E", "enable_task", "Enable", "Enable the selected task: it runs on its schedule",
                   _on("tasks"), mutates=True),
    OperatorAction("task.disable", "D", "disable_task", "Disable",
                   "Disable the selected task: it no longer runs (a run in progress finishes)", _on("tasks"),
                   mutates=True),
    OperatorAction("task.history", "h", "task_history", "Runs",
                   "The runs of the selected task, newest first (also Enter)", _on("tasks")),
    OperatorAction("task.card", "c", "task_module", "Card", "Open the card of the selected task's module",
                   _on("tasks"), show=False),
    OperatorAction("runs.next_page", "right_square_bracket", "next_page", "Next page",
                   "Show the next page of runs (also: down on the last row)", _on("task_history"), key_display="]"),
    OperatorAction("runs.previous_page", "left_square_bracket", "previous_page", "Prev page",
                   "Show the previous page of runs (also: up on the first row)", _on("task_history"),
                   key_display="["),
    OperatorAction("runs.reload", "ctrl+r", "reload", "Reload", "Read the runs again", _on("task_history"),
                   show=False),
    # -------------------------------------------------------------- the Add wizard and the edit form
    OperatorAction("wizard.next", "ctrl+n", "next_step", "Next",
                   "Check this step, then go to the next one (Finish on the last one)", _on("wizard")),
    OperatorAction("wizard.previous", "ctrl+b", "previous_step", "Back", "Go to the previous step",
                   _on("wizard")),
    OperatorAction("form.next_field", "tab", "next_field", "Next field", "Go to the next field",
                   _on("wizard", "edit"), show=False),
    OperatorAction("form.previous_field", "shift+tab", "previous_field", "Previous field",
                   "Go to the previous field", _on("wizard", "edit"), show=False),
    OperatorAction("form.enter", "enter", "enter_field", "Next field",
                   "In a text field: go to the next field (on a button or a drop-down, Enter presses or opens it)",
                   _on("wizard", "edit"), show=False),
    OperatorAction("wizard.finish", "ctrl+s", "finish", "Finish",
                   "Check the connection and create the module (on the last step)", _on("wizard"), mutates=True),
    OperatorAction("form.save", "ctrl+s", "save", "Ok", "Save the changes", _on("edit"), mutates=True),
    OperatorAction("form.reload", "ctrl+r", "reload_form", "Reload",
                   "After a conflict: take the saved version, keep what you typed", _on("edit")),
    # -------------------------------------------------------------- delete pre-check
    OperatorAction("blockers.tariffs", "t", "fix_tariffs", "Tariffs",
                   "Tariff plans still linking this module (re-link them or disable them)", _on("delete_check")),
    OperatorAction("blockers.active", "a", "fix_active_services", "Active",
                   "Active services on this module", _on("delete_check")),
    OperatorAction("blockers.other", "o", "fix_other_services", "Services",
                   "Every service of this module", _on("delete_check")),
    OperatorAction("blockers.tasks", "b", "fix_tasks", "Tasks",
                   "Background tasks of this module (wait for those in progress)", _on("delete_check")),
    OperatorAction("blockers.recheck", "ctrl+r", "recheck", "Check again", "Look for blockers again",
                   _on("delete_check"), show=False),
    OperatorAction("blockers.delete", "delete", "delete_module", "Delete",
                   "Delete the module once nothing blocks it (asks first)", _on("delete_check"), mutates=True,
                   key_display="Del"),
    # -------------------------------------------------------------- reference data: data centers, departments, tariffs
    OperatorAction("reference.add", "a", "add_record", "Add",
                   "Add a record to this list (a form; Ok saves, Esc discards)",
                   _on("datacenters", "departments", "tariffs"), mutates=True),
    OperatorAction("reference.edit", "e", "edit_record", "Edit", "Edit the selected record (or this card's)",
                   _on("datacenters", "departments", "tariffs", "reference_card"), mutates=True),
    OperatorAction("reference.delete", "delete", "delete_record", "Delete",
                   "Delete the record: lists what blocks it first (with the key to fix each), then asks",
                   _on("datacenters", "departments", "reference_card"), mutates=True, key_display="Del"),
    OperatorAction("tariff.archive", "A", "archive_tariff", "Archive",
                   "Archive the selected tariff (asks first): no longer sold, kept with its services",
                   _on("tariffs"), mutates=True),
    OperatorAction("reference.modules", "m", "show_modules", "Modules",
                   "The processing modules using this record (the list filtered by it)",
                   _on("reference_card", "reference_blockers")),
    OperatorAction("reference_form.save", "ctrl+s", "save", "Ok", "Save the form (errors show under their fields)",
                   _on("reference_form"), mutates=True),
    OperatorAction("reference_blockers.recheck", "ctrl+r", "recheck", "Check again", "Look for blockers again",
                   _on("reference_blockers"), show=False),
    OperatorAction("reference_blockers.delete", "delete", "delete_record", "Delete",
                   "Delete the record once nothing blocks it (asks first)", _on("reference_blockers"),
                   mutates=True, key_display="Del"),
    # -------------------------------------------------------------- integration: check, configuration plan, call log
    OperatorAction("card.check", "c", "check_connection", "Check",
                   "Check the connection stage by stage (address, connect, TLS, login, API version); "
                   "the result becomes the module's health", _on("card"), mutates=True),
    OperatorAction("card.call_log", "L", "call_log", "Calls",
                   "The module's API calls: time, operation, status, duration, URL (secrets masked), error",
                   _on("card")),
    OperatorAction("check.again", "c", "check_again", "Check again", "Run the connection check again",
                   _on("check"), mutates=True),
    OperatorAction("plan.apply", "a", "apply_plan", "Apply",
                   "Apply the listed changes to the module's settings (recorded in its history)", _on("plan"),
                   mutates=True),
    OperatorAction("plan.again", "ctrl+r", "plan_again", "Read again",
                   "Read the configuration from the external system again", _on("plan")),
    OperatorAction("calls.next_page", "right_square_bracket", "next_page", "Next page",
                   "Show the next page of calls (also: down on the last row)", _on("calls"), key_display="]"),
    OperatorAction("calls.previous_page", "left_square_bracket", "previous_page", "Prev page",
                   "Show the previous page of calls (also: up on the first row)", _on("calls"), key_display="["),
    OperatorAction("calls.reload", "ctrl+r", "reload", "Reload", "Read the call log again", _on("calls")),
    OperatorAction("card.balance", "B", "read_balance", "Read balance",
                   "Read the balance from the external system now (modules that report one)", _on("card"),
                   mutates=True),
    # -------------------------------------------------------------- service operations (core/services.py)
    OperatorAction("service.open", "o", "service_open", "Open",
                   "Open the service on its module's panel (Ordered → Active); on a selection: all of it",
                   _SERVICE_OPS, mutates=True),
    OperatorAction("service.suspend", "p", "service_suspend", "Suspend",
                   "Suspend the service on the panel; on a selection: all of it (asks first)", _SERVICE_OPS,
                   mutates=True),
    OperatorAction("service.resume", "r", "service_resume", "Resume",
                   "Resume a suspended service; on a selection: all of it (asks first)", _SERVICE_OPS,
                   mutates=True),
    OperatorAction("service.close", "delete", "service_close", "Close",
                   "Close the service: remove it from the panel (→ Deleted); asks first", _SERVICE_OPS,
                   mutates=True, key_display="Del"),
    OperatorAction("service.transfer", "t", "service_transfer", "Transfer",
                   "Move the service (or the selection) to another module of the same type", _SERVICE_OPS,
                   mutates=True),
    OperatorAction("services.select", "space", "toggle_select", "Select",
                   "Select or unselect the row for a bulk operation", _on("services"), key_display="Space"),
    OperatorAction("services.select_all", "asterisk", "select_all", "Select all",
                   "Select every service matching the filter (again: select none)", _on("services"),
                   key_display="*"),
    OperatorAction("service.card", "ctrl+r", "reload", "Reload", "Read the service card again",
                   _on("service"), show=False),
    OperatorAction("service.module", "m", "service_module", "Module", "Open the card of the service's module",
                   _on("service"), show=False),
    OperatorAction("bulk.cancel", "c", "cancel_batch", "Cancel",
                   "Cancel the bulk operation: what started finishes, nothing new starts", _on("bulk"),
                   mutates=True),
    OperatorAction("bulk.close", "escape", "close", "Close", "Close this window (the operation goes on)",
                   _on("bulk")),
    OperatorAction("failures.open", "enter", "open_row", "Open", "Open the service, or the task's runs",
                   _on("failures"), show=False, priority=True),
    OperatorAction("failures.retry", "r", "retry", "Retry",
                   "Retry the operation (the same one: safe to repeat), or run the task now", _on("failures"),
                   mutates=True),
    OperatorAction("failures.dismiss", "x", "dismiss", "Dismiss",
                   "Set the entry aside, with a reason (recorded in the audit history)", _on("failures"),
                   mutates=True),
    OperatorAction("failures.next_page", "right_square_bracket", "next_page", "Next page",
                   "Show the next page", _on("failures"), key_display="]"),
    OperatorAction("failures.reload", "ctrl+r", "reload", "Reload", "Read the queue again", _on("failures"),
                   show=False),
    # -------------------------------------------------------------- reconciliation (issue 17)
    OperatorAction("card.reconcile", "R", "reconcile", "Reconcile",
                   "Read the module's panel and compare it with the billing: what is only on the panel, only in "
                   "the billing, or different (nothing changes until you apply an action)", _on("card")),
    OperatorAction("drift.reconcile", "R", "reconcile", "Reconcile",
                   "Reconcile the highlighted module now (reads its panel)", _on("reconciliation")),
    OperatorAction("drift.open", "enter", "open_row", "Open",
                   "Open the module's latest report (or offer to reconcile one never read)",
                   _on("reconciliation"), show=False, priority=True),
    OperatorAction("drift.next_page", "right_square_bracket", "next_page", "Next page",
                   "Show the next page (also: down on the last row)", _on("reconciliation", "recon"),
                   key_display="]", show=False),
    OperatorAction("drift.previous_page", "left_square_bracket", "previous_page", "Prev page",
                   "Show the previous page (also: up on the first row)", _on("reconciliation", "recon"),
                   key_display="[", show=False),
    OperatorAction("drift.reload", "ctrl+r", "reload", "Reload", "Read the list again from the database",
                   _on("reconciliation", "recon"), show=False),
    OperatorAction("recon.next_group", "tab", "next_group", "Group",
                   "Show the next group: only on the panel, only in the billing, on both but different",
                   _on("recon"), key_display="Tab"),
    OperatorAction("recon.panel_only", "1", "show_group('panel_only')", "Panel only",
                   "Show the rows only on the panel", _on("recon"), show=False),
    OperatorAction("recon.billing_only", "2", "show_group('billing_only')", "Billing only",
                   "Show the rows only in the billing", _on("recon"), show=False),
    OperatorAction("recon.different", "3", "show_group('different')", "Different",
                   "Show the rows on both sides whose fields differ", _on("recon"), show=False),
    OperatorAction("recon.select", "space", "toggle_select", "Select",
                   "Select or unselect the row: the action keys then act on the selection", _on("recon"),
                   key_display="Space"),
    OperatorAction("recon.row", "enter", "open_row", "Diff",
                   "The row's fields side by side: field, billing, panel, differs", _on("recon"), priority=True),
    OperatorAction("recon.import", "i", "recon('import')", "Import",
                   "Import the panel's objects as billing services (asks the panel plan → tariff mapping once "
                   "per module; shows the plan first)", _on("recon", "recon_row"), mutates=True),
    OperatorAction("recon.mark_closed", "x", "recon('mark_closed')", "Mark closed",
                   "Mark the billing's services the panel no longer has closed (shows the plan first)",
                   _on("recon", "recon_row"), mutates=True),
    OperatorAction("recon.open_again", "o", "recon('open_again')", "Open again",
                   "Create the billing's services on the panel again, the Open operation (shows the plan first)",
                   _on("recon", "recon_row"), mutates=True),
    OperatorAction("recon.take_panel", "t", "recon('take_panel')", "Take panel's",
                   "The billing takes the panel's values: status, tariff of the panel's plan, address "
                   "(shows the plan first)", _on("recon", "recon_row"), mutates=True),
    OperatorAction("recon.push_billing", "p", "recon('push_billing')", "Push billing's",
                   "Make the panel match the billing, e.g. suspend or resume there (service operations; shows "
                   "the plan first)", _on("recon", "recon_row"), mutates=True),
    OperatorAction("recon.again", "r", "reconcile", "Read again",
                   "Read the panel again and compare: a new report", _on("recon")),
    OperatorAction("recon_plan.apply", "a", "apply_plan", "Apply",
                   "Apply the plan's steps (each applied row is an audit entry; refused steps are skipped)",
                   _on("recon_plan"), mutates=True),
    OperatorAction("recon_map.save", "ctrl+s", "save", "Save",
                   "Save the panel plan → tariff mapping of this module (audited), then plan the import",
                   _on("recon_map"), mutates=True),
    OperatorAction("notification.report", "enter,o", "open_report", "Report",
                   "A drift notification: open the module's latest reconciliation report (also o)",
                   _on("notification"), key_display="Enter"),
    OperatorAction("transfer.move", "ctrl+s", "move", "Move",
                   "Move the services found on the target panel (one transaction)", _on("transfer"), mutates=True),
    OperatorAction("transfer.open", "ctrl+o", "open_missing", "Open on target",
                   "Open those not found on the target panel there, then move them", _on("transfer"), mutates=True),
)


def actions_for(screen_id: str, *, read_only: bool = False, include_global: bool = False) -> list[OperatorAction]:
    """The actions of one screen (and the global ones when asked), without mutating ones when read-only."""
    found = [
        a for a in ACTIONS
        if (screen_id in a.screens or (include_global and EVERYWHERE in a.screens))
        and not (read_only and a.mutates)
    ]
    return found


def bindings_for(screen_id: str) -> list:  # noqa: ANN201 - list[Binding]
    """BINDINGS for a screen class: exactly its registry entries (global ones live on the base screen)."""
    return [a.binding() for a in actions_for(screen_id)]


def mutating_actions() -> frozenset[str]:
    """Textual action names that write; read-only mode hides and refuses them via `check_action`."""
    # By name: `check_action` gets `recon` for the action `recon('import')`.
    return frozenset(a.action.split("(")[0] for a in ACTIONS if a.mutates)


# ------------------------------------------------------------------ destinations of the main menu


@dataclass(frozen=True)
class Destination:
    """A place in the main menu (and a command of the palette)."""

    id: str  # the screen id
    group: str | None  # the menu group, or None for a top-level entry
    title: str
    help: str

    @property
    def path(self) -> tuple[str, ...]:
        return (self.group, self.title) if self.group else (self.title,)


DESTINATIONS: tuple[Destination, ...] = (
    Destination("modules", "Integration", "Processing modules",
                "The connections to external systems: list, cards, tariffs and tasks"),
    Destination("datacenters", "Integration", "Data centers", "Data centers and the modules placed in them"),
    Destination("reconciliation", "Integration", "Reconciliation",
                "Every module's latest comparison of the billing with its panel, worst first"),
    Destination("tariffs", "Products", "Tariff plans", "Tariff plans, filterable by processing module"),
    Destination("services", "Products", "Services", "Customers' services, by tariff, module and status"),
    Destination("departments", "Provider", "Departments", "Departments receiving the modules' tasks"),
    Destination("notifications", None, "Notifications", "Notifications raised by the modules; mark them read"),
    Destination("tasks", None, "Background tasks", "Scheduled tasks of every module and their last runs"),
    Destination("failures", None, "Failed operations",
                "Failed service operations and background runs: retry, dismiss, open"),
)
DESTINATION_BY_ID = {d.id: d for d in DESTINATIONS}


def markdown_table(actions: Iterable[OperatorAction] = ACTIONS) -> str:
    """The README's key table."""
    names = {d.id: d.title for d in DESTINATIONS} | {
        "task_history": "task runs",
        EVERYWHERE: "everywhere", "card": "module card", "wizard": "Add wizard", "edit": "edit form",
        "delete_check": "delete pre-check", "check": "connection check", "plan": "configuration plan",
        "calls": "call log", "reference_card": "data center / department card",
        "reference_form": "data center / department / tariff form", "reference_blockers": "data center / department delete pre-check",
        "service": "service card", "bulk": "bulk progress", "transfer": "transfer",
        "calls": "call log", "notification": "notification",
        "history": "module history", "recon": "reconciliation report", "recon_row": "reconciliation row",
        "recon_plan": "reconciliation plan", "recon_map": "plan → tariff mapping",
    }
    lines = ["| Key | Action | Where | What it does |", "|---|---|---|---|"]
    for action in actions:
        where = "lists" if action.screens == LIST_SCREENS else ", ".join(
            names.get(s, s) for s in sorted(action.screens)
        )
        key = action.shown_key.replace("|", "\\|")
        suffix = " (writes)" if action.mutates else ""
        lines.append(f"| `{key}` | {action.description} | {where} | {action.help}{suffix} |")
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover - documentation helper
    print(markdown_table())

"""The recorded tour of the console: the scenes the snapshot tests check and `scripts/screenshots.py`
renders into `screenshots/`. Read in order, they walk an operator through the console.

Each scene starts the app from `make_app` on the seeded demo data with a fixed clock, presses keys,
and is captured at its terminal size. One list, so the snapshots and the README's pictures never drift.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from procmod.demo.seed import MODULES

if TYPE_CHECKING:
    from procmod.core.backend import Backend

SMALL = (80, 24)
LARGE = (120, 40)


@dataclass(frozen=True)
class Scene:
    name: str  # file and test name, ordered: NN_what
    caption: str  # one line for the README
    start: str = "menu"  # make_app's start: menu, a destination id, or card:<id>
    press: tuple[str, ...] = ()
    size: tuple[int, int] = SMALL
    no_color: bool = False  # captured with NO_COLOR set: monochrome
    seeded: bool = True  # False: an empty database (the first run)
    prepare: Callable[[Backend], None] | None = None  # changes to the seeded data before the app starts
    #: After the keys, wait (up to `UNTIL_SECONDS`) until this holds of the app: a screen whose content comes
    #: from a worker (a bulk run, a transfer's targets) is captured once that content is there.
    until: Callable[[Any], bool] | None = None
    then: tuple[str, ...] = ()  # keys pressed once `until` holds


UNTIL_SECONDS = 15.0


async def play(scene: Scene, pilot: Any) -> None:
    """Press the scene's keys, then wait for its `until` (the snapshot test and the screenshot script both
    play a scene this way)."""
    import asyncio
    import time

    await pilot.pause()
    for key in scene.press:
        await pilot.press(key)
    await pilot.pause()
    if scene.until is not None:
        deadline = time.monotonic() + UNTIL_SECONDS
        while not scene.until(pilot.app):
            if time.monotonic() > deadline:
                raise TimeoutError(f"scene {scene.name}: what it waits for did not come in {UNTIL_SECONDS:g} s")
            await asyncio.sleep(0.05)
            await pilot.pause()
        await pilot.pause()
    for key in scene.then:
        await pilot.press(key)
    await pilot.pause()


#: The demo's "cPanel staging" is seeded after every module of the demo's list (demo/seed.py).
STAGING_ID = len(MODULES) + 1


def retire_staging(backend: Backend) -> None:
    """The manual's delete procedure on the demo's "cPanel staging" up to the last step: its Active tariffs
    re-linked to another module or disabled (the Pilot test does the same by keys)."""
    from procmod.core.dto import ModuleFilter, TariffFilter, TariffStatus

    staging = next(r for r in backend.modules.list(ModuleFilter(text="cPanel staging")).rows)
    for tariff in backend.tariffs.list(TariffFilter(module_id=staging.id, status=TariffStatus.ACTIVE)).rows:
        others = [int(o.value) for o, linked in backend.tariffs.module_choices(tariff.id)
                  if linked and int(o.value) != staging.id]
        if others:
            backend.commands.set_tariff_modules(tariff.id, others)
        else:
            backend.commands.set_tariff_status(tariff.id, TariffStatus.DISABLED)


def _screen_is(screen_id: str) -> Callable[[Any], bool]:
    return lambda app: getattr(app.screen, "SCREEN_ID", "") == screen_id


def _bulk_finished(app: Any) -> bool:
    progress = getattr(app.screen, "progress", None)
    return _screen_is("bulk")(app) and progress is not None and progress.finished


def _transfer_targets_read(app: Any) -> bool:
    return _screen_is("transfer")(app) and bool(getattr(app.screen, "targets", None))


def panels_down(backend: Backend) -> None:
    from procmod.demo.env import panels_down as down

    down(backend)


def reconcile_first_module(backend: Backend) -> None:
    """The demo's first module (VM Frankfurt 1) reconciled against its emulator, which is stopped again:
    the report is stored, and the scene shows it (a stored report reads no panel)."""
    from procmod.demo.env import start_demo_environment

    env = start_demo_environment(backend)
    try:
        backend.reconciliation.reconcile(1)
    finally:
        env.stop()


SCENES: tuple[Scene, ...] = (
    Scene("01_main_menu", "The main menu mirrors the platform's: Integration, Products, Provider, "
          "Notifications, Background tasks"),
    Scene("02_modules", "Integration › Processing modules: a paged list with type, data center, status",
          press=("enter",)),
    Scene("03_modules_filtered", "`/` filters the current list as you type", start="modules",
          press=("slash", *"cpanel", "enter")),
    Scene("04_module_card", "The card of a module: Overview, Settings grouped by the type's schema, "
          "secrets masked", start="modules", press=("enter",)),
    Scene("05_module_card_related", "Related entities: tariffs with active services, background tasks, "
          "unread notifications", start="modules", press=("enter", "tab")),
    Scene("06_tariffs_of_module", "From the card: all tariff plans of this module", start="modules",
          press=("enter", "t")),
    Scene("07_services_of_module", "Services of the module, every status", start="modules",
          press=("enter", "s")),
    Scene("08_notifications_of_module", "Notifications filtered by the module", start="modules",
          press=("down", "enter", "n")),
    Scene("09_background_tasks", "Background tasks of every module with their last run", start="tasks"),
    Scene("10_tariff_plans", "Products › Tariff plans: linked modules and active services", start="tariffs"),
    Scene("11_services", "Products › Services, a page at a time", start="services"),
    Scene("12_data_centers", "Integration › Data centers", start="datacenters"),
    Scene("13_departments", "Provider › Departments", start="departments"),
    Scene("14_notifications", "Notifications: all, newest first, unread marked", start="notifications"),
    Scene("15_notifications_pane", "F2 shows the pane of the latest unread notifications at 80x24",
          start="modules", press=("f2",)),
    Scene("16_help", "`?` lists the keys of the current screen", start="modules", press=("question_mark",)),
    Scene("17_palette", "ctrl+p jumps to any section", start="modules", press=("ctrl+p", *"tariff")),
    Scene("18_menu_wide", "At 120x40 the notifications pane stays open beside every screen", size=LARGE),
    Scene("19_modules_wide", "The modules list with every column at 120x40", start="modules", size=LARGE),
    Scene("20_module_card_wide", "The card at 120x40", start="modules", press=("enter",), size=LARGE),
    # -------------------------------------------------------------- module lifecycle
    Scene("21_add_wizard_product_type", "`a` on the modules list starts the Add wizard: first the product type",
          start="modules", press=("a",)),
    Scene("22_add_wizard_module_type", "Then only the module types serving that product type",
          start="modules", press=("a", "down", "enter")),
    Scene("23_add_wizard_settings", "Integration settings: the type's Connection parameters, secrets masked",
          start="modules", press=("a", "down", "enter", "enter")),
    Scene("24_add_wizard_parameters", "Module parameters and the type's other settings, then Finish (ctrl+s)",
          start="modules", press=("a", "down", "enter", "enter", *"web09.hostco.example", "enter", "enter", "enter",
                                  *"TOKEN-9", "ctrl+n")),
    Scene("25_edit_with_errors", "`e` on the card edits it; errors from the domain show under their fields",
          start="card:7", press=("e", "home", "ctrl+k", "ctrl+s", "f2", "f2")),
    Scene("26_delete_precheck", "Delete lists every blocker with a key to the list where it is fixed",
          start="modules", press=("delete",)),
    Scene("27_disable_confirmation", "Disable asks first, Cancel focused: existing services keep running",
          start="modules", press=("D",)),
    Scene("28_tariff_modules_dialog", "A tariff's Modules action: tick the processing modules it uses",
          start="tariffs", press=("l",)),
    Scene("29_schedule_editor", "`e` on a background task edits its cron schedule, with the next runs",
          start="tasks", press=("e",)),
    # -------------------------------------------------------------- integrations (no emulator: stable)
    Scene("30_card_health_balance", "A card's Connection line (the last check and its age) and a "
          "Namecheap balance with when it was read", start="card:12"),
    Scene("31_card_integration_keys", "`?` on a card: Check connection (c), Update configuration (u), "
          "the call log (L)", start="card:1", press=("question_mark", "ctrl+end")),
    Scene("32_call_log_empty", "`L`: the module's API calls, newest first, secrets masked (none in the seed)",
          start="card:1", press=("L",)),
    # -------------------------------------------------------------- background tasks (scheduler off: stable)
    Scene("35_tasks_schedule", "Background tasks: cron and in words, next run, last run, result, duration",
          start="tasks"),
    Scene("36_tasks_schedule_end", "The same rows scrolled right: when each task runs next and how it went",
          start="tasks", press=("end",)),
    Scene("37_task_runs", "Enter on a task: its runs, newest first, a page at a time", start="tasks",
          press=("enter",)),
    Scene("38_tasks_keys", "`?` on Background tasks: Run now, Enable, Disable, Runs, Schedule",
          start="tasks", press=("question_mark", "ctrl+end")),
    Scene("39_tasks_with_pane", "At 120x40 the live notifications pane sits beside the tasks", start="tasks",
          size=LARGE),
    # -------------------------------------------------------------- service operations
    Scene("48_service_card", "Enter on a service: its card; o p r Del t open, suspend, resume, close or "
          "transfer it, and its operations appear with their API calls", start="services", press=("down", "enter")),
    Scene("49_services_selected", "Space selects services (`*` every one matching the filter): the operation "
          "keys then act on the selection, confirmed with how many on which modules", start="services",
          press=("space", "space")),
    Scene("58_bulk_confirmation", "An operation key on a selection asks first: how many services, on which "
          "modules, and what happens", start="services", press=("down", "down", "space", "down", "down", "space", "down", "space", "p"),
          until=lambda app: type(app.screen).__name__ == "ConfirmScreen"),
    Scene("59_bulk_progress", "Confirmed, the bulk runs in the background: a bar with done and failed counts, "
          "c cancels; here the panel is down, so each fails with why and lands in Failed operations",
          start="services", press=(*("down", "down", "space", "down", "down", "space", "down", "space", "p"), "right", "enter"), prepare=panels_down, until=_bulk_finished),
    Scene("60_transfer", "`t` on a service: move it to another enabled module of its type and a tariff that "
          "module serves, after checking the target panel", start="services", press=("down", "enter", "t"),
          until=_transfer_targets_read, then=("enter", "down", "enter", "tab", "enter", "down", "enter")),
    Scene("50_failed_operations", "Failed operations: failed operations and background runs, with the error, "
          "the hint and the department; r retries, x dismisses with a reason", start="failures"),
    # -------------------------------------------------------------- reading, exporting (issue 18)
    Scene("51_notification", "Enter on a notification: its full text, module, the task run that raised it and "
          "what to do; opening it marks it read", start="notifications", press=("enter",)),
    Scene("52_module_history", "`h` on a card: every change with each field before → after (secrets only say "
          "\"set\" or \"changed\")", start="card:12", press=("h",), size=LARGE),
    Scene("53_history_entry", "Enter on a change: its fields one per line, before and after",
          start="card:12", press=("h", "enter")),
    Scene("54_tasks_column_right", "→ on a wide list moves a whole column: Schedule, Next run and the schedule "
          "in words of the module's time zone", start="tasks", press=("right", "right", "right")),
    Scene("55_export", "`X` writes every page of the list, with its filters, to CSV or JSON", start="services",
          press=("X",)),
    # -------------------------------------------------------------- reconciliation (issue 17)
    Scene("56_recon_report", "Integration › Reconciliation, Enter: a module's report, what is only on the panel, "
          "only in the billing or different, each in a group (1 2 3; here 3: only the fields that differ, billing / "
          "panel), Space selects, the action keys show a plan",
          start="reconciliation", press=("enter", "3"), prepare=reconcile_first_module),
    Scene("57_recon_difference", "Enter on a row of the report: each field, the billing's value, the panel's and "
          "the word \"differs\" (here under NO_COLOR)", start="reconciliation", press=("enter", "3", "enter"),
          no_color=True, prepare=reconcile_first_module),
    # -------------------------------------------------------------- without colour
    Scene("40_no_color", "With NO_COLOR the console is monochrome: words, never colours alone, carry health "
          "and status", start="modules", no_color=True),
    # -------------------------------------------------------------- reference data and the first run
    Scene("41_getting_started", "A first run on an empty database: what to create, in order, with the keys",
          seeded=False),
    Scene("42_data_center_card", "Enter on a data center: its card, the modules placed in it (m lists them)",
          start="datacenters", press=("enter",)),
    Scene("43_data_center_form", "`a` adds a data center: name, short name, location, external id",
          start="datacenters", press=("a",)),
    Scene("44_department_delete_precheck", "Del on a department in use: what blocks it, with the key to fix it",
          start="departments", press=("delete",)),
    Scene("45_tariff_form", "`e` on a tariff plan: price and period, status, the modules that may serve it",
          start="tariffs", press=("e",)),
    Scene("46_delete_confirmation", "The manual's delete procedure, last step: nothing blocks, Delete asks "
          "first (Cancel focused)", start=f"card:{STAGING_ID}", press=("delete",), prepare=retire_staging),
    Scene("47_no_color_form", "Checkboxes and switches say their state, `[x] on` or `[ ] no`, without colour too",
          start="card:12", press=("e", *["tab"] * 12), no_color=True),
)

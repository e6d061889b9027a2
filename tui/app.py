"""The console application and its one factory, `make_app` (used by the CLI, the tests and screenshots).

The app holds the injected `Backend` (database, clock, secrets, operator); nothing here is module-global.
The main menu is the bottom screen; destinations are pushed on it, filtered lists and cards on them. The
destination lists and one card screen are kept once made (and made ahead by `tui/prepared_screens.py`), so
that opening one is a page read and one frame; every screen's notifications pane shows the app's
`PaneFeed`; full garbage collections wait for quiet moments (`tui/idle_gc.py`).

Background tasks: when asked, the app runs the scheduler as ONE long-lived thread worker (group
`scheduler`) calling `Scheduler.serve`; the scheduler's listener (called on scheduler threads) only posts a
`SchedulerEventPosted` message. The app gathers them and, at most every `SCHEDULER_REFRESH_SECONDS`,
posts one `SchedulerActivity` to the screen on top (and to its notifications pane), raising a warning
toast per failed run. Screens update their rows by key from it; nothing reloads a whole table.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime, timezone
from functools import partial
from typing import TYPE_CHECKING, Any, cast

from textual import events, work
from textual.app import App
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.message import Message
from textual.screen import Screen
from textual.widget import Widget

from procmod.core.errors import NotFound
from procmod.storage.enums import RunResult
from procmod.tui.actions import DESTINATION_BY_ID, DESTINATIONS
from procmod.tui.live import LiveChanges
from procmod.tui.messages import DataChanged, SchedulerActivity
from procmod.tui.idle_gc import QUIET_SECONDS, IdleCollector
from procmod.tui.job_runner import JobRunner
from procmod.tui.prepared_screens import CARD_SCREEN, GAP_SECONDS, ScreenPreparer, destination_name
from procmod.tui.textual_private import run_key_binding
from procmod.tui.screens import destination_screen
from procmod.tui.screens.base import ConsoleScreen
from procmod.tui.screens.menu import MenuScreen
from procmod.tui.widgets.notifications_pane import PaneFeed
from procmod.tui.widgets.paged_table import DEFAULT_PAGE_SIZE

if TYPE_CHECKING:  # SQLAlchemy and the domain load after the first paint (see BackendSource)
    from procmod.tui.config import Config
    from procmod.core.backend import Backend
    from procmod.core.dto import Page
    from procmod.core.first_page import FirstPageHelper
    from procmod.core.scheduler import Listener, Scheduler, SchedulerEvent
    from procmod.tui.screens.list_base import ListScreen

#: Below this terminal width the notifications pane starts collapsed (F2 still shows it).
PANE_MIN_WIDTH = 100
#: Scheduler events are shown at most this often: a burst of runs is one refresh, not a flicker.
SCHEDULER_REFRESH_SECONDS = 0.3
#: On exit, in-flight runs get this long to finish before they are marked Interrupted.
SCHEDULER_GRACE_SECONDS = 5.0

#: What `make_app(scheduler=…)` takes: True builds one from the backend; a factory is given the app's
#: listener (tests: a FixedClock and a scripted body); a Scheduler is run as it is (its listener should
#: forward to `app.relay_scheduler_event`); False/None runs none.
SchedulerChoice = "bool | Scheduler | Callable[[Listener], Scheduler] | None"

#: What `make_app` takes as its backend: an open Backend (tests, screenshots, the demo), or a function that
#: opens one (the command line). A function runs in a worker once the first screen has painted, so the
#: console starts at the speed of a bare Textual app and SQLAlchemy, Alembic and the database open behind it.
BackendSource = "Backend | Callable[[], Backend]"


class BackendLoaded(Message):
    """The backend a `BackendSource` function opened (posted from the loading worker)."""

    def __init__(self, backend: Backend | None, error: BaseException | None = None) -> None:
        super().__init__()
        self.backend = backend
        self.error = error


class FirstPageRead(Message):
    """The start list's first page, as a helper process read it (core/first_page.py)."""

    def __init__(self, page: Page[Any]) -> None:
        super().__init__()
        self.page = page


class SchedulerEventPosted(Message):
    """One scheduler event, posted from a scheduler thread (the listener does nothing else)."""

    def __init__(self, event: SchedulerEvent) -> None:
        super().__init__()
        self.event = event


class DestinationCommands(Provider):
    """The palette's `Go to …` commands: one per main-menu destination."""

    @staticmethod
    def _title(destination_id: str) -> str:
        return "Go to " + " › ".join(DESTINATION_BY_ID[destination_id].path)

    async def discover(self) -> Hits:
        for destination in DESTINATIONS:
            yield DiscoveryHit(self._title(destination.id), partial(self.app.open_destination, destination.id),
                               help=destination.help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for destination in DESTINATIONS:
            title = self._title(destination.id)
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), partial(self.app.open_destination, destination.id),
                          help=destination.help)


class ProcmodApp(JobRunner, App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "procmod"
    COMMANDS = App.COMMANDS | {DestinationCommands}
    COMMAND_PALETTE_BINDING = "ctrl+p"

    def __init__(self, backend: BackendSource, *, show_pane: bool = True, start: str = "menu",
                 read_only: bool = False, scheduler: SchedulerChoice = None, scheduler_poll: float = 1.0,
                 prepare_screens: bool = False, first_page: FirstPageHelper | None = None,
                 live: bool = False, page_size: int = DEFAULT_PAGE_SIZE, config: Config | None = None) -> None:
        super().__init__()
        #: Learn other processes' changes (tui/live.py); the command line turns it on, tests when they test it.
        self._live_wanted = live
        self.live: LiveChanges | None = None
        #: Rows a list page holds; the settings file (tui/config.py) may change it.
        self.page_size = page_size
        #: The settings file, when the console was opened from the command line (tests have none): the theme
        #: chosen in the palette is written back to it.
        self.config = config
        self._backend: Backend | None = None if callable(backend) else backend
        self._backend_loader: Callable[[], Backend] | None = backend if callable(backend) else None
        self._load_lock = threading.Lock()
        self._loaded: Backend | BaseException | None = None
        self._loader_started = False
        #: The helper reading the start list's first page, and whether its page is the one shown.
        self._first_page = first_page
        self._first_page_shown = False
        #: Read-only here and in the domain: keys are gone and the commands refuse to write.
        self.read_only = read_only
        self._start = start
        #: The operator's choice for the pane; None follows the terminal width.
        self.pane_wanted: bool | None = None if show_pane else False
        self._scheduler_choice = scheduler
        #: Makes the main menu's lists and the card in quiet moments after start (tui/prepared_screens.py).
        self._preparer = ScreenPreparer(self) if prepare_screens else None
        #: The scheduler this console runs in its `scheduler` worker, or None (tests, `--no-scheduler`).
        self.scheduler: Scheduler | None = None
        self._scheduler_poll = scheduler_poll
        self._scheduler_stop = threading.Event()
        self._run_now_scheduler: Scheduler | None = None
        self._pending_events: list[SchedulerEvent] = []
        self._refresh_scheduled = False
        self._last_refresh = 0.0
        #: What every screen's notifications pane shows (tui/widgets/notifications_pane.py).
        self.pane_feed = PaneFeed()
        #: Full garbage collections in quiet moments only (tui/idle_gc.py); started once the console settled.
        self.idle_gc = IdleCollector()
        self._init_jobs()  # service operations: tui/job_runner.py
        if self._backend is not None:
            self._adopt_backend(self._backend)

    # ------------------------------------------------------------------ the backend

    @property
    def backend(self) -> Backend:
        """The domain. While a `BackendSource` function is still opening it, wait for it (rarely felt:
        it opens while the operator reads the menu)."""
        if self._backend is None:
            # Asked for before the loading worker said it is done: take what it opened, waiting if it is
            # opening it, or open it here if its thread has not begun (the event loop that starts it is
            # the one waiting now).
            backend = self._load_backend()
            if backend is None:
                raise RuntimeError("the database could not be opened")
            self._adopt_backend(backend)
        return self._backend

    @property
    def loaded_backend(self) -> Backend | None:
        """The backend if it is open, without waiting (the pane shows "opening…" meanwhile)."""
        return self._backend

    def now(self) -> datetime:
        """The backend's clock (a FixedClock in tests and snapshots); before the database is open (a start
        list shown from its helper's page), the system clock, which the command line's backend uses."""
        if self._backend is not None:
            return self._backend.clock.now()
        return datetime.now(timezone.utc)

    def _adopt_backend(self, backend: Backend) -> None:
        self._backend = backend
        self.read_only = self.read_only or backend.read_only
        if self.read_only:
            backend.make_read_only()

    def _start_loader(self) -> None:
        if self._backend_loader is not None and not self._loader_started:
            self._loader_started = True
            self._open_backend()

    @work(thread=True, group="backend", exit_on_error=False, name="open database")
    def _open_backend(self) -> None:
        backend = self._load_backend()
        # None: the loader failed, and `_loaded` holds what it raised.
        self.post_message(BackendLoaded(backend, None if backend is not None else cast("BaseException", self._loaded)))

    def _load_backend(self) -> Backend | None:
        """Open the backend once, on whichever thread asks first (None if it failed)."""
        with self._load_lock:
            if self._loaded is None and self._backend_loader is not None:
                try:
                    backend = self._backend_loader()
                    # What the first screen would do first, done here off the UI thread: the ORM's one-time
                    # set-up, and reading the pane's notifications (the feed is handed over with the backend).
                    backend.warm_up()
                    self.pane_feed.read(backend)
                    self._loaded = backend
                except Exception as error:  # noqa: BLE001 - shown as the reason the console closes
                    self._loaded = error
        return None if isinstance(self._loaded, BaseException) else self._loaded

    def on_backend_loaded(self, message: BackendLoaded) -> None:
        if message.backend is None:
            self.exit(return_code=2, message=f"procmod: {message.error}")
            return
        self._adopt_backend(message.backend)
        self._after_backend()
        for screen in self.screen_stack:  # a list the operator opened while the database was opening
            if isinstance(screen, ConsoleScreen):
                screen.database_opened()
        if (self._start == "menu" or self._first_page_shown) and isinstance(self.screen, ConsoleScreen):
            self.screen.apply_pane()  # it said "opening…" until now

    @work(thread=True, group="first page", exit_on_error=False, name="first page")
    def _await_first_page(self, helper: FirstPageHelper) -> None:
        page = helper.result()
        if page is not None:
            self.post_message(FirstPageRead(page))

    def on_first_page_read(self, message: FirstPageRead) -> None:
        """The helper's page, shown if this console has not read the list itself and the operator has not
        filtered it meanwhile (its filter then asked for the database, which read the list)."""
        screen = self.screen
        if self._backend is not None or getattr(screen, "SCREEN_ID", None) != self._start:
            return
        if cast("ListScreen[Any]", screen).show_first_page(message.page):
            self._first_page_shown = True

    def _after_backend(self) -> None:
        """What needs the database once it is open: the start screen, then (once that is painted) the
        scheduler, whose imports and first tick would otherwise delay the first list."""
        if self._start.startswith("card:"):
            self.open_card(int(self._start.removeprefix("card:")))
        elif self._start != "menu" and not self._first_page_shown:
            self.open_destination(self._start)
        self.call_after_refresh(self._start_scheduler)
        if self._preparer is not None:
            self._preparer.start()
        if self._live_wanted and self.live is None:
            self.live = LiveChanges(self, self.backend.db)
            self.live.start()

    def on_data_changed(self, message: DataChanged) -> None:
        """Other processes changed what this console shows: the pane and the screen on top re-read it."""
        from procmod.core.changes import ANY_TABLE

        if ANY_TABLE in message.tables or "notification" in message.tables:
            self.pane_feed.invalidate()
        if isinstance(self.screen, ConsoleScreen) and not self.closing:
            self.screen.data_changed(message.tables)

    def _start_idle_gc(self) -> None:
        """Once the console is up and the operator leaves the keys alone for a moment (tui/idle_gc.py)."""
        if self.idle_gc.quiet():
            self.idle_gc.start()
        else:
            self.set_timer(QUIET_SECONDS, self._start_idle_gc)

    def _start_scheduler(self) -> None:
        if self.scheduler is None and not self._scheduler_stop.is_set():
            self.scheduler = self._build_scheduler(self._scheduler_choice)
            if self.scheduler is not None:
                self._serve_scheduler(self.scheduler)
                self.serve_jobs()  # the console that runs background tasks runs operations too

    @property
    def pane_visible(self) -> bool:
        if self.pane_wanted is not None:
            return self.pane_wanted
        return self.size.width >= PANE_MIN_WIDTH

    def get_default_screen(self) -> Screen:
        return MenuScreen()

    def on_mount(self) -> None:
        if self.config is not None:
            if self.config.theme and self.config.theme in self.available_themes:
                self.theme = self.config.theme
            self.theme_changed_signal.subscribe(self, lambda theme: self.config.remember_theme(theme.name))
        self.set_timer(QUIET_SECONDS, self._start_idle_gc)
        self.set_interval(QUIET_SECONDS / 4, self.idle_gc.check)
        if self._backend_loader is not None:
            if self._start == "menu":
                self.call_after_refresh(self._start_loader)  # paint the menu first, then open
                if self._preparer is not None:  # and make the lists meanwhile (they need no database)
                    self.call_after_refresh(partial(self._preparer.start, GAP_SECONDS))
            elif self._first_page is not None:
                # A helper process reads the list's first page on another core (core/first_page.py) while
                # this one composes and paints the list's frame, then opens its own database: the first of
                # the two to have the page shows it.
                self.open_destination(self._start)
                self._await_first_page(self._first_page)
                self.call_after_refresh(self._start_loader)
            else:
                # A list or a card asked for: its data is what the operator waits for, so the database
                # opens at once, while the list's frame is composed and painted.
                self._start_loader()
                if not self._start.startswith("card:"):
                    self.open_destination(self._start)
        else:
            self._after_backend()

    # ------------------------------------------------------------------ leaving forms

    def unsaved_form(self) -> ConsoleScreen | None:
        """The topmost screen holding typed values that leaving would lose (a form), or None."""
        return next((s for s in reversed(self.screen_stack) if isinstance(s, ConsoleScreen) and s.unsaved_changes),
                    None)

    def after_discarding(self, then: Callable[[], object], question: str) -> None:
        """Run `then` at once, or, while a form holds unsaved changes, once the operator agrees to discard
        them (a question with Cancel, the safe choice, focused)."""
        from procmod.tui.screens.confirm import ConfirmScreen

        if self.unsaved_form() is None:
            then()
            return
        if isinstance(self.screen, ConfirmScreen):
            return  # the question is already asked

        def answered(discard: bool | None) -> None:
            if discard:
                then()

        self.push_screen(ConfirmScreen(question, "What you typed in the form has not been saved and will be lost.",
                                       confirm_label="Discard"), answered)

    async def action_quit(self) -> None:
        """q, ctrl+q and the palette's Quit: at once, or after asking while a form holds unsaved changes."""
        self.after_discarding(self.exit, "Quit and discard your changes?")

    # ------------------------------------------------------------------ navigation

    def open_destination(self, destination_id: str) -> None:
        """Jump to a main-menu destination (the palette, the menu), asking first when a form holding unsaved
        changes would close (see `_open_destination`)."""
        self.after_discarding(partial(self._open_destination, destination_id),
                              f"Go to {DESTINATION_BY_ID[destination_id].title} and discard your changes?")

    def _open_destination(self, destination_id: str) -> None:
        """Jump to a main-menu destination: the menu below, that list on it, unfiltered, first page.

        Each destination's screen is made once and kept (installed), like k9s keeps its views: opening it
        again re-reads one page instead of composing and styling a whole screen. From a screen on the menu,
        the list replaces it (switch_screen) instead of popping back to the menu first: resuming the menu
        only to leave it would render a whole screen for nothing.
        """
        while len(self.screen_stack) > 2:
            self.pop_screen()
        name = destination_name(destination_id)
        if not self.is_screen_installed(name):
            self.install_screen(destination_screen(destination_id), name)
        screen = cast("ListScreen[Any]", self.get_screen(name))
        if screen.is_mounted:
            screen.reopen(below=self.screen_stack[:1])  # it is shown on the menu
        if screen is self.screen:
            return
        if len(self.screen_stack) == 2:
            self.switch_screen(screen)
        else:
            self.push_screen(screen)

    def open_card(self, module_id: int) -> bool:
        """Open a module's card; a module deleted meanwhile is a warning, not a traceback."""
        from procmod.tui.screens.module_card import ModuleCardScreen

        try:
            card = self.backend.modules.card(module_id)
        except NotFound as gone:
            self.notify(str(gone), title="Not found", severity="warning")
            return False
        # One card screen is kept (installed) and shows each module in turn, like the destination lists; a
        # second card over the first (card → list → card) gets a screen of its own.
        if not self.is_screen_installed(CARD_SCREEN):
            self.install_screen(ModuleCardScreen(card), CARD_SCREEN)
            screen = self.get_screen(CARD_SCREEN)
        else:
            screen = self.get_screen(CARD_SCREEN)
            if screen in self.screen_stack:
                screen = ModuleCardScreen(card)
            else:
                cast("ModuleCardScreen", screen).show_module(card, below=self.screen_stack)
        self.push_screen(screen)
        return True

    def open_service(self, service_id: int) -> bool:
        """Open a service's card (tui/screens/service_card.py); a service gone meanwhile is a warning."""
        from procmod.tui.screens.service_card import ServiceCardScreen

        try:
            card = self.backend.operations.card(service_id)
        except NotFound as gone:
            self.notify(str(gone), title="Not found", severity="warning")
            return False
        self.push_screen(ServiceCardScreen(card))
        return True

    # ------------------------------------------------------------------ background tasks

    def _build_scheduler(self, choice: SchedulerChoice) -> Scheduler | None:
        from procmod.core.scheduler import Scheduler

        if choice is None or choice is False:
            return None
        if isinstance(choice, Scheduler):
            return choice
        if choice is True:
            return self.backend.make_scheduler(worker_id=console_worker_id(), listener=self.relay_scheduler_event)
        return choice(self.relay_scheduler_event)

    @work(thread=True, group="scheduler", exit_on_error=False, name="scheduler")
    def _serve_scheduler(self, scheduler: Scheduler) -> None:
        """The one long-lived scheduler worker: serve until the app exits, then let in-flight runs finish."""
        try:
            scheduler.serve(self._scheduler_stop, poll=self._scheduler_poll)
        finally:
            scheduler.shutdown(grace=SCHEDULER_GRACE_SECONDS)

    def stop_scheduler(self) -> None:
        """Stop claiming runs; the worker then waits for in-flight ones (`Scheduler.shutdown`)."""
        self._scheduler_stop.set()

    @property
    def scheduler_stop_requested(self) -> bool:
        return self._scheduler_stop.is_set()

    @property
    def closing(self) -> bool:
        """Exiting, or shut down (Textual's own flags): nothing new should start (screens made ahead)."""
        return self._exit or not self._running or self.scheduler_stop_requested or self._jobs_stop.is_set()

    def on_unmount(self) -> None:
        if self.live is not None:
            self.live.stop()
        self.stop_scheduler()
        self.stop_jobs()
        self.idle_gc.stop()

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, (events.Key, events.MouseEvent)):
            self.note_input()
            if isinstance(event, events.Key) and _typed_ahead(event, self.screen_stack):
                return  # typed before the form on screen was shown: not into a field the operator has not seen
            if isinstance(event, events.Key) and not event.is_forwarded and _bindings_take(event, self.screen):
                if (await run_key_binding(self, event.key, priority=True)
                        or await run_key_binding(self, event.key, priority=False)):
                    return
        await super().on_event(event)

    def action_command_palette(self) -> None:
        """Textual's palette, as Textual opens it, but closed once (tui/screens/palette.py)."""
        from textual.command import CommandPalette

        from procmod.tui.screens.palette import ConsolePalette

        if self.use_command_palette and not CommandPalette.is_open(self):
            self.push_screen(ConsolePalette(id="--command-palette"))

    def note_input(self) -> None:
        """The operator is busy (a key, a click): no full collection and no screen preparing just now."""
        self.idle_gc.touch()

    @property
    def last_input(self) -> float:
        """When the operator last pressed a key or used the mouse (time.monotonic())."""
        return self.idle_gc.last_input

    def scheduler_for_run_now(self) -> Scheduler:
        """The running scheduler, or (console without one) a one-off scheduler for Run now."""
        if self.scheduler is not None:
            return self.scheduler
        if self._run_now_scheduler is None:
            self._run_now_scheduler = self.backend.make_scheduler(worker_id=console_worker_id(),
                                                                  listener=self.relay_scheduler_event)
        return self._run_now_scheduler

    def relay_scheduler_event(self, event: SchedulerEvent) -> None:
        """The scheduler's listener, called on its threads: hand the event to the UI thread, nothing more."""
        try:
            self.post_message(SchedulerEventPosted(event))
        except RuntimeError:
            pass  # the app has closed its event loop (a run finishing after exit): nothing to show

    def on_scheduler_event_posted(self, message: SchedulerEventPosted) -> None:
        self._pending_events.append(message.event)
        if not self._refresh_scheduled:  # the first event after a quiet while shows at once, a burst waits
            self._refresh_scheduled = True
            wait = SCHEDULER_REFRESH_SECONDS - (time.monotonic() - self._last_refresh)
            if wait > 0:
                self.set_timer(wait, self.show_scheduler_activity)
            else:
                self.call_later(self.show_scheduler_activity)

    @property
    def scheduler_events_pending(self) -> int:
        return len(self._pending_events)

    def show_scheduler_activity(self) -> None:
        """Show the events gathered so far: toasts for failed runs, then one update of the visible screen."""
        self._refresh_scheduled = False
        self._last_refresh = time.monotonic()
        events, self._pending_events = tuple(self._pending_events), []
        if not events or not self.screen_stack:
            return  # nothing new, or the console is closing (its screens are gone, runs still report)
        self.pane_feed.invalidate()
        for event in events:
            if event.kind == "run_finished" and event.result is RunResult.UNSUCCESSFUL:
                self._toast_failed_run(event)
        from procmod.tui.screens.base import ConsoleScreen
        from procmod.tui.widgets.notifications_pane import NotificationsPane

        shown = [self.screen]
        if not isinstance(self.screen, ConsoleScreen):  # a dialog: the console screen below shows through
            below = [s for s in self.screen_stack if isinstance(s, ConsoleScreen)]
            shown += below[-1:]
        for screen in shown:
            screen.post_message(SchedulerActivity(events))
            for pane in screen.query(NotificationsPane):
                pane.post_message(SchedulerActivity(events))

    def _toast_failed_run(self, event: SchedulerEvent) -> None:
        try:
            module = self.backend.modules.name(event.module_id)
        except NotFound:
            module = f"module #{event.module_id}"
        self.notify(event.message or "The run failed", title=f"Task failed: {module}", severity="warning")

    def action_toggle_pane(self) -> None:
        self.pane_wanted = not self.pane_visible
        if isinstance(self.screen, ConsoleScreen):
            self.screen.apply_pane()


def console_worker_id() -> str:
    from procmod.core.worker import worker_id

    return f"{worker_id()}:console"


def make_app(backend: BackendSource, *, show_pane: bool = True, start: str = "menu", read_only: bool = False,
             scheduler: SchedulerChoice = None, scheduler_poll: float = 1.0,
             prepare_screens: bool = False, first_page: FirstPageHelper | None = None,
             live: bool = False, page_size: int = DEFAULT_PAGE_SIZE, config: Config | None = None
             ) -> ProcmodApp:
    """The one factory of the console.

    `backend` is an open Backend or a function opening one after the first paint (see `BackendSource`).
    `start` is `menu`, a destination id (`modules`, `tariffs`, …) or `card:<module id>`. All times shown
    come from `backend.clock`, so a FixedClock makes screens reproducible. `scheduler` is off by default
    (tests, snapshots); the command line passes True unless `--no-scheduler` (see `SchedulerChoice`).
    `prepare_screens` composes the main menu's lists in quiet moments after start (the command line does;
    tests that want every screen made on demand, as they were, leave it off). `first_page` is a helper
    reading the `start` list's first page while the console starts (the command line's `--open`). `live`
    watches for other processes' changes and re-reads what is on screen (the command line turns it on).
    """
    if start != "menu" and not start.startswith("card:") and start not in DESTINATION_BY_ID:
        raise ValueError(f"unknown start screen {start!r}")
    return ProcmodApp(backend, show_pane=show_pane, start=start, read_only=read_only, scheduler=scheduler,
                      scheduler_poll=scheduler_poll, prepare_screens=prepare_screens, first_page=first_page,
                      live=live, page_size=page_size, config=config)


def _bindings_take(event: events.Key, screen: Screen[Any]) -> bool:
    """Whether only bindings can take `event` on `screen`: no widget from the focused one up handles keys
    itself (a text field, a drop-down's list; `key_<name>` methods), and nothing is maximized. Such a key is
    run as the app reads it, in the order typed. Textual would first hand it to the focused widget's queue
    and run its binding when it comes back up, after the app had already handed on the keys typed behind
    it: `Down Down Enter` in one burst opened the row the cursor was on before the Downs."""
    if screen.maximized is not None:
        return False
    node: Any = screen.focused or screen
    method = f"key_{event.name}"
    while node is not None and node is not screen.app:
        if type(node)._on_key is not Widget._on_key or hasattr(node, method):
            return False
        node = node.parent
    return True


def _typed_ahead(event: events.Key, stack: list[Any]) -> bool:
    """A key sent before the screen on top was shown (its `typed_ahead_before`), that a field would take."""
    if not stack or event.time >= getattr(stack[-1], "typed_ahead_before", 0.0):
        return False
    from procmod.tui.widgets.inputs import FIELD_KEYS

    return event.is_printable or event.key in FIELD_KEYS

"""Screens made ahead: the main menu's lists and the module card, composed, laid out and painted unseen while
the operator reads the menu, so that a first visit costs what a later one does.

Composing, styling and laying out a screen is most of what opening it the first time costs (60–100 ms with
its first query). The app keeps those screens (installed) once made; `ScreenPreparer` makes them in quiet
moments, in menu order, from the menu's first paint on (the lists need no database; the card waits for
it): one step every `GAP_SECONDS` (compose one screen, lay one out, or paint one unseen so its widgets keep
their rendered lines), and none within `AFTER_SECONDS` of a key, so a key waits for one step at most. A
prepared screen reads its data again as it is shown (`ListScreen.reopen`, `ModuleCardScreen.show_module`).

Three things Textual (8.2, pinned in pyproject.toml) offers only inside: starting a screen's message loop
without pushing it (what `push_screen` does to a screen it has not run yet), and laying it out and
rendering it while it is not the current screen. tests/tui/test_screen_reuse.py holds the behaviour.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.screen import Screen

from core.errors import NotFound
from tui.actions import DESTINATIONS
from tui.screens import destination_screen

if TYPE_CHECKING:
    from tui.app import ProcmodApp

#: Start this long after the console opened its database, and after the operator's last key.
AFTER_SECONDS = 0.5
#: One step, then this pause.
GAP_SECONDS = 0.05
#: Layouts per screen at most: again while its widgets ask for one after the last (a table learning its width).
LAYOUT_PASSES = 3
#: The name the kept module card screen is installed under.
CARD_SCREEN = "card"


def destination_name(destination_id: str) -> str:
    """The name a main-menu destination's kept screen is installed under."""
    return f"destination:{destination_id}"


class ScreenPreparer:
    def __init__(self, app: ProcmodApp) -> None:
        self._app = app
        self._passes: dict[str, int] = {}  # layouts made per prepared screen
        self._rendered: set[str] = set()  # prepared screens painted once, unseen
        self._running = False

    def start(self, delay: float = AFTER_SECONDS) -> None:
        """Prepare what is not prepared yet, from `delay` on (again once the database is open: the card
        needs it; the lists do not, and are made while it opens)."""
        if not self._running:
            self._running = True
            self._app.set_timer(delay, self._next)

    def _next(self) -> None:
        app = self._app
        if app.scheduler_stop_requested:
            self._running = False
            return  # exiting
        if not app.idle_gc.quiet(AFTER_SECONDS):
            app.set_timer(AFTER_SECONDS, self._next)  # the operator is busy: later
        elif self.step():
            app.set_timer(GAP_SECONDS, self._next)
        else:
            self._running = False

    def step(self) -> bool:
        """One step for the first screen in menu order not fully prepared: compose it, lay it out, or paint
        it unseen (the card once the database is open). False when there is nothing to do now."""
        app = self._app
        mounting = False
        for name in [*(destination_name(d.id) for d in DESTINATIONS), CARD_SCREEN]:
            if not app.is_screen_installed(name):
                if name != CARD_SCREEN:
                    self._start_unshown(destination_screen(name.removeprefix("destination:")), name)
                    return True
                if app.loaded_backend is not None and self._start_card():
                    return True
                continue
            screen = app.get_screen(name)
            if screen in app.screen_stack:
                continue  # shown: prepared by being shown
            if not screen.is_mounted:
                mounting = True  # composed a step ago: laid out once it has mounted
                continue
            passes = self._passes.get(name, 0)
            if passes == 0 or (screen._layout_required and passes < LAYOUT_PASSES):  # noqa: SLF001
                self._passes[name] = passes + 1
                # Laid out at the terminal's size now, showing it is a paint, not a layout.
                screen._refresh_layout(app.size)  # noqa: SLF001 - see the module docstring
                screen._layout_required = False  # noqa: SLF001 - as the screen's update timer does after one
                return True
            if name not in self._rendered:
                self._rendered.add(name)
                # Painted once where nobody sees it: every widget keeps the lines it rendered, so the first
                # visit repaints what changed (the rows read as it is shown), not the whole screen.
                screen._compositor.render_update(full=True, screen_stack=[screen])  # noqa: SLF001
                return True
        return mounting

    def _start_card(self) -> bool:
        """The card screen, on the first module of the list (any module: it shows the one opened)."""
        from core.dto import PageRequest
        from tui.screens.module_card import ModuleCardScreen

        backend = self._app.backend
        first = backend.modules.list(page=PageRequest(limit=1)).rows
        try:
            card = backend.modules.card(first[0].id) if first else None
        except NotFound:
            card = None  # deleted meanwhile: the first card opened is composed then
        if card is None:
            return False
        self._start_unshown(ModuleCardScreen(card), CARD_SCREEN)
        return True

    def _start_unshown(self, screen: Screen[Any], name: str) -> None:
        """Install a screen and let it compose and mount without showing it (see the module docstring)."""
        self._app.install_screen(screen, name)
        self._app._register(self._app, screen)  # noqa: SLF001

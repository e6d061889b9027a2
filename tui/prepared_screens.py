"""Screens made ahead: the main menu's lists and the module card, composed, laid out and painted unseen while
the operator reads the menu, so that a first visit costs what a later one does.

Composing, styling and laying out a screen is most of what opening it the first time costs (60–100 ms with
its first query). The app keeps those screens (installed) once made; `ScreenPreparer` makes them in quiet
moments, the way an operator goes first (see `ScreenPreparer.step`), from the menu's first paint on (the
lists need no database; the card waits for it): one step every `GAP_SECONDS` (compose one screen, style one,
lay one out, or paint one unseen so its widgets keep their rendered lines), and none within `AFTER_SECONDS` of a
key, so a key waits for one step at most. A prepared screen reads its data again as it is shown
(`ListScreen.reopen`, `ModuleCardScreen.show_module`).

Two things Textual offers only inside: starting a screen's message loop without pushing it, and laying it
out while it is not the current screen; both live in `procmod.tui.textual_private`, with a test per private
name. Painting it unseen uses public API only (`paint_unseen`). tests/tui/test_screen_reuse.py holds the
behaviour.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.errors import NoWidget
from textual.geometry import Region
from textual.screen import Screen
from textual.widget import Widget

from procmod.core.errors import NotFound
from procmod.tui.actions import DESTINATIONS
from procmod.tui.screens import destination_screen
from procmod.tui.textual_private import lay_out_unshown, needs_layout, start_unshown

if TYPE_CHECKING:
    from procmod.tui.app import ProcmodApp

#: Start this long after the console opened its database, and after the operator's last key.
AFTER_SECONDS = 0.5
#: One step, then this pause.
GAP_SECONDS = 0.02
#: Layouts per screen at most: again while its widgets ask for one after the last (a table learning its width).
LAYOUT_PASSES = 3
#: The name the kept module card screen is installed under.
CARD_SCREEN = "card"
#: Kept edit screens are installed as `edit:<module type>` (screens/module_edit.py `edit_screen_name`).
EDIT_PREFIX = "edit:"


def destination_name(destination_id: str) -> str:
    """The name a main-menu destination's kept screen is installed under."""
    return f"destination:{destination_id}"


class ScreenPreparer:
    def __init__(self, app: ProcmodApp) -> None:
        self._app = app
        self._passes: dict[str, int] = {}  # layouts made per prepared screen
        self._rendered: set[str] = set()  # prepared screens painted once, unseen
        self._styled: set[str] = set()  # prepared screens whose styles were worked out once composed
        self._nothing_to_edit: set[str] = set()  # module types without a module to prepare an edit form on
        self._running = False

    def start(self, delay: float = AFTER_SECONDS) -> None:
        """Prepare what is not prepared yet, from `delay` on (again once the database is open: the card
        needs it; the lists do not, and are made while it opens)."""
        if not self._running:
            self._running = True
            self._app.set_timer(delay, self._next)

    def _next(self) -> None:
        app = self._app
        if app.closing:
            self._running = False
            return
        if not app.idle_gc.quiet(AFTER_SECONDS):
            app.set_timer(AFTER_SECONDS, self._next)  # the operator is busy: later
        elif self.step():
            app.set_timer(GAP_SECONDS, self._next)
        else:
            self._running = False

    def step(self) -> bool:
        """One step of preparing: compose a screen, lay one out, or paint one unseen. The way an operator
        goes first is prepared first, all the way: the first list (Processing modules, under the menu's
        cursor), then the card (once the database is open: it shows a module). Then every other list is
        composed (a composed screen already opens in half the time of one made on the spot), then laid
        out and painted. False when there is nothing to do now."""
        first, others = self._order()
        mounting = False
        for names, compose_only in ((first, False), (others, True), (others, False)):
            for name in names:
                outcome = self._advance(name, compose_only=compose_only)
                if outcome is True:
                    return True
                mounting = mounting or outcome is None
        return mounting

    def _advance(self, name: str, *, compose_only: bool) -> bool | None:
        """One step for screen `name`: True if one was taken, False if it needs none (or cannot take one
        yet), None while it mounts (it was composed a step ago)."""
        app = self._app
        if not app.is_screen_installed(name):
            if name.startswith(EDIT_PREFIX):
                return app.loaded_backend is not None and self._start_edit(name.removeprefix(EDIT_PREFIX))
            if name != CARD_SCREEN:
                self._start_unshown(destination_screen(name.removeprefix("destination:")), name)
                return True
            return app.loaded_backend is not None and self._start_card()
        screen = app.get_screen(name)
        if compose_only or screen in app.screen_stack:
            return False  # composed; or shown, so prepared by being shown
        if not screen.is_mounted:
            return None
        if name not in self._styled:
            # What Textual does to every widget of a screen as it is shown, done now: shown under the same
            # stylesheet and theme, the screen is not styled again (ConsoleScreen.update_node_styles).
            self._styled.add(name)
            screen.update_node_styles(animate=False)
            return True
        passes = self._passes.get(name, 0)
        if passes == 0 or (needs_layout(screen) and passes < LAYOUT_PASSES):
            self._passes[name] = passes + 1
            lay_out_unshown(screen, app.size)  # at the terminal's size now: showing it is a paint, not a layout
            return True
        if name not in self._rendered:
            self._rendered.add(name)
            paint_unseen(screen)
            return True
        return False

    def _order(self) -> tuple[list[str], list[str]]:
        """The first list and the card; the other lists, in menu order; then an edit form per module type
        (composing one is ~150 widgets: e on a card then shows the kept one, screens/module_edit.py)."""
        lists = [destination_name(d.id) for d in DESTINATIONS]
        edits = [EDIT_PREFIX + t for t in self._edit_types()]
        return [lists[0], CARD_SCREEN], [*lists[1:], *edits]

    def _edit_types(self) -> list[str]:
        from procmod.core.moduletypes import MODULE_TYPES

        if self._app.loaded_backend is None:
            return []
        return [key for key in MODULE_TYPES if key not in self._nothing_to_edit]

    def _start_edit(self, type_key: str) -> bool:
        """The edit screen of a module type, on one of its modules (it shows the module edited)."""
        from procmod.core.dto import ModuleFilter, PageRequest
        from procmod.tui.screens.module_edit import EditModuleScreen, edit_screen_name

        backend = self._app.backend
        rows = backend.modules.list(ModuleFilter(module_type=type_key), PageRequest(limit=1)).rows
        try:
            form = backend.commands.edit_form(rows[0].id) if rows else None
        except NotFound:
            form = None
        if form is None:
            self._nothing_to_edit.add(type_key)  # no module of this type (yet): made when one is edited
            return False
        self._start_unshown(EditModuleScreen(form, rows[0].name), edit_screen_name(type_key))
        return True

    def _start_card(self) -> bool:
        """The card screen, on the first module of the list (any module: it shows the one opened)."""
        from procmod.core.dto import PageRequest
        from procmod.tui.screens.module_card import ModuleCardScreen

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
        start_unshown(self._app, screen)


def paint_unseen(screen: Screen[Any]) -> None:
    """Render every widget of a laid-out screen that is not shown, as a paint of the screen would (the same
    crop of each, so the lines are kept as that paint will ask for them): each widget keeps the lines it
    rendered, and the first visit repaints what changed (the rows read as it is shown), not every line."""
    for widget in screen.walk_children(Widget):
        try:
            geometry = screen.find_widget(widget)
        except NoWidget:
            continue  # not in the layout: hidden, or not displayed
        region, clip = geometry.region, geometry.clip
        shown = region.intersection(clip)
        if shown and widget.visible and screen.size.region.overlaps(region):
            widget.render_lines(Region(shown.x - region.x, shown.y - region.y, shown.width, shown.height))

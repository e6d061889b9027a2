"""The console application and its one factory, `make_app` (used by the CLI, the tests and screenshots).

The app holds the injected `Backend` (database, clock, secrets, operator); nothing here is module-global.
The main menu is the bottom screen; destinations are pushed on it, filtered lists and cards on them.
"""

from __future__ import annotations

from functools import partial

from textual.app import App
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.screen import Screen

from core.backend import Backend
from core.queries import NotFound
from tui.actions import DESTINATION_BY_ID, DESTINATIONS
from tui.screens import destination_screen
from tui.screens.base import ConsoleScreen
from tui.screens.menu import MenuScreen

#: Below this terminal width the notifications pane starts collapsed (F2 still shows it).
PANE_MIN_WIDTH = 100


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


class ProcmodApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "procmod"
    COMMANDS = App.COMMANDS | {DestinationCommands}
    COMMAND_PALETTE_BINDING = "ctrl+p"

    def __init__(self, backend: Backend, *, show_pane: bool = True, start: str = "menu",
                 read_only: bool = False) -> None:
        super().__init__()
        self.backend = backend
        #: Read-only here and in the domain: keys are gone and the commands refuse to write.
        self.read_only = read_only or backend.commands.read_only
        if self.read_only:
            backend.commands.read_only = True
        self._start = start
        #: The operator's choice for the pane; None follows the terminal width.
        self.pane_wanted: bool | None = None if show_pane else False

    @property
    def pane_visible(self) -> bool:
        if self.pane_wanted is not None:
            return self.pane_wanted
        return self.size.width >= PANE_MIN_WIDTH

    def get_default_screen(self) -> Screen:
        return MenuScreen()

    def on_mount(self) -> None:
        if self._start.startswith("card:"):
            self.open_card(int(self._start.removeprefix("card:")))
        elif self._start != "menu":
            self.open_destination(self._start)

    # ------------------------------------------------------------------ navigation

    def open_destination(self, destination_id: str) -> None:
        """Jump to a main-menu destination: back to the menu, then that list, unfiltered."""
        while len(self.screen_stack) > 1:
            self.pop_screen()
        self.push_screen(destination_screen(destination_id))

    def open_card(self, module_id: int) -> bool:
        """Open a module's card; a module deleted meanwhile is a warning, not a traceback."""
        from tui.screens.module_card import ModuleCardScreen

        try:
            card = self.backend.modules.card(module_id)
        except NotFound as gone:
            self.notify(str(gone), title="Not found", severity="warning")
            return False
        self.push_screen(ModuleCardScreen(card))
        return True

    def action_toggle_pane(self) -> None:
        self.pane_wanted = not self.pane_visible
        if isinstance(self.screen, ConsoleScreen):
            self.screen.apply_pane()


def make_app(backend: Backend, *, show_pane: bool = True, start: str = "menu",
             read_only: bool = False) -> ProcmodApp:
    """The one factory of the console.

    `start` is `menu`, a destination id (`modules`, `tariffs`, …) or `card:<module id>`. All times shown
    come from `backend.clock`, so a FixedClock makes screens reproducible.
    """
    if start != "menu" and not start.startswith("card:") and start not in DESTINATION_BY_ID:
        raise ValueError(f"unknown start screen {start!r}")
    return ProcmodApp(backend, show_pane=show_pane, start=start, read_only=read_only)

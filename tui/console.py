"""What a screen or widget may ask of the console app, declared once.

Screens type `self.app` as `ConsoleApp` (see `screens/base.py`) and never import `app.py`, not even for
typing: an import-linter contract holds it. `ProcmodApp` implements this protocol; besides these members a
screen uses only Textual's own `App` API (push_screen, pop_screen, notify, screen_stack, ...).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from textual.app import App

if TYPE_CHECKING:
    from procmod.core.backend import Backend
    from procmod.core.scheduler import Scheduler
    from procmod.tui.widgets.notifications_pane import PaneFeed


class ConsoleServices(Protocol):
    """The console's own members, beyond Textual's App."""

    #: Read-only console: writing keys are gone and the domain refuses to write.
    read_only: bool
    #: What every screen's notifications pane shows.
    pane_feed: PaneFeed
    #: Rows a list page holds (the settings file's page_size).
    page_size: int

    @property
    def backend(self) -> Backend:
        """The domain (waits for the database if it is still opening)."""

    @property
    def loaded_backend(self) -> Backend | None:
        """The domain if it is open, without waiting."""

    @property
    def closing(self) -> bool:
        """The console is exiting: start nothing new."""

    @property
    def pane_visible(self) -> bool:
        """Whether the notifications pane is shown."""

    def now(self) -> datetime:
        """The backend's clock (fixed in tests and snapshots)."""

    def open_destination(self, destination_id: str) -> None:
        """Show a main-menu destination (`tui/actions.py` DESTINATIONS)."""

    def open_card(self, module_id: int) -> bool:
        """Show a module's card; False when the module is gone."""

    def scheduler_for_run_now(self) -> Scheduler:
        """The running scheduler, or a one-off one for Run now."""

    def run_jobs(self) -> None:
        """Service operations were queued: have the console's job engine run them (tui/job_runner.py)."""

    def open_service(self, service_id: int) -> bool:
        """Show a service's card; False when the service is gone."""


if TYPE_CHECKING:
    class ConsoleApp(App[None], ConsoleServices):  # type: ignore[misc]
        """For type checkers: Textual's App with the console's services."""
else:
    ConsoleApp = App

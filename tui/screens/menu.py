"""The main menu, mirroring the platform's: Integration, Products, Provider, Notifications, Background tasks.

On a database without any processing module (a first run), a "Getting started" panel under the menu says
what to create, in order, each step with the way there and its key; steps already done are marked. It is
gone once a module exists.
"""

from __future__ import annotations

from itertools import groupby
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from procmod.tui.actions import DESTINATION_BY_ID, DESTINATIONS
from procmod.tui.screens.base import ConsoleScreen

if TYPE_CHECKING:  # the menu paints before SQLAlchemy loads: core/reference.py is imported by the backend
    from procmod.core.reference import SetupProgress

#: The getting-started steps: (what the progress knows it by, what to create, the way there and the key).
GETTING_STARTED: tuple[tuple[str, str, str], ...] = (
    ("datacenter", "A data center", "Integration › Data centers, then a"),
    ("department", "A department", "Provider › Departments, then a"),
    ("module", "A processing module", "Integration › Processing modules, then a"),
    ("tariff", "A tariff plan", "Products › Tariff plans, then a"),
)
GETTING_STARTED_TITLE = "Getting started: this database has no processing module yet"
GETTING_STARTED_HINT = "Arrows and Enter open a section (or : to jump); ? lists its keys."


def getting_started_text(progress: SetupProgress | None = None, *, read_only: bool = False) -> Text:
    """The panel's lines; a done step says so in words (NO_COLOR), the next one is marked with ›."""
    text = Text()
    upcoming = True
    for number, (key, what, how) in enumerate(GETTING_STARTED, start=1):
        done = progress is not None and getattr(progress, key)
        mark = "done" if done else ("next" if upcoming else "")
        upcoming = upcoming and done
        text.append(f"{number}. {what:<21}", style="bold" if mark == "next" else "")
        text.append(f"{how:<42}")
        text.append(f"{mark}\n" if mark else "\n", style="bold")
    text.append("Read-only console: open procmod without --read-only to create them." if read_only
                else GETTING_STARTED_HINT, style="italic")
    return text


class MenuScreen(ConsoleScreen):
    """Arrows move, Enter opens; group headers are not selectable."""

    SCREEN_ID = "menu"

    def compose_content(self) -> ComposeResult:
        options: list[Option] = []
        for group, members in groupby(DESTINATIONS, key=lambda d: d.group):
            if group is None:
                options.extend(Option(Text(d.title), id=d.id) for d in members)
            else:
                options.append(Option(Text(group, style="bold"), id=f"group:{group}", disabled=True))
                options.extend(Option(Text(f"  {d.title}"), id=d.id) for d in members)
        yield OptionList(*options, id="menu")
        panel = Static("", id="getting-started", classes="-hidden")
        panel.border_title = GETTING_STARTED_TITLE
        yield panel
        yield Static("", id="menu-help")

    def on_mount(self) -> None:
        menu = self.query_one(OptionList)
        menu.highlighted = menu.get_option_index("modules")
        menu.focus()

    def apply_pane(self) -> None:
        """Frame upkeep (mount, resume, the database opened): also look whether this is a first run (four
        index look-ups, read here so that the menu is drawn once with or without the panel)."""
        super().apply_pane()
        backend = self.app.loaded_backend
        if backend is not None and not self.app.closing:
            self.show_progress(backend.reference.setup_progress())

    def show_progress(self, progress: SetupProgress) -> None:
        first_run = not progress.module
        panel = self.query_one("#getting-started", Static)
        if first_run:
            panel.update(getting_started_text(progress, read_only=self.app.read_only))
        panel.set_class(not first_run, "-hidden")
        self.query_one("#menu-help", Static).set_class(first_run, "-hidden")

    @property
    def highlighted_destination(self) -> str | None:
        menu = self.query_one(OptionList)
        if menu.highlighted is None:
            return None
        return menu.get_option_at_index(menu.highlighted).id

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        destination = DESTINATION_BY_ID.get(event.option.id or "")
        self.query_one("#menu-help", Static).update(Text(destination.help if destination else ""))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id in DESTINATION_BY_ID:
            self.app.open_destination(event.option.id)

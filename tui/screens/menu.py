"""The main menu, mirroring the platform's: Integration, Products, Provider, Notifications, Background tasks."""

from __future__ import annotations

from itertools import groupby

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from procmod.tui.actions import DESTINATION_BY_ID, DESTINATIONS
from procmod.tui.screens.base import ConsoleScreen


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
        yield Static("", id="menu-help")

    def on_mount(self) -> None:
        menu = self.query_one(OptionList)
        menu.highlighted = menu.get_option_index("modules")
        menu.focus()

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

"""The path of the screen stack, e.g. `Integration › Processing modules › vm-fra-1 › Tariff plans`."""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text
from textual.widgets import Static
from procmod.tui.widgets.lines import set_line

SEPARATOR = " › "
#: Shown at the end of the line when nothing can be changed (procmod --read-only).
READ_ONLY_BADGE = "[read-only]"


class Breadcrumbs(Static):
    """One line naming where the operator is; the owner gives the crumbs (from the screen stack)."""

    DEFAULT_CSS = """
    Breadcrumbs {
        height: 1;
        padding: 0 1;
        background: $panel;
        color: $text;
        text-style: bold;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 - Textual's name
        super().__init__("", id=id)
        self.crumbs: tuple[str, ...] = ()
        self.read_only = False

    def show(self, crumbs: Iterable[str], *, read_only: bool = False) -> None:
        self.crumbs = tuple(c for c in crumbs if c)
        self.read_only = read_only
        line = Text(SEPARATOR.join(self.crumbs) or "procmod")
        if read_only:
            line.append("  ").append(READ_ONLY_BADGE, style="reverse")
        set_line(self, line)

"""The path of the screen stack, e.g. `Integration › Processing modules › vm-fra-1 › Tariff plans`."""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text
from textual.widgets import Static

SEPARATOR = " › "


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

    def show(self, crumbs: Iterable[str]) -> None:
        self.crumbs = tuple(c for c in crumbs if c)
        self.update(Text(SEPARATOR.join(self.crumbs) or "procmod"))

"""`:` and ctrl+p: Textual's command palette, closed once.

Keys typed in one burst reach the palette's input before the palette has closed: `:reconc⏎⏎` submitted it
twice, and Textual's palette then dismissed itself twice, popping the screen under it too (the console
crashed: "Can't pop screen"), and ran the command twice. This palette runs one command and takes nothing
after it; the keys it drops were typed before the screen the command opens was shown, as a form drops the
keys typed before it was shown (tui/app.py, `_typed_ahead`).
"""

from __future__ import annotations

from typing import Any

from textual import on
from textual.await_complete import AwaitComplete
from textual.command import CommandPalette
from textual.widgets import Input, OptionList


class ConsolePalette(CommandPalette):
    """The command palette; `dismiss` once, and no choosing after it."""

    closed = False

    def dismiss(self, result: Any = None) -> AwaitComplete:  # noqa: ANN401 - Screen.dismiss's own type
        if self.closed:
            return AwaitComplete()
        self.closed = True
        return super().dismiss(result)

    @on(Input.Submitted)
    @on(OptionList.OptionSelected)
    def _nothing_after_closing(self, event: Input.Submitted | OptionList.OptionSelected) -> None:
        if self.closed:
            event.stop()
            event.prevent_default()  # Textual's palette handler (a base class's) does not run

"""Plain-text lines (titles, positions, filter lines) that repaint only when their text changes.

`Static.update` always asks for a layout and a repaint; lines rewritten with the same text on every
screen visit or page (e.g. "Unread notifications (9)") then cost a frame of their own after the
screen's first, which is what an operator waits for when a screen opens.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


def set_line(static: Static, line: str | Text) -> None:
    """Show `line` (plain text is never read as markup), unless the widget already shows exactly that."""
    text = line if isinstance(line, Text) else Text(line)
    shown = static.content
    if not (isinstance(shown, Text) and shown == text):
        static.update(text)

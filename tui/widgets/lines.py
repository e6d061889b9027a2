"""Plain-text lines (titles, positions, filter lines) that repaint only when their text changes.

`Static.update` asks for a layout and a repaint; lines rewritten with the same text on every screen
visit or page (e.g. "Unread notifications (9)") would then cost a frame of their own after the screen's
first, which is what an operator waits for when a screen opens. A line whose box does not depend on its
text (a fixed height, a width not `auto`: the position under a table, the filter line, the pane's title)
is repainted without a layout: a new page rewrites it in the same frame as the rows.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


def set_line(static: Static, line: str | Text) -> None:
    """Show `line` (plain text is never read as markup), unless the widget already shows exactly that."""
    text = line if isinstance(line, Text) else Text(line)
    shown = static.content
    if not (isinstance(shown, Text) and shown == text):
        static.update(text, layout=not _fixed_box(static))


def _fixed_box(static: Static) -> bool:
    height, width = static.styles.height, static.styles.width
    return height is not None and height.is_cells and (width is None or not width.is_auto)

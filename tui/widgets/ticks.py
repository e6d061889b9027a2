"""Checkboxes whose state is in the glyph and the word, not only the colour.

Textual draws a checkbox as `▐X▌` ticked or not, the colour alone telling which: under NO_COLOR or on a
monochrome terminal the state cannot be read. `TickBox` draws `[x] yes` / `[ ] no` (a switch: `on` /
`off`), and `TickList` (a SelectionList, e.g. a tariff's Modules) draws `[x]` / `[ ]` before each choice.
"""

from __future__ import annotations

from rich.segment import Segment
from textual.content import Content
from textual.strip import Strip
from textual.widgets import Checkbox, SelectionList

TICKED, UNTICKED = "[x]", "[ ]"


class TickBox(Checkbox):
    """A checkbox drawn `[x] yes` / `[ ] no`; `words` gives other words for on and off."""

    DEFAULT_CSS = """
    TickBox > .toggle--button { background: transparent; color: $text; text-style: bold; }
    TickBox.-on > .toggle--button { color: $text-success; }
    """

    def __init__(self, value: bool = False, *, words: tuple[str, str] = ("yes", "no"),  # noqa: FBT001, FBT002
                 **kwargs) -> None:  # noqa: ANN003 - Checkbox's own keywords
        self.words = words
        super().__init__(max(words, key=len), value, **kwargs)  # sized for the longer word; render draws the one

    def watch_value(self) -> None:
        super().watch_value()
        self.refresh()

    def render(self) -> Content:
        glyph = Content.styled(TICKED if self.value else UNTICKED, self.get_visual_style("toggle--button"))
        word = self.words[0] if self.value else self.words[1]
        label = Content(word).pad(1, 1).stylize_before(self.get_visual_style("toggle--label"))
        return Content.assemble(glyph, label)


class TickList(SelectionList):  # type: ignore[type-arg] - as generic as SelectionList
    """A SelectionList whose boxes read `[x]` / `[ ]`."""

    def render_line(self, y: int) -> Strip:
        strip = super().render_line(y)
        segments = list(strip)
        # SelectionList draws its box as three one-cell segments (left, inner, right) before the prompt.
        if len(segments) < 3 or [s.text for s in segments[:3]] not in (["▐", "X", "▌"],):
            return strip
        _, scroll_y = self.scroll_offset
        try:
            selected = self.get_option_at_index(scroll_y + y).value in self.selected
        except Exception:  # noqa: BLE001 - OptionDoesNotExist: a line below the last option
            return strip
        glyph = TICKED if selected else UNTICKED
        style = segments[1].style
        return Strip([Segment(glyph, style), *segments[3:]], strip.cell_length)

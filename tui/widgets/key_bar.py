"""The key line at the bottom of every console screen: the screen's shown bindings, drawn as one widget.

Textual's Footer composes a widget per key and recomposes them all whenever the bindings change (every
focus move), which cost about 30 ms on every screen opened. This bar is one line of text: it reads the
screen's active bindings, redraws only when the text it would show changes, and maps a click back to the
key under the pointer. What it shows is decided where the keys are declared (`tui/actions.py`: `show`,
`FOOTER_SPARE`), so it is the same registry that feeds `?` help and the palette.
"""

from __future__ import annotations

from typing import NamedTuple

from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.screen import Screen
from textual.widget import Widget


class _Shown(NamedTuple):
    key: str
    display: str
    description: str
    enabled: bool


class KeyBar(Widget, can_focus=False):
    """One line of `key Description` pairs, with the command palette key at the right end."""

    ALLOW_SELECT = False
    COMPONENT_CLASSES = {"key-bar--key", "key-bar--description", "key-bar--disabled"}
    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: 1;
        width: 1fr;
        color: $footer-foreground;
        background: $footer-background;
        text-wrap: nowrap;
        .key-bar--key {
            color: $footer-key-foreground;
            background: $footer-key-background;
            text-style: bold;
        }
        .key-bar--description {
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
        .key-bar--disabled {
            text-style: dim;
        }
    }
    """

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 - Textual's name
        super().__init__(id=id)
        self._shown: tuple[_Shown, ...] = ()
        self._palette: _Shown | None = None
        #: (first column, last column + 1, key) of each key drawn, for clicks.
        self._spans: list[tuple[int, int, str]] = []

    def on_mount(self) -> None:
        # The screen announces its bindings once it is mounted and focused; reading them earlier would ask
        # screens about widgets not composed yet.
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: Screen[object]) -> None:
        if self.is_attached and screen is self.screen:
            self._read_bindings()

    def _read_bindings(self) -> None:
        active = self.screen.active_bindings
        shown: list[_Shown] = []
        seen_actions: set[str] = set()
        palette_key = self.app.COMMAND_PALETTE_BINDING
        for key, (_node, binding, enabled, _tooltip) in active.items():
            if not binding.show or key == palette_key or binding.action in seen_actions:
                continue
            seen_actions.add(binding.action)
            shown.append(self._entry(binding, enabled))
        palette = None
        if self.app.ENABLE_COMMAND_PALETTE and palette_key in active:
            _node, binding, enabled, _tooltip = active[palette_key]
            palette = self._entry(binding, enabled)
        if (tuple(shown), palette) != (self._shown, self._palette):
            self._shown, self._palette = tuple(shown), palette
            self.refresh()

    def _entry(self, binding: Binding, enabled: bool) -> _Shown:
        return _Shown(binding.key, self.app.get_key_display(binding), binding.description, enabled)

    @property
    def keys_shown(self) -> list[str]:
        """The keys on the bar, in order (the palette key last), e.g. for tests."""
        return [entry.key for entry in self._shown] + ([self._palette.key] if self._palette else [])

    def render(self) -> Text:
        key_style = self.get_component_rich_style("key-bar--key")
        description_style = self.get_component_rich_style("key-bar--description")
        disabled_style = self.get_component_rich_style("key-bar--disabled")
        line = Text(no_wrap=True, overflow="crop", end="")
        spans: list[tuple[int, int, str]] = []
        width = self.size.width
        palette_text = self._piece(self._palette, key_style, description_style, disabled_style) \
            if self._palette else None
        room = width - (palette_text.cell_len + 2 if palette_text is not None else 0)
        for entry in self._shown:
            piece = self._piece(entry, key_style, description_style, disabled_style)
            gap = 1 if line.cell_len else 0
            if line.cell_len + gap + piece.cell_len > room:
                break  # the rest are in `?` help; never half a key
            line.append(" " * gap)
            spans.append((line.cell_len, line.cell_len + piece.cell_len, entry.key))
            line.append_text(piece)
        if palette_text is not None and self._palette is not None:
            start = max(line.cell_len + 1, width - palette_text.cell_len - 1)
            line.append(" " * (start - line.cell_len - 1))
            line.append("│", style=disabled_style)
            spans.append((line.cell_len, line.cell_len + palette_text.cell_len, self._palette.key))
            line.append_text(palette_text)
        self._spans = spans
        return line

    @staticmethod
    def _piece(entry: _Shown, key_style, description_style, disabled_style) -> Text:  # noqa: ANN001
        piece = Text.assemble((entry.display, key_style), (entry.description, description_style))
        if not entry.enabled:
            piece.stylize(disabled_style)
        return piece

    def on_click(self, event: events.Click) -> None:
        for start, end, key in self._spans:
            if start <= event.x < end:
                event.stop()
                self.app.simulate_key(key)
                return

"""The only place procmod reaches inside Textual: what preparing a screen unseen needs and no public API offers.

Textual (pinned in pyproject.toml) starts a screen's message loop, and so composes and mounts it, only when it
is pushed, switched to or made a mode's base screen, and lays a screen out only while it is current. Making
the main menu's lists ahead, while the operator reads the menu (tui/prepared_screens.py), needs both for a
screen that is not shown. Each function below wraps one private name; tests/tui/test_textual_private.py has a
test per name that fails, naming it, when a Textual upgrade changes it. What each buys, measured, is in
docs/performance.md ("Textual's private API").

Painting a prepared screen unseen needs nothing private: see `prepared_screens.paint_unseen`.
"""

from __future__ import annotations

from typing import Any

from textual.app import App
from textual.geometry import Size
from textual.screen import Screen

#: Every private name used here, as `Class.name`: the tests check each one still exists and works.
PRIVATE_NAMES = ("App._register", "Screen._refresh_layout", "Screen._layout_required", "App._check_bindings")


def start_unshown(app: App[Any], screen: Screen[Any]) -> None:
    """Start `screen`'s message loop (compose, mount) without showing it: what `push_screen` does first to a
    screen that is not running yet (`App._get_screen`), without the push. The screen must be installed."""
    app._register(app, screen)  # noqa: SLF001


def needs_layout(screen: Screen[Any]) -> bool:
    """Whether a widget of `screen` asked for a layout since its last one (Textual's update timer lays out a
    current screen when this is set; a screen not shown keeps it)."""
    return bool(screen._layout_required)  # noqa: SLF001


def lay_out_unshown(screen: Screen[Any], size: Size) -> None:
    """Lay `screen` out at `size` (the terminal's) although it is not shown, as its update timer does for a
    current screen: widgets get their sizes and resize events, and the pending layout request is cleared."""
    screen._refresh_layout(size)  # noqa: SLF001
    screen._layout_required = False  # noqa: SLF001


async def run_key_binding(app: App[Any], key: str, *, priority: bool) -> bool:
    """Run the binding of `key` as Textual does, from the focused widget up (`priority=False`) or the
    priority bindings from the app down: True when a binding took the key (an action raising SkipAction
    did not). What the app does with a key before it reaches the focused widget's queue (priority), and
    when it comes back up from it (the rest)."""
    return await app._check_bindings(key, priority=priority)  # noqa: SLF001

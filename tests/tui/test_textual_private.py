"""One test per private Textual name procmod uses (all in procmod.tui.textual_private): each fails, naming the
name, when a Textual upgrade removes it or changes what it does. On a minimal app, so that a failure here
is Textual's change and not ours."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from textual.actions import SkipAction
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Static

from procmod.tui import textual_private
from procmod.tui.textual_private import PRIVATE_NAMES, lay_out_unshown, needs_layout, run_key_binding, start_unshown

SIZE = (80, 24)


class Unshown(Screen[None]):
    def compose(self) -> ComposeResult:
        with Vertical(id="body"):
            yield Static("first line", id="line")


class Menu(Screen[None]):
    def compose(self) -> ComposeResult:
        yield Static("the screen shown")


class Minimal(App[None]):
    def on_mount(self) -> None:
        self.push_screen(Menu())


@contextmanager
def private(name: str) -> Iterator[None]:
    """Any failure inside names the private call that broke."""
    try:
        yield
    except Exception as error:  # noqa: BLE001 - whatever broke, say which private name it was
        pytest.fail(f"Textual's private {name} changed (procmod.tui.textual_private): {error!r}", pytrace=True)


async def settle(pilot: Any, until: Callable[[], bool]) -> bool:
    for _ in range(50):
        if until():
            return True
        await pilot.pause(0.02)
    return until()


def test_every_private_name_is_covered_here() -> None:
    assert PRIVATE_NAMES == ("App._register", "Screen._refresh_layout", "Screen._layout_required",
                             "App._check_bindings")
    source = open(textual_private.__file__, encoding="utf-8").read()
    for name in PRIVATE_NAMES:
        assert f".{name.split('.')[1]}" in source, name


async def test_app_register_starts_a_screen_without_showing_it() -> None:
    app = Minimal()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = Unshown()
        app.install_screen(screen, "unshown")
        with private("App._register"):
            start_unshown(app, screen)
            assert await settle(pilot, lambda: screen.is_mounted), "the screen never mounted"
            assert screen.query_one("#line", Static).is_mounted, "its widgets were not composed"
            assert screen not in app.screen_stack and isinstance(app.screen, Menu), "it was shown"
        app.push_screen("unshown")  # and it shows as a pushed screen would
        await pilot.pause()
        assert app.screen is screen and str(screen.query_one("#line", Static).render()) == "first line"


async def test_screen_refresh_layout_lays_out_a_screen_not_shown() -> None:
    app = Minimal()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = Unshown()
        app.install_screen(screen, "unshown")
        start_unshown(app, screen)
        await settle(pilot, lambda: screen.is_mounted)
        line = screen.query_one("#line", Static)
        assert line.size.width == 0  # not laid out: Textual lays out only the current screen
        with private("Screen._refresh_layout"):
            lay_out_unshown(screen, app.size)
            assert line.size.width == SIZE[0], f"not laid out: {line.size}"
            assert screen.find_widget(line).region.width == SIZE[0]
        assert isinstance(app.screen, Menu)


async def test_screen_layout_required_tells_a_layout_is_wanted() -> None:
    app = Minimal()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = Unshown()
        app.install_screen(screen, "unshown")
        start_unshown(app, screen)
        await settle(pilot, lambda: screen.is_mounted)
        lay_out_unshown(screen, app.size)
        with private("Screen._layout_required"):
            assert needs_layout(screen) is False
            screen.query_one("#line", Static).styles.height = 3  # a widget asks for a layout
            assert await settle(pilot, lambda: needs_layout(screen)), "a layout asked for is not seen"
            lay_out_unshown(screen, app.size)
            assert needs_layout(screen) is False, "laying out does not clear the request"
            assert screen.query_one("#line", Static).size.height == 3


class Bound(Screen[None]):
    BINDINGS = [Binding("x", "mark('x')", "X"), Binding("y", "skip", "Y"), Binding("z", "mark('z')", "Z", priority=True)]

    def __init__(self) -> None:
        super().__init__()
        self.marks: list[str] = []

    def compose(self) -> ComposeResult:
        yield Static("bound")

    def action_mark(self, what: str) -> None:
        self.marks.append(what)

    def action_skip(self) -> None:
        raise SkipAction()


async def test_app_check_bindings_runs_a_keys_binding_from_the_focus_up_or_the_priority_ones() -> None:
    app = Minimal()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = Bound()
        app.push_screen(screen)
        await pilot.pause()
        with private("App._check_bindings"):
            assert await run_key_binding(app, "x", priority=False) is True and screen.marks == ["x"]
            assert await run_key_binding(app, "x", priority=True) is False  # not a priority binding
            assert await run_key_binding(app, "z", priority=True) is True and screen.marks == ["x", "z"]
            assert await run_key_binding(app, "y", priority=False) is False  # SkipAction: not taken
            assert await run_key_binding(app, "w", priority=False) is False  # unbound

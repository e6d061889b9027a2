"""What makes screens open in one frame: kept and prepared screens, the shared pane feed, collections at rest.

Speed itself is measured by scripts/benchmark.py; these tests hold the behaviour those mechanisms must
keep: a kept or prepared screen shows data read when it is shown, the pane follows what this console
changes, the collector gives back the interpreter's settings.
"""

from __future__ import annotations

import gc

import pytest

from textual.containers import VerticalScroll
from textual.widget import Widget

from procmod.core.backend import Backend
from tests.conftest import count_calls
from procmod.tui.actions import DESTINATIONS
from procmod.tui.app import make_app
from procmod.tui.idle_gc import LONGEST_SECONDS, NEVER, QUIET_SECONDS, IdleCollector
from procmod.tui.prepared_screens import CARD_SCREEN
from procmod.tui.screens.module_card import ModuleCardScreen
from procmod.tui.screens.module_list import ModuleListScreen
from procmod.tui.screens.tariff_list import TariffListScreen
from procmod.tui.widgets.notifications_pane import NotificationsPane, PaneFeed
from procmod.tui.widgets.row_table import RowTable

WIDE = (120, 30)


async def test_one_card_screen_shows_each_module_in_turn(demo_backend: Backend) -> None:
    first, second = demo_backend.modules.list().rows[:2]
    app = make_app(demo_backend, start="modules")
    async with app.run_test(size=WIDE) as pilot:
        await pilot.pause()
        assert app.open_card(first.id)
        await pilot.pause()
        card = app.screen
        assert isinstance(card, ModuleCardScreen) and card.card.id == first.id
        card.query_one("#card-tariffs", RowTable).move_cursor(row=1)
        card.query_one("#card", VerticalScroll).scroll_end(animate=False, immediate=True)
        await pilot.press("escape")
        await pilot.pause()

        assert app.open_card(second.id)
        await pilot.pause()
        assert app.screen is card and app.get_screen(CARD_SCREEN) is card  # the same screen, not a new one
        assert card.card.id == second.id
        assert second.name in str(card.query_one("#card-heading").render())
        assert card.query_one("#card-tariffs", RowTable).cursor_row == 0
        assert card.query_one("#card", VerticalScroll).scroll_y == 0
        assert card.focused is card.query_one("#card")
        assert app.screen_stack[-2].crumbs(first=True)  # the list below still gives the first crumbs


async def test_a_card_over_a_card_gets_a_screen_of_its_own(demo_backend: Backend) -> None:
    module = demo_backend.modules.list().rows[0]
    app = make_app(demo_backend, start=f"card:{module.id}")
    async with app.run_test(size=WIDE) as pilot:
        await pilot.pause()
        kept = app.screen
        assert isinstance(kept, ModuleCardScreen)
        await pilot.press("t")  # the module's tariffs…
        await pilot.pause()
        assert app.open_card(module.id)  # …and a module card from there
        await pilot.pause()
        assert isinstance(app.screen, ModuleCardScreen) and app.screen is not kept
        assert kept in app.screen_stack and kept.card.id == module.id


async def test_a_kept_card_reads_the_module_again_when_come_back_to(demo_backend: Backend) -> None:
    module = demo_backend.modules.list().rows[0]
    app = make_app(demo_backend, start=f"card:{module.id}")
    async with app.run_test(size=WIDE) as pilot:
        await pilot.pause()
        card = app.screen
        assert isinstance(card, ModuleCardScreen)
        await pilot.press("question_mark")
        await pilot.pause()
        demo_backend.commands.set_module_enabled(module.id, False)  # meanwhile, elsewhere
        await pilot.press("escape")
        await pilot.pause()
        assert card.card.status.label == "Disabled"


async def test_prepared_screens_show_data_read_when_they_are_shown(demo_backend: Backend) -> None:
    app = make_app(demo_backend, start="menu", prepare_screens=True)
    async with app.run_test(size=WIDE) as pilot:
        await pilot.pause()
        names = [f"destination:{d.id}" for d in DESTINATIONS] + [CARD_SCREEN]
        for _ in range(100):  # the console prepares them in quiet moments after start
            if all(app.is_screen_installed(name) and app.get_screen(name).is_mounted for name in names) \
                    and not app._preparer.step():  # every one composed, laid out and painted unseen
                break
            await pilot.pause(0.05)
        else:
            raise AssertionError("the screens were not prepared")
        assert len(app.screen_stack) == 1  # prepared, not shown

        module = demo_backend.modules.list().rows[0]
        demo_backend.commands.set_module_enabled(module.id, False)  # after the list was prepared
        rendered: list[str] = []
        render = Widget._render

        def recorded(widget: Widget):  # noqa: ANN202
            rendered.append(type(widget).__name__)
            return render(widget)

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(Widget, "_render", recorded)
            app.open_destination("modules")
            await pilot.pause()
        # Painted once unseen while prepared: the first visit renders only what changed (the crumbs; the
        # rows through the table's own lines), not the key bar, the pane or the other lines again.
        assert "KeyBar" not in rendered and "NotificationsPane" not in rendered and "Static" not in rendered
        screen = app.screen
        assert isinstance(screen, ModuleListScreen) and screen is app.get_screen("destination:modules")
        assert next(r for r in screen.paged.rows if r.id == module.id).status.label == "Disabled"
        assert screen.focused is screen.paged.table

        assert app.open_card(module.id)  # the prepared card shows this module, as read now
        await pilot.pause()
        assert app.screen is app.get_screen(CARD_SCREEN)
        assert app.screen.card.id == module.id and app.screen.card.status.label == "Disabled"


async def test_a_list_opened_while_screens_are_prepared_is_the_prepared_one(demo_backend: Backend) -> None:
    app = make_app(demo_backend, start="menu", prepare_screens=True)
    async with app.run_test(size=WIDE) as pilot:
        await pilot.pause(0.7)  # the first ones are being made
        app.open_destination("tariffs")
        await pilot.pause()
        assert isinstance(app.screen, TariffListScreen) and app.screen.paged.rows
        assert app.screen is app.get_screen("destination:tariffs")


async def test_opening_screens_reads_the_pane_once_until_something_changes(demo_backend: Backend,
                                                                             monkeypatch) -> None:  # noqa: ANN001
    original = demo_backend.notifications.unread_count
    reads = count_calls(monkeypatch, demo_backend, "pane")
    app = make_app(demo_backend, start="modules")
    async with app.run_test(size=WIDE) as pilot:
        await pilot.pause()
        for destination in ("tariffs", "services", "modules", "notifications"):
            app.open_destination(destination)
            await pilot.pause()
        assert reads.count == 1  # one reading shared by every screen's pane
        pane = app.screen.query_one(NotificationsPane)
        assert pane.unread_total == original()

        await pilot.press("R")  # mark all read, here: the feed is read again at once
        await pilot.pause()
        assert reads.count == 2 and pane.notification_ids == [] and pane.unread_total == 0


def test_the_pane_feed_goes_stale_with_time_or_when_invalidated() -> None:
    now = [100.0]
    feed = PaneFeed(monotonic=lambda: now[0])
    assert feed.stale  # never read

    class FakeBackend:
        @staticmethod
        def pane(limit: int) -> tuple[list[object], int, int]:
            return [], 7, 2  # the latest unread, how many are unread, the failure queue's entries

    feed.read(FakeBackend())  # type: ignore[arg-type]
    assert not feed.stale and feed.total == 7 and feed.failures == 2
    now[0] += PaneFeed.MAX_AGE + 0.1
    assert feed.stale  # other processes' changes show within MAX_AGE
    feed.read(FakeBackend())  # type: ignore[arg-type]
    feed.invalidate()
    assert feed.stale


def test_the_idle_collector_collects_in_quiet_moments_and_restores_the_settings() -> None:
    saved = gc.get_threshold()
    now = [0.0]
    collector = IdleCollector(monotonic=lambda: now[0])
    collector.start()
    try:
        assert gc.get_threshold()[2] == NEVER and gc.get_freeze_count() > 0
        collector.touch()
        now[0] += QUIET_SECONDS / 2
        gc.collect(1)  # a young collection happened: something may wait in the oldest generation
        assert not collector.check()  # the operator typed half a second ago
        now[0] += QUIET_SECONDS
        assert collector.check() and collector.collections == 1
        assert not collector.check()  # nothing new since
        for _ in range(int(LONGEST_SECONDS * 4)):  # typing without pause: still collected, at the latest
            now[0] += 0.25
            collector.touch()
            collector.check()
        assert collector.collections == 2
    finally:
        collector.stop()
    assert gc.get_threshold() == saved and gc.get_freeze_count() == 0


async def test_the_console_gives_back_the_collectors_settings_when_it_exits(demo_backend: Backend) -> None:
    saved = gc.get_threshold()
    app = make_app(demo_backend, start="modules")
    async with app.run_test(size=WIDE) as pilot:
        await pilot.pause(QUIET_SECONDS + 0.3)
        assert app.idle_gc.active and gc.get_threshold()[2] == NEVER
        await pilot.press("down")
        assert app.last_input > 0  # keys count as the operator being busy
    assert gc.get_threshold() == saved and not app.idle_gc.active


def test_collections_wait_for_the_console_once_start_up_holds_them() -> None:
    from procmod.tui.idle_gc import hold_during_start_up

    assert gc.isenabled()
    hold_during_start_up()
    try:
        assert not gc.isenabled()  # start-up makes only objects that live as long as the process
        collector = IdleCollector()
        collector.start()
        assert gc.isenabled()  # the console is up: the collector's policy from here
        collector.stop()
        hold_during_start_up()
        IdleCollector().stop()  # a console that closes before it settled gives collections back too
        assert gc.isenabled()
    finally:
        gc.enable()


async def test_a_kept_list_opens_again_in_one_frame(demo_backend: Backend) -> None:
    """What the benchmark's screen timings rest on: a kept list is filled before it is shown, so the frame
    it is shown in is its only one (a row, crumb or pane line rewritten after it would paint again).
    (The kept card is filled before it is shown too, but its texts change height, and Textual lays them
    out in an update of their own: it is measured by the benchmark, not counted here.)"""
    from textual._wait import wait_for_idle

    app = make_app(demo_backend, start="menu")
    frames = 0
    display = app._display

    def counted(screen, renderable):  # noqa: ANN001, ANN202
        nonlocal frames
        frames += renderable is not None
        return display(screen, renderable)

    app._display = counted  # type: ignore[method-assign]

    async def frames_for(action) -> int:  # noqa: ANN001
        nonlocal frames
        await pilot.pause()
        frames = 0
        action()
        await pilot._wait_for_screen()  # the pilot's wait without the frame `pause()` forces at its end
        await wait_for_idle(0)
        return frames

    async with app.run_test(size=WIDE) as pilot:
        for destination in ("modules", "tariffs", "notifications"):
            app.open_destination(destination)
            await pilot.pause()
        for destination in ("modules", "tariffs", "notifications", "modules"):
            assert await frames_for(lambda d=destination: app.open_destination(d)) == 1, destination


async def test_the_lists_are_prepared_while_the_database_opens_and_the_card_after(demo_backend: Backend) -> None:
    """A console opening its database behind the menu makes its lists meanwhile (they need no database), so
    a list opened a second after start is a prepared one; the card, which reads a module, waits for it."""
    import threading

    release = threading.Event()

    def slow_open() -> Backend:
        release.wait(10)
        return demo_backend

    app = make_app(slow_open, start="menu", prepare_screens=True)
    async with app.run_test(size=WIDE) as pilot:
        for _ in range(60):
            await pilot.pause(0.05)
            if app.is_screen_installed("destination:modules") and app.get_screen("destination:modules").is_mounted:
                break
        assert app.loaded_backend is None and app.get_screen("destination:modules").is_mounted
        assert not app.is_screen_installed(CARD_SCREEN)
        release.set()
        await app.workers.wait_for_complete()
        for _ in range(100):
            await pilot.pause(0.05)
            if app.is_screen_installed(CARD_SCREEN):
                break
        assert app.is_screen_installed(CARD_SCREEN)
        app.open_destination("modules")
        await pilot.pause()
        assert app.screen is app.get_screen("destination:modules") and app.screen.paged.rows


async def test_a_kept_screen_is_styled_again_only_when_its_styles_could_have_changed(
        demo_backend: Backend, monkeypatch: pytest.MonkeyPatch) -> None:
    """Textual styles every widget of a screen each time it is shown (20 ms for the Edit form); a kept
    screen shown again under the same stylesheet and theme keeps its styles (ConsoleScreen.update_node_styles).
    A theme picked meanwhile, or a class of the screen changed, styles it again: what it shows follows."""
    from procmod.tui.screens.module_edit import EditModuleScreen

    app = make_app(demo_backend, start="modules")
    async with app.run_test(size=WIDE) as pilot:
        await pilot.pause()
        app.open_card(1)
        await pilot.pause()
        await pilot.press("e")
        await pilot.pause()
        edit = app.screen
        assert isinstance(edit, EditModuleScreen)
        await pilot.press("escape")
        await pilot.pause()
        restyles = count_calls(monkeypatch, app.stylesheet, "update_nodes")

        await pilot.press("e")  # the same kept form, nothing changed: not styled again
        await pilot.pause()
        assert app.screen is edit and restyles.count == 0
        await pilot.press("escape")
        await pilot.pause()

        before = edit.styles.background
        app.theme = "textual-light" if app.theme != "textual-light" else "textual-dark"
        await pilot.pause()
        restyles.count = 0
        await pilot.press("e")  # another theme: the whole form is styled again, and shows it
        await pilot.pause()
        assert app.screen is edit and restyles.count >= 1
        assert edit.styles.background != before
        await pilot.press("escape")
        await pilot.pause()

        restyles.count = 0
        edit.add_class("-probe")  # a class of the screen: styled at once (Textual), and known when shown
        await pilot.press("e")
        await pilot.pause()
        assert restyles.count >= 1

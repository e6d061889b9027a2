"""Pilot tests of issue 18's operator items: one filter rule, notifications and history you can read, wide
lists, --db refusals, copy, export."""

from __future__ import annotations

from procmod.core.backend import Backend
from procmod.tui.app import make_app
from procmod.tui.screens.service_list import ServiceListScreen
from procmod.tui.screens.tariff_list import TariffListScreen

SIZE = (80, 24)


async def _type_filter(pilot, text: str) -> None:  # noqa: ANN001
    await pilot.press("slash", *text, "enter")
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def test_services_filter_matches_anywhere_in_the_name_and_says_so(demo_backend: Backend) -> None:
    """Item 11: `indigo` finds vps8.indigo-client.example (it used to match the start of the name only)."""
    app = make_app(demo_backend, start="services")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ServiceListScreen)
        assert "any part of the name, any case" in str(screen.filter_input.placeholder)
        await _type_filter(pilot, "indigo")
        rows = screen.paged.rows
        assert rows and all("indigo" in r.name for r in rows)
        assert any(not r.name.startswith("indigo") for r in rows)
        line = str(screen.query_one("#filter-line").render())
        assert "name contains “indigo” (anywhere, any case)" in line


async def test_tariffs_filter_uses_the_same_rule(demo_backend: Backend) -> None:
    app = make_app(demo_backend, start="tariffs")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, TariffListScreen)
        await _type_filter(pilot, "COM")
        names = [r.name for r in screen.paged.rows]
        assert names and all("com" in n.lower() for n in names)
        assert any(not n.lower().startswith("com") for n in names)

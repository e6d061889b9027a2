"""Nothing happens without a word: Del on a pre-check with blockers says why; the demo's messages name the
hosts its modules use; the demo says where its panels answer and with which credentials."""

from __future__ import annotations

import re

from procmod.core.backend import Backend
from procmod.core.dto import NotificationFilter
from procmod.demo.env import start_demo_environment
from procmod.tui.app import make_app
from procmod.tui.screens.delete_check import DeleteCheckScreen
from tests.tui.test_typing import drain

SIZE = (80, 24)


async def test_del_on_a_precheck_with_blockers_says_why(demo_backend: Backend) -> None:
    module = next(r for r in demo_backend.modules.list().rows if demo_backend.commands.delete_blockers(r.id))
    app = make_app(demo_backend, start=f"card:{module.id}")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("delete")
        await drain(pilot)
        check = app.screen
        assert isinstance(check, DeleteCheckScreen)
        await pilot.press("delete")
        await drain(pilot)
        assert app.screen is check
        said = [n for n in app._notifications if n.title == "Nothing was deleted"]  # noqa: SLF001
        assert said and module.name in said[-1].message and "fix each with its key" in said[-1].message
    assert demo_backend.modules.name(module.id) == module.name


_HOST = re.compile(r"\b(?:[a-z0-9-]+\.)+(?:example|com|net)\b(?::\d+)?|\b\d+\.\d+\.\d+\.\d+(?::\d+)?")


def test_the_demos_health_messages_name_only_hosts_its_modules_use(demo_backend: Backend) -> None:
    environment = start_demo_environment(demo_backend)
    try:
        for row in demo_backend.modules.list().rows:
            card = demo_backend.modules.card(row.id)
            settings = " ".join(str(v.display) for group in card.settings for v in group.values)
            if card.health_checked_at is None:
                continue  # added to the demo fresh (no check has run): no health message yet, none to name a host
            texts = [card.health_summary or ""]
            texts += [n.description for n in demo_backend.notifications.list(NotificationFilter(module_id=row.id)).rows]
            assert texts[0], f"{row.name} has no health message"
            for text in texts:
                for host in _HOST.findall(text):
                    assert host.split(":")[0] in settings, f"{row.name}: {text!r} names {host}"
    finally:
        environment.stop()


def test_the_demo_tells_how_to_reach_its_panels(demo_backend: Backend) -> None:
    from procmod.tui.cli import demo_connection_text

    environment = start_demo_environment(demo_backend)
    try:
        text = demo_connection_text(environment.connection_sheet())
        for type_title in ("VMmanager 6", "cPanel/WHM", "Namecheap"):
            assert type_title in text
        cpanel = next(h for name, h in environment.handles.items() if name == "cPanel shared-01")
        assert f"Port: {cpanel.port}" in text and "API token: DEMO" in text and "REVOKED" not in text
    finally:
        environment.stop()

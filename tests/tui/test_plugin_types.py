"""The console with plugin module types: a plugin's type is offered by the Add wizard for its product type,
and a module whose type is unavailable opens read-only, saying why."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import update

from procmod.core.backend import Backend
from procmod.core.moduletypes import MODULE_TYPES, PRODUCT_TYPES
from procmod.storage.models import ProcessingModule
from procmod.tui.app import make_app
from procmod.tui.screens.module_card import ModuleCardScreen
from procmod.tui.screens.module_wizard import AddModuleScreen
from tests.core.test_plugins import install_acme_plugin


@pytest.fixture()
def acme_installed(tmp_path: Path) -> Iterator[None]:
    """The Acme plugin package, built and pip-installed into a directory put on sys.path (as a
    site-packages would be), and discovered again; it also declares a broken type."""
    _, site = install_acme_plugin(tmp_path)
    sys.path.insert(0, str(site))
    importlib.invalidate_caches()
    MODULE_TYPES.reset()
    try:
        yield
    finally:
        sys.path.remove(str(site))
        for name in [m for m in sys.modules if m == "acme_procmod" or m.startswith("acme_procmod.")]:
            del sys.modules[name]
        MODULE_TYPES.reset()


async def test_the_wizard_offers_a_plugin_type_for_its_product_type(demo_backend: Backend,
                                                                    acme_installed: None) -> None:
    app = make_app(demo_backend, start="modules")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("a")
        await pilot.pause()
        wizard = app.screen
        assert isinstance(wizard, AddModuleScreen)
        certificates = [p.code for p in PRODUCT_TYPES].index("certificate")
        await pilot.press(*["down"] * certificates, "enter")
        await pilot.pause()
        assert wizard.product_type == "certificate" and wizard.step == 1
        await pilot.press("enter")
        await pilot.pause()
        assert wizard.mtype is not None and wizard.mtype.key == "acme" and wizard.step == 2
        assert wizard.mtype.title == "Acme Certificates"


async def test_a_module_of_an_unavailable_type_opens_read_only_with_the_reason(demo_backend: Backend,
                                                                              acme_installed: None) -> None:
    module_id = demo_backend.modules.list().rows[0].id
    with demo_backend.db.write() as session:
        session.execute(update(ProcessingModule).where(ProcessingModule.id == module_id)
                        .values(module_type="broken"))
    app = make_app(demo_backend, start="modules")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.open_card(module_id)
        await pilot.pause()
        card = app.screen
        assert isinstance(card, ModuleCardScreen)
        assert "READ-ONLY: module type unavailable" in str(card.query_one("#card-heading").render())
        assert "this plugin is broken on purpose" in str(card.query_one("#overview").render())
        for action in ("edit_module", "update_configuration", "check_connection"):
            assert card.check_action(action, ()) is False
        await pilot.press("e")  # nothing opens
        await pilot.pause()
        assert app.screen is card

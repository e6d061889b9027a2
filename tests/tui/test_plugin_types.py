"""The console with plugin module types: a plugin's type is offered by the Add wizard for its product type,
and a module whose type is unavailable opens read-only, saying why."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
from sqlalchemy import update

from procmod.core.backend import Backend
from procmod.core.builtin_types import CPANEL
from procmod.core.moduletypes import MODULE_TYPES, PRODUCT_TYPES
from procmod.storage.models import ProcessingModule
from procmod.tui.app import make_app
from procmod.tui.screens.module_card import ModuleCardScreen
from procmod.tui.screens.module_wizard import AddModuleScreen
from tests.core.test_plugins import FakeEntryPoint, _installed

ACME = replace(CPANEL, key="acme", title="Acme Certificates", product_types=("certificate",),
               driver="procmod.core.drivers.cpanel:CpanelDriver")


@pytest.fixture()
def acme_installed() -> Iterator[None]:
    """The installed types plus the Acme plugin, and a broken one."""
    MODULE_TYPES.reset(lambda: [*_installed(), FakeEntryPoint("acme", "acme_procmod:ACME", ACME),
                                FakeEntryPoint("broken", "broken:TYPE", ImportError("no module broken"))])
    yield
    MODULE_TYPES.reset(_installed)


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
        assert "no module broken" in str(card.query_one("#overview").render())
        for action in ("edit_module", "update_configuration", "check_connection"):
            assert card.check_action(action, ()) is False
        await pilot.press("e")  # nothing opens
        await pilot.pause()
        assert app.screen is card

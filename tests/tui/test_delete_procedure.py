"""The manual's delete procedure, from the console, on a demo module that holds services (Pilot, 80x24,
against the demo's loopback emulators): its tariffs are disabled, its services are transferred to another
module of the same type (checked on the target panel, opened there since they are not, then moved) or
closed, and then the module is deleted. Workers are awaited, never slept on."""

from __future__ import annotations

from sqlalchemy import func, select
from textual.widgets import Select

from procmod.core.dto import ServiceFilter, TariffFilter
from procmod.storage.enums import JobState, ServiceStatus, TariffStatus
from procmod.storage.models import Job, ProcessingModule, Service
from procmod.tui.app import make_app
from procmod.tui.screens.bulk_progress import BulkProgressScreen
from procmod.tui.screens.confirm import ConfirmScreen
from procmod.tui.screens.module_card import ModuleCardScreen
from procmod.tui.screens.service_list import ServiceListScreen
from procmod.tui.screens.tariff_list import TariffListScreen
from procmod.tui.screens.tariff_modules import TariffModulesScreen
from procmod.tui.screens.transfer import TransferScreen
from tests.tui.test_integration_screens import screen_text, settle
from tests.tui.test_service_operations import live, module_id  # noqa: F401 - the fixture

SIZE = (80, 24)
SOURCE, TARGET = "VM Amsterdam GPU", "VM Amsterdam 2"


def live_services(backend, module: int) -> int:  # noqa: ANN001
    with backend.db.sessions() as session:
        return session.scalar(select(func.count()).select_from(Service).where(
            Service.module_id == module, Service.status != ServiceStatus.DELETED))


def failed_jobs(backend) -> list[tuple[str | None, str | None, str | None]]:  # noqa: ANN001
    """What each failed job said (shown when the test fails)."""
    with backend.db.sessions() as session:
        return list(session.execute(select(Job.kind, Job.error_kind, Job.outcome).where(Job.state == JobState.FAILED)))


async def test_a_module_holding_services_is_emptied_and_deleted_from_the_console(live) -> None:  # noqa: ANN001, F811
    backend, env = live
    source, target = module_id(backend, SOURCE), module_id(backend, TARGET)
    holding = live_services(backend, source)
    assert holding > 40
    with backend.db.sessions() as session:
        names = set(session.scalars(select(Service.name).where(Service.module_id == source,
                                                                Service.status != ServiceStatus.DELETED)))
    app = make_app(backend, show_pane=False)
    async with app.run_test(size=SIZE) as pilot:
        assert app.open_card(source)
        await pilot.pause()
        # 1. Tariffs: each tariff still linking the module is re-linked to the target (Modules).
        await pilot.press("t")
        await pilot.pause()
        tariffs = app.screen
        assert isinstance(tariffs, TariffListScreen)
        for row in list(tariffs.paged.rows):
            if row.status is TariffStatus.DELETED:
                continue  # a deleted tariff's link goes with the module
            tariffs.paged.table.move_cursor(row=[r.id for r in tariffs.paged.rows].index(row.id))
            await pilot.press("l")
            await pilot.pause()
            dialog = app.screen
            assert isinstance(dialog, TariffModulesScreen)
            dialog.query_one("#modules-choice").deselect(source)
            dialog.query_one("#modules-choice").select(target)
            await pilot.press("ctrl+s")
            await settle(app, pilot)
        assert {r.status for r in backend.tariffs.list(TariffFilter(module_id=source)).rows} <= {TariffStatus.DELETED}
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ModuleCardScreen)
        # 2. Services: all of the module's, selected at once, transferred to another VMmanager module.
        await pilot.press("s")
        await pilot.pause()
        listing = app.screen
        assert isinstance(listing, ServiceListScreen) and listing.filter == ServiceFilter(module_id=source)
        await pilot.press("asterisk")
        assert "Selected: all" in screen_text(app)
        await pilot.press("t")
        await settle(app, pilot)
        transfer = app.screen
        assert isinstance(transfer, TransferScreen)
        transfer.query_one("#transfer-module", Select).value = target
        await pilot.pause()
        tariff_select = transfer.query_one("#transfer-tariff", Select)
        if not isinstance(tariff_select.value, int):
            tariff_select.value = next(t for t in transfer.targets if t.module_id == target).tariffs[0][0]
        await pilot.pause()
        await pilot.click("#transfer-check")
        await settle(app, pilot)
        check = transfer.check
        assert check is not None and check.target_name == TARGET
        # The target panel does not hold these VMs: none found, all offered "open on the target".
        assert (len(check.found), len(check.missing)) == (0, holding)
        assert f"On {TARGET}: 0 found, {holding} not found" in screen_text(app)
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("right", "enter")
        await settle(app, pilot)
        await settle(app, pilot)
        progress = app.screen
        assert isinstance(progress, BulkProgressScreen)
        progress.read_progress()
        await settle(app, pilot)
        assert progress.progress.finished
        assert (progress.progress.succeeded, progress.progress.failed) == (holding, 0), failed_jobs(backend)
        assert live_services(backend, source) == 0
        created = {host["name"] for host in env.handles[TARGET].state.hosts.values()}
        assert created >= names  # each was really opened on the target panel
        with backend.db.sessions() as session:
            assert set(session.scalars(select(Service.name).where(Service.module_id == target))) >= names
        await pilot.press("escape")  # the progress window
        await pilot.press("escape")  # the transfer screen
        await pilot.press("escape")  # the services list
        await pilot.pause()
        assert isinstance(app.screen, ModuleCardScreen)
        # 3. Nothing blocks any more (its tasks were off with the module); 4. Delete, confirmed.
        await pilot.press("delete")
        await settle(app, pilot)
        assert isinstance(app.screen, ConfirmScreen), screen_text(app)
        await pilot.press("right", "enter")
        await settle(app, pilot)
        with backend.db.sessions() as session:
            assert session.get(ProcessingModule, source) is None

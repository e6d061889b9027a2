"""Pilot tests at 80x24 of the guarded actions: Disable asks, Delete's pre-check and confirmation, a
tariff's Modules and status, task schedules, and the read-only console without any of them."""

from __future__ import annotations

from procmod.core.backend import Backend
from procmod.core.dto import ModuleStatus, RunResult, ServiceStatus, TariffFilter, TariffStatus, TaskFilter
from procmod.core.lifecycle import CheckOutcome, ModuleParams
from procmod.tui.app import make_app
from procmod.tui.screens.confirm import ConfirmScreen
from procmod.tui.screens.delete_check import DeleteCheckScreen
from procmod.tui.screens.help import HelpScreen
from procmod.tui.screens.module_card import ModuleCardScreen
from procmod.tui.screens.module_list import ModuleListScreen
from procmod.tui.screens.schedule_editor import ScheduleScreen
from procmod.tui.screens.service_list import ServiceListScreen
from procmod.tui.screens.tariff_list import TariffListScreen
from procmod.tui.screens.tariff_modules import TariffModulesScreen
from procmod.tui.screens.task_list import TaskListScreen
from procmod.tui.widgets.breadcrumbs import Breadcrumbs

SIZE = (80, 24)


async def settle(app, pilot) -> None:  # noqa: ANN001
    await app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause()


def spare_module(backend: Backend) -> int:
    """A module nothing depends on (no tariff, service or running task), made through the domain."""
    backend.commands.checker = lambda *a: CheckOutcome(True, "ok")
    return backend.commands.create_module("vhost", "cpanel", ModuleParams(
        name="AAA spare cPanel", department_id=1, sort_priority=0,
        settings={"host": "spare.hostco.example", "api_token": "T"}))


async def test_disable_asks_then_disables_and_existing_services_stay(demo_backend: Backend) -> None:
    module = demo_backend.modules.list().rows[0]
    assert module.status is ModuleStatus.ENABLED
    app = make_app(demo_backend, start="modules")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("D")
        await pilot.pause()
        question = app.screen
        assert isinstance(question, ConfirmScreen)
        assert "keep running" in question.message and "no new services" in question.message
        assert app.focused.id == "confirm-cancel"
        await pilot.press("enter")  # Cancel
        await settle(app, pilot)
        assert demo_backend.modules.card(module.id).status is ModuleStatus.ENABLED
        await pilot.press("D")
        await pilot.pause()
        await pilot.press("right", "enter")  # Disable
        await settle(app, pilot)
        assert isinstance(app.screen, ModuleListScreen)
        row = next(r for r in app.screen.paged.rows if r.id == module.id)
        assert row.status is ModuleStatus.DISABLED and row.active_service_count == module.active_service_count
        await pilot.press("E")  # enable needs no question
        await settle(app, pilot)
    assert demo_backend.modules.card(module.id).status is ModuleStatus.ENABLED


async def test_delete_precheck_lists_blockers_and_each_key_opens_the_filtered_list(demo_backend: Backend) -> None:
    module = demo_backend.modules.list().rows[0]
    kinds = {b.kind for b in demo_backend.commands.delete_blockers(module.id)}
    assert kinds == {"tariffs", "active_services", "other_services", "tasks_in_progress"}
    app = make_app(demo_backend, start="modules")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("delete")
        await pilot.pause()
        check = app.screen
        assert isinstance(check, DeleteCheckScreen) and check.kinds == kinds
        expectations = [
            ("t", TariffListScreen, {"module_id": module.id}),
            ("a", ServiceListScreen, {"module_id": module.id, "status": ServiceStatus.ACTIVE}),
            ("o", ServiceListScreen, {"module_id": module.id, "status": None}),
            ("b", TaskListScreen, {"module_id": module.id, "result": RunResult.IN_PROGRESS}),
        ]
        for key, screen_type, wanted in expectations:
            await pilot.press(key)
            await pilot.pause()
            assert isinstance(app.screen, screen_type), key
            assert {k: getattr(app.screen.filter, k) for k in wanted} == wanted
            assert app.screen.paged.rows, f"{key} opened an empty list"
            await pilot.press("escape")
            await pilot.pause()
            assert app.screen is check
        await pilot.press("delete")  # refused while blockers remain
        await pilot.pause()
        assert app.screen is check
    assert demo_backend.modules.name(module.id) == module.name


async def test_delete_without_blockers_asks_with_cancel_focused_then_deletes(demo_backend: Backend) -> None:
    module_id = spare_module(demo_backend)
    app = make_app(demo_backend, start=f"card:{module_id}")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("delete")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen) and app.focused.id == "confirm-cancel"
        await pilot.press("enter")  # Cancel keeps it
        await settle(app, pilot)
        assert isinstance(app.screen, ModuleCardScreen)
        await pilot.press("delete")
        await pilot.pause()
        await pilot.press("right", "enter")
        await settle(app, pilot)
        assert not isinstance(app.screen, ModuleCardScreen)  # the card of a deleted module closes
    assert all(r.id != module_id for r in demo_backend.modules.list().rows)


async def test_delete_blocked_meanwhile_shows_the_reasons(demo_backend: Backend) -> None:
    module_id = spare_module(demo_backend)
    tariff = next(t for t in demo_backend.tariffs.list(TariffFilter(status=TariffStatus.ACTIVE)).rows
                  if t.product_type_name == "Shared hosting")
    app = make_app(demo_backend, start=f"card:{module_id}")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("delete")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        # Another operator links a tariff to it before Ok.
        linked = [int(o.value) for o, on in demo_backend.tariffs.module_choices(tariff.id) if on]
        demo_backend.commands.set_tariff_modules(tariff.id, [*linked, module_id])
        await pilot.press("right", "enter")
        await settle(app, pilot)
        assert isinstance(app.screen, DeleteCheckScreen) and app.screen.kinds == {"tariffs"}
    assert demo_backend.modules.name(module_id) == "AAA spare cPanel"


async def test_modules_dialog_relinks_a_tariff_and_refuses_leaving_none(demo_backend: Backend) -> None:
    app = make_app(demo_backend, start="tariffs")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        tariff = app.screen.paged.selected
        assert tariff.status is TariffStatus.ACTIVE
        before = [(o, on) for o, on in demo_backend.tariffs.module_choices(tariff.id)]
        await pilot.press("l")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, TariffModulesScreen)
        assert sorted(dialog.chosen) == sorted(int(o.value) for o, on in before if on)
        dialog.query_one("#modules-choice").deselect_all()
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert app.screen is dialog  # an active tariff keeps at least one module
        assert "at least one processing module" in str(dialog.query_one("#dialog-error").render())
        unlinked = next(o for o, on in before if not on)
        dialog.query_one("#modules-choice").select(int(unlinked.value))
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, TariffListScreen)
        assert app.screen.paged.selected.module_names == [unlinked.label]
    assert [o.label for o, on in demo_backend.tariffs.module_choices(tariff.id) if on] == [unlinked.label]


async def test_tariff_disable_and_enable_keys(demo_backend: Backend) -> None:
    app = make_app(demo_backend, start="tariffs")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        tariff = app.screen.paged.selected
        await pilot.press("D")
        await settle(app, pilot)
        assert demo_backend.tariffs.list(TariffFilter(tariff_id=tariff.id)).rows[0].status is TariffStatus.DISABLED
        assert app.screen.paged.selected.status is TariffStatus.DISABLED
        await pilot.press("E")
        await settle(app, pilot)
    assert demo_backend.tariffs.list(TariffFilter(tariff_id=tariff.id)).rows[0].status is TariffStatus.ACTIVE


async def test_schedule_editor_refuses_bad_cron_and_shows_next_runs(demo_backend: Backend) -> None:
    app = make_app(demo_backend, start="tasks")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        task = app.screen.paged.selected
        await pilot.press("e")
        await pilot.pause()
        editor = app.screen
        assert isinstance(editor, ScheduleScreen) and len(editor.next_runs) == 3
        field = editor.query_one("#schedule-text")
        field.value = ""
        await pilot.press(*"61 * * * *")
        await pilot.pause()
        assert "Invalid cron expression" in editor.error and editor.next_runs == []
        assert editor.query_one("#dialog-ok").disabled
        await pilot.press("ctrl+s")  # refused: nothing saved, the dialog stays
        await settle(app, pilot)
        assert app.screen is editor
        field.value = ""
        await pilot.press(*"*/20 * * * *")
        await pilot.pause()
        assert editor.error == "" and editor.next_runs == ["2026-11-26 09:40", "2026-11-26 10:00", "2026-11-26 10:20"]
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, TaskListScreen)
    saved = next(t for t in demo_backend.tasks.list(TaskFilter(module_id=task.module_id)).rows if t.id == task.id)
    assert saved.schedule == "*/20 * * * *" and saved.enabled == task.enabled


async def test_read_only_console_has_no_mutating_keys(demo_backend: Backend) -> None:
    before = demo_backend.modules.list().total
    app = make_app(demo_backend, start="modules", read_only=True)
    assert demo_backend.commands.read_only
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert "[read-only]" in str(app.screen.query_one(Breadcrumbs).render())
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        assert not {"a", "E", "D", "Del"} & set(app.screen.keys)
        await pilot.press("escape")
        await pilot.pause()
        for key in ("a", "D", "delete"):
            await pilot.press(key)
            await pilot.pause()
            assert isinstance(app.screen, ModuleListScreen), key
        await pilot.press("enter")
        await pilot.pause()
        card = app.screen
        assert isinstance(card, ModuleCardScreen)
        await pilot.press("e", "u", "delete")
        await settle(app, pilot)
        assert app.screen is card
        assert not [a for a in app.active_bindings.values() if (a.binding.id or "").startswith("module.") and a.enabled]
    assert demo_backend.modules.list().total == before

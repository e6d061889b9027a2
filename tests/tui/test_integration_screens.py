"""Pilot tests of the integration screens at 80x24, against the demo's loopback emulators: the health
badge on the list and the card, Check connection (healthy, bad token, unreachable, gave up waiting),
Update configuration (plan, apply, nothing left to change, a refused read), the call log without secrets,
the panel's choices as a drop-down in the edit form, and read-only mode.

Workers are awaited (`app.workers.wait_for_complete`), never slept on.
"""

from __future__ import annotations

from sqlalchemy import update

from procmod.storage.models import ProcessingModule

import threading
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from rich.console import Console
from textual.widgets import Select, Static

from procmod.core.backend import Backend, open_backend
from procmod.core.clock import DEMO_NOW, FixedClock
from procmod.demo.seed import seed_demo
from procmod.demo.env import REVOKED_TOKEN_MODULE, UNREACHABLE_MODULE, DemoEnvironment, start_demo_environment
from procmod.core.drivers.base import Stage, StageOutcome
from procmod.core.dto import ModuleFilter
from procmod.core.secrets import SecretBox
from procmod.tui.app import make_app
from procmod.tui.screens.call_log import CallLogScreen
from procmod.tui.screens.config_plan import ConfigPlanScreen
from procmod.tui.screens.connection_check import ConnectionCheckScreen
from procmod.tui.screens.module_card import ModuleCardScreen
from procmod.tui.screens.module_edit import EditModuleScreen
from procmod.tui.screens.module_list import ModuleListScreen
from procmod.tui.widgets.health_badge import HealthBadge
from procmod.tui.widgets.schema_form import SchemaForm
from procmod.tui.widgets.row_table import RowTable

SIZE = (80, 24)
HEALTHY_VM = "VM Frankfurt 1"
# Quick retries and task polls; timeouts that a loaded CI machine cannot trip on a healthy emulator (a 1 s read
# timeout once failed one of 49 opens in a full run), while a refused connection or a 500 still fails at once.
FAST_DRIVERS = {"connect_timeout": 5.0, "read_timeout": 5.0, "deadline": 15.0, "backoff": 0.001,
                "max_backoff": 0.01, "task_poll_interval": 0.01, "task_timeout": 1.0}


@pytest.fixture
def live(tmp_path: Path) -> Iterator[tuple[Backend, DemoEnvironment]]:
    """The seeded demo with its emulators running, and drivers with short timeouts."""
    backend = open_backend(f"sqlite:///{tmp_path / 'live.db'}", clock=FixedClock(DEMO_NOW),
                           secrets=SecretBox.generate(), operator="tester")
    seed_demo(backend)
    with backend.db.write() as session:  # these tests watch health appear: start from "never checked"
        session.execute(update(ProcessingModule).values(health_ok=None, health_summary=None,
                                                        health_checked_at=None))
    env = start_demo_environment(backend)
    backend.integrations._options.update(FAST_DRIVERS)
    try:
        yield backend, env
    finally:
        env.stop()
        backend.close()


def module_id(backend: Backend, name: str) -> int:
    rows = [r for r in backend.modules.list(ModuleFilter(text=name)).rows if r.name == name]
    assert rows, name
    return rows[0].id


def secret_values(env: DemoEnvironment) -> list[str]:
    """Every credential the emulators hold (passwords, API tokens and keys, issued session tokens)."""
    values: list[str] = []
    for handle in env.handles.values():
        state = handle.app.state
        for attribute in ("password", "api_token", "api_key"):
            if getattr(state, attribute, None):
                values.append(str(getattr(state, attribute)))
        values.extend(getattr(state, "tokens", ()) or ())
    return values


def plain(renderable: object) -> str:
    console = Console(width=200, record=True, color_system=None)
    console.print(renderable)
    return console.export_text()


def screen_text(app) -> str:  # noqa: ANN001
    """All the text of the screen on top: every Static and every cell of every RowTable."""
    parts = [plain(static.content) for static in app.screen.query(Static)]
    for table in app.screen.query(RowTable):
        for row in range(table.row_count):
            parts.extend(str(cell) for cell in table.get_row_at(row))
    return "\n".join(parts)


async def settle(app, pilot) -> None:  # noqa: ANN001
    await app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause()


async def run_check(app, pilot) -> ConnectionCheckScreen:  # noqa: ANN001
    await pilot.press("c")
    await pilot.pause()
    check = app.screen
    assert isinstance(check, ConnectionCheckScreen)
    await settle(app, pilot)
    return check


# ---------------------------------------------------------------------------------------------- check connection


async def test_check_of_a_healthy_module_passes_every_stage_and_the_badge_turns_ok(live) -> None:  # noqa: ANN001
    backend, _env = live
    app = make_app(backend, start=f"card:{module_id(backend, HEALTHY_VM)}")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        card = app.screen
        assert "not checked yet" in plain(card.query_one(HealthBadge).content)
        check = await run_check(app, pilot)
        assert check.report is not None and check.report.ok
        assert [s.stage for s in check.report.stages] == list(Stage)
        assert all(s.outcome is StageOutcome.OK for s in check.report.stages)
        text = screen_text(app)
        for stage in Stage:
            assert stage.value in text
        assert "Connection OK" in text and " ms" in text
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is card
        badge = card.query_one(HealthBadge)
        assert plain(badge.content).startswith("Connection: OK (just now) — Connection OK")
        assert badge.has_class("-ok")


async def test_check_with_a_revoked_token_fails_at_authenticate_with_the_reason(live) -> None:  # noqa: ANN001
    backend, env = live
    app = make_app(backend, start=f"card:{module_id(backend, REVOKED_TOKEN_MODULE)}")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        check = await run_check(app, pilot)
        report = check.report
        assert report is not None and not report.ok
        failed = report.failed_stage
        assert failed is not None and failed.stage is Stage.AUTHENTICATE
        outcomes = {s.stage: s.outcome for s in report.stages}
        assert outcomes[Stage.CONNECT] is StageOutcome.OK and outcomes[Stage.API_VERSION] is StageOutcome.SKIPPED
        text = screen_text(app)
        assert "Authenticate failed" in text and failed.message.split(".")[0] in text
        assert "REVOKED-TOKEN" not in text
        for secret in secret_values(env):
            assert secret not in text
        await pilot.press("escape")
        await pilot.pause()
        badge = app.screen.query_one(HealthBadge)
        assert plain(badge.content).startswith("Connection: FAIL (just now) — Authenticate failed")
        assert badge.has_class("-fail")


async def test_check_of_an_unreachable_module_fails_at_connect(live) -> None:  # noqa: ANN001
    backend, _env = live
    app = make_app(backend, start=f"card:{module_id(backend, UNREACHABLE_MODULE)}")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        check = await run_check(app, pilot)
        failed = check.report.failed_stage if check.report else None
        assert failed is not None and failed.stage is Stage.CONNECT
        text = screen_text(app)
        assert "Connect failed" in text and "Nothing accepts connections" in text
        assert "Check the address and the port" in text  # the hint
        assert check.query_one("#check-summary").has_class("-fail")


async def test_the_check_screen_gives_up_waiting_and_shows_a_late_answer(live, monkeypatch) -> None:  # noqa: ANN001
    backend, _env = live
    answer = threading.Event()
    real_check = backend.integrations.check_module

    def slow_check(module: int):  # noqa: ANN202
        answer.wait(10)
        return real_check(module)

    monkeypatch.setattr(backend.integrations, "check_module", slow_check)
    monkeypatch.setattr(ConnectionCheckScreen, "WAIT_LIMIT_SECONDS", 0.05)
    app = make_app(backend, start=f"card:{module_id(backend, HEALTHY_VM)}")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("c")
        await pilot.pause(0.3)
        check = app.screen
        assert isinstance(check, ConnectionCheckScreen) and not check.busy
        assert "Gave up waiting after 0.05 s" in screen_text(app)
        answer.set()  # the late answer is still shown
        await settle(app, pilot)
        assert check.report is not None and check.report.ok
        assert "answered after the wait" in screen_text(app)


# ---------------------------------------------------------------------------------------------- update configuration


async def test_update_configuration_lists_changes_applies_them_then_has_nothing_to_change(live) -> None:  # noqa: ANN001
    backend, _env = live
    vm = module_id(backend, HEALTHY_VM)
    version_before = backend.commands.edit_form(vm).version
    app = make_app(backend, start=f"card:{vm}")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        card = app.screen
        await pilot.press("u")
        await settle(app, pilot)
        plan_screen = app.screen
        assert isinstance(plan_screen, ConfigPlanScreen)
        assert plan_screen.plan is not None and not plan_screen.plan.is_empty
        text = screen_text(app)
        assert "Clusters" in text and "Frankfurt KVM (1)" in text and "Amsterdam KVM (2)" in text
        assert "OS templates" in text and "Ubuntu 24.04 (1)" in text
        assert "→" in text and "read from the panel" in text
        await pilot.press("a")
        await settle(app, pilot)
        assert app.screen is card
        form = backend.commands.edit_form(vm)
        assert form.version > version_before
        assert form.catalogs["cluster"] == [("1", "Frankfurt KVM"), ("2", "Amsterdam KVM")]
        assert "Frankfurt KVM (1)" in screen_text(app)  # the card names the cluster by its label
        assert any("change(s) applied" in str(n.message) for n in app._notifications)
        await pilot.press("u")
        await settle(app, pilot)
        assert isinstance(app.screen, ConfigPlanScreen) and app.screen.plan is not None
        assert app.screen.plan.is_empty
        assert "Nothing to change" in screen_text(app)
        await pilot.press("a")  # nothing to apply: the key does nothing
        await settle(app, pilot)
        assert backend.commands.edit_form(vm).version == form.version


async def test_update_configuration_of_an_unreachable_module_says_why_with_the_hint(live) -> None:  # noqa: ANN001
    backend, _env = live
    vm = module_id(backend, UNREACHABLE_MODULE)
    app = make_app(backend, start=f"card:{vm}")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("u")
        await settle(app, pilot)
        plan_screen = app.screen
        assert isinstance(plan_screen, ConfigPlanScreen) and plan_screen.plan is None
        message = plan_screen.query_one("#plan-message", Static)
        assert message.has_class("-error")
        text = plain(message.content)
        assert "Nothing accepts connections" in text or "connection" in text.lower()
        assert "Could not read the configuration" in screen_text(app)
        await pilot.press("a")
        await settle(app, pilot)
        assert app.screen is plan_screen


async def test_the_edit_form_offers_the_panels_clusters_after_an_update(live) -> None:  # noqa: ANN001
    backend, _env = live
    vm = module_id(backend, HEALTHY_VM)
    plan = backend.integrations.plan_configuration(vm)
    backend.integrations.apply_configuration(vm, plan)
    app = make_app(backend, start=f"card:{vm}")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, EditModuleScreen)
        form = app.screen.query_one(SchemaForm)
        cluster = form.widget_of("cluster")
        assert isinstance(cluster, Select)
        assert dict(form.fields["cluster"].choices) == {"1": "Frankfurt KVM", "2": "Amsterdam KVM"}
        assert form.value_of("cluster") == "1"
        # A type without a catalog yet keeps free text: the default package of a cPanel module.
    cpanel = module_id(backend, "cPanel shared-01")
    app = make_app(backend, start=f"card:{cpanel}")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("e")
        await pilot.pause()
        form = app.screen.query_one(SchemaForm)
        assert not isinstance(form.widget_of("default_package"), Select)


# ---------------------------------------------------------------------------------- call log, list, read-only, balance


async def test_the_call_log_lists_the_calls_with_masked_urls_and_no_secret(live) -> None:  # noqa: ANN001
    backend, env = live
    vm = module_id(backend, HEALTHY_VM)
    backend.integrations.check_module(vm)
    backend.integrations.plan_configuration(vm)
    app = make_app(backend, start=f"card:{vm}")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("L")
        await pilot.pause()
        calls = app.screen
        assert isinstance(calls, CallLogScreen)
        table = calls.paged.table
        assert table.row_count == backend.integrations.call_log(vm).total >= 3
        operations = {str(table.get_row_at(i)[1]) for i in range(table.row_count)}
        assert "authenticate" in operations
        urls = [str(table.get_row_at(i)[5]) for i in range(table.row_count)]
        assert all(url.startswith("https://127.0.0.1:") for url in urls)
        assert all(str(table.get_row_at(i)[2]) == "200" for i in range(table.row_count))
        text = screen_text(app)
        assert "newest first" in text
        for secret in secret_values(env):
            assert secret not in text


async def test_the_call_log_of_a_module_never_called_says_so(live) -> None:  # noqa: ANN001
    backend, _env = live
    app = make_app(backend, start=f"card:{module_id(backend, HEALTHY_VM)}")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("L")
        await pilot.pause()
        assert "No API calls" in screen_text(app)


async def test_the_modules_list_shows_each_modules_health_after_a_check(live) -> None:  # noqa: ANN001
    backend, _env = live
    backend.integrations.check_module(module_id(backend, HEALTHY_VM))
    backend.integrations.check_module(module_id(backend, REVOKED_TOKEN_MODULE))
    app = make_app(backend, start="modules")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ModuleListScreen)
        health = {row.name: str(cell) for row, cell in zip(
            screen.paged.rows, (table_row[1] for table_row in map(screen.paged.table.get_row_at,
                                                                  range(screen.paged.table.row_count))),
            strict=True)}
        assert health[HEALTHY_VM] == "OK · just now"
        assert health[REVOKED_TOKEN_MODULE] == "FAIL · just now"
        assert health[UNREACHABLE_MODULE] == "—"
        assert screen.paged.table.column_labels[1] == "Health"


async def test_read_only_hides_check_and_update_but_keeps_the_call_log(live) -> None:  # noqa: ANN001
    backend, _env = live
    vm = module_id(backend, HEALTHY_VM)
    app = make_app(backend, start=f"card:{vm}", read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        card = app.screen
        assert isinstance(card, ModuleCardScreen)
        shown = {a.binding.id for a in app.active_bindings.values() if a.enabled}
        assert "card.check" not in shown and "module.update_config" not in shown and "card.call_log" in shown
        await pilot.press("c", "u")
        await settle(app, pilot)
        assert app.screen is card
        assert backend.modules.card(vm).health_checked_at is None
        await pilot.press("L")
        await pilot.pause()
        assert isinstance(app.screen, CallLogScreen)


async def test_read_balance_on_a_namecheap_card_reads_it_from_the_panel(live) -> None:  # noqa: ANN001
    backend, env = live
    namecheap = module_id(backend, "Namecheap main")
    env.handles["Namecheap main"].app.state.balance = Decimal("987.65")
    app = make_app(backend, start=f"card:{namecheap}")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("B")
        await settle(app, pilot)
        card = app.screen
        assert isinstance(card, ModuleCardScreen) and card.card.balance == Decimal("987.65")
        assert "987.65 USD (read " in screen_text(app)
        assert any("balance 987.65 USD" in str(n.message) for n in app._notifications)
    vm_app = make_app(backend, start=f"card:{module_id(backend, HEALTHY_VM)}")
    async with vm_app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert "card.balance" not in {a.binding.id for a in vm_app.active_bindings.values()}

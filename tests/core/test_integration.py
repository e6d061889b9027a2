"""Saved modules against their loopback emulators: health, call log, configuration, balance, sync, tasks."""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest
from sqlalchemy import select, text

from procmod.core.backend import Backend
from procmod.core.clock import FixedClock
from procmod.demo.seed import seed_demo
from procmod.demo.env import REVOKED_TOKEN_MODULE, UNREACHABLE_MODULE, DemoEnvironment, start_demo_environment
from procmod.core.dto import ModuleFilter, NotificationFilter
from procmod.core.lifecycle import ConnectionCheckFailed, ModuleParams
from procmod.core.scheduler import Scheduler
from procmod.storage.enums import RunResult
from procmod.storage.models import BackgroundTask, Notification, TaskRun
from tests.conftest import make_backend

FAST = {"connect_timeout": 1.0, "read_timeout": 1.0, "deadline": 3.0, "backoff": 0.001, "max_backoff": 0.01,
        "task_poll_interval": 0.01, "task_timeout": 1.0}


@pytest.fixture
def live(tmp_path: Path) -> Iterator[tuple[Backend, DemoEnvironment]]:
    """The demo database with its emulators running (as `procmod demo` has it), on a SQLite file."""
    backend = make_backend(f"sqlite:///{tmp_path / 'live.db'}")
    backend.integrations._options.update(FAST)  # noqa: SLF001 - test timeouts
    seed_demo(backend)
    env = start_demo_environment(backend)
    yield backend, env
    env.stop()
    backend.close()


def mid(backend: Backend, name: str) -> int:
    return next(r.id for r in backend.modules.list(ModuleFilter(text=name)).rows if r.name == name)


def test_check_sets_the_health_badge_and_fills_the_call_log(live) -> None:  # noqa: ANN001
    backend, _ = live
    ok = backend.integrations.check_module(mid(backend, "cPanel shared-01"))
    bad = backend.integrations.check_module(mid(backend, REVOKED_TOKEN_MODULE))
    down = backend.integrations.check_module(mid(backend, UNREACHABLE_MODULE))
    assert ok.ok and not bad.ok and not down.ok
    assert bad.failed_stage.stage.value == "Authenticate" and down.failed_stage.stage.value == "Connect"
    card = backend.modules.card(mid(backend, REVOKED_TOKEN_MODULE))
    assert card.health_ok is False and "refused the credentials" in card.health_summary
    assert card.health_checked_at == backend.clock.now()
    row = next(r for r in backend.modules.list().rows if r.name == "cPanel shared-01")
    assert row.health_ok is True
    log = backend.integrations.call_log(mid(backend, "cPanel shared-01"))
    assert log.total >= 1 and all(c.url.startswith("https://127.0.0.1:") for c in log.rows)
    assert "DEMO" not in " ".join(c.url for c in log.rows)


def test_wizard_check_runs_the_real_driver_and_saves_nothing_on_failure(live) -> None:  # noqa: ANN001
    backend, env = live
    handle = env.handles["cPanel shared-01"]
    params = ModuleParams(name="cPanel new", department_id=2, settings={
        "host": "127.0.0.1", "port": handle.port, "whm_user": "root", "ca_bundle": handle.ca_file,
        "api_token": "WRONG"})
    before = backend.modules.list().total
    with pytest.raises(ConnectionCheckFailed, match="Authenticate"):
        backend.commands.create_module("vhost", "cpanel", params)
    assert backend.modules.list().total == before
    good = ModuleParams(**{**params.__dict__, "settings": {**params.settings, "api_token": handle.state.api_token}})
    new_id = backend.commands.create_module("vhost", "cpanel", good)
    assert backend.modules.card(new_id).name == "cPanel new"


def test_update_configuration_is_shown_then_applied_and_safe_to_repeat(live) -> None:  # noqa: ANN001
    backend, _ = live
    module_id = mid(backend, "VM Frankfurt 2")
    plan = backend.integrations.plan_configuration(module_id)
    assert {c.key for c in plan.changes} >= {"cluster_choices", "os_templates"}
    assert backend.commands.edit_form(module_id).params.settings.get("cluster") == "1"  # plan wrote nothing
    version = backend.integrations.apply_configuration(module_id, plan)
    assert backend.integrations.apply_configuration(module_id, plan) == version  # nothing left to change
    assert backend.integrations.plan_configuration(module_id).is_empty
    shown = {v.key: v.display for g in backend.modules.card(module_id).settings for v in g.values}
    assert shown["cluster"] == "Frankfurt KVM (1)"
    # An ordinary edit keeps what was read from the panel.
    form = backend.commands.edit_form(module_id)
    backend.commands.update_module(module_id, form.version, type(form.params)(**{**form.params.__dict__,
                                                                                 "name": "VM Frankfurt 2b"}))
    assert backend.integrations.plan_configuration(module_id).is_empty


def test_balance_is_stored_and_low_balance_notifies_once(live) -> None:  # noqa: ANN001
    backend, env = live
    module_id = mid(backend, "Namecheap reseller")
    for _ in range(2):
        balance = backend.integrations.read_balance(module_id)
    assert str(balance.amount) == "85.20" and balance.currency == "USD"
    card = backend.modules.card(module_id)
    assert card.balance == balance.amount and card.balance_read_at == backend.clock.now()
    with backend.db.sessions() as session:
        lows = session.scalars(select(Notification).where(Notification.module_id == module_id,
                                                          Notification.kind == "low_balance",
                                                          Notification.read_at.is_(None))).all()
    assert len(lows) == 1 and "below the minimal balance 100.00" in lows[0].description


def test_sync_reports_drift_without_changing_anything(live) -> None:  # noqa: ANN001
    backend, _ = live
    module_id = mid(backend, "cPanel shared-02")
    with backend.db.sessions() as session:
        services_before = session.execute(text("SELECT id, status, tariff_id FROM service ORDER BY id")).all()
    report = backend.integrations.sync_services(module_id)
    assert report.started_by == "schedule" and backend.reconciliation.latest(module_id) == report
    from procmod.core.reconciliation import ReconGroup

    panel_only = {r.key for r in backend.reconciliation.rows(report.id, ReconGroup.PANEL_ONLY).rows}
    # The demo panel's drift (demo/env.py): 3 accounts made by hand, 2 deleted by hand, others differ.
    assert panel_only == {"orphan1", "orphan2", "orphan3"}
    assert (report.panel_only, report.billing_only, report.different) == (3, 2, 3), report
    assert report.summary == "3 only on the panel, 2 only in the billing, 3 differ"
    drift = backend.notifications.list(NotificationFilter(module_id=module_id, unread_only=True)).rows
    assert any(n.description == f"Service sync: {report.summary}" for n in drift)
    with backend.db.sessions() as session:
        assert session.execute(text("SELECT id, status, tariff_id FROM service ORDER BY id")).all() == services_before


def test_scheduler_runs_every_task_kind_through_the_drivers(live) -> None:  # noqa: ANN001
    backend, _ = live
    now = backend.clock.now()
    with backend.db.write() as session:
        session.execute(text("UPDATE task_run SET result = 'successful' WHERE result = 'in_progress'"))
        session.query(BackgroundTask).update({"next_run_at": now})
    scheduler = Scheduler(backend.db, FixedClock(now), backend.integrations.run_task, worker_id="t",
                          lease=timedelta(seconds=60), deadline=timedelta(seconds=30), concurrency=50)
    report = scheduler.tick(run_inline=True)
    assert len(report.claimed) == 37 - 9  # the enabled modules' tasks (disabled modules' are not claimed)
    with backend.db.sessions() as session:
        rows = session.execute(select(BackgroundTask.kind, TaskRun.result, TaskRun.message)
                               .join(TaskRun, TaskRun.task_id == BackgroundTask.id)
                               .where(TaskRun.started_at == now)).all()
    results = {(kind, result) for kind, result, _ in rows}
    assert ("check_connection", RunResult.UNSUCCESSFUL) in results and ("read_balance", RunResult.SUCCESSFUL) in results
    assert ("sync_services", RunResult.SUCCESSFUL) in results
    assert any("refused the credentials" in m for _, _, m in rows)


@pytest.mark.parametrize("name", ["Proxmox cluster 1", "Dedicated servers"])
def test_the_newer_demo_modules_work_end_to_end(live, name: str) -> None:  # noqa: ANN001
    """Check, Update configuration (applied, then nothing left to change) and a sync, against the demo's
    Proxmox VE and DCImanager 6 emulators."""
    backend, _ = live
    module_id = mid(backend, name)
    report = backend.integrations.check_module(module_id)
    assert report.ok, report.summary
    plan = backend.integrations.plan_configuration(module_id)
    assert not plan.is_empty
    backend.integrations.apply_configuration(module_id, plan)
    assert backend.integrations.plan_configuration(module_id).is_empty
    sync = backend.integrations.sync_services(module_id)
    # The demo panels drift from the billing as the others do: three objects the billing does not know, two
    # services gone from the panel, some on both but different.
    assert sync.panel_only == 3 and sync.billing_only == 2 and sync.different >= 2, sync.summary
    card = backend.modules.card(module_id)
    assert card.health_ok is True


async def screens_of_every_module(backend: Backend) -> str:
    """Screenshots (SVG, as the snapshot tests record them) of each module's card, edit form and call log."""
    from procmod.tui.app import make_app

    pictures = []
    for row in backend.modules.list().rows:
        app = make_app(backend, start=f"card:{row.id}")
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            for keys in ((), ("e",), ("escape", "L")):
                for key in keys:
                    await pilot.press(key)
                await app.workers.wait_for_complete()
                await pilot.pause()
                pictures.append(app.export_screenshot())
    return "\n".join(pictures)


CANARIES = {"password": "CanaryVmPass-7Qx9", "api_token": "CANARYWHMTOKEN42ZZ", "api_key": "canarynckey0042zz",
            "token_secret": "canary00-pve0-4000-8000-token0secret"}


def canary_forms(value: str) -> set[bytes]:
    return {value.encode(), quote(value).encode(), quote_plus(value).encode(), base64.b64encode(value.encode())}


def test_canary_secrets_appear_nowhere(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Modules with canary secrets, every operation run (failures included), then everything searched."""
    caplog.set_level(logging.DEBUG)
    db_file = tmp_path / "canary.db"
    backend = make_backend(f"sqlite:///{db_file}")
    backend.integrations._options.update(FAST)  # noqa: SLF001
    seed_demo(backend, service_count=50)
    env = start_demo_environment(backend)
    try:
        for handle in env.handles.values():  # the panels accept the canaries
            state = handle.state
            for attr, secret in CANARIES.items():
                if hasattr(state, attr):
                    setattr(state, attr, secret)
        for row in backend.modules.list().rows:
            form = backend.commands.edit_form(row.id)
            secret_key = {"vmmanager6": "password", "cpanel": "api_token", "namecheap": "api_key",
                          "proxmox": "token_secret", "dcimanager6": "password"}[form.module_type]
            params = type(form.params)(**{**form.params.__dict__,
                                          "settings": {**form.params.settings, secret_key: CANARIES[secret_key]}})
            backend.commands.update_module(row.id, form.version, params)
            for operation in (backend.integrations.check_module, backend.integrations.plan_configuration,
                              backend.integrations.read_balance, backend.integrations.sync_services):
                try:
                    operation(row.id)
                except Exception as error:  # noqa: BLE001 - failures are part of the exercise
                    caplog.records.append(logging.makeLogRecord({"msg": str(error)}))
        now = backend.clock.now()
        with backend.db.write() as session:  # every task due: run records and notifications written too
            session.query(BackgroundTask).update({"next_run_at": now})
        Scheduler(backend.db, FixedClock(now), backend.integrations.run_task, worker_id="canary",
                  concurrency=50).tick(run_inline=True)
        for handle in env.handles.values():
            handle.set_fault("wrong_credentials")
        for row in backend.modules.list().rows:
            backend.integrations.check_module(row.id)
        pictures = asyncio.run(screens_of_every_module(backend))
    finally:
        env.stop()
        backend.close()
    haystacks = {"database": b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("canary.db")),
                 "logs": "\n".join(r.getMessage() for r in caplog.records).encode(),
                 "screens": pictures.encode()}
    hits = [(where, secret) for secret in CANARIES.values() for form in canary_forms(secret)
            for where, hay in haystacks.items() if form in hay]
    assert hits == []

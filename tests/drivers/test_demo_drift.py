"""The demo's panels drift from the billing as real ones do (demo/env.py), so reconciliation has something to
find for every module type: objects only on the panel, active billing services gone from it, and services on
both that differ (status, plan)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from procmod.core.backend import Backend
from procmod.core.drivers import RemoteService, RemoteStatus, driver_for
from procmod.demo.env import (
    GONE_FROM_PANEL,
    PANEL_ONLY,
    REVOKED_TOKEN_MODULE,
    UNREACHABLE_MODULE,
    BillingService,
    DemoEnvironment,
    panel_only_names,
    plan_drift,
    start_demo_environment,
)
from procmod.demo.seed import seed_demo
from procmod.storage.enums import ServiceStatus
from procmod.storage.models import ProcessingModule, Service
from tests.conftest import make_backend

TYPES = ("vmmanager6", "cpanel", "namecheap", "proxmox", "dcimanager6")


def billing(count: int) -> list[BillingService]:
    statuses = [ServiceStatus.ACTIVE] * 6 + [ServiceStatus.SUSPENDED] * 2
    return [BillingService(n, str(10_000 + n), f"s{n}.example", statuses[n % len(statuses)]) for n in range(count)]


@pytest.mark.parametrize("type_key", TYPES)
def test_every_type_has_all_three_kinds_of_drift_once_it_has_services(type_key: str) -> None:
    services = billing(40)
    drift = plan_drift(type_key, services)
    assert len(panel_only_names(type_key)) == PANEL_ONLY
    assert len(drift.gone) == GONE_FROM_PANEL and len(drift.differing) >= 2
    assert not drift.gone & drift.differing
    active = {s.remote_id for s in services if s.status is ServiceStatus.ACTIVE}
    assert drift.gone <= active and drift.suspended_on_panel <= active
    newest = sorted(services, key=lambda s: s.id)[-10:]  # the drift is taken from the newest services
    assert drift.gone | drift.differing <= {s.remote_id for s in newest}


def test_few_services_drift_as_far_as_they_go() -> None:
    assert plan_drift("cpanel", []) == plan_drift("cpanel", [])
    assert not plan_drift("cpanel", []).gone
    one = [BillingService(1, "user1", "one.example", ServiceStatus.ACTIVE)]
    assert plan_drift("cpanel", one).gone == {"user1"} and not plan_drift("cpanel", one).differing


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Backend, DemoEnvironment]]:
    backend = make_backend(f"sqlite:///{Path(tmp_path_factory.mktemp('drift')) / 'demo.db'}")
    seed_demo(backend, service_count=900)
    env = start_demo_environment(backend)
    yield backend, env
    env.stop()
    backend.close()


def key_of(type_key: str, service: RemoteService | tuple) -> str:
    if isinstance(service, RemoteService):
        return service.key
    remote_id, name = service
    return {"cpanel": remote_id, "namecheap": name.lower()}.get(type_key, name)


def test_every_demo_panel_drifts_from_its_billing(live: tuple[Backend, DemoEnvironment]) -> None:
    backend, _env = live
    with backend.db.sessions() as session:
        modules = session.execute(select(ProcessingModule.id, ProcessingModule.name,
                                         ProcessingModule.module_type)).all()
    seen: set[str] = set()
    for module_id, name, type_key in modules:
        if name in (UNREACHABLE_MODULE, REVOKED_TOKEN_MODULE):
            continue
        config = backend.integrations._saved_module_config(module_id, [])  # noqa: SLF001 - the module's own config
        with driver_for(config) as driver:
            pages = list(driver.iter_remote_services(50))
        panel = {key_of(type_key, s): s for page in pages for s in page}
        with backend.db.sessions() as session:
            rows = session.execute(select(Service.remote_id, Service.name, Service.status).where(
                Service.module_id == module_id, Service.remote_id.is_not(None),
                Service.status != ServiceStatus.DELETED)).all()
        ours = {key_of(type_key, (remote_id, service_name)): status for remote_id, service_name, status in rows}
        assert sorted(set(panel) - set(ours)) == sorted(panel_only_names(type_key)), name
        if name == "cPanel staging":  # the module being retired holds no services (the delete's manual)
            continue
        assert ours, f"{name}: no billing services to compare with its panel"
        gone = {key for key, status in ours.items() if key not in panel}
        assert len(gone) == GONE_FROM_PANEL and all(ours[key] is ServiceStatus.ACTIVE for key in gone), name
        differing = [key for key in set(ours) & set(panel)
                     if (ours[key] is ServiceStatus.ACTIVE) != (panel[key].status is RemoteStatus.ACTIVE)]
        plans = {s.plan for s in panel.values()}
        assert differing, f"{name}: nothing differs"
        if type_key in ("vmmanager6", "cpanel", "dcimanager6"):
            assert len(plans) >= 2, f"{name}: every object on one plan"
        seen.add(type_key)
    assert seen == set(TYPES)


def test_the_seeded_sync_reports_agree_with_a_read_of_the_demo_panels(live: tuple[Backend, DemoEnvironment]) -> None:
    """The seed stores the report of each seeded drift notification's sync from `registrar_panel`, what the
    demo's registrar emulators answer: reading the panel now finds the same rows."""
    from procmod.core.reconciliation import ReconGroup

    backend, _env = live
    recon = backend.reconciliation
    seeded = [drift.report for drift in recon.overview().rows if drift.report is not None]
    assert seeded and all(report.started_by == "schedule" for report in seeded)

    def rows(report_id: int) -> set[tuple[str, str, tuple[str, ...]]]:
        return {(group.value, row.key, tuple(f.field for f in row.fields if f.differs))
                for group in ReconGroup for row in recon.rows(report_id, group).rows}

    for report in seeded:
        again = recon.reconcile(report.module_id)
        assert again.summary == report.summary and rows(again.id) == rows(report.id), report.module_name

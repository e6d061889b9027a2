"""Reconciliation (issue 17) against the loopback emulators, on SQLite and PostgreSQL: the three groups, each
action planned and applied, a report again that shows nothing left, a partial read, duplicates, two
operators importing at once, read-only consoles, and the scheduled sync's report."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

from procmod.core.backend import Backend
from procmod.core.lifecycle import ReadOnly
from procmod.core.reconciliation import ReconAction, ReconGroup, Reconciliation, ReportSummary
from procmod.storage.enums import ServiceStatus
from procmod.storage.models import AuditEntry, Notification, ReconReport, Service
from tests.core.ops_world import World, build_world


@pytest.fixture
def world(empty_backend: Backend) -> Iterator[World]:
    built = build_world(empty_backend)
    yield built
    built.stop()


def service(world: World, name: str, module: str, tariff: str, status: ServiceStatus, remote_id: str | None,
            natural_key: str | None, plan: str | None = None, address: str | None = None) -> int:
    with world.backend.db.write() as session:
        row = Service(tariff_id=world.tariffs[tariff], module_id=world.modules[module], name=name,
                      remote_id=remote_id, status=status, created_at=world.backend.clock.now(),
                      natural_key=natural_key, panel_plan=plan, address=address)
        session.add(row)
        session.flush()
        return row.id


def drift_world(world: World) -> dict[str, int]:
    """cPanel A: one of each kind of drift, one service in step, and a closed service whose account is back;
    the VM and Namecheap modules: one panel-only and one billing-only each."""
    cp = world.handles["cp-a"].state
    ids = {}
    cp.add_account("alpha", "alpha.example", "starter", suspended=True)  # billing: active
    ids["alpha"] = service(world, "alpha.example", "cPanel A", "Hosting", ServiceStatus.ACTIVE, "alpha", "alpha",
                           "starter", "alpha.example")
    cp.add_account("beta", "beta.example", "pro")  # billing: plan starter
    ids["beta"] = service(world, "beta.example", "cPanel A", "Hosting", ServiceStatus.ACTIVE, "beta", "beta",
                          "starter", "beta.example")
    cp.add_account("same", "same.example", "starter")
    ids["same"] = service(world, "same.example", "cPanel A", "Hosting", ServiceStatus.ACTIVE, "same", "same",
                          "starter", "same.example")
    ids["gone"] = service(world, "gone.example", "cPanel A", "Hosting", ServiceStatus.SUSPENDED, "gone", "gone")
    cp.add_account("orphan", "orphan.example", "business")
    cp.add_account("old", "old.example", "starter")  # its billing service was closed: on the panel only
    ids["old"] = service(world, "old.example", "cPanel A", "Hosting", ServiceStatus.DELETED, "old", "old")
    ids["ordered"] = service(world, "new.example", "cPanel A", "Hosting", ServiceStatus.ORDERED, None, None)
    vm = world.handles["vm"].state
    host = vm.add_host("vm-kept")
    ids["vm-kept"] = service(world, "vm-kept", "VM", "VPS", ServiceStatus.ACTIVE, str(host), "vm-kept")
    vm.add_host("vm-orphan")
    ids["vm-gone"] = service(world, "vm-gone", "VM", "VPS", ServiceStatus.ACTIVE, "9999", "vm-gone")
    nc = world.handles["nc"].state
    nc.add_domain("kept.example")
    ids["kept.example"] = service(world, "kept.example", "Namecheap", "Domain", ServiceStatus.ACTIVE,
                                  "kept.example", "kept.example")
    nc.add_domain("found.example")
    ids["lost.example"] = service(world, "lost.example", "Namecheap", "Domain", ServiceStatus.ACTIVE,
                                  "lost.example", "lost.example")
    return ids


def keys(recon: Reconciliation, report: ReportSummary, group: ReconGroup) -> dict[str, Any]:
    return {row.key: row for row in recon.rows(report.id, group).rows}


def test_each_group_is_found_with_both_sides_values(world: World) -> None:
    ids = drift_world(world)
    recon = world.backend.reconciliation
    seen: list[int] = []
    report = recon.reconcile(world.modules["cPanel A"], progress=seen.append)
    assert seen and seen[-1] == report.remote_total == 5
    assert (report.panel_only, report.billing_only, report.different) == (2, 1, 2)
    assert report.summary == "2 only on the panel, 1 only in the billing, 2 differ"
    assert report.open_rows == 5 and report.incomplete is None and report.started_by == "tester"
    assert set(keys(recon, report, ReconGroup.PANEL_ONLY)) == {"orphan", "old"}
    assert set(keys(recon, report, ReconGroup.BILLING_ONLY)) == {"gone"}
    different = keys(recon, report, ReconGroup.DIFFERENT)
    alpha = {f.field: f for f in different["alpha"].fields}
    assert alpha["status"].differs and (alpha["status"].billing, alpha["status"].panel) == ("Active", "Suspended")
    assert not alpha["plan"].differs and not alpha["address"].differs
    beta = {f.field: f for f in different["beta"].fields}
    assert beta["plan"].differs and (beta["plan"].billing, beta["plan"].panel) == ("starter", "pro")
    assert different["alpha"].actions == (ReconAction.TAKE_PANEL, ReconAction.PUSH_BILLING)
    assert different["beta"].actions == (ReconAction.TAKE_PANEL,)
    assert keys(recon, report, ReconGroup.BILLING_ONLY)["gone"].actions == (ReconAction.MARK_CLOSED,
                                                                           ReconAction.OPEN_AGAIN)
    assert recon.latest(world.modules["cPanel A"]) == report
    assert recon.row(different["alpha"].id) == different["alpha"]
    # Nothing changed: the billing's services are as they were (but for the panel's status, as last seen).
    assert world.get(ids["alpha"]).status is ServiceStatus.ACTIVE
    assert world.get(ids["alpha"]).panel_status == "suspended"
    for module, panel_only, billing_only in (("VM", "vm-orphan", "vm-gone"),
                                             ("Namecheap", "found.example", "lost.example")):
        other = recon.reconcile(world.modules[module])
        assert (other.panel_only, other.billing_only, other.different) == (1, 1, 0), module
        assert [r.name for r in recon.rows(other.id, ReconGroup.PANEL_ONLY).rows] == [panel_only]
        assert [r.name for r in recon.rows(other.id, ReconGroup.BILLING_ONLY).rows] == [billing_only]
    overview = recon.overview().rows
    assert [d.module_name for d in overview[:3]] == ["cPanel A", "Namecheap", "VM"]
    assert all(d.report is None for d in overview[3:])


def test_every_action_planned_and_applied_leaves_nothing_on_the_next_report(world: World) -> None:
    ids = drift_world(world)
    backend = world.backend
    recon = backend.reconciliation
    module = world.modules["cPanel A"]
    report = recon.reconcile(module)
    rows = {**keys(recon, report, ReconGroup.PANEL_ONLY), **keys(recon, report, ReconGroup.BILLING_ONLY),
            **keys(recon, report, ReconGroup.DIFFERENT)}

    # Import: the panel's plans need a tariff first.
    plan = recon.plan(report.id, ReconAction.IMPORT, [rows["orphan"].id, rows["old"].id])
    assert plan.unmapped_plans == ("business", "starter") and not plan.runnable
    assert {m.panel_plan for m in recon.mappings(module)} >= {"business", "starter"}
    for panel_plan in ("business", "starter"):
        recon.set_mapping(module, panel_plan, world.tariffs["Hosting"])
    assert {m.panel_plan: m.tariff_name for m in recon.mappings(module)}["business"] == "Hosting"
    plan = recon.plan(report.id, ReconAction.IMPORT, [rows["orphan"].id, rows["old"].id, rows["gone"].id])
    assert len(plan.runnable) == 2 and "Import orphan as a service of tariff Hosting" in plan.runnable[0].description
    assert [s.key for s in plan.steps if s.refused] == ["gone"]
    result = recon.apply(plan)
    assert result.applied == 2 and result.skipped == (plan.steps[-1].key + ": " + plan.steps[-1].refused,)
    with backend.db.sessions() as session:
        imported = session.scalars(select(Service).where(Service.natural_key == "orphan")).one()
    assert (imported.status, imported.remote_id, imported.panel_plan, imported.tariff_id) == (
        ServiceStatus.ACTIVE, "orphan", "business", world.tariffs["Hosting"])
    assert imported.address in (None, "orphan.example")  # the address once the driver reports it (r17drv)
    assert imported.created_at == backend.clock.now()
    assert recon.row(rows["orphan"].id).resolved.startswith(f"Imported as service #{imported.id} by tester")
    assert recon.row(rows["orphan"].id).actions == ()
    # Applied again (a stale plan): already done, nothing twice.
    again = recon.apply(plan)
    assert again.applied == 0 and sum("already done" in s for s in again.skipped) == 2

    # Mark closed, take the panel's values, push the billing's.
    assert recon.apply(recon.plan(report.id, ReconAction.MARK_CLOSED, [rows["gone"].id])).applied == 1
    assert world.get(ids["gone"]).status is ServiceStatus.DELETED
    taken = recon.apply(recon.plan(report.id, ReconAction.TAKE_PANEL, [rows["beta"].id]))
    assert taken.applied == 1 and world.get(ids["beta"]).panel_plan == "pro"
    push = recon.plan(report.id, ReconAction.PUSH_BILLING, [rows["alpha"].id, rows["beta"].id])
    assert "Resume alpha.example on the panel" in push.runnable[0].description
    assert len(push.runnable) == 1  # beta: already taken
    pushed = recon.apply(push)
    assert pushed.queued == 1 and pushed.batch_id is not None
    world.run_all()
    assert world.get(ids["alpha"]).status is ServiceStatus.ACTIVE
    assert not world.handles["cp-a"].state.accounts["alpha"]["suspended"]
    assert recon.report(report.id).open_rows == 0

    with backend.db.sessions() as session:
        audited = session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("recon_%"))).all()
    assert sorted(set(audited)) == ["recon_import", "recon_map", "recon_mark_closed", "recon_push_billing",
                                    "recon_take_panel"]
    assert audited.count("recon_import") == 2

    after = recon.reconcile(module)
    assert after.drift == 0 and after.summary == "no drift", [
        (r.group, r.key) for g in ReconGroup for r in recon.rows(after.id, g).rows]


def test_open_again_queues_the_open_operation(world: World) -> None:
    ids = drift_world(world)
    recon = world.backend.reconciliation
    report = recon.reconcile(world.modules["VM"])
    gone = keys(recon, report, ReconGroup.BILLING_ONLY)["vm-gone"]
    result = recon.apply(recon.plan(report.id, ReconAction.OPEN_AGAIN, [gone.id]))
    assert result.queued == 1 and result.batch_id is not None
    world.run_all()
    opened = world.get(ids["vm-gone"])
    assert opened.status is ServiceStatus.ACTIVE and opened.remote_id != "9999"
    assert any(h["name"] == "vm-gone" for h in world.handles["vm"].state.hosts.values())
    for row in keys(recon, report, ReconGroup.PANEL_ONLY).values():  # vm-orphan
        recon.set_mapping(world.modules["VM"], row.fields[1].panel, world.tariffs["VPS"])
        recon.apply(recon.plan(report.id, ReconAction.IMPORT, [row.id]))
    assert recon.reconcile(world.modules["VM"]).drift == 0


def test_a_page_that_fails_makes_the_report_incomplete_and_offers_no_billing_only_action(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from procmod.core.drivers import DriverError
    from procmod.core.drivers.cpanel import CpanelDriver

    drift_world(world)

    read_pages = CpanelDriver.iter_remote_services

    def two_pages_then_a_failure(self: CpanelDriver, page_size: int = 500) -> Iterator[list[Any]]:
        everything = [o for page in read_pages(self, page_size) for o in page]
        yield everything[:2]
        raise DriverError("WHM answered HTTP 500 for page 2")

    monkeypatch.setattr(CpanelDriver, "iter_remote_services", two_pages_then_a_failure)
    recon = world.backend.reconciliation
    report = recon.reconcile(world.modules["cPanel A"])
    assert report.incomplete and "page 2" in report.incomplete and "HTTP 500" in report.incomplete
    assert report.summary.endswith("(incomplete)")
    billing_only = recon.rows(report.id, ReconGroup.BILLING_ONLY).rows
    assert billing_only and all(r.actions == () and "not read whole" in r.note for r in billing_only)
    plan = recon.plan(report.id, ReconAction.MARK_CLOSED, [r.id for r in billing_only])
    assert not plan.runnable
    assert recon.apply(plan).applied == 0
    assert all(world.get(r.service_id).status in (ServiceStatus.ACTIVE, ServiceStatus.SUSPENDED)
               for r in billing_only)


def test_duplicates_and_objects_without_a_key_are_rows_with_a_note_and_no_import(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from procmod.core.drivers import RemoteService, RemoteStatus
    from procmod.core.drivers.cpanel import CpanelDriver

    def listing(self: CpanelDriver, page_size: int = 500) -> Iterator[list[Any]]:
        yield [RemoteService("twin1", "twin.example", RemoteStatus.ACTIVE, "starter", natural_key="twin"),
               RemoteService("twin2", "twin.example", RemoteStatus.ACTIVE, "starter", natural_key="twin")]
        yield [RemoteService("twin2", "twin.example", RemoteStatus.ACTIVE, "starter", natural_key="twin"),  # again
               RemoteService("", "nameless", RemoteStatus.ACTIVE, "starter"),
               RemoteService("gone1", "gone.example", RemoteStatus.DELETED, "starter", natural_key="deleted")]

    monkeypatch.setattr(CpanelDriver, "iter_remote_services", listing)
    recon = world.backend.reconciliation
    report = recon.reconcile(world.modules["cPanel A"])
    rows = keys(recon, report, ReconGroup.PANEL_ONLY)
    assert set(rows) == {"twin", "(no key) nameless"} and report.panel_only == 2
    assert "2 objects on the panel share this key" in rows["twin"].note and rows["twin"].actions == ()
    assert "no key" in rows["(no key) nameless"].note and rows["(no key) nameless"].actions == ()
    recon.set_mapping(world.modules["cPanel A"], "starter", world.tariffs["Hosting"])
    assert not recon.plan(report.id, ReconAction.IMPORT, [r.id for r in rows.values()]).runnable


def test_read_only_console_refuses_to_reconcile_map_or_apply(world: World) -> None:
    drift_world(world)
    backend = world.backend
    report = backend.reconciliation.reconcile(world.modules["cPanel A"])
    backend.make_read_only()
    recon = backend.reconciliation
    with pytest.raises(ReadOnly):
        recon.reconcile(world.modules["cPanel A"])
    with pytest.raises(ReadOnly):
        recon.set_mapping(world.modules["cPanel A"], "business", world.tariffs["Hosting"])
    row = recon.rows(report.id, ReconGroup.BILLING_ONLY).rows[0]
    with pytest.raises(ReadOnly):
        recon.apply(recon.plan(report.id, ReconAction.MARK_CLOSED, [row.id]))
    assert recon.latest(world.modules["cPanel A"]) == report  # reading still works


def test_scheduled_sync_stores_the_report_and_the_notification_says_the_counts(world: World) -> None:
    drift_world(world)
    backend = world.backend
    module = world.modules["cPanel A"]
    summary = backend.integrations.sync_services(module)
    stored = backend.reconciliation.latest(module)
    assert stored == summary and stored.started_by == "schedule"
    with backend.db.sessions() as session:
        text = session.scalars(select(Notification.description).where(
            Notification.module_id == module, Notification.kind == "sync_drift")).one()
    assert text == "Service sync: 2 only on the panel, 1 only in the billing, 2 differ"


def test_only_the_latest_reports_of_a_module_are_kept(world: World) -> None:
    from procmod.core.reconciliation import REPORTS_KEPT

    drift_world(world)
    recon = world.backend.reconciliation
    first = recon.reconcile(world.modules["VM"])
    for _ in range(REPORTS_KEPT + 1):
        recon.reconcile(world.modules["VM"])
    with world.backend.db.sessions() as session:
        assert session.scalar(select(func.count()).select_from(ReconReport)) == REPORTS_KEPT
    from procmod.core.errors import NotFound

    with pytest.raises(NotFound):
        recon.report(first.id)


def test_wrong_types_from_a_caller_are_refused_naming_the_argument(world: World) -> None:
    from procmod.core.validation import ValidationError

    recon = world.backend.reconciliation
    for call, key in ((lambda: recon.reconcile("1"), "module_id"),
                      (lambda: recon.plan(1, ReconAction.IMPORT, "12"), "row_ids"),
                      (lambda: recon.set_mapping(1, "plan\x00", None), "panel_plan"),
                      (lambda: recon.reconcile(1, progress="x"), "progress")):
        with pytest.raises(ValidationError) as raised:
            call()
        assert key in raised.value.errors


@pytest.mark.postgres
def test_two_operators_importing_at_once_make_one_service(request: pytest.FixtureRequest, tmp_path) -> None:  # noqa: ANN001
    from tests.conftest import make_backend, new_database_url

    backend = make_backend(new_database_url("postgresql", tmp_path, request))
    built = build_world(backend)
    try:
        built.handles["cp-a"].state.add_account("racer", "racer.example", "starter")
        module = built.modules["cPanel A"]
        recon = backend.reconciliation
        report = recon.reconcile(module)
        recon.set_mapping(module, "starter", built.tariffs["Hosting"])
        row = keys(recon, report, ReconGroup.PANEL_ONLY)["racer"]
        plan = recon.plan(report.id, ReconAction.IMPORT, [row.id])
        operators = [Reconciliation(backend.db, backend.clock, name, backend.integrations, lambda: backend.operations)
                     for name in ("alice", "bob")]
        barrier = threading.Barrier(2)
        results: dict[str, Any] = {}

        def attempt(operator: Reconciliation) -> None:
            barrier.wait()
            results[operator.operator] = operator.apply(plan)

        threads = [threading.Thread(target=attempt, args=(op,)) for op in operators]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(r.applied for r in results.values()) == [0, 1]
        loser = next(r for r in results.values() if not r.applied)
        assert "already" in loser.skipped[0]
        with backend.db.sessions() as session:
            assert session.scalar(select(func.count()).select_from(Service).where(
                Service.natural_key == "racer")) == 1
    finally:
        built.stop()
        backend.close()


@pytest.mark.postgres
def test_the_database_refuses_a_second_live_service_for_one_panel_object(
        request: pytest.FixtureRequest, tmp_path) -> None:  # noqa: ANN001
    """Even two imports that both passed their checks (the plan's) cannot insert twins: the partial unique
    index refuses the second while the first is live, and allows it once the first is closed."""
    from sqlalchemy.exc import IntegrityError

    from tests.conftest import make_backend, new_database_url

    backend = make_backend(new_database_url("postgresql", tmp_path, request))
    built = build_world(backend)
    try:
        first = service(built, "k.example", "cPanel A", "Hosting", ServiceStatus.ACTIVE, "k", "k")
        with pytest.raises(IntegrityError):
            service(built, "k.example", "cPanel A", "Hosting", ServiceStatus.ACTIVE, "k", "k")
        service(built, "k.example", "cPanel B", "Hosting", ServiceStatus.ACTIVE, "k", "k")  # another module
        with backend.db.write() as session:
            session.get(Service, first).status = ServiceStatus.DELETED
        service(built, "k.example", "cPanel A", "Hosting", ServiceStatus.ACTIVE, "k", "k")
    finally:
        built.stop()
        backend.close()


@pytest.fixture
def demo(tmp_path) -> Iterator[Backend]:  # noqa: ANN001
    """The demo database with its emulators (and their drift) running, as `procmod demo` has it."""
    from procmod.demo.env import start_demo_environment
    from procmod.demo.seed import seed_demo
    from tests.conftest import make_backend
    from tests.core.ops_world import FAST

    backend = make_backend(f"sqlite:///{tmp_path / 'demo.db'}")
    backend.driver_options = dict(FAST)
    seed_demo(backend)
    env = start_demo_environment(backend)
    yield backend
    env.stop()
    backend.close()


@pytest.mark.parametrize("type_key", ["cpanel", "vmmanager6", "namecheap", "proxmox", "dcimanager6"])
def test_a_demo_module_of_each_type_reconciled_end_to_end(demo: Backend, type_key: str) -> None:
    """Report (drift in every group the demo's panel has), map its plans, apply every row's first action,
    run the queued operations: the report again shows nothing left."""
    from procmod.demo.env import REVOKED_TOKEN_MODULE, UNREACHABLE_MODULE
    from procmod.storage.enums import ModuleStatus
    from procmod.storage.models import ProcessingModule

    with demo.db.sessions() as session:
        module = session.scalars(select(ProcessingModule.id).where(
            ProcessingModule.module_type == type_key, ProcessingModule.status == ModuleStatus.ENABLED,
            ProcessingModule.name.not_in([REVOKED_TOKEN_MODULE, UNREACHABLE_MODULE]))
            .order_by(ProcessingModule.id).limit(1)).one()
    recon = demo.reconciliation
    report = recon.reconcile(module)
    assert report.incomplete is None, report
    # Every type's demo panel holds objects the billing lacks, lacks services the billing has, differs on others.
    assert report.panel_only >= 3 and report.billing_only >= 1 and report.different >= 1, report
    for mapping in recon.mappings(module):
        recon.set_mapping(module, mapping.panel_plan, mapping.candidates[0][0])
    for group, action in ((ReconGroup.PANEL_ONLY, ReconAction.IMPORT),
                          (ReconGroup.BILLING_ONLY, ReconAction.MARK_CLOSED),
                          (ReconGroup.DIFFERENT, ReconAction.TAKE_PANEL)):
        ids = [r.id for r in recon.rows(report.id, group, open_only=True).rows]
        if ids:
            result = recon.apply(recon.plan(report.id, action, ids))
            assert result.applied == len(ids), result.skipped
    assert recon.report(report.id).open_rows == 0
    again = recon.reconcile(module)
    assert again.drift == 0, [(g.value, r.key, [(f.field, f.billing, f.panel) for f in r.fields if f.differs])
                              for g in ReconGroup for r in recon.rows(again.id, g).rows]

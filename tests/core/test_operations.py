"""Service operations as jobs, on the emulators and real databases (SQLite file; PostgreSQL when set)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from procmod.core.backend import Backend
from procmod.core.jobs import JobEngine
from procmod.core.services import OperationRefused, Selection, ServiceBusy, ServiceOperations
from procmod.core.dto import ServiceFilter
from procmod.storage.enums import JobState, ServiceStatus
from procmod.storage.models import ApiCall, AuditEntry, Job
from tests.core.ops_world import CP_TOKEN, NC_KEY, VM_PASSWORD, World, build_world, later


@pytest.fixture
def world(empty_backend: Backend) -> Iterator[World]:
    built = build_world(empty_backend)
    yield built
    built.stop()


def job(world: World, job_id: int) -> Job:
    with world.backend.db.sessions() as session:
        return session.get(Job, job_id)


def everything_stored(world: World) -> str:
    """Every text the database holds about jobs, calls and audit entries (to look for secrets in)."""
    with world.backend.db.sessions() as session:
        texts = [repr((j.params, j.outcome, j.hint)) for j in session.scalars(select(Job))]
        texts += [f"{c.url} {c.error}" for c in session.scalars(select(ApiCall))]
        texts += [f"{a.summary} {a.before} {a.after}" for a in session.scalars(select(AuditEntry))]
    return "\n".join(texts)


def test_open_suspend_resume_close_on_cpanel(world: World) -> None:
    ops = world.backend.operations
    service = world.service("shop.example", "cPanel A", "Hosting", ServiceStatus.ORDERED)
    opened = ops.start("open", service)
    assert job(world, opened).state is JobState.QUEUED
    assert world.run_all() == 1
    assert job(world, opened).state is JobState.SUCCEEDED
    row = world.get(service)
    assert (row.status, row.remote_id) == (ServiceStatus.ACTIVE, "shopexam")
    account = world.handles["cp-a"].state.accounts["shopexam"]
    assert account["domain"] == "shop.example"
    # The account's password was generated, sealed into the job, and appears nowhere in clear.
    sealed = job(world, opened).sealed
    password = world.backend.secrets.open(sealed)["password"]
    assert len(password) == 16 and password not in sealed
    assert password not in everything_stored(world)
    assert CP_TOKEN not in everything_stored(world)

    for kind, status, suspended in (("suspend", ServiceStatus.SUSPENDED, 1), ("resume", ServiceStatus.ACTIVE, 0)):
        ops.start(kind, service)
        world.run_all()
        assert world.get(service).status is status
        assert account["suspended"] == suspended
    ops.start("close", service)
    world.run_all()
    assert world.get(service).status is ServiceStatus.DELETED
    assert "shopexam" not in world.handles["cp-a"].state.accounts

    card = ops.card(service)
    assert [line.kind for line in card.history] == ["close", "resume", "suspend", "open"]
    assert all(line.state is JobState.SUCCEEDED and line.who == "tester" for line in card.history)
    assert [c.operation for c in card.history[-1].calls][-1] == "create account"
    create = card.history[-1].calls[-1]
    assert create.method == "POST" and "password" not in create.url and password not in create.url  # in the body
    with world.backend.db.sessions() as session:
        actions = session.scalars(select(AuditEntry.action).where(AuditEntry.object_type == "service")
                                  .order_by(AuditEntry.id)).all()
    assert actions == ["open", "suspend", "resume", "close"]


def test_vmmanager_open_and_close_wait_for_the_panel_tasks(world: World) -> None:
    ops = world.backend.operations
    service = world.service("vps1.example", "VM", "VPS", ServiceStatus.ORDERED)
    ops.start("open", service)
    world.run_all()
    row = world.get(service)
    assert row.status is ServiceStatus.ACTIVE
    host = world.handles["vm"].state.hosts[int(row.remote_id)]
    assert (host["name"], host["state"]) == ("vps1.example", "active")
    ops.start("suspend", service)
    world.run_all()
    assert host["state"] == "stopped"
    ops.start("close", service)
    world.run_all()
    assert world.get(service).status is ServiceStatus.DELETED
    assert VM_PASSWORD not in everything_stored(world)


def test_namecheap_registers_and_refuses_what_a_registrar_cannot_do(world: World) -> None:
    ops = world.backend.operations
    service = world.service("newshop.com", "Namecheap", "Domain", ServiceStatus.ORDERED)
    ops.start("open", service)
    world.run_all()
    assert world.get(service).status is ServiceStatus.ACTIVE
    assert "newshop.com" in world.handles["nc"].state.domains
    for kind in ("suspend", "close"):
        with pytest.raises(OperationRefused, match="Namecheap"):
            ops.start(kind, service)
    assert NC_KEY not in everything_stored(world)


@pytest.mark.parametrize(("kind", "status", "module", "reason"), [
    ("resume", ServiceStatus.DELETED, "cPanel A", "applies to a service that is Suspended; this one is Deleted"),
    ("open", ServiceStatus.ORDERED, "cPanel off", "cPanel off is disabled"),
    ("suspend", ServiceStatus.SUSPENDED, "cPanel A", "this one is Suspended"),
    ("close", ServiceStatus.DELETED, "cPanel A", "this one is Deleted"),
])
def test_transitions_are_refused_with_the_reason(world: World, kind: str, status: ServiceStatus, module: str,
                                                 reason: str) -> None:
    service = world.service("x.example", module, "Hosting", status, remote_id="xexample")
    with pytest.raises(OperationRefused, match=reason):
        world.backend.operations.start(kind, service)
    with world.backend.db.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Job)) == 0


def test_one_operation_per_service_is_enforced_by_the_database(world: World) -> None:
    service = world.service("busy.example", "cPanel A", "Hosting", ServiceStatus.ACTIVE, remote_id="busyexam")
    world.handles["cp-a"].state.add_account("busyexam", "busy.example")
    world.backend.operations.start("suspend", service)
    other = ServiceOperations(world.backend.db, world.backend.clock, world.backend.secrets, "alice",
                              world.backend.integrations)
    with pytest.raises(ServiceBusy, match="Suspend started by tester is queued"):
        other.start("close", service)
    # Even a writer that skips the look-first check cannot add a second open job: the partial unique index.
    with pytest.raises(IntegrityError), world.backend.db.write() as session:
        session.add(Job(kind="close", state=JobState.QUEUED, module_id=world.modules["cPanel A"], service_id=service,
                        created_by="rogue", created_at=world.backend.clock.now()))
        session.flush()


def test_a_retry_after_a_timeout_finds_what_the_first_try_did(world: World) -> None:
    ops = world.backend.operations
    service = world.service("slow.example", "cPanel A", "Hosting", ServiceStatus.ORDERED)
    # WHM creates the account but answers after the client gave up.
    world.handles["cp-a"].set_fault("late_reply", times=1, delay=1.0, path_prefix="/json-api/createacct")
    first = ops.start("open", service)
    world.run_all()
    failed = job(world, first)
    assert (failed.state, failed.error_kind) == (JobState.FAILED, "timeout")
    row = world.get(service)
    assert row.status is ServiceStatus.ORDERED and "timed out" in row.attention
    assert "slowexam" in world.handles["cp-a"].state.accounts  # the panel did it
    entries, total = ops.failures()
    assert total == 1 and entries[0].subject == "slow.example" and entries[0].department == "Technical support"
    assert ops.failure_count() == 1

    ops.retry(first)
    world.run_all()
    retried = job(world, first)
    assert (retried.state, retried.attempts) == (JobState.SUCCEEDED, 2)
    assert "found as the first try left it" in retried.outcome
    row = world.get(service)
    assert (row.status, row.remote_id, row.attention) == (ServiceStatus.ACTIVE, "slowexam", None)
    assert len(world.handles["cp-a"].state.accounts) == 1  # no twin
    assert ops.failure_count() == 0  # the retry that succeeded cleared its entry


@pytest.mark.parametrize(("fault", "kind"), [("500", "unavailable"), ("malformed", "unexpected_answer"),
                                              ("html", "unexpected_answer")])
def test_a_panel_failing_gives_the_typed_error_keeps_the_status_and_queues_it(world: World, fault: str,
                                                                             kind: str) -> None:
    ops = world.backend.operations
    service = world.service("down.example", "cPanel A", "Hosting", ServiceStatus.ACTIVE, remote_id="downexam")
    world.handles["cp-a"].state.add_account("downexam", "down.example")
    world.handles["cp-a"].set_fault(fault)
    started = ops.start("suspend", service)
    world.run_all()
    failed = job(world, started)
    assert failed.state is JobState.FAILED and failed.error_kind in (kind, "unavailable", "unexpected_answer")
    assert failed.hint
    assert world.get(service).status is ServiceStatus.ACTIVE and world.get(service).attention is None
    entries, _ = ops.failures()
    assert [(e.source, e.id) for e in entries] == [("job", started)]
    ops.dismiss("job", started, "panel replaced")
    assert ops.failure_count() == 0
    with world.backend.db.sessions() as session:
        assert session.scalar(select(AuditEntry.summary).where(AuditEntry.action == "dismiss")).endswith("panel replaced")


def test_an_unreachable_panel_is_a_typed_failure(world: World) -> None:
    from procmod.demo.emulators.base import closed_port
    from procmod.storage.models import ProcessingModule

    with world.backend.db.write() as session:
        module = session.get(ProcessingModule, world.modules["cPanel B"])
        module.settings = {**module.settings, "port": closed_port()}
    service = world.service("gone.example", "cPanel B", "Hosting", ServiceStatus.ORDERED)
    started = world.backend.operations.start("open", service)
    world.run_all()
    assert job(world, started).error_kind == "unreachable"
    assert world.get(service).status is ServiceStatus.ORDERED


def test_bulk_queues_in_one_statement_and_respects_the_module_bound(world: World) -> None:
    ops = world.backend.operations
    ids = []
    for n in range(6):
        world.handles["cp-a"].state.add_account(f"bulk{n}", f"bulk{n}.example")
        ids.append(world.service(f"bulk{n}.example", "cPanel A", "Hosting", ServiceStatus.ACTIVE, remote_id=f"bulk{n}"))
    ids.append(world.service("already.example", "cPanel A", "Hosting", ServiceStatus.SUSPENDED, remote_id="x"))
    preview = ops.preview_bulk("suspend", ids)
    assert (preview.eligible, preview.refused, preview.by_module) == (6, 1, (("cPanel A", 6),))
    assert "Suspend 6 service(s) on cPanel A (6)" in preview.summary
    batch = ops.start_bulk("suspend", Selection(filter=ServiceFilter(module_id=world.modules["cPanel A"])))
    progress = ops.batch_progress(batch)
    assert (progress.total, progress.queued) == (6, 6)
    engine = world.engine(concurrency=8)
    claims = engine.claim(8)
    assert len(claims) == 2  # cPanel's operation_concurrency: the rest wait
    for claim in claims:
        engine.execute(claim)
    engine.run_until_idle()
    progress = ops.batch_progress(batch)
    assert (progress.succeeded, progress.failed, progress.state) == (6, 0, JobState.SUCCEEDED)
    assert progress.outcome == "6 done, 0 failed"
    assert all(world.handles["cp-a"].state.accounts[f"bulk{n}"]["suspended"] == 1 for n in range(6))


def test_a_serving_engine_claims_the_next_job_as_soon_as_a_slot_frees(world: World) -> None:
    """A bulk run goes at the panel's pace, not the serving loop's poll: a finished job wakes the engine."""
    ops = world.backend.operations
    ids = []
    for n in range(6):
        world.handles["cp-a"].state.add_account(f"pace{n}", f"pace{n}.example")
        ids.append(world.service(f"pace{n}.example", "cPanel A", "Hosting", ServiceStatus.ACTIVE, remote_id=f"pace{n}"))
    batch = ops.start_bulk("suspend", ids)  # 6 jobs, 2 at a time on cPanel A: three rounds of claims
    engine = world.engine(concurrency=4)
    stop = threading.Event()
    # Polling once an hour: only the wake of a finished job can start the second and third rounds.
    server = threading.Thread(target=engine.serve, args=(stop,), kwargs={"poll": 3600.0}, daemon=True)
    server.start()
    try:
        deadline = time.monotonic() + 60
        while not ops.batch_progress(batch).finished:
            assert time.monotonic() < deadline, "the engine waited for its poll between rounds"
            stop.wait(0.05)
    finally:
        stop.set()
        engine.wake()
        server.join(10)
        engine.shutdown(grace=5)
    assert ops.batch_progress(batch).succeeded == 6


def test_a_cancelled_batch_starts_nothing_new(world: World) -> None:
    ops = world.backend.operations
    ids = [world.service(f"c{n}.example", "cPanel A", "Hosting", ServiceStatus.ORDERED) for n in range(5)]
    batch = ops.start_bulk("open", ids)
    engine = world.engine()
    running = engine.claim(4)  # two start (the module's bound)
    assert ops.cancel_batch(batch) == 3
    for claim in running:
        engine.execute(claim)
    progress = ops.batch_progress(batch)
    assert (progress.succeeded, progress.cancelled, progress.queued, progress.finished) == (2, 3, 0, True)
    assert progress.outcome == "2 done, 0 failed, 3 cancelled"


def test_a_killed_worker_mid_bulk_leaves_interrupted_jobs_in_the_queue(world: World) -> None:
    ops = world.backend.operations
    ids = [world.service(f"k{n}.example", "cPanel A", "Hosting", ServiceStatus.ORDERED) for n in range(3)]
    batch = ops.start_bulk("open", ids)
    killed = world.engine("killed-worker", lease=timedelta(seconds=30))
    held = killed.claim(4)  # claimed, then the process dies: no heartbeat, no result
    assert len(held) == 2
    later(world.backend, 31)
    survivor = world.engine("survivor")
    survivor.run_until_idle()  # reaps the two, runs the third
    progress = ops.batch_progress(batch)
    assert (progress.succeeded, progress.failed, progress.state) == (1, 2, JobState.FAILED)
    entries, total = ops.failures()
    assert total == 2 and {e.state for e in entries} == {"interrupted"}
    assert all("killed-worker stopped responding" in e.message for e in entries)
    assert all("unknown" in world.get(held_claim.service_id).attention for held_claim in held)
    # The dead worker's late result is refused; the retry reconciles.
    assert killed.finish(held[0], killed._body(held[0])) is False  # noqa: SLF001
    ops.retry(held[0].job_id)
    survivor.run_until_idle()
    assert world.get(held[0].service_id).status is ServiceStatus.ACTIVE


@pytest.mark.postgres
def test_two_operators_race_for_one_service_on_postgresql(request: pytest.FixtureRequest, tmp_path) -> None:  # noqa: ANN001
    from tests.conftest import make_backend, new_database_url

    backend = make_backend(new_database_url("postgresql", tmp_path, request))
    built = build_world(backend)
    try:
        service = built.service("race.example", "cPanel A", "Hosting", ServiceStatus.ACTIVE, remote_id="raceexam")
        operators = [ServiceOperations(backend.db, backend.clock, backend.secrets, name, backend.integrations)
                     for name in ("alice", "bob")]
        barrier = threading.Barrier(2)
        outcomes: dict[str, object] = {}

        def attempt(ops: ServiceOperations, kind: str) -> None:
            barrier.wait()
            try:
                outcomes[ops.operator] = ops.start(kind, service)
            except ServiceBusy as busy:
                outcomes[ops.operator] = busy

        threads = [threading.Thread(target=attempt, args=(ops, kind))
                   for ops, kind in zip(operators, ("suspend", "close"))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        winners = [who for who, result in outcomes.items() if isinstance(result, int)]
        losers = [result for result in outcomes.values() if isinstance(result, ServiceBusy)]
        assert len(winners) == 1 and len(losers) == 1
        assert f"started by {winners[0]}" in str(losers[0])
        with backend.db.sessions() as session:
            assert session.scalar(select(func.count()).select_from(Job).where(Job.service_id == service)) == 1
    finally:
        built.stop()
        backend.close()


def test_claims_are_exclusive_between_engines(world: World) -> None:
    ids = [world.service(f"e{n}.example", "VM", "VPS", ServiceStatus.ORDERED) for n in range(2)]
    world.backend.operations.start_bulk("open", ids)
    first, second = world.engine("w1"), world.engine("w2")
    a, b = first.claim(1), second.claim(4)
    assert len(a) == 1 and len(b) == 1 and a[0].job_id != b[0].job_id
    assert isinstance(first, JobEngine)


def test_transfer_moves_what_the_target_holds_and_opens_the_rest_there(world: World) -> None:
    ops = world.backend.operations
    source_b = world.handles["cp-b"].state
    source_a = world.handles["cp-a"].state
    world.handles["cp-a"].state.add_account("moved", "moved.example")
    source_b.add_account("movednew", "moved.example")  # migrated between panels: another user name there
    source_a.add_account("fresh", "fresh.example", suspended=True)
    moved = world.service("moved.example", "cPanel A", "Hosting", ServiceStatus.ACTIVE, remote_id="moved")
    fresh = world.service("fresh.example", "cPanel A", "Hosting", ServiceStatus.SUSPENDED, remote_id="fresh")
    gone = world.service("gone.example", "cPanel A", "Hosting", ServiceStatus.DELETED, remote_id="gone")
    targets = ops.transfer_targets([moved, fresh])
    assert [t.name for t in targets] == ["cPanel B"]  # enabled, same type, not the source
    assert targets[0].tariffs == ((world.tariffs["Hosting"], "Hosting"),)
    with pytest.raises(OperationRefused, match="different types"):
        ops.transfer_targets([moved, world.service("v.example", "VM", "VPS", ServiceStatus.ACTIVE, remote_id="1")])

    check = ops.check_transfer([moved, fresh, gone], world.modules["cPanel B"])
    assert [(i.name, i.target_remote_id) for i in check.found] == [("moved.example", "movednew")]
    assert [i.name for i in check.missing] == ["fresh.example"]
    assert check.refused == (("gone.example", "it is Deleted: nothing to move"),)

    assert ops.transfer(check.found, world.modules["cPanel B"], world.tariffs["Hosting"]) == 1
    row = world.get(moved)
    assert (row.module_id, row.remote_id, row.status) == (world.modules["cPanel B"], "movednew", ServiceStatus.ACTIVE)
    with world.backend.db.sessions() as session:
        assert session.scalar(select(AuditEntry.summary).where(AuditEntry.action == "transfer")) == \
            "Transferred moved.example to cPanel B"

    batch = ops.open_on_target(check.missing, world.modules["cPanel B"], world.tariffs["Hosting"])
    world.run_all()
    assert ops.batch_progress(batch).succeeded == 1
    row = world.get(fresh)
    assert row.module_id == world.modules["cPanel B"]
    assert row.status is ServiceStatus.SUSPENDED  # opened there, then suspended as it was
    assert source_b.accounts[row.remote_id]["suspended"] == 1


def test_a_transfer_batch_moves_entirely_or_not_at_all(world: World) -> None:
    ops = world.backend.operations
    world.handles["cp-b"].state.add_account("one", "one.example")
    world.handles["cp-b"].state.add_account("two", "two.example")
    world.handles["cp-a"].state.add_account("two", "two.example")
    one = world.service("one.example", "cPanel A", "Hosting", ServiceStatus.ACTIVE, remote_id="one")
    two = world.service("two.example", "cPanel A", "Hosting", ServiceStatus.ACTIVE, remote_id="two")
    check = ops.check_transfer([one, two], world.modules["cPanel B"])
    ops.start("suspend", two)  # an operation holds the second one
    with pytest.raises(OperationRefused, match="two.example has an operation running"):
        ops.transfer(check.found, world.modules["cPanel B"], world.tariffs["Hosting"])
    assert world.get(one).module_id == world.modules["cPanel A"]  # nothing moved half-way


def test_effects_that_cannot_be_recorded_fail_the_job_and_leave_nothing(world: World) -> None:
    from dataclasses import replace

    world.handles["cp-a"].state.add_account("broken", "broken.example")
    service = world.service("broken.example", "cPanel A", "Hosting", ServiceStatus.ACTIVE, remote_id="broken")
    started = world.backend.operations.start("suspend", service)
    engine = world.engine()
    claim = engine.claim(1)[0]
    outcome = world.backend.operations.run(claim)

    def broken(session) -> None:  # noqa: ANN001
        outcome.effects(session)  # the status change is made, then the recording fails
        raise ValueError("disk full")

    assert engine.finish(claim, replace(outcome, effects=broken)) is True
    failed = job(world, started)
    assert failed.state is JobState.FAILED and "recording it failed (ValueError)" in failed.outcome
    assert world.get(service).status is ServiceStatus.ACTIVE  # the savepoint took the half-written effects back
    world.backend.operations.retry(started)
    world.run_all()
    assert world.get(service).status is ServiceStatus.SUSPENDED


def test_failed_background_runs_are_in_the_queue_until_dismissed(backend: Backend) -> None:
    entries, total = backend.operations.failures()
    runs = [e for e in entries if e.source == "run"]
    assert runs and total == len(entries) and {e.state for e in runs} <= {"unsuccessful", "interrupted"}
    assert all(e.module_name != "—" and e.department for e in runs)
    backend.operations.dismiss("run", runs[0].id, "known outage")
    assert backend.operations.failure_count() == total - 1
    with pytest.raises(OperationRefused, match="Say why"):
        backend.operations.dismiss("run", runs[1].id, "  ")

"""Two operators at once, released by a barrier: the database decides, exactly one side wins, 0 orphans.

Each race runs 100 times on SQLite (BEGIN IMMEDIATE) and on PostgreSQL (row locks + RESTRICT keys).
"""

from __future__ import annotations

import uuid

import threading
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from procmod.core.backend import Backend
from procmod.core.lifecycle import Conflict, DeleteBlocked, ModuleParams
from procmod.core.queries import NotFound
from procmod.storage.enums import ModuleStatus, RunResult, TariffStatus
from procmod.storage.models import BackgroundTask, ProcessingModule, Service, Tariff, TariffModule

ITERATIONS = 100
NOW = datetime(2026, 11, 26, 9, 30, tzinfo=timezone.utc)


def race(first: Callable[[], object], second: Callable[[], object]) -> tuple[object, object]:
    """Run both calls in threads released together; returns each one's result or exception."""
    barrier = threading.Barrier(2)
    results: list[object] = [None, None]

    def run(index: int, call: Callable[[], object]) -> None:
        barrier.wait()
        try:
            results[index] = call()
            if results[index] is None:
                results[index] = "ok"
        except Exception as exc:  # noqa: BLE001 - the outcome is what we assert on
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate((first, second))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results[0], results[1]


def bare_module(backend: Backend, tariff_status: TariffStatus = TariffStatus.DISABLED) -> tuple[int, int]:
    """A deletable cPanel module and an unlinked tariff of its product type."""
    with backend.db.write() as session:
        module = ProcessingModule(name="race", module_type="cpanel", product_type="vhost", department_id=1,
                                  sort_priority=1, status=ModuleStatus.ENABLED, settings={}, created_at=NOW,
                                  updated_at=NOW)
        # Tariff names are unique (migration 0009): one per race.
        tariff = Tariff(name=f"race tariff {uuid.uuid4().hex[:8]}", product_type="vhost", status=tariff_status)
        session.add_all([module, tariff])
        session.flush()
        return module.id, tariff.id


def orphans(backend: Backend) -> int:
    with backend.db.sessions() as session:
        services = session.scalar(select(func.count()).select_from(Service).outerjoin(
            ProcessingModule, ProcessingModule.id == Service.module_id).where(ProcessingModule.id.is_(None)))
        links = session.scalar(select(func.count()).select_from(TariffModule).outerjoin(
            ProcessingModule, ProcessingModule.id == TariffModule.module_id).where(ProcessingModule.id.is_(None)))
        tasks = session.scalar(select(func.count()).select_from(BackgroundTask).outerjoin(
            ProcessingModule, ProcessingModule.id == BackgroundTask.module_id).where(ProcessingModule.id.is_(None)))
    return services + links + tasks


def exists(backend: Backend, module_id: int) -> bool:
    with backend.db.sessions() as session:
        return session.get(ProcessingModule, module_id) is not None


def test_delete_vs_service_activation(empty_backend: Backend) -> None:
    from procmod.demo.seed import seed_demo

    seed_demo(empty_backend, service_count=10)
    outcomes: Counter[str] = Counter()
    for _ in range(ITERATIONS):
        module_id, tariff_id = bare_module(empty_backend)
        deleted, placed = race(lambda: empty_backend.commands.delete_module(module_id),
                               lambda: empty_backend.commands.place_service(tariff_id, module_id, "svc"))
        if deleted == "ok":
            assert isinstance(placed, NotFound), placed
            assert not exists(empty_backend, module_id)
            outcomes["delete won"] += 1
        else:
            assert isinstance(deleted, DeleteBlocked) and isinstance(placed, int), (deleted, placed)
            assert exists(empty_backend, module_id)
            outcomes["activation won"] += 1
    assert sum(outcomes.values()) == ITERATIONS
    assert orphans(empty_backend) == 0


def test_delete_vs_tariff_link(empty_backend: Backend) -> None:
    from procmod.demo.seed import seed_demo

    seed_demo(empty_backend, service_count=10)
    outcomes: Counter[str] = Counter()
    for _ in range(ITERATIONS):
        # An Active tariff: only an Active one blocks a delete (a Disabled link goes with the module).
        module_id, tariff_id = bare_module(empty_backend, TariffStatus.ACTIVE)
        deleted, linked = race(lambda: empty_backend.commands.delete_module(module_id),
                               lambda: empty_backend.commands.set_tariff_modules(tariff_id, [module_id]))
        if deleted == "ok":
            assert isinstance(linked, NotFound), linked
            outcomes["delete won"] += 1
        else:
            assert isinstance(deleted, DeleteBlocked) and linked == "ok", (deleted, linked)
            outcomes["link won"] += 1
    assert sum(outcomes.values()) == ITERATIONS
    assert orphans(empty_backend) == 0


def test_concurrent_edits_lose_no_update(empty_backend: Backend) -> None:
    from procmod.demo.seed import seed_demo

    seed_demo(empty_backend, service_count=10)
    commands = empty_backend.commands
    module_id = 7  # cPanel shared-01
    lost = 0
    for iteration in range(ITERATIONS):
        form = commands.edit_form(module_id)
        edits = [ModuleParams(**{**form.params.__dict__, "name": f"edit {iteration} by {who}"}) for who in "AB"]
        first, second = race(lambda: commands.update_module(module_id, form.version, edits[0]),
                             lambda: commands.update_module(module_id, form.version, edits[1]))
        winners = [i for i, r in enumerate((first, second)) if isinstance(r, int)]
        losers = [r for r in (first, second) if isinstance(r, Conflict)]
        assert len(winners) == 1 and len(losers) == 1, (first, second)
        if commands.edit_form(module_id).params.name != edits[winners[0]].name:
            lost += 1
    assert lost == 0


def test_delete_vs_claim_of_its_runs(empty_backend: Backend) -> None:
    """A worker claims a module's due runs while an operator deletes the module: the delete waits for the
    claim and is refused (runs in progress), or the claim skips the module being deleted. Never both."""
    from datetime import timedelta

    from procmod.core.clock import FixedClock
    from procmod.core.scheduler import Scheduler, TaskOutcome
    from procmod.demo.seed import seed_demo
    from procmod.storage.models import TaskRun

    seed_demo(empty_backend, service_count=10)
    with empty_backend.db.write() as session:  # only the racing module's tasks are due
        session.execute(BackgroundTask.__table__.update().values(enabled=False))
        session.execute(TaskRun.__table__.update().where(TaskRun.result == RunResult.IN_PROGRESS)
                        .values(result=RunResult.SUCCESSFUL, lease_until=None))
    scheduler = Scheduler(empty_backend.db, FixedClock(NOW), lambda c, d: TaskOutcome(True, ""), worker_id="racer",
                          lease=timedelta(seconds=60), deadline=timedelta(seconds=30))
    outcomes: Counter[str] = Counter()
    for _ in range(ITERATIONS):
        module_id, _ = bare_module(empty_backend)
        with empty_backend.db.write() as session:
            session.add_all(BackgroundTask(module_id=module_id, kind=kind, name=kind, schedule="*/15 * * * *",
                                           enabled=True, next_run_at=NOW)
                            for kind in ("check_connection", "read_balance"))
        deleted, claimed = race(lambda: empty_backend.commands.delete_module(module_id),
                                lambda: scheduler.claim_due(NOW, limit=10))
        assert isinstance(claimed, list), claimed
        if deleted == "ok":
            assert claimed == [] or claimed == "ok", claimed  # 0 deletes of a module with a claimed run
            assert not exists(empty_backend, module_id)
            outcomes["delete won"] += 1
        else:
            assert isinstance(deleted, DeleteBlocked), deleted
            assert [b.kind for b in deleted.blockers] == ["tasks_in_progress"], deleted.blockers
            assert {c.module_id for c in claimed} == {module_id} and len(claimed) == 2
            assert exists(empty_backend, module_id)
            outcomes["claim won"] += 1
            for claim in claimed:
                assert scheduler.finish(claim, TaskOutcome(True, "done"))
    assert sum(outcomes.values()) == ITERATIONS
    assert orphans(empty_backend) == 0
    with empty_backend.db.sessions() as session:
        assert session.scalar(select(func.count()).where(TaskRun.result == RunResult.IN_PROGRESS)) == 0
    print(f"\n{outcomes}")


def test_delete_vs_run_now(empty_backend: Backend) -> None:
    """The console's Run now against the module's delete: the same exclusion as a scheduled claim."""
    from datetime import timedelta

    from procmod.core.clock import FixedClock
    from procmod.core.scheduler import Claim, Scheduler, TaskOutcome
    from procmod.demo.seed import seed_demo
    from procmod.storage.models import TaskRun

    seed_demo(empty_backend, service_count=10)
    with empty_backend.db.write() as session:
        session.execute(TaskRun.__table__.update().where(TaskRun.result == RunResult.IN_PROGRESS)
                        .values(result=RunResult.SUCCESSFUL, lease_until=None))
    scheduler = Scheduler(empty_backend.db, FixedClock(NOW), lambda c, d: TaskOutcome(True, ""), worker_id="racer",
                          lease=timedelta(seconds=60), deadline=timedelta(seconds=30))
    outcomes: Counter[str] = Counter()
    for _ in range(ITERATIONS):
        module_id, _ = bare_module(empty_backend)
        with empty_backend.db.write() as session:
            task = BackgroundTask(module_id=module_id, kind="check_connection", name="check", schedule="0 * * * *",
                                  enabled=True, next_run_at=NOW + timedelta(hours=1))
            session.add(task)
            session.flush()
            task_id = task.id
        deleted, started = race(lambda: empty_backend.commands.delete_module(module_id),
                                lambda: scheduler.run_now(task_id))
        if deleted == "ok":
            assert started == "ok", started  # run_now found nothing to start (None)
            assert not exists(empty_backend, module_id)
            outcomes["delete won"] += 1
        else:
            assert isinstance(deleted, DeleteBlocked) and isinstance(started, Claim), (deleted, started)
            assert [b.kind for b in deleted.blockers] == ["tasks_in_progress"]
            assert scheduler.finish(started, TaskOutcome(True, "done"))
            outcomes["run now won"] += 1
    assert sum(outcomes.values()) == ITERATIONS
    assert orphans(empty_backend) == 0

"""Real processes against one database: every due run exactly once; killed and paused workers.

`scripts/benchmark.py`'s drain workers import `T0` and `add_due_tasks` from here, so the module imports
only what a worker imports anyway (no pytest, no backend): a worker is ready at the benchmark's gate
sooner, and its start-up is not counted as claim time.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import func, insert, select, update

from procmod.core.clock import FixedClock
from procmod.core.scheduler import Scheduler, TaskOutcome
from procmod.storage.enums import ModuleStatus, RunResult
from procmod.storage.models import BackgroundTask, Department, ProcessingModule, TaskRun

if TYPE_CHECKING:
    from procmod.core.backend import Backend

ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 11, 26, 10, 0, tzinfo=timezone.utc)
DUE_RUNS = 1000
WORKER_PROCESSES = {"postgresql": 4, "sqlite": 2}  # SQLite: one file, two processes
BODY_SECONDS = 0.001


def add_due_tasks(backend: Backend, count: int) -> None:
    """`count` enabled tasks, one per module, all due at T0 (bulk insert)."""
    with backend.db.write() as session:
        # The product types come with the schema (migration 0009).
        session.add(Department(id=1, name="Technical support"))
        session.flush()
        session.execute(insert(ProcessingModule), [
            {"id": i, "name": f"m{i}", "module_type": "cpanel", "product_type": "vhost", "department_id": 1,
             "sort_priority": 1, "status": ModuleStatus.ENABLED, "settings": {}, "timezone": "UTC",
             "created_at": T0, "updated_at": T0, "version": 1} for i in range(1, count + 1)])
        session.execute(insert(BackgroundTask), [
            {"module_id": i, "kind": "check_connection", "name": "Connection check", "schedule": "*/15 * * * *",
             "enabled": True, "next_run_at": T0} for i in range(1, count + 1)])


def spawn(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "tests.core.scheduler_worker", *args], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def url_of(backend: Backend) -> str:
    return backend.db.engine.url.render_as_string(hide_password=False)


def test_every_due_run_exactly_once(empty_backend: Backend, dialect: str) -> None:
    processes = WORKER_PROCESSES[dialect]
    add_due_tasks(empty_backend, DUE_RUNS)
    now = (T0 + timedelta(seconds=1)).isoformat()
    gate = empty_backend_gate(url_of(empty_backend))
    # Each body takes a millisecond: the drain then lasts long enough that a worker the machine runs late
    # (two cores, a busy CI) still gets its share, which the last assertion checks.
    workers = [spawn("drain", url_of(empty_backend), now, f"w{i}", str(gate), str(BODY_SECONDS))
               for i in range(processes)]
    for worker in workers:
        wait_for_line(worker, "READY", timeout=120)
    started = time.perf_counter()
    gate.touch()
    outputs = [w.communicate(timeout=300) for w in workers]
    elapsed = time.perf_counter() - started
    assert all(w.returncode == 0 for w in workers), [o[1][-2000:] for o in outputs]
    per_worker = [int(out.split()[-1]) for out, _ in outputs]
    with empty_backend.db.sessions() as session:
        total = session.scalar(select(func.count()).select_from(TaskRun))
        distinct = session.scalar(select(func.count(func.distinct(TaskRun.task_id))))
        successful = session.scalar(select(func.count()).where(TaskRun.result == RunResult.SUCCESSFUL))
    assert sum(per_worker) == total == distinct == successful == DUE_RUNS  # 0 duplicates, 0 missing
    assert all(n > 0 for n in per_worker), per_worker  # the work was really shared
    print(f"\n{dialect}: {processes} workers, {DUE_RUNS} runs in {elapsed:.2f} s "
          f"({DUE_RUNS / elapsed:.0f} runs/s), split {per_worker}")


def empty_backend_gate(url: str) -> Path:
    """A file that does not exist yet: the workers start claiming when it appears."""
    import tempfile

    return Path(tempfile.mkdtemp(prefix="procmod-gate-")) / "go"


def wait_for_line(process: subprocess.Popen[str], prefix: str, timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if line.startswith(prefix):
            return line.strip()
        if not line and process.poll() is not None:
            raise AssertionError(process.stderr.read())
    raise AssertionError(f"no {prefix} line within {timeout} s")


def reaper(backend: Backend, at: datetime) -> Scheduler:
    return Scheduler(backend.db, FixedClock(at), lambda c, d: TaskOutcome(True, ""), worker_id="reaper",
                     lease=timedelta(seconds=60), deadline=timedelta(seconds=30))


def test_killed_worker_leaves_an_interrupted_run_not_a_stuck_one(empty_backend: Backend) -> None:
    add_due_tasks(empty_backend, 1)
    worker = spawn("block", url_of(empty_backend), T0.isoformat(), "doomed", "60")
    wait_for_line(worker, "CLAIMED")
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait(timeout=10)
    assert reaper(empty_backend, T0 + timedelta(seconds=60)).reap_expired(T0 + timedelta(seconds=60)) == 0
    assert reaper(empty_backend, T0).reap_expired(T0 + timedelta(seconds=61)) == 1
    with empty_backend.db.sessions() as session:
        results = session.scalars(select(TaskRun.result)).all()
        message = session.scalar(select(TaskRun.message))
    assert results == [RunResult.INTERRUPTED] and "worker doomed stopped responding" in message


def test_paused_worker_cannot_overwrite_the_run_after_its_lease(empty_backend: Backend) -> None:
    add_due_tasks(empty_backend, 1)
    worker = spawn("block", url_of(empty_backend), T0.isoformat(), "sleepy", "1.5")
    wait_for_line(worker, "CLAIMED")
    os.kill(worker.pid, signal.SIGSTOP)
    try:
        assert reaper(empty_backend, T0).reap_expired(T0 + timedelta(seconds=61)) == 1
    finally:
        os.kill(worker.pid, signal.SIGCONT)
    assert wait_for_line(worker, "REJECTED", timeout=30) == "REJECTED"
    worker.wait(timeout=10)
    with empty_backend.db.sessions() as session:
        run = session.scalars(select(TaskRun)).one()
    assert run.result is RunResult.INTERRUPTED and run.message.startswith("Interrupted")
    assert run.claim_token is None

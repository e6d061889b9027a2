"""Runs fenced by their claim, with real worker processes: a worker paused past its lease (SIGSTOP) and
resumed writes nothing (call log, health, notifications) and, once its lease is over on its own clock,
does not call the panel; a killed worker's run (kill -9) is retried once after its lease, recorded as a
retry of it. Health and balance readings leave the edit form's version alone."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import func, select, update

from procmod.core.backend import Backend, open_backend
from procmod.core.clock import DEMO_NOW, FixedClock
from procmod.core.lifecycle import Conflict, ModuleParams
from procmod.core.scheduler import Scheduler, TaskOutcome
from procmod.core.secrets import SecretBox
from procmod.demo.env import DemoEnvironment, start_demo_environment
from procmod.demo.seed import seed_demo
from procmod.storage.enums import RunResult
from procmod.storage.models import ApiCall, BackgroundTask, Notification, ProcessingModule, TaskRun
from tests.conftest import new_database_url
from tests.core.test_scheduler_processes import wait_for_line

ROOT = Path(__file__).resolve().parents[2]
T0 = DEMO_NOW
MODULE = "cPanel shared-01"
FAST = {"connect_timeout": 1.0, "read_timeout": 2.0, "deadline": 3.0, "backoff": 0.001, "max_backoff": 0.01,
        "task_poll_interval": 0.01, "task_timeout": 1.0}


@dataclass
class Live:
    backend: Backend
    env: DemoEnvironment
    key: bytes
    url: str
    module_id: int
    task_id: int


@pytest.fixture
def live(dialect: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Live]:
    """The demo with its emulators, every task off but the connection check of one cPanel module (due at T0)."""
    url = new_database_url(dialect, tmp_path, request)
    key = Fernet.generate_key()
    backend = open_backend(url, clock=FixedClock(T0), secrets=SecretBox(key), operator="tester")
    backend.integrations._options.update(FAST)  # noqa: SLF001 - test timeouts
    seed_demo(backend, service_count=10)
    env = start_demo_environment(backend)
    with backend.db.write() as session:
        module_id = session.scalar(select(ProcessingModule.id).where(ProcessingModule.name == MODULE))
        session.execute(update(BackgroundTask).values(enabled=False))
        session.execute(update(TaskRun).where(TaskRun.result == RunResult.IN_PROGRESS)
                        .values(result=RunResult.SUCCESSFUL, finished_at=T0 - timedelta(hours=1), lease_until=None))
        task_id = session.scalar(select(BackgroundTask.id).where(BackgroundTask.module_id == module_id,
                                                                 BackgroundTask.kind == "check_connection"))
        session.execute(update(BackgroundTask).where(BackgroundTask.id == task_id)
                        .values(enabled=True, next_run_at=T0, schedule="*/15 * * * *"))
    yield Live(backend, env, key, url, module_id, task_id)
    env.stop()
    backend.close()


def spawn_guarded(live: Live, lease: float, gate: Path) -> subprocess.Popen[str]:
    url = live.backend.db.engine.url.render_as_string(hide_password=False)
    return subprocess.Popen(
        [sys.executable, "-m", "tests.core.scheduler_worker", "guarded", url, T0.isoformat(), "stale",
         str(lease), str(gate), json.dumps(FAST)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PROCMOD_SECRET_KEY": live.key.decode()})


def side_effects(live: Live) -> dict[str, object]:
    """Everything a run of the check may write, as it stands."""
    with live.backend.db.sessions() as session:
        module = session.get(ProcessingModule, live.module_id)
        return {
            "calls": session.scalar(select(func.count()).where(ApiCall.module_id == live.module_id)),
            "health": (module.health_ok, module.health_summary, module.health_checked_at),
            "notifications": session.scalar(select(func.count()).select_from(Notification)),
            "version": module.version,
        }


def scheduler_at(live: Live, at: timedelta, body=None) -> Scheduler:  # noqa: ANN001
    return Scheduler(live.backend.db, FixedClock(T0 + at), body or live.backend.integrations.run_task,
                     worker_id="fresh", lease=timedelta(seconds=60), deadline=timedelta(seconds=30))


@pytest.mark.parametrize("lease", [2.0, 60.0], ids=["lease-over-on-its-clock", "lease-left-on-its-clock"])
def test_worker_paused_past_its_lease_writes_nothing_when_resumed(live: Live, lease: float,
                                                                 tmp_path: Path) -> None:
    gate = tmp_path / "go"
    worker = spawn_guarded(live, lease, gate)
    try:
        stale_run = int(wait_for_line(worker, "CLAIMED", timeout=60).split()[1])
        claimed_at = time.monotonic()
        os.kill(worker.pid, signal.SIGSTOP)
        try:
            # Its lease ends (database clock): the run is taken over, and a fresh worker's run of the task
            # (the retry of the interrupted one) succeeds and sets the badge.
            assert scheduler_at(live, timedelta(seconds=lease + 1)).reap_expired(T0 + timedelta(seconds=lease + 1)) == 1
            fresh = scheduler_at(live, timedelta(seconds=lease + 40))
            report = fresh.tick(run_inline=True)
            assert [c.retry_of for c in report.claimed] == [stale_run]
            before = side_effects(live)
            assert before["health"][0] is True
            # Meanwhile the panel revokes the credentials: whatever the stale worker reads would say "failed".
            handle = live.env.handles[MODULE]
            handle.set_fault("wrong_credentials")
            requests_before = len(handle.requests)
            if lease < 10:  # the pause outlasts the lease on the worker's own (monotonic) clock too
                time.sleep(max(0.0, claimed_at + lease + 0.3 - time.monotonic()))
            gate.touch()
        finally:
            os.kill(worker.pid, signal.SIGCONT)
        assert wait_for_line(worker, "REJECTED", timeout=60) == "REJECTED"
        _, errors = worker.communicate(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert worker.returncode == 0, errors
    assert side_effects(live) == before  # no call log row, no badge, no notification, no version
    panel_calls = len(live.env.handles[MODULE].requests) - requests_before
    if lease < 10:
        assert panel_calls == 0  # it knew its lease was gone: it did not call the panel
    else:
        assert panel_calls > 0  # it did call (its lease looked alive), and its writes were still dropped
    with live.backend.db.sessions() as session:
        stale = session.get(TaskRun, stale_run)
        newer = session.scalars(select(TaskRun).where(TaskRun.retry_of == stale_run)).one()
    assert stale.result is RunResult.INTERRUPTED and newer.result is RunResult.SUCCESSFUL
    assert live.backend.modules.card(live.module_id).health_ok is True


def test_killed_worker_run_is_retried_once_after_its_lease(live: Live, tmp_path: Path) -> None:
    gate = tmp_path / "never"  # the body waits for ever: the worker is killed in it
    worker = spawn_guarded(live, 60.0, gate)
    try:
        killed_run = int(wait_for_line(worker, "CLAIMED", timeout=60).split()[1])
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
    finally:
        if worker.poll() is None:
            worker.kill()
    # Before its lease ends nothing happens; after, the run is Interrupted and its retry is due a quarter of
    # the lease (15 s) later.
    assert scheduler_at(live, timedelta(seconds=60)).tick(run_inline=True).claimed == []
    reaper = scheduler_at(live, timedelta(seconds=61))
    first = reaper.tick(run_inline=True)
    assert first.interrupted == 1 and first.claimed == [] and first.next_due == T0 + timedelta(seconds=76)
    with live.backend.db.sessions() as session:
        interrupted = session.get(TaskRun, killed_run)
    assert interrupted.result is RunResult.INTERRUPTED and "retried once at 09:31:16 UTC" in interrupted.message
    assert scheduler_at(live, timedelta(seconds=75)).tick(run_inline=True).claimed == []
    retry = scheduler_at(live, timedelta(seconds=76)).tick(run_inline=True)
    [claim] = retry.claimed
    assert claim.retry_of == killed_run
    # The schedule goes on as before: the next regular fire is 09:45, not a fire time computed from the retry.
    with live.backend.db.sessions() as session:
        task = session.get(BackgroundTask, live.task_id)
        run = session.get(TaskRun, claim.run_id)
    assert run.retry_of == killed_run and run.result is RunResult.SUCCESSFUL and task.retry_pending is None
    assert task.next_run_at == T0 + timedelta(minutes=15)


def test_an_interrupted_retry_is_not_retried_again(live: Live) -> None:
    hang = scheduler_at(live, timedelta(0), body=lambda claim, deadline: TaskOutcome(True, "never recorded"))
    [original] = hang.claim_due(T0, limit=1)  # claimed, then its worker vanishes
    assert scheduler_at(live, timedelta(seconds=61)).reap_expired(T0 + timedelta(seconds=61)) == 1
    [retry] = hang.claim_due(T0 + timedelta(seconds=91), limit=1)
    assert retry.retry_of == original.run_id
    assert scheduler_at(live, timedelta(seconds=152)).reap_expired(T0 + timedelta(seconds=152)) == 1
    with live.backend.db.sessions() as session:
        task = session.get(BackgroundTask, live.task_id)
        message = session.get(TaskRun, retry.run_id).message
    assert task.retry_pending is None and task.next_run_at == T0 + timedelta(minutes=15)
    assert "not retried again" in message


def test_a_scheduled_check_leaves_an_open_edit_form_saveable(live: Live) -> None:
    commands = live.backend.commands
    form = commands.edit_form(live.module_id)
    fresh = scheduler_at(live, timedelta(seconds=1))
    assert len(fresh.tick(run_inline=True).claimed) == 1  # the check writes health and the call log
    live.backend.integrations.read_balance(live.module_id)  # and a balance reading
    assert live.backend.modules.card(live.module_id).health_checked_at is not None
    edited = ModuleParams(**{**form.params.__dict__, "name": "cPanel shared-01 (renamed)"})
    version = commands.update_module(live.module_id, form.version, edited)  # saves: readings are not edits
    assert version == form.version + 1
    with pytest.raises(Conflict):  # a real concurrent edit still conflicts
        commands.update_module(live.module_id, form.version,
                               ModuleParams(**{**form.params.__dict__, "name": "someone else's name"}))
    assert commands.edit_form(live.module_id).params.name == "cPanel shared-01 (renamed)"


WORKER = "import sys; from procmod.tui.cli import main; sys.exit(main(sys.argv[1:]))"
LEASE, DEADLINE, POLL = 2.0, 1.5, 0.2


def procmod_worker(live: Live, *options: str) -> subprocess.Popen[str]:
    url = live.backend.db.engine.url.render_as_string(hide_password=False)
    return subprocess.Popen([sys.executable, "-c", WORKER, "--db", url, "worker", *options], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, "PROCMOD_SECRET_KEY": live.key.decode()})


def poll_until(condition, timeout: float):  # noqa: ANN001, ANN201 - a database condition, looked at 20 times a second
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"not within {timeout} s")


def test_procmod_worker_killed_mid_run_is_recovered_by_another_after_lease_and_backoff(live: Live) -> None:
    """`procmod worker --lease 2 --deadline 1.5`, killed (-9) while its run waits on the panel; a second
    worker takes the run over once the lease is gone and runs its retry a quarter of the lease later."""
    from procmod.core.clock import SystemClock

    with live.backend.db.write() as session:  # due now, by the real clock the workers follow
        session.execute(update(BackgroundTask).where(BackgroundTask.id == live.task_id)
                        .values(next_run_at=SystemClock().now() - timedelta(seconds=1)))
    handle = live.env.handles[MODULE]
    handle.set_fault("latency", delay=30)  # the panel hangs: the run sits in its call
    timing = ("--lease", str(LEASE), "--deadline", str(DEADLINE), "--poll", str(POLL))
    doomed = procmod_worker(live, *timing)
    rescuer = None
    try:
        def in_progress() -> int | None:
            with live.backend.db.sessions() as session:
                return session.scalar(select(TaskRun.id).where(TaskRun.task_id == live.task_id,
                                                               TaskRun.result == RunResult.IN_PROGRESS))
        run_id = poll_until(in_progress, 60)
        poll_until(lambda: handle.requests, 30)
        os.kill(doomed.pid, signal.SIGKILL)
        killed_at = time.monotonic()
        doomed.wait(timeout=10)
        handle.clear_faults()
        rescuer = procmod_worker(live, *timing)

        def retried() -> TaskRun | None:
            with live.backend.db.sessions() as session:
                return session.scalars(select(TaskRun).where(TaskRun.retry_of == run_id,
                                                             TaskRun.result != RunResult.IN_PROGRESS)).first()
        retry = poll_until(retried, 60)
        recovered_in = time.monotonic() - killed_at
        rescuer.send_signal(signal.SIGTERM)
        output, _ = rescuer.communicate(timeout=30)
    finally:
        for process in (doomed, rescuer):
            if process is not None and process.poll() is None:
                process.kill()
    with live.backend.db.sessions() as session:
        interrupted = session.get(TaskRun, run_id)
    assert interrupted.result is RunResult.INTERRUPTED and "retried once" in interrupted.message
    assert retry.result is RunResult.SUCCESSFUL, retry.message
    assert f"run {run_id} of task {live.task_id} (module {live.module_id}) interrupted" in output
    # The lease ends 2/3 to 3/3 of it after the kill (heartbeats every third of it), then the back-off
    # (0.5 s) and a tick or two; the second worker's start-up counts too.
    assert LEASE * 2 / 3 < recovered_in < LEASE + LEASE / 4 + 15, recovered_in
    print(f"\nkilled worker's run retried and finished {recovered_in:.1f} s after the kill "
          f"(lease {LEASE:g} s, back-off {LEASE / 4:g} s, poll {POLL:g} s)")


def test_worker_help_shows_lease_and_deadline_and_refuses_a_deadline_past_the_lease() -> None:
    shown = subprocess.run([sys.executable, "-c", WORKER, "worker", "--help"], cwd=ROOT, capture_output=True,
                           text=True, check=True).stdout
    assert "--lease SECONDS" in shown and "--deadline SECONDS" in shown and "retried once" in shown
    refused = subprocess.run([sys.executable, "-c", WORKER, "worker", "--lease", "5", "--deadline", "6"], cwd=ROOT,
                             capture_output=True, text=True)
    assert refused.returncode == 2 and "--deadline (6 s) must be shorter than --lease (5 s)" in refused.stderr
    from procmod.tui.cli import _parser, _run_timing

    parser = _parser()
    assert _run_timing(parser, 30.0, None) == (30.0, 22.5)  # a short lease brings the deadline down
    assert _run_timing(parser, None, None) is None


def test_console_lease_and_deadline_reach_its_scheduler(live: Live) -> None:
    from procmod.tui.cli import _parser, _run_timing

    parser = _parser()
    args = parser.parse_args(["--lease", "40", "--deadline", "25"])
    live.backend.run_timing = _run_timing(parser, args.lease, args.deadline)
    scheduler = live.backend.make_scheduler(worker_id="console")
    assert (scheduler.lease, scheduler.deadline, scheduler.retry_backoff) == (
        timedelta(seconds=40), timedelta(seconds=25), timedelta(seconds=10))


def test_a_run_past_its_deadline_stops_calling_the_panel(live: Live) -> None:
    """The guard is asked before every call: a run whose deadline passed mid-way makes no further call."""
    from procmod.core.scheduler import RunGuard

    handle = live.env.handles[MODULE]
    fresh = scheduler_at(live, timedelta(seconds=1))
    [claim] = fresh.claim_due(T0 + timedelta(seconds=1), limit=1)
    guard = RunGuard(claim, FixedClock(T0), T0 + timedelta(seconds=30), timedelta(seconds=60), run_seconds=0.5)
    calls_at_start = len(handle.requests)
    assert live.backend.integrations.check_module(live.module_id, guard).ok  # within its deadline: calls go
    assert len(handle.requests) > calls_at_start
    time.sleep(0.6)  # the run's deadline (0.5 s of this host's clock) passes
    calls, before = len(handle.requests), side_effects(live)
    outcome = live.backend.integrations.run_task(replace(claim, guard=guard), guard.deadline)
    assert not outcome.ok and "deadline passed" in outcome.message
    assert len(handle.requests) == calls  # not one more call to the panel
    assert side_effects(live) == before

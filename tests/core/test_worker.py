"""`procmod worker` as a real process: it runs every due task through the drivers, logs without secrets,
and stops cleanly on SIGTERM with nothing left in progress."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from cryptography.fernet import Fernet
from sqlalchemy import func, select, text, update

from procmod.demo.seed import seed_demo
from procmod.demo.env import start_demo_environment
from procmod.storage.enums import RunResult
from procmod.storage.models import BackgroundTask, TaskRun
from procmod.core.backend import open_backend
from procmod.core.clock import DEMO_NOW, FixedClock
from procmod.core.secrets import SecretBox

ROOT = Path(__file__).resolve().parents[2]
WORKER = "import sys; from procmod.tui.cli import main; sys.exit(main(sys.argv[1:]))"


def test_headless_worker_runs_due_tasks_and_stops_on_sigterm(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'worker.db'}"
    key = Fernet.generate_key()
    backend = open_backend(url, clock=FixedClock(DEMO_NOW), secrets=SecretBox(key), operator="tester")
    seed_demo(backend, service_count=100)
    env = start_demo_environment(backend)
    secrets = [s for h in env.handles.values() for s in (getattr(h.state, "password", ""),
               getattr(h.state, "api_token", ""), getattr(h.state, "api_key", "")) if s]
    now = datetime.now(timezone.utc)
    with backend.db.write() as session:
        session.execute(text("UPDATE task_run SET result = 'successful' WHERE result = 'in_progress'"))
        session.execute(update(BackgroundTask).values(next_run_at=now - timedelta(seconds=1)))
    due = 28  # the enabled modules' tasks (cPanel staging's two among them)
    worker = subprocess.Popen([sys.executable, "-c", WORKER, "--db", url, "worker", "--concurrency", "4",
                               "--poll", "0.2"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, env={"PATH": "/usr/bin:/bin", "PROCMOD_SECRET_KEY": key.decode()})
    try:
        deadline = time.monotonic() + 60
        finished = 0
        while time.monotonic() < deadline:
            with backend.db.sessions() as session:
                finished = session.scalar(select(func.count()).where(
                    TaskRun.worker != "demo-worker",  # the seeded history may lie ahead of the real clock
                    TaskRun.started_at >= now - timedelta(seconds=5),
                    TaskRun.result.in_([RunResult.SUCCESSFUL, RunResult.UNSUCCESSFUL])))
            if finished >= due or worker.poll() is not None:
                break
            time.sleep(0.2)
        worker.send_signal(signal.SIGTERM)
        output, _ = worker.communicate(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
        env.stop()
    assert worker.returncode == 0, output
    assert finished == due, output
    assert "received SIGTERM" in output and "stopped (0 run(s) interrupted)" in output
    assert output.count("finished: ") >= due
    assert "refused the credentials" in output  # the broken module's failure is logged, readably
    with backend.db.sessions() as session:
        assert session.scalar(select(func.count()).where(TaskRun.result == RunResult.IN_PROGRESS)) == 0
    assert not [s for s in secrets if s in output]
    backend.close()

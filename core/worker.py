"""`procmod worker`: the scheduler without a screen, for servers. Many may run against one database.

Logs each run (task, module, result, duration: never a secret) and stops cleanly on SIGTERM/SIGINT:
it stops claiming, lets in-flight runs finish within the grace period and marks the rest Interrupted.
Due-ness follows the database's clock, so workers on several hosts agree. A worker that dies (kill -9,
a lost host) leaves its runs to the others: `lease` after its last heartbeat they are Interrupted and
retried once (see `procmod.core.scheduler`).
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
from datetime import timedelta
from types import FrameType

from procmod.core.backend import Backend
from procmod.core.changes import BatchedAnnouncer
from procmod.core.jobs import JobEvent
from procmod.core.scheduler import DatabaseClock, Scheduler, SchedulerEvent

log = logging.getLogger("procmod.worker")


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def log_event(event: SchedulerEvent) -> None:
    if event.kind == "run_started":
        log.info("run %s of task %s (module %s) started", event.run_id, event.task_id, event.module_id)
    elif event.kind == "run_finished":
        log.info("run %s of task %s (module %s) finished: %s — %s", event.run_id, event.task_id, event.module_id,
                 event.result.label if event.result else "?", event.message)
    elif event.kind == "run_interrupted":
        log.warning("run %s of task %s (module %s) interrupted: %s", event.run_id, event.task_id, event.module_id,
                    event.message)
    elif event.kind == "late_result_rejected":
        log.warning("late result of run %s rejected: another worker took it over", event.run_id)


def log_job_event(event: JobEvent) -> None:
    if event.kind in ("job_finished", "job_interrupted"):
        log.info("job %s (service %s, module %s) %s: %s", event.job_id, event.service_id, event.module_id,
                 event.state.label.lower() if event.state else "?", event.message)


def build_scheduler(backend: Backend, *, concurrency: int, lease: timedelta, deadline: timedelta,
                    listener=log_event) -> Scheduler:  # noqa: ANN001
    return Scheduler(backend.db, DatabaseClock(backend.db), backend.integrations.run_task, worker_id=worker_id(),
                     concurrency=concurrency, lease=lease, deadline=deadline, listener=listener)


def run_worker(backend: Backend, *, concurrency: int = 4, poll: float = 1.0, grace: float = 30.0,
               lease: timedelta = timedelta(seconds=120), deadline: timedelta = timedelta(seconds=90),
               stop: threading.Event | None = None, handle_signals: bool = True) -> int:
    """Serve until SIGTERM/SIGINT (or `stop`); returns the number of runs marked Interrupted at exit."""
    stop = stop or threading.Event()
    announcer = BatchedAnnouncer(backend.db)

    def on_run_event(event: SchedulerEvent) -> None:
        log_event(event)
        announcer.changed()

    def on_job_event(event: JobEvent) -> None:
        log_job_event(event)
        announcer.changed()

    scheduler = build_scheduler(backend, concurrency=concurrency, lease=lease, deadline=deadline,
                                listener=on_run_event)
    if handle_signals:
        def on_signal(signum: int, _frame: FrameType | None) -> None:
            log.info("received %s: finishing in-flight runs (up to %.0f s)", signal.Signals(signum).name, grace)
            stop.set()

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
    log.info("worker %s serving %s with concurrency %d", scheduler.worker_id, backend.db.redacted_url(), concurrency)
    # Service operations (core/jobs.py) run beside the scheduler, on a thread of their own.
    jobs = backend.make_job_engine(worker_id=scheduler.worker_id, listener=on_job_event, concurrency=concurrency)
    announcing = threading.Thread(target=announcer.serve, args=(stop,), name="procmod-announce", daemon=True)
    announcing.start()
    jobs_thread = threading.Thread(target=jobs.serve, args=(stop,), kwargs={"poll": poll}, name="procmod-jobs",
                                   daemon=True)
    jobs_thread.start()
    scheduler.serve(stop, poll=poll)
    interrupted = scheduler.shutdown(grace=grace)
    interrupted += jobs.shutdown(grace=grace)
    jobs_thread.join(timeout=grace)
    announcing.join(timeout=5)
    log.info("worker %s stopped (%d run(s) interrupted)", scheduler.worker_id, interrupted)
    return interrupted

"""A scheduler process for the multi-process tests (run as `python -m tests.core.scheduler_worker`).

Modes: `drain` waits for a gate file, then claims and runs no-op bodies (each taking SECONDS, 0 by default)
until nothing is due; `block` claims one run and sits in its body for SECONDS (to be killed or paused), then
tries to record its result and prints whether it landed; `guarded` claims one run with a lease of SECONDS,
waits in its body for a gate file (to be paused meanwhile), then runs the real task body (the drivers, the
call log, health, balance, notifications: `Integrations.run_task`, secrets opened with $PROCMOD_SECRET_KEY)
and prints whether its result landed.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from datetime import datetime, timedelta

from procmod.core.clock import FixedClock
from procmod.core.scheduler import Claim, Scheduler, TaskOutcome
from procmod.storage.engine import Database


def main() -> None:
    mode, url, now_iso, name = sys.argv[1:5]
    db = Database.open(url)
    clock = FixedClock(datetime.fromisoformat(now_iso))
    if mode == "drain":
        scheduler = Scheduler(db, clock, lambda c, d: TaskOutcome(True, "noop"), worker_id=name,
                              lease=timedelta(seconds=60), deadline=timedelta(seconds=30))
        db.engine.connect().close()
        gate = Path(sys.argv[5])
        body_seconds = float(sys.argv[6]) if len(sys.argv) > 6 else 0.0
        print("READY", flush=True)
        while not gate.exists():  # every worker starts claiming at once, however slow its start was
            time.sleep(0.01)
        done, idle = 0, 0
        while idle < 3:
            claims = scheduler.claim_due(clock.now(), limit=25)
            for claim in claims:
                time.sleep(body_seconds)
                done += scheduler.finish(claim, TaskOutcome(True, "noop"))
            idle = 0 if claims else idle + 1
        print(f"DONE {done}", flush=True)
    elif mode == "guarded":
        from procmod.core.backend import open_backend
        from procmod.core.secrets import SecretBox

        lease, gate = float(sys.argv[5]), Path(sys.argv[6])
        backend = open_backend(url, clock=clock, secrets=SecretBox(os.environ["PROCMOD_SECRET_KEY"].encode()),
                               operator="worker", upgrade=False)
        backend.integrations._options.update(json.loads(sys.argv[7]))  # noqa: SLF001 - the test's timeouts

        def guarded(claim: Claim, deadline: datetime) -> TaskOutcome:
            print(f"CLAIMED {claim.run_id}", flush=True)
            while not gate.exists():
                time.sleep(0.01)
            return backend.integrations.run_task(claim, deadline)

        scheduler = Scheduler(backend.db, clock, guarded, worker_id=name, lease=timedelta(seconds=lease),
                              deadline=timedelta(seconds=lease * 0.75))
        [claim] = scheduler.claim_due(clock.now(), limit=1)
        landed = scheduler.execute(claim)
        print("LANDED" if landed else "REJECTED", flush=True)
        backend.close()
    else:
        seconds = float(sys.argv[5])

        def body(claim: Claim, deadline: datetime) -> TaskOutcome:
            print(f"CLAIMED {claim.run_id}", flush=True)
            time.sleep(seconds)
            return TaskOutcome(True, "finished late")

        scheduler = Scheduler(db, clock, body, worker_id=name, lease=timedelta(seconds=60),
                              deadline=timedelta(seconds=30))
        [claim] = scheduler.claim_due(clock.now(), limit=1)
        landed = scheduler.execute(claim)
        print("LANDED" if landed else "REJECTED", flush=True)
    db.dispose()


if __name__ == "__main__":
    main()

"""A scheduler process for the multi-process tests (run as `python -m tests.core.scheduler_worker`).

Modes: `drain` waits for a gate file, then claims and runs no-op bodies (each taking SECONDS, 0 by default)
until nothing is due; `block` claims one run and sits in its body for SECONDS (to be killed or paused), then
tries to record its result and prints whether it landed.
"""

from __future__ import annotations

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

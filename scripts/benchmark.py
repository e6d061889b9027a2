"""procmod's benchmark: every screen and key, measured the way an operator meets them, each against a bare
Textual app doing the same thing in the same run. Run on demand:

    .venv/bin/python scripts/benchmark.py                  # large scale, SQLite, PostgreSQL, PostgreSQL + 1 ms
    .venv/bin/python scripts/benchmark.py --quick          # small scale, fewer repeats: a few minutes
    .venv/bin/python scripts/benchmark.py --no-postgres    # SQLite only

Start-up: real processes (`procmod --db URL`, `procmod --db URL --open modules`) against a bare Textual app.
Screens and keys: a headless console made as the command line makes it, driven by keys
(scripts/bench_screens.py), against the bare anchors (scripts/bench_anchors.py), timed by one harness
(scripts/bench_harness.py), with the SQL statements each sends. On PostgreSQL: a throw-away database seeded
with COPY, measured directly and again behind a loopback proxy adding 1 ms each way (scripts/bench_pg.py).
Service operations (scripts/bench_services.py), on SQLite: the service card, starting a bulk operation on
10,000 services, and a key during a bulk run of 1,000 against an emulator, in the console, each anchored.
Prints each row with its absolute time, its anchor, the ratio, the target and PASS/MISS, and the machine's
description and load. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import nullcontext
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.bench_harness import SIZE  # noqa: E402 - after the path is set


# ---------------------------------------------------------------------- child processes (start-up)

def child(mode: str, url: str, launched: float) -> None:
    """Start an app headless; print seconds from `launched` (parent's clock) to the first frame written with
    what is waited for: any frame (the bare app, the menu), or the modules list with its rows. Frames are
    stamped by a spy on the app's display, as in the interactive measures, so work the app does after that
    frame (the scheduler's start) and the polling of a test harness are not counted."""
    if mode == "bare":
        from textual.app import App
        from textual.widgets import Static

        class Bare(App[None]):
            def compose(self):  # noqa: ANN202
                yield Static("hello")

        app: Any = Bare()
    else:
        # The command line itself, as an operator runs `procmod --db URL [--open modules]` (without the
        # scheduler, which starts after the first data frame anyway and would change the data set).
        import procmod.tui.cli

        made = procmod.tui.cli.console_app

        def console_app(*args: Any, **kwargs: Any) -> Any:
            made_app = made(*args, **kwargs)
            spy(made_app)
            return made_app

        procmod.tui.cli.console_app = console_app
        argv = ["--db", url, "--no-scheduler", *(["--open", "modules"] if mode == "modules" else [])]

    def ready(screen: Any) -> bool:
        if mode != "modules":
            return True
        try:
            return bool(screen.paged.rows)
        except Exception:  # noqa: BLE001 - the menu, or the list screen not composed yet
            return False

    seen: list[float] = []

    def spy(app: Any) -> None:
        display = app._display

        def stamped(screen, renderable):  # noqa: ANN001, ANN202
            outcome = display(screen, renderable)
            if renderable is not None and not seen and ready(screen):
                seen.append(time.time() - launched)
                app.call_later(app.exit)
            return outcome

        app._display = stamped
        run = app.run
        app.run = lambda: run(headless=True, size=SIZE)

    if mode == "bare":
        spy(app)
        app.run()
    else:
        procmod.tui.cli.main(argv)
    print(seen[0], flush=True)


def startup_times(mode: str, url: str, repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        launched = time.time()
        out = subprocess.run([sys.executable, __file__, "--child", mode, "--url", url, "--launched", repr(launched)],
                             capture_output=True, text=True, timeout=120, cwd=ROOT,
                             env={**os.environ, "PROCMOD_DATABASE_URL": url})
        lines = [line for line in out.stdout.splitlines() if line.strip()]
        if out.returncode or not lines:
            raise RuntimeError(f"{mode} start failed: {out.stderr[-2000:]}")
        times.append(float(lines[-1]) * 1000)
    return times


def scheduler_tick(url: str) -> list[float]:
    from procmod.core.backend import open_backend
    from procmod.core.clock import FixedClock
    from procmod.core.scheduler import Scheduler, TaskOutcome

    backend = open_backend(url)
    earliest = backend.make_scheduler(worker_id="probe").next_due()
    clock = FixedClock(earliest - timedelta(seconds=1))  # nothing due yet
    scheduler = Scheduler(backend.db, clock, lambda c, d: TaskOutcome(True, ""), worker_id="bench")
    times = []
    for _ in range(50):
        started = time.perf_counter()
        report = scheduler.tick(run_inline=True)
        times.append((time.perf_counter() - started) * 1000)
        assert not report.claimed
    backend.close()
    return times


def claim_throughput(pg_url: str, workers: int = 4, runs: int = 4000) -> float:
    """Runs/s recorded by `workers` processes with no-op bodies, from a common start to the last run."""
    from sqlalchemy import create_engine, text

    from procmod.core.backend import open_backend
    from procmod.core.clock import FixedClock
    from tests.core.test_scheduler_processes import T0, add_due_tasks

    admin = create_engine(pg_url.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT")
    name = f"procmod_bench_{os.getpid()}"
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    try:
        backend = open_backend(url, clock=FixedClock(T0))
        add_due_tasks(backend, runs)
        backend.close()
        gate = Path(tempfile.mkdtemp()) / "go"
        procs = [subprocess.Popen([sys.executable, __file__, "--child", "drain", "--url", url, "--launched", str(gate)],
                                  cwd=ROOT, stdout=subprocess.PIPE, text=True) for _ in range(workers)]
        time.sleep(3)  # let every worker import and connect; the clock starts at the gate
        started = time.perf_counter()
        gate.touch()
        for proc in procs:
            proc.communicate(timeout=600)
        elapsed = time.perf_counter() - started
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    return runs / elapsed


def drain_child(url: str, gate: str) -> None:
    from procmod.core.clock import FixedClock
    from procmod.core.scheduler import Scheduler, TaskOutcome
    from procmod.storage.engine import Database
    from tests.core.test_scheduler_processes import T0

    db = Database.open(url)
    clock = FixedClock(T0 + timedelta(seconds=1))
    scheduler = Scheduler(db, clock, lambda c, d: TaskOutcome(True, ""), worker_id=f"bench-{os.getpid()}")
    db.engine.connect().close()
    while not Path(gate).exists():
        time.sleep(0.01)
    idle = 0
    while idle < 3:
        claims = scheduler.claim_due(clock.now(), limit=25)
        for claim in claims:
            scheduler.finish(claim, TaskOutcome(True, ""))
        idle = 0 if claims else idle + 1


def seed_child(url: str, scale: str) -> None:
    from procmod.core.backend import open_backend
    from procmod.core.clock import SystemClock
    from procmod.demo.large import SCALES, seed_large

    backend = open_backend(url, clock=SystemClock())
    seed_large(backend, SCALES[scale], lambda t, n, s: print(f"  seeded {t}: {n:,} rows in {s:.1f} s", flush=True))
    backend.close()


# ---------------------------------------------------------------------- report

BARE_PUSH = "bare: push a screen with a 100-row DataTable"
KEY_ANCHORS = {"cursor": "bare: cursor move, Line-API list", "page": "bare: page down, Line-API list",
               "filter": "bare: filter keystroke, Input + 100-row DataTable"}
#: Screen opens that must not take more than this many round trips (statements + transaction ends).
ROUND_TRIP_LIMIT = 3


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    memory = next((int(line.split()[1]) // 1024 // 1024 for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal")), 0)
    return (f"{os.cpu_count()} × {cpu}, {memory} GiB RAM, {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}")


def load() -> str:
    return "load average " + " ".join(f"{v:.2f}" for v in os.getloadavg())


class Report:
    """Rows as they are measured (echoed), then one table; PASS/MISS counted."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, ...]] = []
        self.misses: list[str] = []
        self.heavy: list[str] = []

    def add(self, label: str, median: str, high: str = "", anchor: str = "", ratio: str = "", target: str = "",
            verdict: str = "", trips: str = "") -> None:
        row = (label, median, high, anchor, ratio, target, verdict, trips)
        self.rows.append(row)
        if verdict == "MISS":
            self.misses.append(label)
        print("  " + " | ".join(part for part in row if part), flush=True)

    def section(self, title: str) -> None:
        self.rows.append((f"— {title}",))
        print(f"\n{title}", flush=True)

    def table(self) -> None:
        width = max(len(r[0]) for r in self.rows)
        head = ("measure", "median", "p95", "anchor", "ratio", "target", "", "trips")
        widths = (width, 9, 9, 9, 7, 26, 4, 5)
        print()
        print("  ".join(f"{h:<{w}}" if i == 0 else f"{h:>{w}}" if i < 5 else f"{h:<{w}}"
                        for i, (h, w) in enumerate(zip(head, widths))).rstrip())
        for row in self.rows:
            if len(row) == 1:
                print(row[0])
                continue
            print("  ".join(f"{c:<{w}}" if i == 0 else f"{c:>{w}}" if i < 5 else f"{c:<{w}}"
                            for i, (c, w) in enumerate(zip(row, widths))).rstrip())


def ms(value: float) -> str:
    return f"{value:.2f} ms" if value < 1 else f"{value:.1f} ms" if value < 100 else f"{value:.0f} ms"


def judge(report: Report, database: str, measured: Any, anchors: dict[str, list[float]]) -> None:
    """Each procmod row against its anchor, with its target as a ratio and its round trips."""
    from scripts.bench_screens import FORM, KEY, OPEN

    bare_push = statistics.median(anchors[BARE_PUSH])
    for label, values in measured.timer.results.items():
        kind, detail = measured.kinds[label]
        median, high = statistics.median(values), p95(values)
        trips = measured.timer.statements.get(label, [])
        trip_count = round(statistics.median(trips)) if trips else 0
        wire = measured.timer.wire_trips.get(label, [])
        on_wire = f"/{round(statistics.median(wire))}" if wire else ""
        first = "first" in label
        if kind in (OPEN, FORM):
            anchor = bare_push if kind == OPEN else statistics.median(anchors[f"bare: push a form of {detail} inputs"])
            ratio = median / anchor
            if first:
                target, ok = "≤ 2× and ≤ 50 ms", ratio <= 2 and median <= 50
            else:
                target, ok = "≤ 1.5×", ratio <= 1.5
            trip_text = f"{trip_count}{on_wire}"
            if trip_count > ROUND_TRIP_LIMIT and not label.startswith(("help", "palette", "add wizard, step 1",
                                                                        "add wizard, step 2")):
                trip_text += " !"
                report.heavy.append(f"{database}: {label}: {trip_count}")
        else:
            anchor = statistics.median(anchors[KEY_ANCHORS[detail]])
            ratio = median / anchor
            target, ok = "≤ 1.5×, p95 ≤ 3×", ratio <= 1.5 and high <= 3 * anchor
            trip_text = f"{trip_count}{on_wire}"
        if kind == FORM:
            label = f"{label} [{detail} inputs]"
        report.add(label, ms(median), ms(high), ms(anchor), f"{ratio:.2f}×", target,
                   "PASS" if ok else "MISS", trip_text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default=None, choices=("large", "medium", "small"))
    parser.add_argument("--quick", action="store_true", help="small scale, fewer repeats: a few minutes")
    parser.add_argument("--dir", default=str(Path(tempfile.gettempdir()) / "procmod-bench"))
    parser.add_argument("--reuse", action="store_true", help="keep an existing SQLite data set of that scale")
    parser.add_argument("--no-postgres", action="store_true", help="measure SQLite only")
    parser.add_argument("--postgres", default=os.environ.get("PROCMOD_TEST_POSTGRES_URL",
                                                             "postgresql://postgres@127.0.0.1:5432/test"),
                        help="a server where a throw-away database may be created and dropped")
    parser.add_argument("--pg-db", metavar="URL", help="measure this already seeded PostgreSQL database (kept) "
                        "instead of a throw-away one, e.g. one seeded with `procmod seed --scale xlarge`")
    parser.add_argument("--postgres-only", action="store_true", help="skip SQLite and the start-up rows")
    parser.add_argument("--child")
    parser.add_argument("--url")
    parser.add_argument("--launched")
    args = parser.parse_args()
    if args.child == "drain":
        drain_child(args.url, args.launched)
        return
    if args.child == "seed":
        seed_child(args.url, args.launched)
        return
    if args.child == "proxy":
        from scripts.bench_pg import proxy_child

        delay, ready = args.launched.split(":", 1)
        proxy_child(args.url, delay, ready)
        return
    if args.child:
        child(args.child, args.url, float(args.launched))
        return

    from cryptography.fernet import Fernet

    from procmod.core.secrets import ENV_SECRET_KEY
    from scripts.bench_anchors import anchors as measure_anchors
    from scripts.bench_pg import latency_proxy, round_trip_ms, throwaway_database
    from scripts.bench_screens import FORM, interactive

    scale = args.scale or ("small" if args.quick else "large")
    repeats, interactions, starts, settle = (2, 10, 3, 1.0) if args.quick else (4, 30, 7, 2.0)
    # One key for this run's data sets, handed to the child processes through the environment.
    os.environ.setdefault(ENV_SECRET_KEY, Fernet.generate_key().decode())
    report = Report()
    began = datetime.now(timezone.utc)
    data = f"PostgreSQL database {args.pg_db.rsplit('/', 1)[-1]}" if args.pg_db and args.postgres_only else f"{scale} scale"
    print(f"procmod benchmark, {data}{' (quick)' if args.quick else ''} — {machine()}; {load()}", flush=True)
    measured: dict[str, Any] = {}
    if not args.postgres_only:
        report.section("SQLite")
        sqlite_rows(args, report, scale, measured, (repeats, interactions, starts, settle))
    form_sizes = {detail for result in measured.values() for kind, detail in result.kinds.values() if kind == FORM}
    pg_error = pg_seed = ""
    if not args.no_postgres:
        try:
            with (nullcontext(args.pg_db) if args.pg_db else throwaway_database(args.postgres)) as pg_url:
                if not args.pg_db:
                    started = time.perf_counter()
                    subprocess.run([sys.executable, __file__, "--child", "seed", "--url", pg_url, "--launched", scale],
                                   cwd=ROOT, check=True)
                    pg_seed = f"{time.perf_counter() - started:.1f} s"
                measured["PostgreSQL"] = asyncio.run(interactive(pg_url, repeats=repeats, interactions=interactions,
                                                                 settle=settle))
                measured["PostgreSQL"].ping = round_trip_ms(pg_url)
                with latency_proxy(pg_url, 0.001, __file__) as (proxied, wire):
                    ping = round_trip_ms(proxied)
                    measured["PostgreSQL + 1 ms each way"] = asyncio.run(interactive(
                        proxied, repeats=repeats, interactions=interactions, settle=settle, wire=wire))
                    measured["PostgreSQL + 1 ms each way"].ping = ping
        except Exception as exc:  # noqa: BLE001 - no PostgreSQL here: say so, measure the rest
            pg_error = f"{type(exc).__name__}: {str(exc)[:200]}"
    form_sizes |= {detail for result in measured.values() for kind, detail in result.kinds.values() if kind == FORM}
    anchors = asyncio.run(measure_anchors(form_sizes, repeats + 1, interactions))

    for name, result in measured.items():
        if name != "SQLite":
            report.section(name + (f" ({args.pg_db.rsplit('/', 1)[-1]})" if args.pg_db else ""))
            if pg_seed and name == "PostgreSQL":
                report.add("create the data set (PostgreSQL, COPY)", pg_seed)
            report.add("a round trip (SELECT 1)", ms(statistics.median(result.ping)), ms(p95(result.ping)))
        judge(report, name, result, anchors)
        if name == "SQLite":
            report.add("resident memory after every screen", f"{result.memory:.0f} MB", target="≤ 200 MB",
                       verdict="PASS" if result.memory <= 200 else "MISS")
            tick = scheduler_tick(f"sqlite:///{Path(args.dir) / f'{scale}.db'}")
            report.add("scheduler tick, none due", f"{statistics.median(tick):.2f} ms", f"{p95(tick):.2f} ms",
                       target="≤ 5 ms", verdict="PASS" if statistics.median(tick) <= 5 else "MISS")
    if pg_error:
        report.section(f"PostgreSQL: not measured ({pg_error})")
    elif not args.quick and not args.no_postgres:
        throughput = claim_throughput(args.postgres)
        report.add("claim-and-record, 4 workers, PostgreSQL", f"{throughput:.0f} runs/s", target="≥ 500 runs/s",
                   verdict="PASS" if throughput >= 500 else "MISS")
    report.section("Anchors: a bare Textual app, same run, same harness")
    for label, values in anchors.items():
        report.add(label, ms(statistics.median(values)), ms(p95(values)))
    report.table()
    print(f"\nPASS {sum(r[6] == 'PASS' for r in report.rows if len(r) > 6)}, MISS {len(report.misses)}")
    print("trips: SQL statements + commits/rollbacks the screen sent (SQLAlchemy events); behind the proxy, "
          "/N adds the messages the proxy saw the console write (BEGIN included): its network round trips")
    from scripts.bench_services import ANCHORS as SERVICE_ANCHORS

    print(f"service operations' anchors: {SERVICE_ANCHORS}")
    if report.heavy:
        print(f"Screen opens over {ROUND_TRIP_LIMIT} round trips (statements + commits/rollbacks): "
              + "; ".join(report.heavy))
    print(f"\n{began:%Y-%m-%d %H:%M} UTC, {load()} at the end · command: python scripts/benchmark.py "
          + " ".join(sys.argv[1:]))


def sqlite_rows(args: Any, report: Report, scale: str, measured: dict[str, Any],
                counts: tuple[int, int, int, float]) -> None:
    """The SQLite data set, the start-up rows and the screens on SQLite."""
    from scripts.bench_screens import interactive, rss_mb

    repeats, interactions, starts, settle = counts
    directory = Path(args.dir)
    directory.mkdir(parents=True, exist_ok=True)
    db_file = directory / f"{scale}.db"
    url = f"sqlite:///{db_file}"
    if not (args.reuse and db_file.exists()):
        for stale in directory.glob(f"{scale}.db*"):
            stale.unlink()
        # In a process of its own, as `procmod seed` runs: the rows it builds must not count in this
        # process's memory, which the console's figure below is read from.
        started = time.perf_counter()
        subprocess.run([sys.executable, __file__, "--child", "seed", "--url", url, "--launched", scale],
                       cwd=ROOT, check=True)
        report.add("create the data set (SQLite)", f"{time.perf_counter() - started:.1f} s")

    # Bytecode for our own modules, as an installed procmod has it (pip compiles a wheel's modules; an
    # editable install writes them on first import, unless PYTHONDONTWRITEBYTECODE is set).
    import compileall

    for package in ("core", "storage", "tui", "scripts"):
        compileall.compile_dir(str(ROOT / package), quiet=1)
    bare = statistics.median(startup_times("bare", url, starts))
    for mode, label, limit in (("menu", "start to first painted screen (menu)", 1.1),
                               ("modules", "--open modules: start to rows shown", 1.5)):
        times = startup_times(mode, url, starts)
        ratio = statistics.median(times) / bare
        report.add(label, ms(statistics.median(times)), ms(p95(times)), ms(bare), f"{ratio:.2f}×",
                   f"≤ {limit}× bare start", "PASS" if ratio <= limit else "MISS")

    measured["SQLite"] = asyncio.run(interactive(url, repeats=repeats, interactions=interactions, settle=settle))
    measured["SQLite"].memory = rss_mb()

    # Service operations (issue 16), in the console, each beside its own in-run anchor (scripts/bench_services.py).
    from scripts.bench_services import rows as service_rows

    for row in service_rows(url, repeats=repeats, interactions=interactions):
        report.add(*row)

    # Reconciliation (issue 17): its own emulator and data set; the report anchored on the same panel read
    # alone, a key on the report screen while it reads anchored on the same key at rest.
    from scripts.bench_recon import rows as reconciliation_rows

    recon_db = directory / "reconciliation.db"
    for stale in directory.glob("reconciliation.db*"):
        stale.unlink()
    for row in reconciliation_rows(f"sqlite:///{recon_db}", repeats=2 if args.quick else 3,
                                   samples=30 if args.quick else 60):
        report.add(*row)


if __name__ == "__main__":
    main()

"""procmod's benchmark: the large data set, measured the way an operator meets it. Run on demand:

    .venv/bin/python scripts/benchmark.py                  # large scale on SQLite (+ PostgreSQL if reachable)
    .venv/bin/python scripts/benchmark.py --scale medium   # quicker
    .venv/bin/python scripts/benchmark.py --reuse          # keep an existing data set

Prints a table of medians and p95 with the machine's description. Real processes for start-up (a bare
Textual app measured in the same run gives the ratios), a headless app driven by keys for the screens,
and real worker processes for the scheduler. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import os
import platform
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

REPEATS = 7
INTERACTIONS = 30
SIZE = (120, 40)


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


def startup_times(mode: str, url: str) -> list[float]:
    times = []
    for _ in range(REPEATS):
        launched = time.time()
        out = subprocess.run([sys.executable, __file__, "--child", mode, "--url", url, "--launched", repr(launched)],
                             capture_output=True, text=True, timeout=120, cwd=ROOT,
                             env={**os.environ, "PROCMOD_DATABASE_URL": url})
        lines = [line for line in out.stdout.splitlines() if line.strip()]
        if out.returncode or not lines:
            raise RuntimeError(f"{mode} start failed: {out.stderr[-2000:]}")
        times.append(float(lines[-1]) * 1000)
    return times


# ---------------------------------------------------------------------- in-process measures

async def interactive(url: str, *, prepared: bool = True) -> dict[str, list[float]]:
    """Every screen measure, on a console made as the command line makes it. With `prepared` False, only the
    first opening of each list, on a console that composes each screen when it is first opened (as it
    does in the first half second after start, before it has prepared them)."""
    from procmod.core.backend import open_backend
    from procmod.tui.app import make_app

    backend = open_backend(url)
    app = make_app(backend, start="menu", prepare_screens=prepared)
    results: dict[str, list[float]] = {}

    # Latency = from the action to the last frame written for it: the spy on App._display stamps every
    # frame, so the pilot's own idle waits after that frame are not counted.
    frames: list[float] = []
    display = app._display

    def stamped(screen, renderable):  # noqa: ANN001, ANN202
        if renderable is not None:
            frames.append(time.perf_counter())
        return display(screen, renderable)

    app._display = stamped  # type: ignore[method-assign]

    async def timed(label: str, action: Callable[[], Awaitable[None] | None], pilot) -> None:  # noqa: ANN001
        from textual._wait import wait_for_idle

        await pilot.pause()
        frames.clear()
        # An action called directly (a screen opened without its key) is input to the console all the same:
        # it must not take it for a quiet moment (tui/idle_gc.py, screen preparing), as with a key it would not.
        app.note_input()
        started = time.perf_counter()
        outcome = action()
        if inspect.isawaitable(outcome):
            await outcome
        # Wait as `pilot.pause()` does (every message handled, then the process idle for one 20 ms slice,
        # longer than a frame interval, so every refresh asked for has been drawn), but without the frame
        # `pause()` forces at its end: that frame is the pilot's, not the app's.
        await pilot._wait_for_screen()  # noqa: SLF001 - the pilot's own wait, minus its forced frame
        await wait_for_idle(0)
        finished = frames[-1] if frames else time.perf_counter()
        results.setdefault(label, []).append((finished - started) * 1000)

    def key(name: str) -> Callable[[], None]:
        """A key as the terminal sends it (no pilot waits around it)."""
        from textual import events

        def send() -> None:
            event = events.Key(name, None)
            event.set_sender(app)
            app._driver.send_message(event)

        return send

    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        from procmod.tui.actions import DESTINATIONS

        if not prepared:
            for destination in DESTINATIONS:
                await timed(f"open a list screen, first time, not prepared ({len(DESTINATIONS)} lists)",
                            lambda d=destination: app.open_destination(d.id), pilot)
            backend.close()
            return results
        # The operator reads the menu for a moment: the console composes its list screens meanwhile
        # (tui/prepared_screens.py). Screens are kept once made: a first visit shows a prepared
        # screen, a later one re-reads a screen already shown. Both are measured, over every list.
        await asyncio.sleep(2.0)
        await pilot.pause()
        for destination in DESTINATIONS:
            await timed(f"open a list screen, first time ({len(DESTINATIONS)} lists)",
                        lambda d=destination: app.open_destination(d.id), pilot)
        for _ in range(3):
            for destination in DESTINATIONS:
                await timed(f"open a list screen again ({len(DESTINATIONS)} lists × 3)",
                            lambda d=destination: app.open_destination(d.id), pilot)
        for _ in range(5):
            app.open_destination("modules")
            await pilot.pause()
            await timed("open module card (1,000 tariffs)", lambda: app.open_card(1), pilot)
        app.open_destination("modules")
        await pilot.pause()
        screen = app.screen
        for _ in range(INTERACTIONS):
            await timed("cursor move", key("down"), pilot)
        for _ in range(INTERACTIONS):
            await timed("page down", key("pagedown"), pilot)
        for _ in range(10):
            await timed("next page (])", key("right_square_bracket"), pilot)
        for letters in ("cpanel 0", "vmmanager 1", "namecheap 00"):
            for index in range(1, len(letters) + 1):
                await timed("filter keystroke to repainted list",
                            lambda text=letters[:index]: apply_filter(screen, text), pilot)
        app.open_destination("services")
        await pilot.pause()
        services = app.screen
        for letters in ("client1", "client99", "client4242", "nt4242", "indigo"):  # the start, and inside
            for index in range(1, len(letters) + 1):
                await timed("filter keystroke (1M services)",
                            lambda text=letters[:index]: apply_filter(services, text), pilot)
        services.set_filter(text="")
        await pilot.pause()
        for _ in range(200):  # walk deep into the million, one keyset page at a time
            services.paged.next_page()
        await pilot.pause()
        for _ in range(10):
            await timed("next page at row 20,000 of 1M services", key("right_square_bracket"), pilot)
        results["resident memory after every screen (MB)"] = [rss_mb()]
    backend.close()
    return results


async def early_opens(url: str, delays: tuple[float, ...] = (0.5, 1.0), repeats: int = 5) -> dict[str, list[float]]:
    """The modules list opened soon after start, on a console made as the command line makes it (the
    database opening behind the menu, the lists prepared meanwhile): from the action to its last frame."""
    from textual._wait import wait_for_idle

    from procmod.core.backend import open_backend
    from procmod.tui.app import make_app

    results: dict[str, list[float]] = {}
    for delay in delays:
        for _ in range(repeats):
            app = make_app(lambda: open_backend(url), start="menu", prepare_screens=True)
            frames: list[float] = []
            display = app._display

            def stamped(screen, renderable, display=display, frames=frames):  # noqa: ANN001, ANN202
                if renderable is not None:
                    frames.append(time.perf_counter())
                return display(screen, renderable)

            app._display = stamped  # type: ignore[method-assign]
            async with app.run_test(size=SIZE) as pilot:
                while not frames:
                    await asyncio.sleep(0.002)
                while time.perf_counter() < frames[0] + delay:
                    await asyncio.sleep(0.002)
                frames.clear()
                app.note_input()
                started = time.perf_counter()
                app.open_destination("modules")
                await pilot._wait_for_screen()  # noqa: SLF001 - as in `interactive`
                await wait_for_idle(0)
                finished = frames[-1] if frames else time.perf_counter()
                results.setdefault(f"open modules {delay:.1f} s after the menu painted", []).append(
                    (finished - started) * 1000)
            if app.loaded_backend is not None:
                app.loaded_backend.close()
    return results


def apply_filter(screen, text: str) -> None:  # noqa: ANN001
    """What the debounced `/` filter does once typing pauses: the query and the repaint, not the wait."""
    screen.set_filter(text=text)


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


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


def service_operations(url: str) -> tuple[list[float], list[float]]:
    """The service card at the data set's size (a service with a history of operations and their API
    calls), and starting a bulk operation on 10,000 selected services (queued, not run). The jobs and
    calls written here are removed after."""
    from sqlalchemy import delete, func, select

    from procmod.core.backend import open_backend
    from procmod.storage.enums import JobState, ServiceStatus
    from procmod.storage.models import ApiCall, Job, Service

    backend = open_backend(url)
    operations = backend.operations
    with backend.db.write() as session:
        total = session.scalar(select(func.max(Service.id)))
        samples = [session.get(Service, service_id) for service_id in range(total // 7, total, total // 7)]
        samples = [service for service in samples if service is not None]
        now = backend.clock.now()
        made = []
        for service in samples:  # a history of 20 operations with 3 calls each, on each sampled service
            for n in range(20):
                job = Job(kind="suspend", state=JobState.SUCCEEDED, module_id=service.module_id, service_id=service.id,
                          attempts=1, created_by="bench", created_at=now, started_at=now, finished_at=now,
                          outcome="done")
                session.add(job)
                session.flush()
                made.append(job.id)
                session.add_all(ApiCall(module_id=service.module_id, at=now, operation="suspend account", method="GET",
                                        url="https://panel.example/json-api/suspendacct", status=200, duration_ms=40,
                                        job_id=job.id) for _ in range(3))
        selected = session.scalars(select(Service.id).where(Service.status == ServiceStatus.ACTIVE)
                                   .order_by(Service.id).limit(10_000)).all()
    card = []
    for _ in range(5):
        for service in samples:
            started = time.perf_counter()
            operations.card(service.id)
            card.append((time.perf_counter() - started) * 1000)
    bulk = []
    for _ in range(5):
        started = time.perf_counter()
        batch = operations.start_bulk("suspend", selected)
        bulk.append((time.perf_counter() - started) * 1000)
        with backend.db.write() as session:
            session.execute(delete(Job).where(Job.batch_id == batch))
            session.execute(delete(Job).where(Job.id == batch))
    with backend.db.write() as session:
        session.execute(delete(ApiCall).where(ApiCall.job_id.in_(made)))
        session.execute(delete(Job).where(Job.id.in_(made)))
    backend.close()
    return card, bulk


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


class Rows(list[tuple[str, str, str, str]]):
    """The report's rows: echoed as they are measured, then printed as one table."""

    def append(self, row: tuple[str, str, str, str]) -> None:
        super().append(row)
        print("  " + " | ".join(part for part in row if part), flush=True)

    def table(self) -> None:
        width = max(len(r[0]) for r in self)
        print(f"\n{'measure':<{width}}  {'median':>22}  {'p95':>10}  target")
        for label, median, high, target in self:
            print(f"{label:<{width}}  {median:>22}  {high:>10}  {target}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="large", choices=("large", "medium", "small"))
    parser.add_argument("--dir", default=str(Path(tempfile.gettempdir()) / "procmod-bench"))
    parser.add_argument("--reuse", action="store_true", help="keep an existing data set of that scale")
    parser.add_argument("--postgres", default=os.environ.get("PROCMOD_TEST_POSTGRES_URL",
                                                             "postgresql://postgres@127.0.0.1:5432/test"))
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
    if args.child:
        child(args.child, args.url, float(args.launched))
        return

    from cryptography.fernet import Fernet

    from procmod.core.secrets import ENV_SECRET_KEY

    # One key for this run's data set, handed to the child processes through the environment.
    os.environ.setdefault(ENV_SECRET_KEY, Fernet.generate_key().decode())
    directory = Path(args.dir)
    directory.mkdir(parents=True, exist_ok=True)
    db_file = directory / f"{args.scale}.db"
    url = f"sqlite:///{db_file}"
    rows = Rows()
    print(f"procmod benchmark, {args.scale} scale — {machine()}", flush=True)
    if not (args.reuse and db_file.exists()):
        for stale in directory.glob(f"{args.scale}.db*"):
            stale.unlink()
        # In a process of its own, as `procmod seed` runs: the rows it builds must not count in this
        # process's memory, which the console's figure below is read from.
        started = time.perf_counter()
        subprocess.run([sys.executable, __file__, "--child", "seed", "--url", url, "--launched", args.scale],
                       cwd=ROOT, check=True)
        seeding = time.perf_counter() - started
        rows.append(("create the data set (SQLite)", f"{seeding:.1f} s", "", "< 60 s"))

    # Bytecode for our own modules, as an installed procmod has it (pip compiles a wheel's modules; an
    # editable install writes them on first import, unless PYTHONDONTWRITEBYTECODE is set, as on the
    # benchmark machine, where every start would otherwise compile ~40 of our modules from source while
    # Textual's come compiled from site-packages).
    import compileall

    for package in ("core", "storage", "tui"):
        compileall.compile_dir(str(ROOT / package), quiet=1)
    bare = startup_times("bare", url)
    menu = startup_times("menu", url)
    modules = startup_times("modules", url)
    bare_median = statistics.median(bare)
    rows.append(("bare Textual app: start to first paint", f"{bare_median:.0f} ms", f"{p95(bare):.0f} ms", "reference"))
    rows.append(("procmod: start to first painted screen (menu)", f"{statistics.median(menu):.0f} ms "
                 f"({statistics.median(menu) / bare_median:.2f}×)", f"{p95(menu):.0f} ms", "≤ 1.3× bare"))
    rows.append(("procmod --open modules: start to rows shown", f"{statistics.median(modules):.0f} ms "
                 f"({statistics.median(modules) / bare_median:.2f}×)", f"{p95(modules):.0f} ms", "≤ 2.5× bare"))
    measured = asyncio.run(interactive(url))
    measured.update(asyncio.run(interactive(url, prepared=False)))
    measured.update(asyncio.run(early_opens(url)))
    targets = {"cursor move": "≤ 16 ms median, ≤ 50 ms p95", "page down": "≤ 16 ms median, ≤ 50 ms p95",
               "next page (])": "≤ 16 ms median, ≤ 50 ms p95",
               "filter keystroke to repainted list": "≤ 16 ms median, ≤ 50 ms p95",
               "filter keystroke (1M services)": "≤ 16 ms median, ≤ 50 ms p95",
               "next page at row 20,000 of 1M services": "≤ 16 ms median, ≤ 50 ms p95",
               "resident memory after every screen (MB)": "≤ 200 MB"}
    for label, values in measured.items():
        unit = "MB" if "MB" in label else "ms"
        rows.append((label, f"{statistics.median(values):.1f} {unit}", f"{p95(values):.1f} {unit}",
                     targets.get(label, "≤ 50 ms")))
    tick = scheduler_tick(url)
    rows.append(("scheduler tick, 30,000 tasks, none due", f"{statistics.median(tick):.2f} ms", f"{p95(tick):.2f} ms",
                 "≤ 5 ms"))
    card, bulk = service_operations(url)
    rows.append(("service card (20 operations with their calls)", f"{statistics.median(card):.1f} ms",
                 f"{p95(card):.1f} ms", "≤ 50 ms"))
    rows.append(("start a bulk operation on 10,000 selected", f"{statistics.median(bulk):.1f} ms",
                 f"{p95(bulk):.1f} ms", "≤ 100 ms"))
    try:
        throughput = claim_throughput(args.postgres)
        rows.append(("claim-and-record, 4 workers, PostgreSQL", f"{throughput:.0f} runs/s", "", "≥ 500 runs/s"))
    except Exception as exc:  # noqa: BLE001 - no PostgreSQL here: say so, measure the rest
        rows.append(("claim-and-record, 4 workers, PostgreSQL", f"not measured ({type(exc).__name__})", "", "≥ 500 runs/s"))
    rows.table()
    print(f"\n{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC · command: python scripts/benchmark.py --scale {args.scale}")


if __name__ == "__main__":
    main()

"""Service operations at scale (issue 16), measured in the console the way an operator meets them.

On the benchmark's data set (1,000,000 services at the large scale) plus a bench cPanel module pointed at a
loopback emulator run in a process of its own (as a panel is another machine), holding 11,000 accounts:
10,000 services named `bulk-NNNNN.bench` and 1,000 named `run-NNNN.bench`. A headless console made as the
command line makes it, its job engine served as with background tasks on (`serve_jobs`), driven by keys:

- **service card**: Enter on a service row (the list filtered to its name) → the card painted, for services
  spread over the data set with a history of 20 operations of 3 API calls each; first open and again.
  Anchor: a bare Textual push of a screen with a 100-row `DataTable` (scripts/bench_anchors.py), same run.
- **bulk start**: `/bulk-` (10,000 match), `*` (select all matching), `p`, → on the confirmation, Enter:
  *control back* is the first frame without the confirmation, *window* the first frame of the progress
  window, *counts* its first frame with the queued batch's counts. Anchor: Enter on Cancel of the same
  confirmation. The batch is then cancelled with `c` (what started finishes), and what ran is put back.
- **key during a bulk run**: on `/run-` (1,000 services), `*`, `p`, Enter, Esc (the run goes on): cursor
  moves (↓/↑ in turn, one every 30–60 ms) until the 1,000 suspends are done, each timed from the key to the
  first frame showing the cursor on its new row. Anchor: the same keys on the same list at rest, just
  before the run (and after it, for reference).

Every time runs from the key as the terminal sends it to a frame stamped by a spy on the app's display
(as in scripts/bench_harness.py), but stamped on the first frame that shows what is waited for: during a
bulk run other frames (progress, rows refreshed) come and go, so "the last frame" means nothing there.

Run alone: `python -m scripts.bench_services sqlite:///path.db` (a data set made by `procmod seed`);
scripts/benchmark.py adds its rows.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from scripts.bench_harness import SIZE, add_emulated_cpanel, key_sender  # noqa: E402 - after the path is set

BULK, RUN = 10_000, 1_000
BULK_TEXT, RUN_TEXT = "bulk-", "run-"
OPERATOR = "bench"
TOKEN = "WHMBENCH0123456789ABCDEF"
#: Target of each row (ms), from issue 16's Speed section.
CARD_MS, BULK_MS, KEY_MS = 50.0, 100.0, 16.0


# ---------------------------------------------------------------------- the emulator, in its own process

def emulator_child() -> None:
    """A cPanel emulator holding the bench's accounts; prints its address, serves until stdin closes."""
    from procmod.demo.emulators import start_cpanel
    from procmod.demo.emulators.cpanel import CpanelState

    state = CpanelState(api_token=TOKEN)
    for n in range(BULK):
        state.add_account(f"bk{n:05d}", f"bulk-{n:05d}.bench")
    for n in range(RUN):
        state.add_account(f"rn{n:04d}", f"run-{n:04d}.bench")
    handle = start_cpanel(https=True, state=state)
    print(json.dumps({"port": handle.port, "ca_file": handle.ca_file}), flush=True)
    sys.stdin.read()
    handle.stop()


@contextmanager
def emulator() -> Iterator[dict[str, Any]]:
    proc = subprocess.Popen([sys.executable, __file__, "--emulator"], cwd=ROOT, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        yield json.loads(proc.stdout.readline())
    finally:
        if proc.stdin is not None:
            proc.stdin.close()
        proc.wait(timeout=30)


# ---------------------------------------------------------------------- the bench's rows in the data set

@dataclass
class BenchData:
    module_id: int
    bulk_ids: list[int]
    run_ids: list[int]
    samples: list[tuple[int, str]]  # (service id, name): services given a history, spread over the data set
    made_jobs: list[int] = field(default_factory=list)


def add_bench_data(backend: Any, port: int, ca_file: str) -> BenchData:
    from sqlalchemy import func, insert, select

    from procmod.storage.enums import JobState, ServiceStatus, TariffStatus
    from procmod.storage.models import ApiCall, Job, ProcessingModule, Service, Tariff

    now = backend.clock.now()
    with backend.db.write() as session:
        department = session.scalar(select(func.min(ProcessingModule.department_id)))
        tariff = Tariff(name="Bench hosting (issue 16)", product_type="vhost", status=TariffStatus.ACTIVE,
                        price=Decimal("1"))
        session.add(tariff)
        session.flush()
        module = add_emulated_cpanel(session, backend, name="Bench cPanel (issue 16)", tariff_id=tariff.id,
                                     department_id=department, port=port, ca_file=ca_file, token=TOKEN)
        rows = [(f"bulk-{n:05d}.bench", f"bk{n:05d}") for n in range(BULK)] + [
            (f"run-{n:04d}.bench", f"rn{n:04d}") for n in range(RUN)]
        session.execute(insert(Service), [
            {"tariff_id": tariff.id, "module_id": module.id, "name": name, "remote_id": remote, "natural_key": remote,
             "status": ServiceStatus.ACTIVE, "address": name, "created_at": now} for name, remote in rows])
        ours = dict(session.execute(select(Service.name, Service.id).where(Service.module_id == module.id)).all())
        total = session.scalar(select(func.min(Service.id)).where(Service.module_id == module.id)) - 1
        samples = []
        for service_id in range(total // 7, total, total // 7):
            name = session.scalar(select(Service.name).where(Service.id == service_id))
            if name is not None:
                samples.append((service_id, name))
        made = []
        for service_id, _ in samples:  # a history of 20 operations with 3 calls each, on each sampled service
            module_of = session.scalar(select(Service.module_id).where(Service.id == service_id))
            for _ in range(20):
                job = Job(kind="suspend", state=JobState.SUCCEEDED, module_id=module_of, service_id=service_id,
                          attempts=1, created_by=OPERATOR, created_at=now, started_at=now, finished_at=now,
                          outcome="done")
                session.add(job)
                session.flush()
                made.append(job.id)
                session.add_all(ApiCall(module_id=module_of, at=now, operation="suspend account", method="GET",
                                        url="https://panel.example/json-api/suspendacct", status=200, duration_ms=40,
                                        job_id=job.id) for _ in range(3))
        module_id = module.id
    return BenchData(module_id, [ours[name] for name, _ in rows[:BULK]], [ours[name] for name, _ in rows[BULK:]],
                     samples, made)


def put_back(backend: Any, data: BenchData) -> None:
    """After a bulk: the bench's jobs, calls and audit entries gone, its services Active again."""
    from sqlalchemy import delete, or_, update

    from procmod.storage.enums import ServiceStatus
    from procmod.storage.models import ApiCall, AuditEntry, Job, Service

    with backend.db.write() as session:
        ours = or_(Job.module_id == data.module_id, Job.created_by == OPERATOR)
        session.execute(delete(ApiCall).where(ApiCall.module_id == data.module_id))
        session.execute(delete(Job).where(ours, Job.id.not_in(data.made_jobs)))
        session.execute(delete(AuditEntry).where(AuditEntry.actor == OPERATOR))
        session.execute(update(Service).where(Service.module_id == data.module_id)
                        .values(status=ServiceStatus.ACTIVE, attention=None))


def remove_bench_data(backend: Any, data: BenchData) -> None:
    from sqlalchemy import delete

    from procmod.storage.models import ApiCall, Job, Notification, ProcessingModule, Service, Tariff, TariffModule

    put_back(backend, data)
    with backend.db.write() as session:
        session.execute(delete(ApiCall).where(ApiCall.job_id.in_(data.made_jobs)))
        session.execute(delete(Job).where(Job.id.in_(data.made_jobs)))
        session.execute(delete(Service).where(Service.module_id == data.module_id))
        tariffs = [link.tariff_id for link in session.query(TariffModule).filter_by(module_id=data.module_id)]
        session.execute(delete(TariffModule).where(TariffModule.module_id == data.module_id))
        session.execute(delete(Tariff).where(Tariff.id.in_(tariffs)))
        session.execute(delete(Notification).where(Notification.module_id == data.module_id))
        session.execute(delete(ProcessingModule).where(ProcessingModule.id == data.module_id))


# ---------------------------------------------------------------------- timing frames

class FrameProbe:
    """Stamps the first frame, after an action, for which each of the given checks holds (it is given the
    screen the frame shows). Checks run on the app's thread as the frame is written."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self._waiting: dict[str, tuple[Callable[[Any], bool], asyncio.Future[float]]] = {}
        display = app._display

        def stamped(screen, renderable):  # noqa: ANN001, ANN202
            outcome = display(screen, renderable)
            if renderable is not None and self._waiting:
                now = time.perf_counter()
                for check, future in self._waiting.values():
                    if not future.done() and check(screen):
                        future.set_result(now)
            return outcome

        app._display = stamped

    def key(self, name: str, character: str | None = None) -> Callable[[], None]:
        """A key as the terminal sends it."""
        return key_sender(self.app, name, character)

    async def time(self, action: Callable[[], None], checks: dict[str, Callable[[Any], bool]],
                   timeout: float = 30.0) -> dict[str, float]:
        """Milliseconds from the action to the first frame satisfying each check."""
        loop = asyncio.get_running_loop()
        self._waiting = {name: (check, loop.create_future()) for name, check in checks.items()}
        note = getattr(self.app, "note_input", None)
        if note is not None:
            note()
        started = time.perf_counter()
        action()
        try:
            stamps = {name: await asyncio.wait_for(future, timeout) for name, (_, future) in self._waiting.items()}
        finally:
            self._waiting = {}
        return {name: (stamp - started) * 1000 for name, stamp in stamps.items()}


async def until(pilot: Any, condition: Callable[[], bool], timeout: float = 60.0, step: float = 0.02) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the console did not get there in time")
        await pilot.pause(step)


# ---------------------------------------------------------------------- the measures

@dataclass
class Times:
    card_first: list[float] = field(default_factory=list)
    card_again: list[float] = field(default_factory=list)
    bare_push: list[float] = field(default_factory=list)
    preview: list[float] = field(default_factory=list)
    control_back: list[float] = field(default_factory=list)
    window: list[float] = field(default_factory=list)
    progress: list[float] = field(default_factory=list)
    cancel_anchor: list[float] = field(default_factory=list)
    queued: int = 0
    at_rest: list[float] = field(default_factory=list)
    during: list[float] = field(default_factory=list)
    after: list[float] = field(default_factory=list)
    run_seconds: float = 0.0
    run_done: int = 0
    keys_while_running: int = 0


async def bare_push(times: Times, repeats: int) -> None:
    from scripts.bench_anchors import TablesApp, TableScreen

    app = TablesApp()
    probe = FrameProbe(app)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        for attempt in range(repeats * 2 + 1):
            took = await probe.time(lambda: app.push_screen(TableScreen()),
                                    {"shown": lambda s: isinstance(s, TableScreen)})
            if attempt:  # the first push (a new screen class) apart, as the main anchors keep it
                times.bare_push.append(took["shown"])
            await pilot.pause()
            app.pop_screen()
            await pilot.pause()


async def console(url: str, data: BenchData, times: Times, *, repeats: int, interactions: int) -> None:
    from procmod.core.backend import open_backend
    from procmod.tui.app import make_app
    from procmod.tui.screens.bulk_progress import BulkProgressScreen
    from procmod.tui.screens.confirm import ConfirmScreen
    from procmod.tui.screens.service_card import ServiceCardScreen
    from procmod.tui.screens.service_list import ServiceListScreen

    backend = open_backend(url, operator=OPERATOR)
    app = make_app(backend, start="menu", prepare_screens=True)
    probe = FrameProbe(app)
    key = probe.key
    try:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            app.serve_jobs()  # as the console with background tasks on runs operations
            await asyncio.sleep(1.0)  # the operator reads the menu: the lists are prepared meanwhile
            app.open_destination("services")
            await pilot.pause()
            listing = app.screen
            assert isinstance(listing, ServiceListScreen)
            depth = len(app.screen_stack)

            async def filtered(text: str) -> None:
                listing.set_filter(text=text)
                await until(pilot, lambda: bool(listing.paged.rows) and text in listing.paged.rows[0].name)
                await pilot.pause()

            async def leave() -> None:
                while len(app.screen_stack) > depth:
                    app.pop_screen()
                await pilot.pause()

            # -------------------------------------------------------- (a) the service card
            for attempt in range(repeats + 1):
                for service_id, name in data.samples:
                    await filtered(name)
                    took = await probe.time(key("enter"), {"card": lambda s, i=service_id: isinstance(
                        s, ServiceCardScreen) and s.card.id == i})
                    # The first card of the process composes and styles the screen class for the first time.
                    (times.card_again if times.card_first else times.card_first).append(took["card"])
                    await leave()

            # -------------------------------------------------------- (b) starting a bulk on 10,000
            await filtered(BULK_TEXT)

            async def confirmation() -> None:
                await pilot.pause()
                took = await probe.time(key("p", "p"), {"asked": lambda s: isinstance(s, ConfirmScreen)})
                times.preview.append(took["asked"])
                await pilot.pause()

            for _ in range(repeats + 1):
                await probe.time(key("asterisk", "*"), {"all": lambda s: listing.selected_filter is not None})
                await confirmation()
                # The anchor: the same confirmation answered Cancel (focused), the list painted again.
                took = await probe.time(key("enter"), {"back": lambda s: s is listing})
                times.cancel_anchor.append(took["back"])
                await confirmation()
                await pilot.press("right")  # to the operation's button
                took = await probe.time(key("enter"), {
                    "back": lambda s: not isinstance(s, ConfirmScreen),
                    "window": lambda s: isinstance(s, BulkProgressScreen),
                    "counts": lambda s: isinstance(s, BulkProgressScreen) and s.progress is not None})
                times.control_back.append(took["back"])
                times.window.append(took["window"])
                times.progress.append(took["counts"])
                progress = app.screen
                assert isinstance(progress, BulkProgressScreen) and progress.progress is not None
                times.queued = progress.progress.total
                await pilot.press("c")  # cancel: what started finishes, nothing new starts
                await until(pilot, lambda: progress.progress is not None and progress.progress.finished)
                await pilot.press("escape")
                await until(pilot, lambda: app.screen is listing)
                await asyncio.to_thread(put_back, backend, data)

            # -------------------------------------------------------- (c) a key during a bulk run of 1,000
            await filtered(RUN_TEXT)
            table = listing.paged.table
            spacing = random.Random(16)

            async def cursor_moves(count: int, into: list[float], while_: Callable[[], bool] = lambda: True) -> int:
                moved = 0
                for n in range(count):
                    if not while_():
                        break
                    direction = "down" if table.cursor_row % 2 == 0 else "up"
                    target = table.cursor_row + (1 if direction == "down" else -1)
                    took = await probe.time(key(direction), {"moved": lambda s, t=target: table.cursor_row == t})
                    into.append(took["moved"])
                    moved += 1
                    await asyncio.sleep(spacing.uniform(0.03, 0.06))
                return moved

            table.move_cursor(row=4)
            await pilot.pause()
            await cursor_moves(interactions, times.at_rest)
            await probe.time(key("asterisk", "*"), {"all": lambda s: listing.selected_filter is not None})
            await confirmation()
            await pilot.press("right")
            started = time.perf_counter()
            await probe.time(key("enter"), {"progress": lambda s: isinstance(s, BulkProgressScreen)
                                            and s.progress is not None})
            progress = app.screen
            assert isinstance(progress, BulkProgressScreen)
            batch_id = progress.batch_id
            await pilot.press("escape")  # the run goes on
            await until(pilot, lambda: app.screen is listing)
            state: dict[str, Any] = {"finished": False, "done": 0}

            async def follow() -> None:  # the batch's counts, read off the app's thread
                while not state["finished"]:
                    read = await asyncio.to_thread(backend.operations.batch_progress, batch_id)
                    state["finished"], state["done"] = read.finished, read.done
                    if not read.finished:
                        await asyncio.sleep(0.25)
                times.run_seconds = time.perf_counter() - started

            follower = asyncio.create_task(follow())
            times.keys_while_running = await cursor_moves(100_000, times.during, lambda: not state["finished"])
            await follower
            times.run_done = state["done"]
            await pilot.pause(0.5)
            await cursor_moves(interactions, times.after)
    finally:
        backend.close()


def measure(url: str, *, repeats: int = 2, interactions: int = 30) -> Times:
    from procmod.core.backend import open_backend

    times = Times()
    with emulator() as panel:
        backend = open_backend(url, operator=OPERATOR)
        data = add_bench_data(backend, panel["port"], panel["ca_file"])
        try:
            asyncio.run(console(url, data, times, repeats=repeats, interactions=interactions))
        finally:
            remove_bench_data(backend, data)
            backend.close()
    asyncio.run(bare_push(times, repeats))
    return times


# ---------------------------------------------------------------------- rows

def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def ms(value: float) -> str:
    return f"{value:.2f} ms" if value < 1 else f"{value:.1f} ms" if value < 100 else f"{value:.0f} ms"


def rows(url: str, *, repeats: int = 2, interactions: int = 30) -> list[tuple[str, ...]]:
    """(label, median, p95, anchor, ratio, target, verdict) rows for scripts/benchmark.py's table."""
    times = measure(url, repeats=repeats, interactions=interactions)
    out: list[tuple[str, ...]] = []

    def row(label: str, values: list[float], anchor: list[float], limit: float | None, target: str) -> None:
        median, base = statistics.median(values), statistics.median(anchor)
        verdict = "" if limit is None else "PASS" if median <= limit else "MISS"
        out.append((label, ms(median), ms(p95(values)), ms(base), f"{median / base:.2f}×", target, verdict))

    row("service card, Enter on a row: first open", times.card_first, times.bare_push, CARD_MS, "≤ 50 ms")
    row("service card, Enter on a row: again", times.card_again, times.bare_push, CARD_MS, "≤ 50 ms")
    row(f"bulk on {times.queued:,} selected: p → confirmation", times.preview, times.cancel_anchor, None, "")
    row(f"bulk on {times.queued:,}: confirm → control back", times.control_back, times.cancel_anchor, BULK_MS,
        "≤ 100 ms")
    row(f"bulk on {times.queued:,}: confirm → progress window painted", times.window, times.cancel_anchor,
        BULK_MS, "≤ 100 ms")
    row(f"bulk on {times.queued:,}: confirm → queued, counts painted", times.progress, times.cancel_anchor,
        BULK_MS, "≤ 100 ms")
    row(f"cursor move during a bulk run of {RUN:,} ({times.keys_while_running} keys)", times.during,
        times.at_rest, KEY_MS, "≤ 16 ms median")
    row("cursor move on the same list after the run", times.after, times.at_rest, None, "")
    out.append((f"the bulk run: {times.run_done:,} suspends against the emulator", f"{times.run_seconds:.1f} s",
                "", "", "", "", ""))
    return out


ANCHORS = ("card rows: a bare push of a screen with a 100-row DataTable; bulk rows: Cancel on the same "
           "confirmation; key rows: the same key on the same list at rest before the run")


def main() -> None:
    if sys.argv[1:] == ["--emulator"]:
        emulator_child()
        return
    from cryptography.fernet import Fernet

    from procmod.core.secrets import ENV_SECRET_KEY

    os.environ.setdefault(ENV_SECRET_KEY, Fernet.generate_key().decode())
    url = sys.argv[1]
    print(f"{'measure':62} {'median':>9} {'p95':>9} {'anchor':>9} {'ratio':>7}  target")
    for label, median, high, anchor, ratio, target, verdict in rows(url):
        print(f"{label:62} {median:>9} {high:>9} {anchor:>9} {ratio:>7}  {target} {verdict}")
    print(f"anchors: {ANCHORS}")


if __name__ == "__main__":
    main()

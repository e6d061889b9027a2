"""The benchmark's one harness: every measure, procmod's and the bare Textual anchors', is timed here the same way.

Latency = from the action to the last frame the app writes for it. A spy on `App._display` stamps every
frame; after the action we wait as the test pilot does (every message handled, then the process idle for
one 20 ms slice, longer than a frame interval, so every refresh asked for has been drawn) but without the
frame `pilot.pause()` forces at its end, which is the pilot's, not the app's.

While the app is busy with other work (a reconciliation reading a panel in a worker thread, repainting its
progress), the process is never idle and the last frame is not the key's: `timed_change` times the action
to the first frame painted once the key's change is there (the spy asks `changed()` at each frame).
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Awaitable, Callable
from typing import Any

SIZE = (120, 40)


class Timer:
    """Stamps an app's frames; `timed` records one measure (ms) and, with a counter, its SQL statements."""

    def __init__(self, app: Any, counter: Any = None, wire: Any = None) -> None:
        self.app = app
        self.counter = counter
        self.wire = wire
        self.wire_trips: dict[str, list[int]] = {}
        self.frames: list[float] = []
        self.results: dict[str, list[float]] = {}
        self.statements: dict[str, list[int]] = {}
        #: Set by `timed_change`: asked at each frame whether it shows the change waited for.
        self._changed: Callable[[], bool] | None = None
        self._changed_at: float | None = None
        self._changed_seen: Any = None  # an asyncio.Event, set by the frame that shows the change
        display = app._display

        def stamped(screen, renderable):  # noqa: ANN001, ANN202
            if renderable is not None:
                now = time.perf_counter()
                self.frames.append(now)
                if self._changed is not None and self._changed_at is None and self._changed():
                    self._changed_at = now
                    self._changed_seen.set()
            return display(screen, renderable)

        app._display = stamped

    async def timed(self, label: str, action: Callable[[], Awaitable[None] | None], pilot: Any) -> float:
        from textual._wait import wait_for_idle

        await pilot.pause()
        self.frames.clear()
        # An action called directly is input to the console all the same: it must not take it for a quiet
        # moment (tui/idle_gc.py, screen preparing), as with a key it would not.
        note = getattr(self.app, "note_input", None)
        if note is not None:
            note()
        before = self.counter.count if self.counter is not None else 0
        wire_before = self.wire.count if self.wire is not None else 0
        started = time.perf_counter()
        outcome = action()
        if inspect.isawaitable(outcome):
            await outcome
        await pilot._wait_for_screen()  # noqa: SLF001 - the pilot's own wait, minus its forced frame
        await wait_for_idle(0)
        finished = self.frames[-1] if self.frames else time.perf_counter()
        elapsed = (finished - started) * 1000
        self.results.setdefault(label, []).append(elapsed)
        if self.counter is not None:
            self.statements.setdefault(label, []).append(self.counter.count - before)
        if self.wire is not None:
            self.wire_trips.setdefault(label, []).append(self.wire.count - wire_before)
        return elapsed

    async def timed_change(self, label: str, action: Callable[[], None], changed: Callable[[], bool],
                           timeout: float = 5.0) -> float:
        """From the action to the first frame painted with `changed()` true (ms), recorded under `label`.
        For keys measured while the app repaints other things too: no wait for idle, no pilot frame."""
        import asyncio

        note = getattr(self.app, "note_input", None)
        if note is not None:
            note()
        self._changed, self._changed_at, self._changed_seen = changed, None, asyncio.Event()
        started = time.perf_counter()
        action()
        try:
            await asyncio.wait_for(self._changed_seen.wait(), timeout)
        finally:
            self._changed = None
        elapsed = (self._changed_at - started) * 1000
        self.results.setdefault(label, []).append(elapsed)
        return elapsed

    def key(self, name: str, character: str | None = None) -> Callable[[], None]:
        """A key as the terminal sends it (no pilot waits around it)."""
        return key_sender(self.app, name, character)


def key_sender(app: Any, name: str, character: str | None = None) -> Callable[[], None]:
    """A key as the terminal sends it: given to the app's driver, as a key read from the terminal would be."""
    from textual import events

    def send() -> None:
        event = events.Key(name, character)
        event.set_sender(app)
        app._driver.send_message(event)

    return send


def add_emulated_cpanel(session: Any, backend: Any, *, name: str, tariff_id: int, department_id: int, port: int,
                        ca_file: str, token: str) -> Any:
    """A cPanel module on a loopback emulator at `port` (its CA in `ca_file`, its API token sealed), linked
    to the tariff: the panel the reconciliation and service-operation benchmarks drive. Returns the module."""
    from procmod.storage.enums import ModuleStatus
    from procmod.storage.models import ProcessingModule, TariffModule

    now = backend.clock.now()
    module = ProcessingModule(
        name=name, module_type="cpanel", product_type="vhost", department_id=department_id,
        sort_priority=1, status=ModuleStatus.ENABLED, created_at=now, updated_at=now,
        settings={"host": "127.0.0.1", "port": port, "whm_user": "root", "ca_bundle": ca_file},
        secrets=backend.secrets.seal({"api_token": token}))
    session.add(module)
    session.flush()
    session.add(TariffModule(tariff_id=tariff_id, module_id=module.id))
    return module


class StatementCounter:
    """Database round trips a screen makes: SQL statements (SQLAlchemy's `before_cursor_execute`) plus
    transaction ends (commit / rollback), each one a message to the server and its answer."""

    def __init__(self, engine: Any) -> None:
        from sqlalchemy import event

        self.count = 0

        from procmod.storage.engine import is_read_only

        def one(*_: Any, **__: Any) -> None:
            self.count += 1

        def end(connection: Any) -> None:
            if not is_read_only(connection):  # a screen's read sends no COMMIT/ROLLBACK (Database.reads)
                self.count += 1

        event.listen(engine, "before_cursor_execute", one)
        event.listen(engine, "commit", end)
        event.listen(engine, "rollback", end)

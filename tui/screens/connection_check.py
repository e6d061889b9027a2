"""Check connection: a saved module's staged check (resolve, connect, TLS, authenticate, API version).

The check runs `backend.integrations.check_module` in a worker thread, which also stores the module's
health (the badge on the list and the card). The stages are listed from the start, waiting; each gets its
outcome, latency and message when the report arrives. The screen waits at most `WAIT_LIMIT_SECONDS`: then
it says it gave up (the check may still finish in the background and update the badge), and the console
never freezes on a panel that does not answer.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Static

from procmod.core.drivers import CheckReport, DriverError
from procmod.core.drivers.base import CheckStage, Stage, StageOutcome
from procmod.core.errors import NotFound
from procmod.tui.actions import bindings_for
from procmod.tui.screens.base import ConsoleScreen
from procmod.tui.screens.module_actions import ModuleRef

OUTCOME_WORDS = {StageOutcome.OK: "OK", StageOutcome.FAILED: "Failed", StageOutcome.SKIPPED: "Skipped"}


def stage_table(stages: dict[Stage, CheckStage], *, waiting: bool, finished: bool = False) -> Table:
    """Every stage in order: its outcome in words, its latency and its message (wrapped). A stage missing
    from a finished report was not tried; one missing without a report had no answer (or is awaited)."""
    table = Table(box=None, padding=(0, 1), show_edge=False, expand=True, header_style="bold")
    table.add_column("Stage", no_wrap=True)
    table.add_column("Result", no_wrap=True)
    table.add_column("Time", no_wrap=True, justify="right")
    table.add_column("Details", ratio=1, overflow="fold")
    for stage in Stage:
        done = stages.get(stage)
        if done is None and finished:
            done = CheckStage(stage, StageOutcome.SKIPPED, 0, "not tried: an earlier stage failed")
        if done is None:
            table.add_row(Text(stage.value), Text("…" if waiting else "—"), Text(""),
                          Text("waiting" if waiting else "no answer", style="italic"))
            continue
        latency = f"{done.latency_ms} ms" if done.outcome is not StageOutcome.SKIPPED else "—"
        table.add_row(Text(stage.value), Text(OUTCOME_WORDS[done.outcome], style="" if done.ok else "bold"),
                      Text(latency), Text(done.message))
    return table


class ConnectionCheckScreen(ConsoleScreen):
    SCREEN_ID = "check"
    BINDINGS = bindings_for("check")
    #: How long the screen waits for a check before it gives up waiting (and says so).
    WAIT_LIMIT_SECONDS: ClassVar[float] = 30.0

    @dataclass
    class Finished(Message):
        run: int
        report: CheckReport

    @dataclass
    class Failed(Message):
        run: int
        text: str
        hint: str = ""

    def __init__(self, module: ModuleRef) -> None:
        super().__init__()
        self.module = module
        self.run = 0
        self.busy = False
        self.report: CheckReport | None = None
        self._started = 0.0
        self._limit: Timer | None = None
        self._ticker: Timer | None = None

    @property
    def shown_module_id(self) -> int:
        return self.module.id

    def crumbs(self, *, first: bool) -> tuple[str, ...]:
        part = ("Check connection",)
        return ("Integration", "Processing modules", self.module.name, *part) if first else part

    def compose_content(self) -> ComposeResult:
        yield Static("", id="check-title")
        with VerticalScroll(id="check-body"):
            yield Static("", id="check-stages")
            yield Static("", id="check-summary")
            yield Static("", id="check-hint")

    def on_mount(self) -> None:
        self.query_one("#check-body").focus()
        self.start()

    # ------------------------------------------------------------------ running

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "check_again" and self.busy:
            return False
        return super().check_action(action, parameters)

    def action_check_again(self) -> None:
        if not self.busy:
            self.start()

    def start(self) -> None:
        self.run += 1
        self.busy = True
        self.report = None
        self._started = time.monotonic()
        self._show_stages({}, waiting=True)
        self._say("", "")
        self._tick()
        self._ticker = self.set_interval(1.0, self._tick)
        self._limit = self.set_timer(self.WAIT_LIMIT_SECONDS, lambda run=self.run: self._give_up(run))
        self.refresh_bindings()
        self._check(self.run, self.module)

    @work(thread=True, group="integration", exit_on_error=False)
    def _check(self, run: int, module: ModuleRef) -> None:
        try:
            report = self.backend.integrations.check_module(module.id)
        except DriverError as error:  # e.g. the module's secrets cannot be opened with this key
            self.post_message(self.Failed(run, error.message, error.hint))
        except NotFound as gone:
            self.post_message(self.Failed(run, str(gone)))
        else:
            self.post_message(self.Finished(run, report))

    def _tick(self) -> None:
        if self.busy:
            waited = int(time.monotonic() - self._started)
            self._title(f"Checking the connection of {self.module.name}… {waited} s")

    def _stop_timers(self) -> None:
        for timer in (self._limit, self._ticker):
            if timer is not None:
                timer.stop()
        self._limit = self._ticker = None

    def _give_up(self, run: int) -> None:
        if run != self.run or not self.busy:
            return
        self.busy = False
        self._stop_timers()
        self._title(f"Connection check of {self.module.name}: no answer")
        self._show_stages({}, waiting=False)
        self._say(f"Gave up waiting after {self.WAIT_LIMIT_SECONDS:g} s: the external system does not answer.",
                  "The check may still finish in the background and update the health badge; c checks again.",
                  failed=True)
        self.refresh_bindings()

    # ------------------------------------------------------------------ results

    def on_connection_check_screen_finished(self, event: Finished) -> None:
        if event.run != self.run:
            return  # an earlier run's late answer
        late = not self.busy
        self._done()
        report = self.report = event.report
        self._show_stages({s.stage: s for s in report.stages}, waiting=False, finished=True)
        self._title(f"Connection check of {self.module.name}" + (" (answered after the wait)" if late else ""))
        if report.ok:
            self._say(f"{report.summary}. The module's health is now OK.", "")
        else:
            hint = report.error.hint if report.error else ""
            self._say(report.summary, "" if hint and hint in report.summary else hint, failed=True)

    def on_connection_check_screen_failed(self, event: Failed) -> None:
        if event.run != self.run:
            return
        self._done()
        self._show_stages({}, waiting=False)
        self._title(f"Connection check of {self.module.name}: not run")
        self._say(event.text, event.hint, failed=True)

    def _done(self) -> None:
        self.busy = False
        self._stop_timers()
        self.refresh_bindings()

    # ------------------------------------------------------------------ drawing

    def _title(self, text: str) -> None:
        self.query_one("#check-title", Static).update(Text(text))

    def _show_stages(self, stages: dict[Stage, CheckStage], *, waiting: bool, finished: bool = False) -> None:
        self.query_one("#check-stages", Static).update(stage_table(stages, waiting=waiting, finished=finished))

    def _say(self, summary: str, hint: str, *, failed: bool = False) -> None:
        line = self.query_one("#check-summary", Static)
        line.update(Text(summary))
        line.set_class(bool(summary) and not failed, "-ok")
        line.set_class(failed, "-fail")
        self.query_one("#check-hint", Static).update(Text(hint))

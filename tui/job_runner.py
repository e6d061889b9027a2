"""The console's half of the job engine (core/jobs.py), kept apart from the app's other duties.

The console runs the same engine as `procmod worker`. With background tasks on (the command line's default)
it serves the engine on ONE long-lived thread of its own beside the scheduler's worker (a plain thread, not a
Textual worker: awaiting the console's workers must not wait for it), woken when this console queues a job,
stopped with the console (in-flight operations get a grace period, then are Interrupted); without them (`--no-scheduler`, tests) each queuing starts a short worker that drains
what is queued and ends, so Pilot tests can await it. The engine's listener (on its threads) only posts a
`JobEventPosted`; the events are gathered and shown at most every `JOB_REFRESH_SECONDS` as one `JobActivity`
to the screen on top and its pane, with a warning toast per failed operation.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from textual import work
from textual.message import Message

from procmod.storage.enums import JobState
from procmod.tui.messages import JobActivity

if TYPE_CHECKING:
    from procmod.core.jobs import JobEngine, JobEvent

JOB_REFRESH_SECONDS = 0.2
JOB_GRACE_SECONDS = 5.0


class JobEventPosted(Message):
    def __init__(self, event: JobEvent) -> None:
        super().__init__()
        self.event = event


class JobRunner:
    """Mixed into the app: `run_jobs()` after queuing, `job_engine`, and the events' way to the screens."""

    _job_engine: JobEngine | None = None
    _jobs_serving = False

    def _init_jobs(self) -> None:
        self._jobs_stop = threading.Event()
        self._pending_job_events: list[JobEvent] = []
        self._job_refresh_scheduled = False

    @property
    def job_engine(self) -> JobEngine:
        if self._job_engine is None:
            from procmod.core.worker import worker_id

            self._job_engine = self.backend.make_job_engine(  # type: ignore[attr-defined]
                worker_id=f"{worker_id()}:console", listener=self.relay_job_event)
        return self._job_engine

    def serve_jobs(self) -> None:
        """Serve the engine for the console's lifetime (with the scheduler): jobs of other consoles too."""
        if not self._jobs_serving and not self._jobs_stop.is_set():
            self._jobs_serving = True
            engine = self.job_engine
            threading.Thread(target=self._serve_jobs, args=(engine,), name="procmod-jobs", daemon=True).start()

    def run_jobs(self) -> None:
        """Jobs were queued here: wake the serving engine, or drain them in a short worker."""
        if self._jobs_serving:
            self.job_engine.wake()
        elif not self._jobs_stop.is_set():
            self._drain_jobs(self.job_engine)

    def stop_jobs(self) -> None:
        self._jobs_stop.set()
        if self._job_engine is not None:
            self._job_engine.wake()

    def _serve_jobs(self, engine: JobEngine) -> None:
        try:
            engine.serve(self._jobs_stop, poll=1.0)
        finally:
            engine.shutdown(grace=JOB_GRACE_SECONDS)

    @work(thread=True, group="jobs", exit_on_error=False, name="jobs")
    def _drain_jobs(self, engine: JobEngine) -> None:
        engine.drain(self._jobs_stop)
        if self._jobs_stop.is_set():
            engine.shutdown(grace=JOB_GRACE_SECONDS)

    def relay_job_event(self, event: JobEvent) -> None:
        """The engine's listener, on its threads: hand the event to the UI thread, nothing more."""
        try:
            self.post_message(JobEventPosted(event))  # type: ignore[attr-defined]
        except RuntimeError:
            pass  # the console closed its loop: nothing to show

    def on_job_event_posted(self, message: JobEventPosted) -> None:
        self._pending_job_events.append(message.event)
        if not self._job_refresh_scheduled:
            self._job_refresh_scheduled = True
            self.set_timer(JOB_REFRESH_SECONDS, self.show_job_activity)  # type: ignore[attr-defined]

    def show_job_activity(self) -> None:
        self._job_refresh_scheduled = False
        events, self._pending_job_events = tuple(self._pending_job_events), []
        if not events or not self.screen_stack:  # type: ignore[attr-defined]
            return
        self.pane_feed.invalidate()  # type: ignore[attr-defined]
        failed = [e for e in events if e.kind == "job_finished" and e.state is JobState.FAILED and e.batch_id is None]
        for event in failed[:3]:
            self.notify(event.message or "The operation failed", title="Operation failed",  # type: ignore[attr-defined]
                        severity="warning")
        from procmod.tui.screens.base import ConsoleScreen
        from procmod.tui.widgets.notifications_pane import NotificationsPane

        screen = self.screen  # type: ignore[attr-defined]
        shown = [screen]
        if not isinstance(screen, ConsoleScreen):
            shown += [s for s in self.screen_stack if isinstance(s, ConsoleScreen)][-1:]  # type: ignore[attr-defined]
        for target in shown:
            target.post_message(JobActivity(events))
            for pane in target.query(NotificationsPane):
                pane.post_message(JobActivity(events))

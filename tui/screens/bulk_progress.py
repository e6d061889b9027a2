"""The progress of a bulk operation: a bar with done and failed counts, cancellable (what started finishes,
nothing new starts), then a summary listing the failures. The counts are the batch's jobs by state (one
indexed count), read again as the job engine reports; closing this window leaves the operation running.

Opened on the confirmation's Enter, before the batch is queued (`queuing`): the window paints at once and
says what is being queued; whoever queues it (a worker) hands it the batch's first counts (`Read`), or why
nothing was queued (`NotQueued`). Queuing 10,000 services takes ~50 ms at 1M services: the window does not
wait for it to appear."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import ProgressBar, Static

from procmod.tui.actions import bindings_for

if TYPE_CHECKING:
    from procmod.core.services import BatchProgress
    from procmod.tui.console import ConsoleApp
    from procmod.tui.messages import JobActivity

FAILURES_SHOWN = 8


class BulkProgressScreen(ModalScreen[None]):
    SCREEN_ID = "bulk"
    BINDINGS = bindings_for("bulk")

    app: ConsoleApp  # type: ignore[assignment]

    class Read(Message):
        def __init__(self, progress: BatchProgress, failures: list[tuple[str, str]]) -> None:
            super().__init__()
            self.progress, self.failures = progress, failures

    class NotQueued(Message):
        def __init__(self, reason: str) -> None:
            super().__init__()
            self.reason = reason

    def __init__(self, batch_id: int | None, *, queuing: tuple[str, int] | None = None) -> None:
        """`batch_id` of a queued batch, or None with `queuing` = (operation, how many) while it is queued."""
        super().__init__()
        self.batch_id = batch_id
        self.queuing = queuing
        self.progress: BatchProgress | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="bulk-dialog"):
            yield Static("", id="bulk-title")
            yield ProgressBar(id="bulk-bar", show_eta=False)
            yield Static("", id="bulk-counts")
            yield Static("", id="bulk-summary")
            yield Static("c cancels (what started finishes) · Esc closes (the operation goes on)", id="bulk-keys")

    def on_mount(self) -> None:
        self.query_one(ProgressBar).can_focus = False
        if self.batch_id is not None:
            self.read_progress()
        elif self.queuing is not None:
            from procmod.core.services import OPERATIONS

            kind, count = self.queuing
            title = OPERATIONS[kind].title if kind in OPERATIONS else kind
            self.query_one("#bulk-title", Static).update(Text(f"{title}: queuing {count:,} service(s)…",
                                                              style="bold"))
            self.query_one("#bulk-counts", Static).update(Text(f"… queued 0 of {count:,}"))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel_batch" and (self.app.read_only or self.batch_id is None
                                         or (self.progress is not None and self.progress.finished)):
            return False
        return True

    @work(thread=True, group="bulk-progress", exit_on_error=False)
    def read_progress(self) -> None:
        if self.batch_id is not None:
            self._read()

    def _read(self) -> None:
        assert self.batch_id is not None
        operations = self.app.backend.operations
        progress = operations.batch_progress(self.batch_id)
        failures = operations.batch_failures(self.batch_id, FAILURES_SHOWN) if progress.finished else []
        self.post_message(self.Read(progress, failures))

    def on_bulk_progress_screen_read(self, message: Read) -> None:
        from procmod.core.services import OPERATIONS

        progress = self.progress = message.progress
        self.batch_id = progress.batch_id
        title = OPERATIONS[progress.kind].title if progress.kind in OPERATIONS else progress.kind
        self.query_one("#bulk-title", Static).update(Text(f"{title}: {progress.total:,} service(s), batch "
                                                          f"#{progress.batch_id}", style="bold"))
        bar = self.query_one(ProgressBar)
        bar.update(total=max(progress.total, 1), progress=progress.done)
        self.query_one("#bulk-counts", Static).update(Text(
            f"✓ done {progress.succeeded:,}  ✗ failed {progress.failed:,}  ▶ running {progress.running:,}  "
            f"… queued {progress.queued:,}" + (f"  – cancelled {progress.cancelled:,}" if progress.cancelled else "")))
        summary = self.query_one("#bulk-summary", Static)
        if progress.finished:
            text = Text(f"Finished: {progress.outcome or ''}", style="bold")
            for name, why in message.failures:
                text.append(f"\n✗ {name}: {why}", style="")
            if progress.failed > len(message.failures):
                text.append(f"\n… and {progress.failed - len(message.failures)} more in Failed operations")
            elif progress.failed:
                text.append("\nThey are in Failed operations (main menu): r retries there.")
            summary.update(text)
            self.query_one("#bulk-keys", Static).update("Esc closes")
        self.refresh_bindings()

    def on_bulk_progress_screen_not_queued(self, message: NotQueued) -> None:
        self.query_one("#bulk-summary", Static).update(Text(f"Nothing was queued: {message.reason}", style="bold"))
        self.query_one("#bulk-keys", Static).update("Esc closes")

    def on_job_activity(self, message: JobActivity) -> None:
        if self.batch_id is not None and self.batch_id in message.batch_ids:
            self.read_progress()

    def action_cancel_batch(self) -> None:
        self._cancel()

    @work(thread=True, group="bulk-cancel", exit_on_error=False)
    def _cancel(self) -> None:
        self.app.backend.operations.cancel_batch(self.batch_id)
        self._read()

    def action_close(self) -> None:
        self.dismiss(None)

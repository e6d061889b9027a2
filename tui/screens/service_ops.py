"""The operation keys of the Services list and the service card: Open, Suspend, Resume, Close, Transfer.

On the card they act on its service; on the list on the selection when there is one (a bulk operation,
confirmed with how many on which modules), else on the highlighted row. Everything that touches the
database or a panel runs in a thread worker that posts a message: the console is never blocked. The rules
(what applies to which service) are core's (`procmod.core.services.refusal`); a refusal is shown as it is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on, work
from textual.message import Message

from procmod.tui.screens.base import ConsoleScreen

if TYPE_CHECKING:
    from procmod.core.services import BulkPreview, Selection
    from procmod.tui.screens.bulk_progress import BulkProgressScreen

#: Operations that ask before they start, even on one service.
CONFIRM_SINGLE = frozenset({"close"})


class OperationNotice(Message):
    """What starting an operation on one service came to: a line for a toast, and whether it was queued."""

    def __init__(self, text: str, severity: str = "information", *, queued: bool = False) -> None:
        super().__init__()
        self.text, self.severity, self.queued = text, severity, queued


class BulkQueued(Message):
    """A bulk operation's batch is queued (its progress window is open already)."""


class BulkPreviewed(Message):
    def __init__(self, preview: BulkPreview, selection: Selection) -> None:
        super().__init__()
        self.preview, self.selection = preview, selection


class ServiceOperationKeys(ConsoleScreen):
    """Mixed into screens showing services. Subclasses say which service, or selection, the keys act on."""

    def target_service(self) -> tuple[int, str] | None:
        """(id, name) of the service a key acts on when nothing is selected."""
        raise NotImplementedError

    def selection(self) -> Selection | None:
        """The services selected for a bulk operation, or None."""
        return None

    # ------------------------------------------------------------------ keys

    def action_service_open(self) -> None:
        self.operate("open")

    def action_service_suspend(self) -> None:
        self.operate("suspend")

    def action_service_resume(self) -> None:
        self.operate("resume")

    def action_service_close(self) -> None:
        self.operate("close")

    def action_service_transfer(self) -> None:
        from procmod.core.services import Selection
        from procmod.tui.screens.transfer import TransferScreen

        selection = self.selection()
        if selection is None:
            target = self.target_service()
            if target is None:
                return
            selection = Selection(ids=frozenset({target[0]}))
        self.app.push_screen(TransferScreen(selection))

    def operate(self, kind: str) -> None:
        selection = self.selection()
        if selection is not None:
            self._preview(kind, selection)
            return
        target = self.target_service()
        if target is None:
            return
        service_id, name = target
        if kind in CONFIRM_SINGLE:
            from procmod.tui.screens.confirm import ConfirmScreen

            def answered(yes: bool | None) -> None:
                if yes:
                    self._start(kind, service_id)

            self.app.push_screen(ConfirmScreen(
                f"Close {name}?", f"{name} will be removed from its module's panel and become Deleted. "
                "This cannot be undone.", confirm_label="Close service"), answered)
            return
        self._start(kind, service_id)

    # ------------------------------------------------------------------ workers

    @work(thread=True, group="service-operation", exit_on_error=False)
    def _start(self, kind: str, service_id: int) -> None:
        from procmod.core.errors import NotFound
        from procmod.core.lifecycle import ReadOnly
        from procmod.core.services import OPERATIONS, OperationRefused, ServiceBusy

        try:
            self.backend.operations.start(kind, service_id)
        except (OperationRefused, ServiceBusy, NotFound, ReadOnly) as refused:
            self.post_message(OperationNotice(str(refused), "warning"))
            return
        self.post_message(OperationNotice(f"{OPERATIONS[kind].title} queued", queued=True))

    @work(thread=True, group="service-operation", exit_on_error=False)
    def _preview(self, kind: str, selection: Selection) -> None:
        self.post_message(BulkPreviewed(self.backend.operations.preview_bulk(kind, selection), selection))

    @on(BulkPreviewed)
    def _confirm_bulk(self, message: BulkPreviewed) -> None:
        from procmod.core.services import OPERATIONS
        from procmod.tui.screens.confirm import ConfirmScreen

        preview = message.preview
        if not preview.eligible:
            self.notify(f"{OPERATIONS[preview.kind].title} applies to none of the selected services.",
                        title="Nothing to do", severity="warning")
            return

        def answered(yes: bool | None) -> None:
            if yes:  # the progress window at once; the batch is queued behind it, in a worker
                from procmod.tui.screens.bulk_progress import BulkProgressScreen

                progress = BulkProgressScreen(None, queuing=(preview.kind, preview.eligible))
                # The worker first, so that its thread starts before the window is composed, not after.
                self._start_bulk(preview.kind, message.selection, progress)
                self.app.push_screen(progress)

        title = OPERATIONS[preview.kind].title
        self.app.push_screen(ConfirmScreen(f"{title} {preview.eligible} service(s)?", preview.summary,
                                           confirm_label=f"{title} {preview.eligible}"), answered)

    @work(thread=True, group="service-operation", exit_on_error=False)
    def _start_bulk(self, kind: str, selection: Selection, progress: BulkProgressScreen) -> None:
        from procmod.core.lifecycle import ReadOnly
        from procmod.core.services import OperationRefused

        operations = self.backend.operations
        try:
            batch_id = operations.start_bulk(kind, selection)
        except (OperationRefused, ReadOnly) as refused:
            progress.post_message(progress.NotQueued(str(refused)))
            return
        except Exception as failed:
            progress.post_message(progress.NotQueued(f"{type(failed).__name__}: {failed}"))
            raise
        progress.post_message(progress.Read(operations.batch_progress(batch_id), []))
        self.post_message(BulkQueued())

    @on(BulkQueued)
    def _bulk_queued(self) -> None:
        self.app.run_jobs()
        self.bulk_started()

    @on(OperationNotice)
    def _notice(self, message: OperationNotice) -> None:
        if message.queued:
            self.app.run_jobs()
        if message.text:
            self.notify(message.text, title="Service operation", severity=message.severity)  # type: ignore[arg-type]
            self.operation_noticed()

    def bulk_started(self) -> None:
        """A bulk operation was queued (the list clears its selection)."""

    def operation_noticed(self) -> None:
        """An operation was queued or refused (the card reads itself again)."""

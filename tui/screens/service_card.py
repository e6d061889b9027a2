"""The card of a service: what it is (name, tariff, module, remote id, status, dates), whether it needs
attention, and the history of its operations — who started each, when, the outcome, how long it took —
with the API calls of the highlighted one from the module's call log (secrets were masked when recorded).

Operation keys act on this service (tui/screens/service_ops.py); the card follows their progress live.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from procmod.core.errors import NotFound
from procmod.core.formatting import format_duration, format_time
from procmod.core.moduletypes import module_type
from procmod.storage.enums import JobState
from procmod.tui.actions import bindings_for
from procmod.tui.screens.module_card import _pairs
from procmod.tui.screens.service_ops import ServiceOperationKeys
from procmod.tui.widgets.row_table import RowTable

if TYPE_CHECKING:
    from procmod.core.services import OperationLine, ServiceCard
    from procmod.tui.messages import JobActivity

#: Each state in words and a glyph, readable without colour.
STATE_MARKS = {
    JobState.QUEUED: "… Queued", JobState.RUNNING: "▶ Running", JobState.SUCCEEDED: "✓ Done",
    JobState.FAILED: "✗ Failed", JobState.INTERRUPTED: "! Interrupted", JobState.CANCELLED: "– Cancelled",
}


class ServiceCardScreen(ServiceOperationKeys):
    SCREEN_ID = "service"
    AUTO_FOCUS = "#service-ops"
    BINDINGS = bindings_for("service")

    def __init__(self, card: ServiceCard) -> None:
        super().__init__()
        self.card = card

    def crumbs(self, *, first: bool) -> tuple[str, ...]:
        return ("Products", "Services", self.card.name) if first else (self.card.name,)

    def compose_content(self) -> ComposeResult:
        with VerticalScroll(id="service-card"):
            yield Static("", id="service-overview")
            yield Static("", id="service-attention")
            yield Static("Operations, newest first", classes="block-title")
            table = RowTable(id="service-ops", classes="related")
            for key, label in (("when", "Started"), ("who", "By"), ("op", "Operation"), ("state", "Result"),
                               ("duration", "Duration")):
                table.add_column(label, key=key)
            yield table
            yield Static("", id="service-op-detail")

    def on_mount(self) -> None:
        self.show_card()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Keys the module's type can never do (a registrar cannot suspend or close) are gone; the others
        stay, and say why when the service's state refuses them."""
        try:
            mtype = module_type(self.card.module_type)
        except KeyError:
            mtype = None
        if mtype is not None and ((action in ("service_suspend", "service_resume") and not mtype.suspends_services)
                                  or (action == "service_close" and not mtype.closes_services)):
            return False
        return super().check_action(action, parameters)

    def operate(self, kind: str) -> None:
        reason = self.card.refusal(kind)
        if reason is not None:
            self.notify(reason, title="Not possible", severity="warning")
            return
        super().operate(kind)

    def target_service(self) -> tuple[int, str] | None:
        return self.card.id, self.card.name

    # ------------------------------------------------------------------ drawing

    def show_card(self) -> None:
        card = self.card
        try:
            type_title = module_type(card.module_type).title
        except KeyError:
            type_title = card.module_type
        running = card.running
        status = card.status.label + (f"  ({running.title} {running.state.label.lower()})" if running else "")
        self.query_one("#service-overview", Static).update(_pairs([
            ("Service", card.name), ("Status", status), ("Tariff", card.tariff_name),
            ("Processing module", f"{card.module_name} ({type_title}, {card.module_status.label})"),
            ("Remote id", card.remote_id or "— (not opened on the panel)"),
            ("Created", format_time(card.created_at)),
        ]))
        attention = self.query_one("#service-attention", Static)
        attention.update(Text(f"! Needs attention: {card.attention}") if card.attention else "")
        attention.display = bool(card.attention)
        table = self.query_one("#service-ops", RowTable)
        table.set_rows([(str(line.job_id), self._cells(line)) for line in card.history])
        if not card.history:
            self.query_one("#service-op-detail", Static).update(Text("No operation has run on this service yet."))
        else:
            self._show_detail(table.cursor_key)
        self.refresh_bindings()

    @staticmethod
    def _cells(line: OperationLine) -> tuple[str, ...]:
        return (format_time(line.started_at or line.created_at), line.who, line.title,
                STATE_MARKS[line.state] + (f" (try {line.attempts})" if line.attempts > 1 else ""),
                format_duration(line.duration))

    def _show_detail(self, key: str | None) -> None:
        line = next((l for l in self.card.history if str(l.job_id) == key), None)
        detail = self.query_one("#service-op-detail", Static)
        if line is None:
            detail.update("")
            return
        text = Text()
        text.append(f"{line.title} #{line.job_id}: ", style="bold")
        text.append(line.outcome or STATE_MARKS[line.state])
        if line.hint:
            text.append(f"\nWhat to do: {line.hint}")
        text.append("\nAPI calls" if line.calls else "\nNo API call recorded for it", style="bold")
        for call in line.calls:
            answer = str(call.status) if call.status is not None else "—"
            text.append(f"\n  {format_time(call.at)}  {call.method} {answer}  {call.duration_ms} ms  {call.operation}")
            text.append(f"\n    {call.url}")
            if call.error:
                text.append(f"\n    {call.error}")
        detail.update(text)

    @on(RowTable.RowHighlighted, "#service-ops")
    def _highlighted(self, event: RowTable.RowHighlighted) -> None:
        self._show_detail(event.row_key)

    # ------------------------------------------------------------------ keeping up

    def reread(self) -> None:
        try:
            self.card = self.backend.operations.card(self.card.id)
        except NotFound as gone:
            self.notify(str(gone), title="Not found", severity="warning")
            return
        self.show_card()

    def refresh_content(self) -> None:
        self.reread()

    def action_reload(self) -> None:
        self.reread()

    def operation_noticed(self) -> None:
        self.reread()

    def on_job_activity(self, message: JobActivity) -> None:
        if self.card.id in message.service_ids:
            self.reread()

    def action_service_module(self) -> None:
        self.app.open_card(self.card.module_id)

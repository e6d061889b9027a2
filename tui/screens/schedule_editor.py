"""Edit a background task's cron schedule and whether it runs. The schedule is checked as it is typed
(croniter's reason inline; "this schedule never runs" for 30 February) and the next three run times are
shown; Ok saves through `set_task_schedule`."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Checkbox, Input, Static

from procmod.core.dto import TaskRow
from procmod.core.formatting import format_time
from procmod.core.lifecycle import next_run_times, validate_cron
from procmod.core.validation import ValidationError
from procmod.tui.screens.command_dialog import CommandDialog
from procmod.tui.widgets.inputs import InOrderInput
from procmod.tui.widgets.ticks import TickBox

TIME_ZONE = "UTC"


class ScheduleScreen(CommandDialog):
    """Dismisses True when saved, False when cancelled."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", tooltip="Close without changing the schedule", id="schedule.cancel"),
        Binding("ctrl+s", "save", "Ok", tooltip="Save the schedule", id="schedule.save"),
    ]

    def __init__(self, task: TaskRow) -> None:
        super().__init__()
        self.task_row = task
        self.error = ""
        self.next_runs: list[str] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="schedule-dialog"):
            yield Static(Text(f"Schedule of {self.task_row.name} · {self.task_row.module_name}"), id="dialog-title")
            yield Static(Text("Cron, five fields: minute hour day month weekday (times in UTC)"), id="dialog-hint")
            field = InOrderInput(self.task_row.schedule, id="schedule-text", compact=True, max_length=100)
            field.cursor_blink = False
            yield field
            yield Static("", id="dialog-error")
            yield Static("", id="schedule-runs")
            yield TickBox(self.task_row.enabled, words=("enabled: the task runs on this schedule",
                                                        "disabled: the task does not run"),
                          id="schedule-enabled", compact=True)
            with Horizontal(id="dialog-buttons"):
                yield Button("Cancel", id="dialog-cancel", compact=True)
                yield Button("Ok", id="dialog-ok", variant="primary", compact=True)

    def on_mount(self) -> None:
        self._check(self.task_row.schedule)
        self.query_one("#schedule-text", Input).focus()

    @on(Input.Changed, "#schedule-text")
    def _typed(self, event: Input.Changed) -> None:
        self._check(event.value)

    def _check(self, text: str) -> None:
        try:
            normalized = validate_cron(text)
            runs = next_run_times(normalized, self.backend.clock.now(), 3, TIME_ZONE)
        except ValidationError as invalid:
            self.error = "; ".join(invalid.errors.values())
            self.next_runs = []
        except ValueError as unwalkable:  # croniter's own errors, whatever validation missed: shown, never fatal
            self.error = f"Invalid cron expression: {unwalkable}"
            self.next_runs = []
        else:
            self.error = ""
            self.next_runs = [format_time(r) for r in runs]
        self.query_one("#dialog-error", Static).update(Text(self.error))
        self.query_one("#schedule-runs", Static).update(
            Text("Next runs: " + ", ".join(self.next_runs)) if self.next_runs else Text(""))
        self.query_one("#dialog-ok", Button).disabled = bool(self.error)

    @on(Input.Submitted, "#schedule-text")
    @on(Button.Pressed, "#dialog-ok")
    def action_save(self) -> None:
        if self.error:
            return
        schedule, enabled = self.query_one("#schedule-text", Input).value, self.query_one(Checkbox).value
        self.submit(lambda: self.backend.commands.set_task_schedule(self.task_row.id, schedule, enabled))

    def show_error(self, text: str) -> None:
        self.error = text
        super().show_error(text)

"""Export the list shown (every page, with its filters) to a file: asks for the path, writes in a worker,
says how many rows were written. CSV, or JSON when the path ends in .json (core/export.py)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

if TYPE_CHECKING:
    from procmod.core.backend import Backend


def default_path(list_name: str, now: datetime) -> str:
    """In the home directory, named after the list and the time (`~` is expanded when writing)."""
    return f"~/procmod-{list_name}-{now:%Y%m%d-%H%M}.csv"


class ExportScreen(ModalScreen[str | None]):
    """Dismisses with what to tell the operator once written (None: cancelled)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", show=False, id="export.cancel")]

    def __init__(self, list_name: str, flt: Any, described: str, now: datetime) -> None:
        super().__init__()
        self.list_name = list_name
        self.flt = flt
        self.described = described
        self.now = now
        self.busy = False

    @property
    def backend(self) -> Backend:
        return self.app.backend  # type: ignore[attr-defined]

    def compose(self) -> ComposeResult:
        with Vertical(id="schedule-dialog"):
            yield Static(Text(f"Export {self.list_name}", style="bold"), id="dialog-title")
            yield Static(Text(f"Every page of the list, {self.described}. CSV, or JSON when the name ends "
                              "in .json. Enter writes, Esc cancels."), id="dialog-hint")
            yield Input(value=default_path(self.list_name, self.now), id="export-path")
            yield Static("", id="dialog-error")

    @on(Input.Submitted, "#export-path")
    def write(self, event: Input.Submitted) -> None:
        if self.busy:
            return
        path = Path(event.value.strip()).expanduser()
        if not event.value.strip():
            self.show_error("Type the path of the file to write.")
            return
        if not path.parent.is_dir():
            self.show_error(f"The directory {path.parent} does not exist; nothing was written.")
            return
        if path.is_dir():
            self.show_error(f"{path} is a directory: add a file name.")
            return
        self.busy = True
        self.query_one("#dialog-hint", Static).update(Text(f"Writing {path}…"))
        self._export(path, "json" if path.suffix.lower() == ".json" else "csv")

    @work(thread=True, group="export", exit_on_error=False)
    def _export(self, path: Path, fmt: str) -> None:
        from procmod.core.export import export

        try:
            with path.open("w", encoding="utf-8", newline="") as out:
                count = export(self.backend, self.list_name, self.flt, fmt, out)
        except OSError as failed:
            self.app.call_from_thread(self._failed, f"Could not write {path}: {failed.strerror or failed}")
            return
        self.app.call_from_thread(self.dismiss, f"{count:,} rows written to {path} ({fmt.upper()}).")

    def _failed(self, text: str) -> None:
        self.busy = False
        self.show_error(text)

    def show_error(self, text: str) -> None:
        self.query_one("#dialog-error", Static).update(Text(text))

    def action_cancel(self) -> None:
        if not self.busy:
            self.dismiss(None)

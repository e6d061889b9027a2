"""Transfer services to another processing module (the manual's "manually transfer them to another
processing module"): choose an enabled module of the same type and a tariff it serves, check the target
panel for each service (the account, the VM, the domain), then move those found there (one transaction per
batch, each an audit entry) and, for the others, Open them on the target (a real Open there, then the move)
or leave them. Nothing is moved half-way."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Button, Select, Static

from procmod.tui.actions import bindings_for
from procmod.tui.screens.base import ConsoleScreen

if TYPE_CHECKING:
    from procmod.core.services import Selection, TransferCheck, TransferTarget

LISTED = 6


class TransferScreen(ConsoleScreen):
    SCREEN_ID = "transfer"
    BINDINGS = bindings_for("transfer")
    AUTO_FOCUS = "#transfer-module"

    class Loaded(Message):
        def __init__(self, targets: list[TransferTarget] | None = None, check: TransferCheck | None = None,
                     error: str | None = None, moved: int | None = None, batch_id: int | None = None) -> None:
            super().__init__()
            self.targets, self.check, self.error, self.moved, self.batch_id = targets, check, error, moved, batch_id

    def __init__(self, selection: Selection) -> None:
        super().__init__()
        self.selection = selection
        self.targets: list[TransferTarget] = []
        self.check: TransferCheck | None = None

    def crumbs(self, *, first: bool) -> tuple[str, ...]:
        return ("Products", "Services", "Transfer") if first else ("Transfer",)

    def compose_content(self) -> ComposeResult:
        with VerticalScroll(id="transfer"):
            yield Static("Move to an enabled module of the same type, and a tariff it serves:", id="transfer-title")
            yield Select([], prompt="Target module", id="transfer-module", compact=True)
            yield Select([], prompt="Tariff on the target", id="transfer-tariff", compact=True)
            yield Button("Check the target panel", id="transfer-check", compact=True)
            yield Static("", id="transfer-report")

    def on_mount(self) -> None:
        self._load_targets()

    @work(thread=True, group="transfer", exit_on_error=False)
    def _load_targets(self) -> None:
        from procmod.core.services import OperationRefused

        try:
            self.post_message(self.Loaded(targets=self.backend.operations.transfer_targets(self.selection)))
        except OperationRefused as refused:
            self.post_message(self.Loaded(error=str(refused)))

    def _report(self, text: Text | str) -> None:
        self.query_one("#transfer-report", Static).update(text)

    def on_transfer_screen_loaded(self, message: Loaded) -> None:
        if message.error:
            self._report(Text(message.error))
            self.notify(message.error, title="Transfer", severity="warning")
            return
        if message.targets is not None:
            self.targets = message.targets
            modules = self.query_one("#transfer-module", Select)
            modules.set_options([(t.name, t.module_id) for t in self.targets])
            if not self.targets:
                self._report("No other enabled module of this type: add or enable one first.")
            elif len(self.targets) == 1:
                modules.value = self.targets[0].module_id
        if message.check is not None:
            self.check = message.check
            self._show_check(message.check)
        if message.moved is not None:
            self.notify(f"{message.moved} service(s) moved to {self.check.target_name if self.check else 'the target'}",
                        title="Transfer")
            self.check = None
            self._report(Text(f"Moved {message.moved} service(s). Check again to see what is left."))
        if message.batch_id is not None:
            from procmod.tui.screens.bulk_progress import BulkProgressScreen

            self.app.run_jobs()
            self.app.push_screen(BulkProgressScreen(message.batch_id))
        self.refresh_bindings()

    @on(Select.Changed, "#transfer-module")
    def _module_chosen(self, event: Select.Changed) -> None:
        target = next((t for t in self.targets if t.module_id == event.value), None)
        tariffs = self.query_one("#transfer-tariff", Select)
        tariffs.set_options([(name, tariff_id) for tariff_id, name in (target.tariffs if target else ())])
        if target is not None and len(target.tariffs) == 1:
            tariffs.value = target.tariffs[0][0]
        self.check = None
        self.refresh_bindings()

    def _choice(self) -> tuple[int, int] | None:
        module = self.query_one("#transfer-module", Select).value
        tariff = self.query_one("#transfer-tariff", Select).value
        if not isinstance(module, int) or not isinstance(tariff, int):
            return None
        return module, tariff

    @on(Button.Pressed, "#transfer-check")
    def _check_pressed(self) -> None:
        choice = self._choice()
        if choice is None:
            self.notify("Choose the target module and a tariff it serves first.", title="Transfer", severity="warning")
            return
        self._report("Reading the target panel…")
        self._check(choice[0])

    @work(thread=True, group="transfer", exit_on_error=False)
    def _check(self, module_id: int) -> None:
        from procmod.core.drivers import DriverError
        from procmod.core.services import OperationRefused

        try:
            self.post_message(self.Loaded(check=self.backend.operations.check_transfer(self.selection, module_id)))
        except (DriverError, OperationRefused) as failure:
            self.post_message(self.Loaded(error=f"Could not read the target panel: {failure}"))

    def _show_check(self, check: TransferCheck) -> None:
        text = Text()
        text.append(f"On {check.target_name}: {len(check.found)} found, {len(check.missing)} not found", style="bold")
        for title, items in (("Found there (ctrl+s moves them)", check.found),
                             ("Not there (ctrl+o opens them there, then moves them; or leave them)", check.missing)):
            if items:
                text.append(f"\n{title}:")
                for item in items[:LISTED]:
                    where = f" → {item.target_remote_id}" if item.target_remote_id else ""
                    text.append(f"\n  {item.name} ({item.status.label}){where}")
                if len(items) > LISTED:
                    text.append(f"\n  … and {len(items) - LISTED} more")
        for name, why in check.refused[:LISTED]:
            text.append(f"\nLeft out: {name}: {why}")
        self._report(text)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "move" and (self.check is None or not self.check.found):
            return None
        if action == "open_missing" and (self.check is None or not self.check.missing):
            return None
        return super().check_action(action, parameters)

    def action_move(self) -> None:
        choice, check = self._choice(), self.check
        if choice is not None and check is not None and check.found:
            self._move(check, choice[1])

    @work(thread=True, group="transfer", exit_on_error=False)
    def _move(self, check: TransferCheck, tariff_id: int) -> None:
        from procmod.core.services import OperationRefused

        try:
            moved = self.backend.operations.transfer(check.found, check.target_module_id, tariff_id)
        except OperationRefused as refused:
            self.post_message(self.Loaded(error=str(refused)))
            return
        self.post_message(self.Loaded(moved=moved))

    def action_open_missing(self) -> None:
        choice, check = self._choice(), self.check
        if choice is None or check is None or not check.missing:
            return
        from procmod.tui.screens.confirm import ConfirmScreen

        def answered(yes: bool | None) -> None:
            if yes:
                self._open(check, choice[1])

        self.app.push_screen(ConfirmScreen(
            f"Open {len(check.missing)} service(s) on {check.target_name}?",
            f"Each is created on {check.target_name}'s panel, then moved there. The objects on the old panel stay "
            "as they are.", confirm_label=f"Open {len(check.missing)}"), answered)

    @work(thread=True, group="transfer", exit_on_error=False)
    def _open(self, check: TransferCheck, tariff_id: int) -> None:
        from procmod.core.services import OperationRefused

        try:
            batch = self.backend.operations.open_on_target(check.missing, check.target_module_id, tariff_id)
        except OperationRefused as refused:
            self.post_message(self.Loaded(error=str(refused)))
            return
        self.check = None
        self.post_message(self.Loaded(batch_id=batch))

    def refresh_content(self) -> None:
        self.refresh_bindings()


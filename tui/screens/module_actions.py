"""Enable, Disable and Delete of a processing module, shared by the list, the card and the delete pre-check.

Disable asks first (existing services keep running, no new ones are placed). Delete looks for blockers:
with any, the pre-check screen lists them with a key to each fix; with none, a confirmation (Cancel
focused) and the delete in a worker. A blocker that appeared meanwhile (another operator) comes back from
the delete itself and is shown the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import work
from textual.message import Message

from procmod.core.errors import Blocker, DeleteBlocked, NotFound
from procmod.tui.screens.base import ConsoleScreen
from procmod.tui.screens.confirm import ConfirmScreen


@dataclass(frozen=True)
class ModuleRef:
    id: int
    name: str


class ModuleActions(ConsoleScreen):
    """A console screen acting on one module at a time: subclasses say which with `target_module`."""

    @dataclass
    class Changed(Message):
        module: ModuleRef
        text: str

    @dataclass
    class Deleted(Message):
        module: ModuleRef

    @dataclass
    class Blocked(Message):
        module: ModuleRef
        blockers: list[Blocker]

    @dataclass
    class Failed(Message):
        text: str

    def target_module(self) -> ModuleRef | None:
        raise NotImplementedError

    def module_changed(self) -> None:
        """The module was enabled, disabled or deleted: show it."""
        self.refresh_content()

    # ------------------------------------------------------------------ enable / disable

    def action_enable_module(self) -> None:
        if (module := self.target_module()) is not None:
            self._set_enabled(module, True)

    def action_disable_module(self) -> None:
        module = self.target_module()
        if module is None:
            return

        def answered(disable: bool | None) -> None:
            if disable:
                self._set_enabled(module, False)

        self.app.push_screen(ConfirmScreen(
            f"Disable {module.name}?",
            "Existing services on this module keep running; no new services will be placed on it until it "
            "is enabled again.", confirm_label="Disable"), answered)

    @work(thread=True, group="lifecycle", exit_on_error=False)
    def _set_enabled(self, module: ModuleRef, enabled: bool) -> None:
        try:
            self.backend.commands.set_module_enabled(module.id, enabled)
        except NotFound as gone:
            self.post_message(self.Failed(str(gone)))
        else:
            self.post_message(self.Changed(module, f"{'Enabled' if enabled else 'Disabled'} {module.name}"))

    # ------------------------------------------------------------------ delete

    def action_delete_module(self) -> None:
        module = self.target_module()
        if module is None:
            return
        try:
            blockers = self.backend.commands.delete_blockers(module.id)
        except NotFound as gone:
            self.notify(str(gone), title="Not found", severity="warning")
            return
        if blockers:
            self.show_blockers(module, blockers)
        else:
            self.confirm_delete(module)

    def show_blockers(self, module: ModuleRef, blockers: list[Blocker]) -> None:
        from procmod.tui.screens.delete_check import DeleteCheckScreen

        self.app.push_screen(DeleteCheckScreen(module, blockers))

    def confirm_delete(self, module: ModuleRef) -> None:
        def answered(delete: bool | None) -> None:
            if delete:
                self._delete(module)

        self.app.push_screen(ConfirmScreen(
            f"Delete {module.name}?", "Nothing blocks it: no active tariff links it, no service or task is left "
            "on it. The module, its settings, its background tasks and its links to disabled or archived tariffs "
            "are deleted; this cannot be undone. Its audit history is kept.",
            confirm_label="Delete"), answered)

    @work(thread=True, group="lifecycle", exit_on_error=False)
    def _delete(self, module: ModuleRef) -> None:
        try:
            self.backend.commands.delete_module(module.id)
        except DeleteBlocked as blocked:
            self.post_message(self.Blocked(module, blocked.blockers))
        except NotFound as gone:
            self.post_message(self.Failed(str(gone)))
        else:
            self.post_message(self.Deleted(module))

    # ------------------------------------------------------------------ results

    def on_module_actions_changed(self, event: Changed) -> None:
        self.notify(event.text, title="Processing modules")
        self.app.pane_feed.invalidate()  # e.g. a balance read below the minimum raised a notification
        self.apply_pane()
        self.module_changed()

    def on_module_actions_failed(self, event: Failed) -> None:
        self.notify(event.text, title="Not done", severity="warning")

    def on_module_actions_blocked(self, event: Blocked) -> None:
        self.notify("Something now blocks the delete (another operator acted meanwhile).",
                    title="Not deleted", severity="warning")
        self.show_blockers(event.module, event.blockers)

    def on_module_actions_deleted(self, event: Deleted) -> None:
        self.app.pane_feed.invalidate()  # its notifications went with it
        # Leave the screens about the deleted module (its card, its pre-check).
        while len(self.app.screen_stack) > 1 and getattr(self.app.screen, "shown_module_id", None) == event.module.id:
            self.app.pop_screen()
        self.app.notify(f"Deleted {event.module.name}", title="Processing modules")
        if self.app.screen is self:
            self.module_changed()

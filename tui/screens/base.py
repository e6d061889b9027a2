"""The frame every console screen shares: breadcrumbs, the content, the notifications pane, the footer."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from textual.app import ComposeResult
from textual.dom import DOMNode
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from procmod.tui.actions import EVERYWHERE, bindings_for, mutating_actions
from procmod.tui.widgets.breadcrumbs import Breadcrumbs
from procmod.tui.widgets.key_bar import KeyBar
from procmod.tui.widgets.notifications_pane import NotificationsPane

if TYPE_CHECKING:
    from procmod.core.backend import Backend
    from procmod.tui.console import ConsoleApp


def report_failed_worker(node: DOMNode, event: Worker.StateChanged) -> None:
    """A worker that raised something its own handlers did not expect: a readable error, no traceback."""
    if event.state is WorkerState.ERROR:
        error = event.worker.error
        import logging

        logging.getLogger("procmod.console").error("worker %s failed", event.worker.name or event.worker.group,
                                                   exc_info=error)
        node.notify(str(error) or type(error).__name__, title="Could not finish", severity="error")


class ConsoleScreen(Screen[None]):
    """A screen of the console. Subclasses give `SCREEN_ID`, `compose_content` and their crumbs."""

    SCREEN_ID: ClassVar[str] = ""
    BINDINGS = bindings_for(EVERYWHERE)
    #: A form (the Add wizard, Edit): its letters belong to its fields, checkboxes and drop-downs, so the
    #: one-letter global keys (q, :) are off on it; ctrl+q, ctrl+p and Esc still leave, asking first while
    #: `unsaved_changes`.
    IS_FORM: ClassVar[bool] = False
    #: Keys the terminal sent before this moment (`Message.time`) were typed before the screen was shown:
    #: the app drops those a field would take (characters, editing keys), so a key typed ahead never lands
    #: in a field the operator has not seen. A form sets it as it is shown (screens/module_edit.py).
    typed_ahead_before: float = 0.0
    #: One-letter global actions that a form leaves to its fields.
    LETTER_ACTIONS: ClassVar[frozenset[str]] = frozenset({"quit", "palette"})

    app: ConsoleApp  # type: ignore[assignment]
    #: Read the data again when shown: False for a screen just composed (its on_mount read it), True once
    #: it has been shown (back from a form or another screen, the data may have changed meanwhile).
    reread_on_show = False

    @property
    def backend(self) -> Backend:
        return self.app.backend

    # ------------------------------------------------------------------ styles

    #: What the screen's styles were last worked out under (`_style_inputs`).
    _styled_under: tuple[Any, ...] | None = None

    def update_node_styles(self, animate: bool = True) -> None:
        """Textual works out again the styles of every widget of a screen each time it is shown (~0.2 ms a
        widget: 20 ms for the Edit form). A kept screen shown again under the same stylesheet, theme and
        classes has the styles it had: a widget whose classes or pseudo-classes changed meanwhile was
        restyled then, by Textual, on its own. Anything else (a theme picked, a screen's CSS added, the
        terminal's focus, this screen's classes) styles the whole screen as before."""
        inputs, then = self._style_inputs(), self._styled_under
        if then is not None and inputs[0] is then[0] and inputs[1:] == then[1:]:  # the same rules, not equal ones
            return
        super().update_node_styles(animate=animate)
        self._styled_under = inputs

    def _style_inputs(self) -> tuple[Any, ...]:
        app = self.app
        return (app.stylesheet.rules, app.theme, app.ansi_color, app.app_focus, frozenset(app.classes),
                frozenset(self.classes))

    def compose(self) -> ComposeResult:
        yield Breadcrumbs(id="breadcrumbs")
        with Horizontal(id="frame"):
            with Vertical(id="content"):
                yield from self.compose_content()
            yield NotificationsPane(id="pane")
        yield KeyBar()

    def compose_content(self) -> ComposeResult:
        yield from ()

    def crumbs(self, *, first: bool) -> tuple[str, ...]:
        """This screen's part of the breadcrumbs; `first` when no console screen lies below it."""
        return ()

    # ------------------------------------------------------------------ frame upkeep

    def on_mount(self) -> None:
        if self.app.closing:
            return  # made ahead (tui/prepared_screens.py), and the console closed before it mounted
        self.update_frame()

    def on_screen_resume(self) -> None:
        if self not in self.app.screen_stack:
            return  # popped on the way to another destination
        if self.app.screen is not self:
            # Covered again before this was handled (a confirmation closed and the window it leads to opened
            # in one go): reading the data now would only delay that window; the resume after it reads it.
            self.reread_on_show = True
            return
        self.update_frame()
        if self.reread_on_show:
            self.refresh_content()
        self.reread_on_show = True

    def refresh_content(self) -> None:
        """Back on this screen (a form or another screen closed): read the data again."""

    def data_changed(self, tables: frozenset[str]) -> None:
        """Another process changed the database (tui/live.py): re-read what this screen shows, and the pane.
        Forms keep what the operator typed: their `refresh_content` does nothing."""
        self.refresh_content()
        self.apply_pane()

    def database_opened(self) -> None:
        """The console's database just opened: a screen shown while it was opening reads its data now."""

    def on_resize(self) -> None:
        self.apply_pane()

    def update_frame(self, *, below: Sequence[Screen[Any]] | None = None) -> None:
        """Breadcrumbs and pane for this screen where it is in the stack, or (`below`) over the screens it is
        about to be shown on: a kept screen prepared before it is shown then shows the same crumbs when it is,
        and no line of it needs a second frame."""
        stack = self.app.screen_stack if below is None else [*below, self]
        crumbs: list[str] = []
        first = True
        for screen in stack:
            if isinstance(screen, ConsoleScreen):
                part = screen.crumbs(first=first)
                crumbs.extend(part)
                first = first and not part
            if screen is self:
                break
        self.query_one(Breadcrumbs).show(crumbs, read_only=self.app.read_only)
        self.apply_pane()

    def apply_pane(self) -> None:
        pane = self.query_one(NotificationsPane)
        visible = self.app.pane_visible
        pane.display = visible
        if visible:
            pane.fit_to(self.size.width or self.app.size.width)
            pane.refresh_notifications()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        report_failed_worker(self, event)

    # ------------------------------------------------------------------ global actions

    @property
    def unsaved_changes(self) -> bool:
        """Something typed here that leaving would lose (forms say; other screens hold none)."""
        return False

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self.IS_FORM and action in self.LETTER_ACTIONS:
            return False  # q or : on a checkbox, a drop-down or a button of a form: the form's, not a way out
        if action == "enter_field":  # Enter in a text field moves on; elsewhere it is the widget's own
            from procmod.tui.widgets.inputs import InOrderInput

            return self.IS_FORM and isinstance(self.focused, InOrderInput)
        if self.app.read_only and action in mutating_actions():
            return False  # read-only: the key is gone (False hides it; None would only dim it)
        if action == "back" and not self.can_go_back():
            return False
        return True

    def can_go_back(self) -> bool:
        return len([s for s in self.app.screen_stack if isinstance(s, ConsoleScreen)]) > 1

    def action_back(self) -> None:
        if self.can_go_back():
            self.app.pop_screen()

    # ------------------------------------------------------------------ moving between a form's fields, in order

    def action_next_field(self) -> None:
        self.focus_next()  # at once: the keys typed after Tab go to the next field

    def action_previous_field(self) -> None:
        self.focus_previous()

    def action_enter_field(self) -> None:
        self.focus_next()

    async def action_quit(self) -> None:
        await self.app.action_quit()  # the app asks first if a form below holds unsaved changes

    def action_palette(self) -> None:
        """`:` is a priority key (run when the app reads it, so the keys typed after it in one burst go into
        the palette, in order); in a text field, `:` is the field's."""
        from textual.actions import SkipAction
        from textual.widgets import Input, TextArea

        if isinstance(self.focused, (Input, TextArea)):
            raise SkipAction()
        self.app.action_command_palette()

    def action_help(self) -> None:
        from procmod.tui.screens.help import HelpScreen

        self.app.push_screen(HelpScreen(
            self.SCREEN_ID, title=" › ".join(self.crumbs(first=True)) or "Main menu", read_only=self.app.read_only
        ))

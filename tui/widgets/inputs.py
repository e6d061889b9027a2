"""procmod's text input: keys applied in the order they were typed, however fast they come.

Textual 8.2.8's `Input` inserts printable keys in its own key handler but runs its editing keys
(Backspace, Delete, Home, End, the arrows, ctrl+w…) as bindings, which are looked up only once the key has
bubbled through every parent up to the app (Textualize/textual#6605, fix proposed in PR #6631, not
released). Keys that arrive in a burst (a paste of keystrokes, a fast typist over SSH, tmux send-keys) are
then applied out of order: End, 12 × Backspace, `80.00` saved `1.00`. `InOrderInput` runs its own editing
bindings from its key handler, in the order the keys came, and stops them there; every other key (Tab,
Esc, the screen's keys) goes on as before.

It also takes a paste as one edit (the first line, cut to `max_length`), and does not select its text on
focus by default: a key typed as a form opens must not replace a value the operator has not seen.
"""

from __future__ import annotations

from textual import events
from textual.binding import Binding, BindingsMap
from textual.widgets import Input

#: The editing keys of Textual's Input, by key name (the same bindings the app would run later).
_EDITING_KEYS: dict[str, Binding] = {
    key: bindings[0] for key, bindings in BindingsMap(Input.BINDINGS).key_to_bindings.items()
}


#: Every key a text field takes besides characters (Backspace, Delete, the arrows, ctrl+w…): what the app
#: drops, with characters, when it was typed before a form was shown (tui/app.py).
FIELD_KEYS = frozenset(_EDITING_KEYS)


#: A screen action that Enter in a field runs instead of submitting it (a form: on to the next field).
ENTER_ACTION = "enter_field"


class InOrderInput(Input):
    """An Input whose editing keys are applied in order with the typed characters (see the module doc)."""

    def __init__(self, *args, select_on_focus: bool = False, **kwargs) -> None:  # noqa: ANN002, ANN003
        super().__init__(*args, select_on_focus=select_on_focus, **kwargs)

    async def _on_key(self, event: events.Key) -> None:
        focused = self.screen.focused
        if focused is not self and self.screen is self.app.screen:
            # Typed after a key that moved the focus (Tab, Enter, ctrl+n: run below, in order) but given to
            # this field before the focus moved: it belongs to the widget that has the focus now.
            event.stop()
            event.prevent_default()
            if isinstance(focused, InOrderInput):
                await focused.take_key(event)
            elif (active := self.screen.active_bindings.get(event.key)) is not None and active.enabled:
                await self.app.run_action(active.binding.action, active.node)  # e.g. space on a checkbox
            return
        if await self.take_key(event):
            event.stop()
            event.prevent_default()  # Input's handler and the later binding lookup must not run it again

    async def take_key(self, event: events.Key) -> bool:
        """Apply a key now: a character, an editing key, or the screen's binding for it. False: not ours
        (it goes on to the app as ever)."""
        if event.is_printable:
            assert event.character is not None
            start, end = sorted(self.selection)
            self.replace(event.character, start, end)
            return True
        # A key of the screen (Tab, ctrl+n in the wizard, Enter moving to the next field of a form, Esc): run
        # where it arrives, in order with the typing, rather than after the keys typed behind it have been
        # given to this field. Input's own bindings come first (they would, in the focus chain), except
        # Enter, which a form takes to move on.
        if event.key == "enter" and self.screen.check_action(ENTER_ACTION, ()) and hasattr(
                self.screen, f"action_{ENTER_ACTION}"):
            await self.app.run_action(ENTER_ACTION, self.screen)
            return True
        binding = _EDITING_KEYS.get(event.key)
        if binding is not None:
            await self.run_action(binding.action)
            return True
        active = self.screen.active_bindings.get(event.key)
        if active is None or not active.enabled or active.binding.priority:
            return False
        await self.app.run_action(active.binding.action, active.node)
        return True

    def _on_paste(self, event: events.Paste) -> None:
        """A paste is one edit: its first line, cut to the maximum length (an over-long paste is refused by
        Input as a whole, which would lose all of it without a word)."""
        event.stop()
        event.prevent_default()
        if not event.text:
            return
        line = event.text.splitlines()[0] if event.text.splitlines() else ""
        start, end = sorted(self.selection)
        if self.max_length:
            room = self.max_length - (len(self.value) - (end - start))
            if len(line) > room:
                line = line[:max(room, 0)]
                self.notify(f"Pasted text cut to {self.max_length} characters, the most this field takes.",
                            severity="warning")
        if line:
            self.replace(line, start, end)

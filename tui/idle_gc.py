"""Full garbage collections when the operator is not typing, never in the middle of a screen opening.

CPython collects its oldest generation when enough objects have survived the younger ones, wherever the
program happens to be: in this console that is while a screen is composed or a page is painted, and with
the ~300,000 objects an open console holds (Textual, SQLAlchemy, the styles and strips of every screen)
one such collection took 50–140 ms, several frames, in the middle of a key's answer.

Start-up itself allocates some 300,000 objects that all live as long as the process: the collector
finds nothing in them but took ~90 ms of the console's start-up doing so. `hold_during_start_up()` (the
command line calls it first) turns it off until the console is up and `IdleCollector.start()` runs.

So, once the console has started (and the operator has left the keys alone for a moment):
- what start-up made (modules, classes, the stylesheet) is moved out of the collector's sight
  (`gc.freeze`): it lives as long as the process, scanning it again and again finds nothing;
- the young generations are collected as usual (about a millisecond each), but the oldest one is not
  collected automatically any more;
- instead it is collected when no key or mouse event came for `QUIET_SECONDS`, or at the latest every
  `LONGEST_SECONDS` while the operator keeps typing (so memory stays bounded however busy the console is).

Garbage without reference cycles is freed at once by reference counting, as always; only cyclic
garbage (a closed screen and its widgets) waits for the next quiet moment. The settings are put back
when the console exits, which matters to a test process that runs many consoles.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

#: No input for this long counts as a quiet moment.
QUIET_SECONDS = 1.0
#: However busy the console is, a full collection runs at least this often.
LONGEST_SECONDS = 30.0
#: The oldest generation's automatic threshold while the collector is on: never reached in practice.
NEVER = 1_000_000

_held = False


def hold_during_start_up() -> None:
    """No collections until `IdleCollector.start()` (or `stop()`): what start-up makes is never garbage."""
    global _held
    if gc.isenabled():
        gc.disable()
        _held = True


def _release() -> None:
    global _held
    if _held:
        _held = False
        gc.enable()


class IdleCollector:
    """See the module docstring. `check()` is called periodically by the app; `touch()` on each input."""

    def __init__(self, *, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._monotonic = monotonic
        self._saved: tuple[int, int, int] | None = None
        self._last_input = monotonic()
        self._last_collection = monotonic()
        self.collections = 0

    @property
    def active(self) -> bool:
        return self._saved is not None

    def start(self) -> None:
        if self.active:
            return
        gc.collect()
        gc.freeze()
        self._saved = gc.get_threshold()
        young, middle, _old = self._saved
        gc.set_threshold(young, middle, NEVER)
        _release()
        self._last_collection = self._monotonic()

    def stop(self) -> None:
        _release()
        if self._saved is None:
            return
        gc.set_threshold(*self._saved)
        self._saved = None
        gc.unfreeze()

    @property
    def last_input(self) -> float:
        """When the last key or mouse event came (the clock given, time.monotonic by default)."""
        return self._last_input

    def quiet(self, seconds: float = QUIET_SECONDS) -> bool:
        """No key or mouse event for `seconds`."""
        return self._monotonic() - self._last_input >= seconds

    def touch(self) -> None:
        """A key or mouse event came: not a quiet moment."""
        self._last_input = self._monotonic()

    def check(self) -> bool:
        """Collect now if this is a quiet moment with something to collect, or if it has been too long."""
        if not self.active:
            return False
        quiet = self.quiet() and gc.get_count()[2] > 0
        overdue = self._monotonic() - self._last_collection >= LONGEST_SECONDS
        if not (quiet or overdue):
            return False
        gc.collect()
        self._last_collection = self._monotonic()
        self.collections += 1
        return True

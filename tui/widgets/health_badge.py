"""The health badge of a module: the outcome of its last connection check and how long ago it ran.

Words carry the meaning (OK / FAIL / never checked); colour only repeats it, so the badge reads the
same with NO_COLOR. Ages come from the backend's clock, so a FixedClock makes them reproducible.
"""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.widgets import Static

from procmod.core.formatting import format_age

NEVER_CHECKED = "—"


def health_word(ok: bool | None) -> str:
    return "OK" if ok else "FAIL"


def health_cell(ok: bool | None, checked_at: datetime | None, now: datetime) -> Text:
    """The list's Health column: `OK · 3 min ago`, `FAIL · 2 h ago`, `—` when never checked."""
    if ok is None or checked_at is None:
        return Text(NEVER_CHECKED)
    return Text(f"{health_word(ok)} · {format_age(checked_at, now)}", style="" if ok else "bold")


def health_line(ok: bool | None, summary: str | None, checked_at: datetime | None, now: datetime) -> str:
    """The card's line: `Connection: OK (3 min ago) — Connection OK (API 6.1)` or the failure summary."""
    if ok is None or checked_at is None:
        return "Connection: not checked yet (c checks it)"
    line = f"Connection: {health_word(ok)} ({format_age(checked_at, now)})"
    return f"{line} — {summary}" if summary else line


class HealthBadge(Static):
    """The card's health line; the classes `-ok`, `-fail`, `-unknown` let the app's CSS colour it."""

    DEFAULT_CSS = """
    HealthBadge { height: auto; }
    HealthBadge.-ok { color: $success; }
    HealthBadge.-fail { color: $error; text-style: bold; }
    HealthBadge.-unknown { color: $text-muted; }
    """

    def show(self, ok: bool | None, summary: str | None, checked_at: datetime | None, now: datetime) -> None:
        known = ok is not None and checked_at is not None
        self.update(Text(health_line(ok, summary, checked_at, now)))
        self.set_class(known and bool(ok), "-ok")
        self.set_class(known and not ok, "-fail")
        self.set_class(not known, "-unknown")

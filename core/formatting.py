"""How values read on screen: durations as the platform shows them (`5 s`, `4.45 m`, `1.2 h`), times, money."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal


def format_duration(duration: timedelta | None) -> str:
    if duration is None:
        return "—"
    seconds = duration.total_seconds()
    if seconds < 60:
        return f"{seconds:.0f} s" if seconds >= 1 or seconds == 0 else f"{seconds:.2f} s"
    if seconds < 3600:
        return f"{seconds / 60:.2f} m".replace(".00 m", " m")
    return f"{seconds / 3600:.1f} h".replace(".0 h", " h")


def format_time(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else "—"


def format_money(amount: Decimal | None, currency: str | None = None) -> str:
    if amount is None:
        return "—"
    text = f"{amount:,.2f}"
    return f"{text} {currency}" if currency else text


def format_age(moment: datetime | None, now: datetime) -> str:
    """`3 min ago`, `2 h ago`, `5 d ago`: ages on badges and in the notifications pane."""
    if moment is None:
        return "never"
    seconds = max(0, int((now - moment).total_seconds()))
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{seconds // 60} min ago"
    if seconds < 86400:
        return f"{seconds // 3600} h ago"
    return f"{seconds // 86400} d ago"


def sentence(text: str) -> str:
    """`text` ending with exactly one full stop (or its own `!`, `?` or `…`); empty stays empty: a message
    built from parts (a driver's reason, a validation error) never reads `..`."""
    text = text.strip()
    if not text:
        return ""
    while text.endswith("..") and not text.endswith("..."):
        text = text[:-1]
    return text if text.endswith((".", "!", "?", "…")) else text + "."

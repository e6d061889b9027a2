"""Messages built from parts (a reason from a driver, an error from validation) read as one sentence each:
never `..` where a part already ends with its own full stop."""

from __future__ import annotations


def sentence(text: str) -> str:
    """`text` ending with exactly one full stop (or its own `!`, `?` or `…`); empty stays empty."""
    text = text.strip()
    if not text:
        return ""
    while text.endswith("..") and not text.endswith("..."):
        text = text[:-1]
    return text if text.endswith((".", "!", "?", "…")) else text + "."

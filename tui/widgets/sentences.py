"""Messages built from parts (a reason from a driver, an error from validation) read as one sentence each:
never `..` where a part already ends with its own full stop. The rule lives in the domain's formatting (core
messages follow it too); the console's screens import it from here."""

from __future__ import annotations

from procmod.core.formatting import sentence

__all__ = ["sentence"]

"""The console's settings file: TOML in the user config directory (platformdirs), read at start.

    database = "postgresql://billing@db.example/billing"   # default for --db (after $PROCMOD_DATABASE_URL)
    operator = "alice"          # the name written in the audit log (default: your login)
    theme = "textual-dark"      # remembered when you choose one in the palette (ctrl+p → theme)
    pane = true                 # the notifications pane at start: true, false (absent: by terminal width)
    open = "modules"            # the screen at start: menu, modules, tariffs, services, … (like --open)
    page_size = 100             # rows a list page holds (10–1000)

The command line wins over the file; the file over the defaults. A bad value is refused with the file, the
key and what would do. No Textual here: the command line reads it before the console loads.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

KEYS = ("database", "operator", "theme", "pane", "open", "page_size")
PAGE_SIZE_RANGE = (10, 1000)


class ConfigError(ValueError):
    """The settings file cannot be used; the message names the file and the key."""


def config_path() -> Path:
    from platformdirs import user_config_path

    return user_config_path("procmod", appauthor=False) / "config.toml"


@dataclass
class Config:
    path: Path | None = None
    database: str | None = None
    operator: str | None = None
    theme: str | None = None
    pane: bool | None = None
    open: str | None = None
    page_size: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path | None = None, *, screens: tuple[str, ...] = ()) -> Config:
        """Read the file (a missing file is an empty config); ConfigError on a bad one."""
        path = path or config_path()
        if not path.exists():
            return cls(path=path)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as unreadable:
            raise ConfigError(f"cannot read the settings file {path}: {unreadable}") from None
        except tomllib.TOMLDecodeError as bad:
            raise ConfigError(f"the settings file {path} is not valid TOML: {bad}") from None
        unknown = sorted(set(data) - set(KEYS))
        if unknown:
            raise ConfigError(f"{path}: unknown setting(s) {', '.join(unknown)}; the settings are "
                              f"{', '.join(KEYS)}")

        def text(key: str) -> str | None:
            value = data.get(key)
            if value is not None and (not isinstance(value, str) or not value.strip()):
                raise ConfigError(f"{path}: {key} must be a non-empty string in quotes")
            return value

        pane = data.get("pane")
        if pane is not None and not isinstance(pane, bool):
            raise ConfigError(f"{path}: pane must be true or false")
        page_size = data.get("page_size")
        low, high = PAGE_SIZE_RANGE
        if page_size is not None and (not isinstance(page_size, int) or isinstance(page_size, bool)
                                      or not low <= page_size <= high):
            raise ConfigError(f"{path}: page_size must be a whole number from {low} to {high}")
        start = text("open")
        if start is not None and screens and start not in screens:
            raise ConfigError(f"{path}: open must be one of {', '.join(screens)}")
        return cls(path=path, database=text("database"), operator=text("operator"), theme=text("theme"),
                   pane=pane, open=start, page_size=page_size)

    def remember_theme(self, theme: str) -> None:
        """Write `theme = "…"` into the file, keeping everything else in it as it is (comments too)."""
        if self.path is None or theme == self.theme:
            return
        self.theme = theme
        line = f'theme = "{theme}"'
        try:
            existing = self.path.read_text(encoding="utf-8") if self.path.exists() else ""
            if re.search(r"(?m)^\s*theme\s*=.*$", existing):
                updated = re.sub(r"(?m)^\s*theme\s*=.*$", line, existing, count=1)
            else:
                updated = existing + ("" if not existing or existing.endswith("\n") else "\n") + line + "\n"
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_text(updated, encoding="utf-8")
        except OSError:
            pass  # a read-only config directory: the theme holds for this session only

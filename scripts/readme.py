"""Regenerate the generated blocks of README.md: the key table (from the action registry) and the tour.

Usage: python scripts/readme.py        (tests/test_readme.py fails when README.md is out of step)
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from procmod.tui.actions import markdown_table  # noqa: E402
from procmod.tui.tour import SCENES  # noqa: E402

README = ROOT / "README.md"


def tour_list() -> str:
    return "\n".join(f"{i}. [{s.caption}](screenshots/{s.name}.svg) ({s.size[0]}x{s.size[1]})"
                     for i, s in enumerate(SCENES, 1))


def render(text: str) -> str:
    for name, body in (("keys", markdown_table()), ("tour", tour_list())):
        text = re.sub(rf"(<!-- {name}:begin -->\n).*?(<!-- {name}:end -->)",
                      lambda m, body=body: f"{m.group(1)}{body}\n{m.group(2)}", text, flags=re.S)
    return text


if __name__ == "__main__":
    README.write_text(render(README.read_text(encoding="utf-8")), encoding="utf-8")
    print("README.md updated")

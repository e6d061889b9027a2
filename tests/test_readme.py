"""The README tells the truth: two quick-start commands that CI runs, and generated blocks in step."""

from __future__ import annotations

import re
from pathlib import Path

from scripts.readme import render

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_quick_start_has_exactly_two_commands_and_ci_runs_the_test_one() -> None:
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", section, re.S).group(1)
    commands = [line.split("#")[0].strip() for line in block.splitlines() if line.strip()]
    assert commands == ["make demo", "make test"]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "\nmake test\n" in ci


def test_generated_blocks_are_current() -> None:
    assert render(README) == README, "README.md is out of step: run python scripts/readme.py"


def test_every_screenshot_of_the_tour_exists() -> None:
    for name in re.findall(r"\(screenshots/([\w.]+\.svg)\)", README):
        assert (ROOT / "screenshots" / name).exists(), name


def test_every_local_link_leads_to_a_file() -> None:
    """The README points maintainers to docs/ (and users to screenshots/): those files exist, and so do the
    links inside docs/."""
    pages = {ROOT / "README.md": README}
    pages.update({page: page.read_text(encoding="utf-8") for page in (ROOT / "docs").glob("*.md")})
    for page, text in pages.items():
        for target in re.findall(r"\]\(([^)#:\s]+)(?:#[^)]*)?\)", text):
            assert (page.parent / target).exists(), f"{page.name} links to {target}"

"""Snapshot tests: the recorded tour of the console (`procmod.tui.tour.SCENES`), in order, on seeded data with a
fixed clock, every screen at 80x24 and the main ones at 120x40. Review diffs before --snapshot-update.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from procmod.core.backend import open_backend
from procmod.core.clock import DEMO_NOW, FixedClock
from procmod.demo.seed import seed_demo
from procmod.core.secrets import SecretBox
from procmod.tui.app import make_app
from procmod.tui.tour import SCENES, Scene, play


@pytest.mark.parametrize("scene", SCENES, ids=[s.name for s in SCENES])
def test_tour(scene: Scene, snap_compare, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    if scene.no_color:
        monkeypatch.setenv("NO_COLOR", "1")  # read (and removed) by Textual when the app is made
    backend = open_backend(f"sqlite:///{tmp_path / 'tour.db'}", clock=FixedClock(DEMO_NOW),
                           secrets=SecretBox.generate(), operator="tester")
    if scene.seeded:
        seed_demo(backend)
    if scene.prepare is not None:
        scene.prepare(backend)
    try:
        assert snap_compare(make_app(backend, start=scene.start), terminal_size=scene.size,
                            run_before=lambda pilot: play(scene, pilot))
    finally:
        backend.close()

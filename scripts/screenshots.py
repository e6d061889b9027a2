"""Regenerate screenshots/*.svg from the tour (`procmod.tui.tour.SCENES`), with the same app factory as the tests.

Usage: python scripts/screenshots.py   (or `make screenshots`)
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from procmod.core.backend import open_backend  # noqa: E402
from procmod.core.clock import DEMO_NOW, FixedClock  # noqa: E402
from procmod.demo.seed import seed_demo  # noqa: E402
from procmod.core.secrets import SecretBox  # noqa: E402
from procmod.tui.app import make_app  # noqa: E402
from procmod.tui.tour import SCENES, Scene, play  # noqa: E402

OUT = ROOT / "screenshots"


async def render(scene: Scene, workdir: Path) -> Path:
    backend = open_backend(f"sqlite:///{workdir / f'{scene.name}.db'}", clock=FixedClock(DEMO_NOW),
                           secrets=SecretBox.generate(), operator="demo")
    if scene.seeded:
        seed_demo(backend)
    if scene.prepare is not None:
        scene.prepare(backend)
    if scene.no_color:
        os.environ["NO_COLOR"] = "1"  # Textual reads and removes it when the app is made
    app = make_app(backend, start=scene.start)
    try:
        async with app.run_test(size=scene.size) as pilot:
            await play(scene, pilot)
            await pilot.wait_for_scheduled_animations()
            path = OUT / f"{scene.name}.svg"
            path.write_text(app.export_screenshot(title=scene.caption), encoding="utf-8")
    finally:
        backend.close()
    return path


async def main() -> None:
    OUT.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for scene in SCENES:
            print(await render(scene, Path(tmp)))


if __name__ == "__main__":
    asyncio.run(main())

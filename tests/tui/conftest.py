"""Fixtures of the console's Pilot tests: a freshly seeded SQLite demo database per test, fixed clock."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from procmod.core.backend import Backend, open_backend
from procmod.core.clock import DEMO_NOW, FixedClock
from procmod.demo.seed import seed_demo
from procmod.core.secrets import SecretBox


@pytest.fixture
def demo_backend(tmp_path: Path) -> Iterator[Backend]:
    """The demo data on a SQLite file of this test (tests may mark notifications read)."""
    backend = open_backend(f"sqlite:///{tmp_path / 'console.db'}", clock=FixedClock(DEMO_NOW),
                           secrets=SecretBox.generate(), operator="tester")
    seed_demo(backend)
    yield backend
    backend.close()

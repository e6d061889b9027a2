"""The bulk seed of a large provider, at its small scale, on SQLite and PostgreSQL; and `procmod seed`."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from core.backend import Backend
from core.demo_large import BIG_CARD_MODULE_ID, BIG_CARD_TARIFFS, SCALES, seed_large
from storage.models import BackgroundTask, Notification, ProcessingModule, Service, Tariff, TaskRun
from tui.cli import main


def count(backend: Backend, model) -> int:  # noqa: ANN001
    with backend.db.sessions() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_seed_large_loads_every_table_at_its_scale(empty_backend: Backend) -> None:
    scale = SCALES["small"]
    seen: list[str] = []
    seed_large(empty_backend, scale, lambda table, rows, seconds: seen.append(table))
    assert count(empty_backend, ProcessingModule) == scale.modules
    assert count(empty_backend, Tariff) == scale.tariffs
    assert count(empty_backend, Service) == scale.services
    assert count(empty_backend, BackgroundTask) == scale.tasks
    assert count(empty_backend, TaskRun) == scale.tasks * scale.runs_per_task
    assert count(empty_backend, Notification) == scale.notifications
    assert seen[0] == "modules" and "services" in seen
    card = empty_backend.modules.card(BIG_CARD_MODULE_ID)
    assert card.tariff_total >= BIG_CARD_TARIFFS // 10 or scale.tariffs < BIG_CARD_TARIFFS
    assert empty_backend.tasks.list().rows[0].next_run_at is not None


def test_cli_seed_refuses_a_database_with_data(tmp_path: Path, capsys) -> None:  # noqa: ANN001
    url = f"sqlite:///{tmp_path / 'seed.db'}"
    assert main(["--db", url, "seed", "--scale", "small"]) == 0
    assert "services:" in capsys.readouterr().out
    assert main(["--db", url, "seed", "--scale", "small"]) == 1
    assert "needs an empty database" in capsys.readouterr().err

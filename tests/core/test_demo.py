"""The demo data set is realistic and covers every state the screens show, and it is deterministic."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from procmod.core.backend import Backend
from procmod.demo.seed import seed_demo
from procmod.storage.enums import ModuleStatus, RunResult, ServiceStatus, TariffStatus
from procmod.storage.models import DataCenter, Department, Notification, ProcessingModule, Service, Tariff, TariffModule, TaskRun
from tests.conftest import make_backend


def grouped_counts(backend: Backend, column) -> dict:  # noqa: ANN001
    with backend.db.sessions() as session:
        return dict(session.execute(select(column, func.count()).group_by(column)).all())


def test_demo_covers_the_required_shapes(seeded_backend: Backend) -> None:
    types = grouped_counts(seeded_backend, ProcessingModule.module_type)
    assert set(types) == {"vmmanager6", "proxmox", "cpanel", "dcimanager6", "namecheap"} and sum(types.values()) >= 12
    assert grouped_counts(seeded_backend, ProcessingModule.status)[ModuleStatus.DISABLED] >= 2
    assert sum(grouped_counts(seeded_backend, Department.name).values()) == 2
    assert sum(grouped_counts(seeded_backend, DataCenter.name).values()) == 2
    tariffs = grouped_counts(seeded_backend, Tariff.status)
    assert sum(tariffs.values()) >= 40 and set(tariffs) == set(TariffStatus)
    links = grouped_counts(seeded_backend, TariffModule.tariff_id)
    assert sum(1 for n in links.values() if n > 1) >= 10  # several tariffs link several modules
    services = grouped_counts(seeded_backend, Service.status)
    assert sum(services.values()) >= 2000 and set(services) == set(ServiceStatus)
    with seeded_backend.db.sessions() as session:  # every type's modules hold live services on their panels
        live_types = set(session.scalars(select(ProcessingModule.module_type).join(
            Service, Service.module_id == ProcessingModule.id).where(
            Service.status.in_((ServiceStatus.ACTIVE, ServiceStatus.SUSPENDED)), Service.remote_id.is_not(None))))
    assert live_types == set(types)
    runs = grouped_counts(seeded_backend, TaskRun.result)
    assert runs[RunResult.IN_PROGRESS] == 1 and runs[RunResult.UNSUCCESSFUL] >= 3 and runs[RunResult.SUCCESSFUL] > 100
    with seeded_backend.db.sessions() as session:
        durations = [(f - s).total_seconds() for s, f in session.execute(
            select(TaskRun.started_at, TaskRun.finished_at).where(TaskRun.finished_at.is_not(None)))]
        read = session.scalar(select(func.count()).where(Notification.read_at.is_not(None)))
        unread = session.scalar(select(func.count()).where(Notification.read_at.is_(None)))
    assert min(durations) < 60 < max(durations)  # seconds and minutes
    assert read >= 10 and unread >= 5


def test_same_clock_same_rows(tmp_path: Path) -> None:
    def snapshot(name: str) -> list:
        backend = make_backend(f"sqlite:///{tmp_path / name}")
        seed_demo(backend)
        with backend.db.sessions() as session:
            rows = session.execute(select(Service.id, Service.name, Service.status, Service.module_id,
                                          Service.created_at).order_by(Service.id)).all()
            rows += session.execute(select(TaskRun.task_id, TaskRun.started_at, TaskRun.result)
                                    .order_by(TaskRun.id)).all()
        backend.close()
        return rows

    assert snapshot("a.db") == snapshot("b.db")

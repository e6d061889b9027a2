"""Announcements of changes on PostgreSQL: consoles' writes NOTIFY on commit; a headless worker's writes are
batched into one NOTIFY a second (a NOTIFY per transaction would serialize the workers' commits)."""

from __future__ import annotations

import psycopg
import pytest

from procmod.core.backend import Backend
from procmod.core.changes import CHANNEL, BatchedAnnouncer


def listener(backend: Backend) -> psycopg.Connection:
    url = backend.db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    connection = psycopg.connect(url, autocommit=True)
    connection.execute(f"LISTEN {CHANNEL}")
    return connection


def received(connection: psycopg.Connection) -> set[str]:
    return {n.payload for n in connection.notifies(timeout=0.5, stop_after=None)}


@pytest.mark.parametrize("dialect", [pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_a_consoles_write_is_announced_and_a_workers_writes_are_batched(backend: Backend) -> None:
    with listener(backend) as listening:
        backend.notifications.mark_all_read()
        assert "notification" in received(listening)  # a console: at its commit

        announcer = BatchedAnnouncer(backend.db)  # from here this process writes as a worker does
        module_id = backend.modules.list().rows[0].id
        backend.commands.set_module_enabled(module_id, False)
        assert received(listening) == set()  # nothing per transaction...
        announcer.changed()
        announcer.announce_if_changed()
        assert received(listening) == {"*"}  # ...one announcement for what was done
        announcer.announce_if_changed()
        assert received(listening) == set()  # and none while nothing more was done

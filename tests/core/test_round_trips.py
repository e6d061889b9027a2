"""What a screen reads costs few round trips to the database, on SQLite and PostgreSQL (issue 19: a shared
database is across a network, and every statement is a latency): a list page, the module card and the Edit
form each read in at most three statements, with no BEGIN or ROLLBACK around them (`Database.reads`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timezone
from typing import Any

import pytest
from sqlalchemy import event, select

from procmod.core.backend import Backend
from procmod.storage.engine import is_read_only
from procmod.storage.models import Notification, ProcessingModule

MOST = 3


@contextmanager
def round_trips(backend: Backend) -> Iterator[list[str]]:
    """Every statement sent, and every transaction end that reaches the server (a read's sends nothing)."""
    sent: list[str] = []

    def statement(_conn: Any, _cursor: Any, text: str, *_: Any) -> None:
        sent.append(" ".join(text.split())[:80])

    def end(connection: Any) -> None:
        if not is_read_only(connection):
            sent.append("COMMIT/ROLLBACK")

    engine = backend.db.engine
    event.listen(engine, "before_cursor_execute", statement)
    event.listen(engine, "commit", end)
    event.listen(engine, "rollback", end)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", statement)
        event.remove(engine, "commit", end)
        event.remove(engine, "rollback", end)


def busiest_module(backend: Backend) -> int:
    """The module with the most unread notifications (its card shows them)."""
    with backend.db.sessions() as session:
        return max(session.scalars(select(ProcessingModule.id)),
                   key=lambda m: len(session.scalars(select(Notification.id).where(
                       Notification.module_id == m, Notification.read_at.is_(None))).all()))


READS: dict[str, Callable[[Backend, int], object]] = {
    "modules list": lambda b, _m: b.modules.list(),
    "tariffs list": lambda b, _m: b.tariffs.list(),
    "services list": lambda b, _m: b.services.list(),
    "notifications list": lambda b, _m: b.notifications.list(),
    "tasks list": lambda b, _m: b.tasks.list(),
    "departments list": lambda b, _m: b.provider.departments(),
    "data centers list": lambda b, _m: b.provider.datacenters(),
    "module card": lambda b, m: b.modules.card(m),
    "delete pre-check": lambda b, m: b.commands.delete_blockers(m),
    "Edit form (the module and its choices)": lambda b, m: (b.commands.edit_form(m), b.provider.parameter_options()),
}


@pytest.mark.parametrize("screen", list(READS))
def test_a_screen_reads_in_at_most_three_round_trips(seeded_backend: Backend, screen: str) -> None:
    module = busiest_module(seeded_backend)
    seeded_backend.commands  # noqa: B018 - built before counting (building it reads nothing, but be sure)
    with round_trips(seeded_backend) as sent:
        READS[screen](seeded_backend, module)
    assert 0 < len(sent) <= MOST, sent


def test_the_card_shows_the_latest_unread_notifications_newest_first_in_utc(seeded_backend: Backend) -> None:
    module = busiest_module(seeded_backend)
    card = seeded_backend.modules.card(module)
    with seeded_backend.db.sessions() as session:
        expected = session.execute(
            select(Notification.id, Notification.description, Notification.created_at)
            .where(Notification.module_id == module, Notification.read_at.is_(None))
            .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(20)).all()
    assert expected and card.unread_notification_total >= len(expected)
    assert [(n.id, n.description, n.created_at) for n in card.notifications] == [tuple(r) for r in expected]
    assert all(n.created_at.tzinfo is timezone.utc for n in card.notifications)


def test_a_card_without_notifications_has_none(seeded_backend: Backend) -> None:
    with seeded_backend.db.sessions() as session:
        quiet = session.scalar(select(ProcessingModule.id).where(~ProcessingModule.id.in_(
            select(Notification.module_id).where(Notification.read_at.is_(None), Notification.module_id.is_not(None)))))
    if quiet is None:
        pytest.skip("every seeded module has an unread notification")
    card = seeded_backend.modules.card(quiet)
    assert card.notifications == [] and card.unread_notification_total == 0


def test_the_form_choices_come_in_name_order(seeded_backend: Backend) -> None:
    datacenters, departments = seeded_backend.provider.parameter_options()
    assert [o.label for o in datacenters] == ["Amsterdam AMS2", "Frankfurt FRA1"]
    assert [o.label for o in departments] == ["Sales department", "Technical support"]


def test_a_read_session_refuses_to_write(seeded_backend: Backend) -> None:
    with seeded_backend.db.reads() as session:
        module = session.get(ProcessingModule, busiest_module(seeded_backend))
        module.name = "renamed by mistake"
        with pytest.raises(RuntimeError, match="never writes"):
            session.flush()
    with seeded_backend.db.sessions() as session:
        assert session.get(ProcessingModule, module.id).name != "renamed by mistake"


def test_the_pane_reads_in_one_statement_what_three_reads_would_say(seeded_backend: Backend) -> None:
    expected = ([n.id for n in seeded_backend.notifications.latest_unread(limit=20)],
                seeded_backend.notifications.unread_count(), seeded_backend.failure_count())
    assert expected[0], "the seeded data has unread notifications"
    with round_trips(seeded_backend) as sent:
        latest, unread, failures = seeded_backend.pane(20)
    assert len(sent) == 1, sent
    assert ([n.id for n in latest], unread, failures) == expected


def test_the_pane_with_nothing_unread_still_counts_the_failures(backend: Backend) -> None:
    failures = backend.failure_count()
    assert failures > 0, "the demo has failed background runs"
    backend.notifications.mark_all_read()
    assert backend.pane(20) == ([], 0, failures)

"""Messages the app posts to its screens and widgets.

They live here, not in `app.py`, so that screens and widgets can handle them without importing the app
module (the dependency inside `procmod.tui` runs one way: the app composes screens).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from procmod.core.jobs import JobEvent
    from procmod.core.scheduler import SchedulerEvent


class SchedulerActivity(Message):
    """Scheduler events gathered over a short while; screens and the pane update their rows from it.

    Posted to each receiver directly (the screen, its pane), so it does not bubble.
    """

    bubble = False

    def __init__(self, events: tuple[SchedulerEvent, ...]) -> None:
        super().__init__()
        self.events = events

    @property
    def module_ids(self) -> frozenset[int]:
        return frozenset(e.module_id for e in self.events)

    @property
    def task_ids(self) -> frozenset[int]:
        return frozenset(e.task_id for e in self.events)


class DataChanged(Message):
    """Another process (a console, a worker) committed changes to tables this console shows
    (`procmod.core.changes`; `tables` holds "*" when the database cannot say which). Posted to the app at
    most once a second; the screen on top re-reads what it shows."""

    def __init__(self, tables: frozenset[str]) -> None:
        super().__init__()
        self.tables = tables


class JobActivity(Message):
    """Job engine events (service operations started, finished, interrupted) gathered over a short while.

    Posted to the screen on top and its notifications pane directly (it does not bubble): the service
    card, the bulk progress and the failure queue update from it.
    """

    bubble = False

    def __init__(self, events: tuple[JobEvent, ...]) -> None:
        super().__init__()
        self.events = events

    @property
    def service_ids(self) -> frozenset[int]:
        return frozenset(e.service_id for e in self.events if e.service_id is not None)

    @property
    def batch_ids(self) -> frozenset[int]:
        return frozenset(e.batch_id for e in self.events if e.batch_id is not None)

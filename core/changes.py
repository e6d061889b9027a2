"""Live consoles: learning, within a second, that another process changed the database.

PostgreSQL: statement-level triggers (migration 0011) call `pg_notify('procmod_change', <table>)` for every
write to the tables a console shows; the notification is delivered on commit, once per table and transaction
(PostgreSQL folds identical ones). A watcher holds one extra connection with `LISTEN procmod_change`.
SQLite: `PRAGMA data_version` on the watcher's own connection changes when any other connection commits
(other processes included); it is read every `interval` seconds and says "something changed", not what.

Either way the watcher gathers a burst into one call of `on_change(tables)` (`ANY_TABLE` in it when the
dialect cannot say which), at most every `interval` seconds, and the console re-reads only what is on
screen. A change missed while the connection was lost is covered the same way: after a reconnect the
watcher reports `ANY_TABLE`. Nothing here imports Textual.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from procmod.storage.engine import Database

log = logging.getLogger("procmod.changes")

CHANNEL = "procmod_change"
#: Reported when the dialect (SQLite) or a reconnect cannot tell which tables changed.
ANY_TABLE = "*"
#: The tables whose writes are announced (PostgreSQL triggers of migration 0011).
WATCHED_TABLES = ("processing_module", "notification", "task_run", "background_task", "service", "tariff",
                  "tariff_module", "datacenter", "department")

OnChange = Callable[[frozenset[str]], None]


class ChangeWatcher:
    """Runs in one thread (the console's `changes` worker) until `stop` is set."""

    def __init__(self, db: Database, on_change: OnChange, *, interval: float = 1.0) -> None:
        self._db = db
        self._on_change = on_change
        self.interval = interval
        self.stop_event = threading.Event()

    def stop(self) -> None:
        self.stop_event.set()

    def run(self) -> None:
        watch = self._watch_postgresql if self._db.engine.dialect.name == "postgresql" else self._watch_sqlite
        reconnected = False
        while not self.stop_event.is_set():
            try:
                watch(reconnected)
            except Exception as error:  # noqa: BLE001 - a lost connection: wait, then watch again
                log.warning("watching for other consoles' changes failed (%s); retrying", type(error).__name__)
                self.stop_event.wait(self.interval * 5)
                reconnected = True

    # ------------------------------------------------------------------ SQLite

    def _watch_sqlite(self, reconnected: bool) -> None:
        with self._db.engine.connect() as connection:
            raw = connection.connection.driver_connection
            version = raw.execute("PRAGMA data_version").fetchone()[0]
            if reconnected:
                self._on_change(frozenset({ANY_TABLE}))
            while not self.stop_event.wait(self.interval):
                now = raw.execute("PRAGMA data_version").fetchone()[0]
                if now != version:
                    version = now
                    self._on_change(frozenset({ANY_TABLE}))

    # ------------------------------------------------------------------ PostgreSQL

    def _watch_postgresql(self, reconnected: bool) -> None:
        import psycopg

        url = self._db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(url, autocommit=True) as connection:
            connection.execute(f"LISTEN {CHANNEL}")
            if reconnected:
                self._on_change(frozenset({ANY_TABLE}))
            pending: set[str] = set()
            last_report = 0.0
            while not self.stop_event.is_set():
                # Wait for a notification, at most until the next report is due (or a tick).
                due = max(0.0, last_report + self.interval - time.monotonic()) if pending else self.interval
                for notification in connection.notifies(timeout=due or 0.01, stop_after=None):
                    pending.add(notification.payload or ANY_TABLE)
                    if time.monotonic() - last_report >= self.interval:
                        break
                if pending and time.monotonic() - last_report >= self.interval:
                    tables, pending = frozenset(pending), set()
                    last_report = time.monotonic()
                    self._on_change(tables)


class BatchedAnnouncer:
    """For `procmod worker` on PostgreSQL: its own writes do not NOTIFY (their connections set
    `procmod.batch_announcements`, which the triggers of migration 0011 read); instead, while it has done
    something, one `NOTIFY procmod_change, '*'` a second tells the consoles to look. A NOTIFY in every run's
    transaction would serialize the workers' commits on PostgreSQL's notification queue lock."""

    def __init__(self, db: Database, *, interval: float = 1.0) -> None:
        self._db = db
        self.interval = interval
        self._dirty = threading.Event()
        self.enabled = db.engine.dialect.name == "postgresql"
        if self.enabled:
            from sqlalchemy import event

            event.listen(db.engine, "connect", _batch_announcements)
            db.engine.dispose()  # connections made before now announce as they go: start afresh

    def changed(self, *_event: object) -> None:
        """A listener for scheduler and job events: something was written."""
        self._dirty.set()

    def serve(self, stop: threading.Event) -> None:
        while self.enabled and not stop.wait(self.interval):
            self.announce_if_changed()
        self.announce_if_changed()

    def announce_if_changed(self) -> None:
        if not (self.enabled and self._dirty.is_set()):
            return
        self._dirty.clear()
        from sqlalchemy import text

        try:
            with self._db.engine.connect() as connection:
                connection.execute(text("SELECT pg_notify(:channel, :tables)"),
                                   {"channel": CHANNEL, "tables": ANY_TABLE})
                connection.commit()
        except Exception as error:  # noqa: BLE001 - consoles then learn at the next one
            log.warning("could not announce changes to consoles (%s)", type(error).__name__)


def _batch_announcements(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("SET procmod.batch_announcements = 'on'")
    cursor.close()
    dbapi_connection.commit()  # type: ignore[attr-defined]

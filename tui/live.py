"""Live across consoles: the app's `changes` worker runs `procmod.core.changes.ChangeWatcher` (LISTEN/NOTIFY
on PostgreSQL, `PRAGMA data_version` on SQLite) and posts `DataChanged`; the screen on top and the
notifications pane re-read what they show (`ConsoleScreen.data_changed`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from procmod.tui.messages import DataChanged

if TYPE_CHECKING:
    from textual.app import App

    from procmod.core.changes import ChangeWatcher
    from procmod.storage.engine import Database

#: How often the database is looked at (SQLite) and how often bursts are reported (both).
LIVE_INTERVAL = 1.0


class LiveChanges:
    def __init__(self, app: App[None], db: Database, *, interval: float | None = None) -> None:
        from procmod.core.changes import ChangeWatcher

        self._app = app
        self.watcher: ChangeWatcher = ChangeWatcher(db, self._changed, interval=interval or LIVE_INTERVAL)

    def start(self) -> None:
        self._app.run_worker(self.watcher.run, thread=True, group="changes", name="changes", exit_on_error=False)

    def stop(self) -> None:
        self.watcher.stop()

    def _changed(self, tables: frozenset[str]) -> None:  # on the watcher's thread
        self._app.post_message(DataChanged(tables))

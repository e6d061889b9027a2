"""The first page of the list a console opens on (`procmod --open services`), read by a helper process.

A console that opens on a list needs two heavy sets of imports before it shows data: Textual's, to paint
(~180 ms on the benchmark machine), and SQLAlchemy's with our models and queries, to read (~230 ms). In
one interpreter they queue on its lock, whatever the threads. So, as the console starts and before it
imports Textual, it starts a helper interpreter that imports the second set on another core, reads that
list's first page, sends it back pickled on a pipe and exits. The console shows the page, then opens its
own database behind it (the next page, filters and everything else go through that).

The helper is a shortcut, never a requirement: with one usable CPU it is not started (it would only
compete), and when it fails (a database to migrate, a wrong URL, a crash) or is late, the console opens
its database and reads the page itself, which reports the error the operator must see. The helper opens
the database read-only, runs no migration, decrypts no secret and writes nothing but the page to its
standard output.

Imports here are kept inside functions: the console imports this module before Textual.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import subprocess

    from procmod.core.backend import Backend
    from procmod.core.paging import Page, PageRequest

#: Rows on a list's page (the console's `PagedTable` uses the same number).
PAGE_SIZE = 100
#: How long the console waits for the helper before reading the page itself.
HELPER_TIMEOUT_SECONDS = 5.0


def _modules(backend: Backend, page: PageRequest) -> Page[Any]:
    return backend.modules.list(page=page)


def _datacenters(backend: Backend, page: PageRequest) -> Page[Any]:
    return backend.provider.datacenters(page)


def _tariffs(backend: Backend, page: PageRequest) -> Page[Any]:
    return backend.tariffs.list(page=page)


def _services(backend: Backend, page: PageRequest) -> Page[Any]:
    return backend.services.list(page=page)


def _departments(backend: Backend, page: PageRequest) -> Page[Any]:
    return backend.provider.departments(page)


def _notifications(backend: Backend, page: PageRequest) -> Page[Any]:
    from dataclasses import replace

    return backend.notifications.list(page=replace(page, sort="created", descending=True))


def _tasks(backend: Backend, page: PageRequest) -> Page[Any]:
    return backend.tasks.list(page=page)


def _failures(backend: Backend, page: PageRequest) -> Page[Any]:
    from procmod.core.paging import Page
    from procmod.core.services import failure_page

    entries, total = failure_page(backend.db, page.offset, page.limit)
    return Page(rows=entries, total=total, offset=page.offset, limit=page.limit)


def _reconciliation(backend: Backend, page: PageRequest) -> Page[Any]:
    return backend.reconciliation.overview(page)


#: Each main-menu list's first page, unfiltered, as its screen reads it (a test holds the two equal).
FIRST_PAGES: dict[str, Callable[[Backend, PageRequest], Page[Any]]] = {
    "modules": _modules,
    "datacenters": _datacenters,
    "tariffs": _tariffs,
    "services": _services,
    "departments": _departments,
    "notifications": _notifications,
    "tasks": _tasks,
    "failures": _failures,
    "reconciliation": _reconciliation,
}


def read_first_page(url: str | None, destination: str, limit: int = PAGE_SIZE) -> Page[Any]:
    """Open the database at `url` read-only, without migrating it, and read `destination`'s first page.

    Raises when the database is not at this version's schema (the console migrates it, not a helper)."""
    from pathlib import Path

    from procmod.core.backend import Backend
    from procmod.core.clock import SystemClock
    from procmod.core.paging import PageRequest
    from procmod.core.secrets import SecretBox
    from procmod.storage import migrate
    from procmod.storage.engine import Database, resolve_database_url

    resolved = resolve_database_url(url)
    if resolved.startswith("sqlite") and not Path(resolved.split("///", 1)[-1]).is_file():
        raise FileNotFoundError("no database file yet (the console creates it)")
    db = Database.open(resolved)
    try:
        if not migrate.is_current(db):
            raise RuntimeError("the database is not at this version's schema")
        # Lists show no secret: a key of its own keeps the helper off the operator's key file.
        backend = Backend.create(db, clock=SystemClock(), secrets=SecretBox.generate(), operator="first page",
                                 read_only=True)
        return FIRST_PAGES[destination](backend, PageRequest(limit=limit))
    finally:
        db.dispose()


def usable_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


class FirstPageHelper:
    """A helper process reading one list's first page; `result()` is that page, or None.

    On Linux, while the process has one thread (the console starts it before anything else), the helper is
    a fork: it skips an interpreter's start and what the console imported already. Elsewhere it is a new
    interpreter running `helper_main`. Not on Windows, whose pipes cannot be waited on with a timeout."""

    def __init__(self, pipe: int, *, pid: int | None = None, process: subprocess.Popen[bytes] | None = None
                 ) -> None:
        self._pipe = pipe
        self._pid = pid
        self._process = process
        self._done = False
        self._status: int | None = None

    @classmethod
    def start(cls, url: str | None, destination: str, limit: int = PAGE_SIZE, *,
              fork: bool | None = None) -> FirstPageHelper | None:
        """Start the helper for `destination`, or None where it would not help (one CPU, not a list)."""
        if destination not in FIRST_PAGES or usable_cpus() < 2 or sys.platform == "win32":
            return None
        if fork is None:
            import threading

            fork = sys.platform == "linux" and threading.active_count() == 1
        try:
            return cls._fork(url, destination, limit) if fork else cls._spawn(url, destination, limit)
        except OSError:
            return None

    @classmethod
    def _fork(cls, url: str | None, destination: str, limit: int) -> FirstPageHelper:
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # the helper: it never returns into the console's code
            code = 1
            try:
                _short_lived()
                os.close(read_end)
                _send(read_first_page(url, destination, limit), write_end)
                code = 0
            finally:
                os._exit(code)
        os.close(write_end)
        return cls(read_end, pid=pid)

    @classmethod
    def _spawn(cls, url: str | None, destination: str, limit: int) -> FirstPageHelper:
        import subprocess

        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        path = os.pathsep.join([root, *filter(None, [os.environ.get("PYTHONPATH")])])
        process = subprocess.Popen(
            [sys.executable, "-c", "from procmod.core.first_page import helper_main; helper_main()",
             url or "", destination, str(limit)],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            env={**os.environ, "PYTHONPATH": path})
        assert process.stdout is not None
        return cls(process.stdout.fileno(), process=process)

    def result(self, timeout: float = HELPER_TIMEOUT_SECONDS) -> Page[Any] | None:
        """The page, once the helper has sent it; None if it failed or took longer than `timeout` (it is
        then stopped). Called once, from one thread."""
        if self._done:
            return None
        import pickle
        import selectors
        import time

        chunks: list[bytes] = []
        deadline = time.monotonic() + timeout
        with selectors.DefaultSelector() as selector:
            selector.register(self._pipe, selectors.EVENT_READ)
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    self._finish(kill=True)
                    return None
                if selector.select(left):
                    chunk = os.read(self._pipe, 1 << 16)
                    if not chunk:
                        break
                    chunks.append(chunk)
        self._finish(kill=False)
        if self._status != 0 or not chunks:
            return None
        try:
            return pickle.loads(b"".join(chunks))  # noqa: S301 - our own child's output, on a private pipe
        except Exception:  # noqa: BLE001 - a page that does not load is a page not read
            return None

    def _finish(self, *, kill: bool) -> None:
        """Close the pipe and reap the helper (killed first if it is late)."""
        self._done = True
        if self._process is not None:
            if kill:
                self._process.kill()
            self._process.stdout.close()  # type: ignore[union-attr]
            self._status = self._process.wait()
            return
        os.close(self._pipe)
        if kill:
            import signal

            with contextlib.suppress(ProcessLookupError):
                os.kill(self._pid, signal.SIGKILL)  # type: ignore[arg-type]
        _, status = os.waitpid(self._pid, 0)  # type: ignore[arg-type]
        self._status = os.waitstatus_to_exitcode(status)


def _short_lived() -> None:
    """The helper lives for one page: the cyclic garbage collector, which walks the objects its imports
    make again and again (~50 ms of the helper's ~350), would free nothing it keeps."""
    import gc

    gc.disable()


def _send(page: Page[Any], fd: int) -> None:
    import pickle

    with os.fdopen(fd, "wb") as pipe:
        pipe.write(pickle.dumps(page, protocol=pickle.HIGHEST_PROTOCOL))


def helper_main() -> None:
    """The helper process: argv is URL, destination, limit; the pickled page goes to standard output."""
    _short_lived()
    url, destination, limit = sys.argv[1], sys.argv[2], int(sys.argv[3])
    try:
        page = read_first_page(url or None, destination, limit)
    except Exception:  # noqa: BLE001 - the console reads the page itself and reports what is wrong
        sys.exit(1)
    sys.stdout.flush()
    _send(page, os.dup(sys.stdout.fileno()))

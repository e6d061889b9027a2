"""The one handle the console (and the CLI, tests, screenshot script) holds on the domain.

`open_backend` opens a database (migrating it), and bundles the query services with the injected clock,
the secret box and the operator's name. Nothing here is module-global.
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import configure_mappers

from procmod.core.clock import Clock, SystemClock
from procmod.core.queries import (
    ModuleQueries,
    NotificationService,
    ProviderQueries,
    ServiceQueries,
    TariffQueries,
    TaskQueries,
)
from procmod.core.secrets import SecretBox, load_or_create_key
from procmod.storage import migrate
from procmod.storage.engine import Database

if TYPE_CHECKING:
    from procmod.core.integration import Integrations
    from procmod.core.lifecycle import Commands, ConnectionChecker
    from procmod.core.reference import ReferenceCommands
    from procmod.core.jobs import JobEngine, JobListener
    from procmod.core.scheduler import Listener, Scheduler
    from procmod.core.reconciliation import Reconciliation
    from procmod.core.dto import NotificationRow
    from procmod.core.services import ServiceOperations


def default_operator() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name in some containers
        return "operator"


@dataclass
class Backend:
    """The query services, built at once, and the writing half (`commands`, `integrations`), built on first
    use: the first list an operator sees needs neither, nor the HTTP stack and the drivers behind them, so
    start-up does not import them."""

    db: Database
    clock: Clock
    secrets: SecretBox
    operator: str
    modules: ModuleQueries
    tariffs: TariffQueries
    services: ServiceQueries
    notifications: NotificationService
    tasks: TaskQueries
    provider: ProviderQueries
    checker: ConnectionChecker | None = None
    driver_options: dict[str, Any] | None = None
    #: The runs' lease and deadline (seconds) for the schedulers this backend makes (`procmod --lease`,
    #: `--deadline`); None: the scheduler's defaults (120 s and 90 s).
    run_timing: tuple[float, float] | None = None
    _read_only: bool = False
    _commands: Commands | None = field(default=None, repr=False)
    _integrations: Integrations | None = field(default=None, repr=False)
    _reference: ReferenceCommands | None = field(default=None, repr=False)
    _operations: ServiceOperations | None = field(default=None, repr=False)
    _reconciliation: Reconciliation | None = field(default=None, repr=False)

    @property
    def read_only(self) -> bool:
        return self._read_only or (self._commands is not None and self._commands.read_only)

    def warm_up(self) -> None:
        """The ORM's one-time set-up (mapping every model), which the first query would otherwise do: a
        console calls this on its loading thread so that its first screen does not wait for it."""
        configure_mappers()

    def make_read_only(self) -> None:
        """From now on every command refuses to write (the console's `--read-only`)."""
        self._read_only = True
        if self._commands is not None:
            self._commands.read_only = True
        if self._operations is not None:
            self._operations.read_only = True
        if self._reconciliation is not None:
            self._reconciliation.read_only = True

    @property
    def commands(self) -> Commands:
        if self._commands is None:
            from procmod.core.lifecycle import Commands

            self._commands = Commands(self.db, self.clock, self.secrets, self.operator, checker=self.checker,
                                      read_only=self._read_only)
            if self.checker is None:
                # Without an explicit checker, the wizard's Finish runs the real driver check.
                self._commands.checker = self.integrations.check_values
        return self._commands

    @property
    def reference(self) -> ReferenceCommands:
        """Data centers, departments and tariff plans (core/reference.py); writes refuse when read-only."""
        if self._reference is None:
            from procmod.core.reference import ReferenceCommands

            def writable() -> None:
                if self.read_only:
                    from procmod.core.lifecycle import ReadOnly

                    raise ReadOnly("The console is read-only (--read-only): nothing can be changed.")

            self._reference = ReferenceCommands(self.db, self.clock, self.operator, writable=writable)
        return self._reference

    @property
    def integrations(self) -> Integrations:
        if self._integrations is None:
            from procmod.core.integration import Integrations

            self._integrations = Integrations(self.db, self.clock, self.secrets, self.commands,
                                              driver_options=self.driver_options)
        return self._integrations

    @property
    def operations(self) -> ServiceOperations:
        """Service operations (open, suspend, resume, close, bulk, transfer), the service card and the
        failure queue (core/services.py)."""
        if self._operations is None:
            from procmod.core.services import ServiceOperations

            self._operations = ServiceOperations(self.db, self.clock, self.secrets, self.operator, self.integrations,
                                                 read_only=self.read_only)
        return self._operations

    @property
    def reconciliation(self) -> Reconciliation:
        """Reconcile modules with their panels: reports, the plan → tariff map, plan and apply
        (core/reconciliation.py); writes refuse when read-only."""
        if self._reconciliation is None:
            from procmod.core.reconciliation import Reconciliation

            self._reconciliation = Reconciliation(self.db, self.clock, self.operator, self.integrations,
                                                  lambda: self.operations, read_only=self.read_only)
        return self._reconciliation

    def failure_count(self) -> int:
        """Entries in the failure queue (Failed operations): the notifications pane shows it."""
        from procmod.core.services import failure_count

        return failure_count(self.db)

    def pane(self, limit: int) -> tuple[list[NotificationRow], int, int]:
        """What the notifications pane shows: the newest unread notifications, how many are unread, and the
        failure queue's entries, read in one statement (two when nothing is unread)."""
        from procmod.core.services import failure_counts

        latest, unread, failures = self.notifications.latest_with_counts(limit, failure_counts())
        return latest, unread, sum(failures)

    def make_job_engine(self, *, worker_id: str, listener: JobListener | None = None, concurrency: int = 4,
                        clock: Clock | None = None, lease: Any = None) -> JobEngine:
        """The job engine running this backend's service operations (the console's and `procmod worker`'s)."""
        from procmod.core.jobs import DEFAULT_LEASE, JobEngine
        from procmod.core.scheduler import DatabaseClock

        if clock is None:
            clock = DatabaseClock(self.db) if isinstance(self.clock, SystemClock) else self.clock
        operations = self.operations
        engine = JobEngine(self.db, clock, operations.run, worker_id=worker_id, concurrency=concurrency,
                           per_module=operations.concurrency_of, lease=lease or DEFAULT_LEASE, listener=listener)
        engine.interrupt_effects = operations.on_interrupted
        operations.on_queued = engine.wake
        return engine

    @classmethod
    def create(cls, db: Database, *, clock: Clock, secrets: SecretBox, operator: str,
               checker: ConnectionChecker | None = None, read_only: bool = False,
               driver_options: dict[str, Any] | None = None) -> Backend:
        return cls(
            db=db,
            clock=clock,
            secrets=secrets,
            operator=operator,
            modules=ModuleQueries(db, clock, secrets),
            tariffs=TariffQueries(db),
            services=ServiceQueries(db),
            notifications=NotificationService(db, clock),
            tasks=TaskQueries(db),
            provider=ProviderQueries(db),
            checker=checker,
            driver_options=driver_options,
            _read_only=read_only,
        )

    def make_scheduler(self, *, worker_id: str, listener: Listener | None = None, concurrency: int = 4,
                       clock: Clock | None = None) -> Scheduler:
        """The scheduler over this backend's tasks. Due-ness follows the database's clock unless a clock is
        injected (tests) or the backend itself runs on a fixed clock (demos, snapshots)."""
        from procmod.core.scheduler import DatabaseClock, Scheduler

        if clock is None:
            clock = DatabaseClock(self.db) if isinstance(self.clock, SystemClock) else self.clock
        timing = {}
        if self.run_timing is not None:
            timing = {"lease": timedelta(seconds=self.run_timing[0]), "deadline": timedelta(seconds=self.run_timing[1])}
        return Scheduler(self.db, clock, self.integrations.run_task, worker_id=worker_id, concurrency=concurrency,
                         listener=listener, **timing)

    def close(self) -> None:
        self.db.dispose()


def open_backend(
    url: str | None = None,
    *,
    clock: Clock | None = None,
    secrets: SecretBox | None = None,
    operator: str | None = None,
    upgrade: bool = True,
    checker: ConnectionChecker | None = None,
    read_only: bool = False,
) -> Backend:
    """Open (and by default migrate) the database at `url` and build the backend around it."""
    db = Database.open(url)
    if not migrate.is_current(db):
        if upgrade:
            migrate.upgrade(db)
        else:
            migrate.check_not_newer(db)
    return Backend.create(
        db,
        clock=clock or SystemClock(),
        secrets=secrets or SecretBox(load_or_create_key()),
        operator=operator or default_operator(),
        checker=checker,
        read_only=read_only,
    )

"""The one handle the console (and the CLI, tests, screenshot script) holds on the domain.

`open_backend` opens a database (migrating it), and bundles the query services with the injected clock,
the secret box and the operator's name. Nothing here is module-global.
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass

from core.clock import Clock, SystemClock
from core.integration import Integrations
from core.lifecycle import Commands, ConnectionChecker
from core.queries import (
    ModuleQueries,
    NotificationService,
    ProviderQueries,
    ServiceQueries,
    TariffQueries,
    TaskQueries,
)
from core.scheduler import DatabaseClock, Listener, Scheduler
from core.secrets import SecretBox, load_or_create_key
from storage import migrate
from storage.engine import Database


def default_operator() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name in some containers
        return "operator"


@dataclass
class Backend:
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
    commands: Commands
    integrations: Integrations

    @property
    def read_only(self) -> bool:
        return self.commands.read_only

    @classmethod
    def create(cls, db: Database, *, clock: Clock, secrets: SecretBox, operator: str,
               checker: ConnectionChecker | None = None, read_only: bool = False,
               driver_options: dict | None = None) -> Backend:
        """Wire the services. Without an explicit `checker`, the wizard's Finish runs the real driver check."""
        commands = Commands(db, clock, secrets, operator, checker=checker, read_only=read_only)
        integrations = Integrations(db, clock, secrets, commands, driver_options=driver_options)
        if checker is None:
            commands.checker = integrations.check_values  # noqa: SLF001 - wiring the two halves
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
            commands=commands,
            integrations=integrations,
        )

    def make_scheduler(self, *, worker_id: str, listener: Listener | None = None, concurrency: int = 4,
                       clock: Clock | None = None) -> Scheduler:
        """The scheduler over this backend's tasks. Due-ness follows the database's clock unless a clock is
        injected (tests) or the backend itself runs on a fixed clock (demos, snapshots)."""
        if clock is None:
            clock = DatabaseClock(self.db) if isinstance(self.clock, SystemClock) else self.clock
        return Scheduler(self.db, clock, self.integrations.run_task, worker_id=worker_id, concurrency=concurrency,
                         listener=listener)

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

"""The one interface every module type's driver implements, and the plain values it speaks in.

A driver is built from a `DriverConfig` (settings, secrets, timeouts, TLS, a call recorder, a clock) and
never touches the database: the caller reads the module, decrypts its secrets, builds the config, and
stores what the driver returns. Every method is synchronous (httpx.Client); the UI calls them from
worker threads. Every external failure is raised as a typed `DriverError` (see errors.py), except in
`check_connection`, which never raises: it reports each stage instead.
"""

from __future__ import annotations

import enum
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar

from procmod.core.clock import Clock, SystemClock
from procmod.core.drivers.errors import DriverError
from procmod.core.moduletypes import ModuleType, module_type

MEGABYTE = 1024 * 1024


@dataclass(frozen=True)
class CallRecord:
    """One HTTP exchange with an external system, as the call log keeps it: no secret in any field."""

    at: datetime
    module_type: str
    operation: str
    method: str
    url: str  # secrets masked by key name
    status: int | None
    duration_ms: int
    error: str | None = None  # the typed error's kind and message, when the attempt failed
    attempt: int = 1
    request_headers: Mapping[str, str] = field(default_factory=dict)  # secrets masked


Recorder = Callable[[CallRecord], None]


class CallLog:
    """A recorder that keeps the calls in a list (tests, the demo, a detail pane)."""

    def __init__(self) -> None:
        self.calls: list[CallRecord] = []

    def __call__(self, record: CallRecord) -> None:
        self.calls.append(record)

    def operations(self) -> list[str]:
        return [call.operation for call in self.calls]


@dataclass(frozen=True)
class DriverConfig:
    """Everything a driver needs to talk to one external system; nothing from the database.

    `settings` are the module's plain settings (core/moduletypes.py keys), `secrets` its decrypted secret
    settings (password, api_token, api_key, ...). `verify_tls=None` means "as the module's `verify_tls`
    setting says, default on". `base_url` overrides the address derived from the settings (tests, the
    demo's emulators). `deadline` bounds one API call including its retries; `task_timeout` bounds the
    wait for an asynchronous panel task.
    """

    module_type: str
    settings: Mapping[str, Any] = field(default_factory=dict)
    secrets: Mapping[str, str] = field(default_factory=dict, repr=False)
    connect_timeout: float = 5.0
    read_timeout: float = 20.0
    deadline: float = 60.0
    verify_tls: bool | None = None
    ca_bundle: str | None = None
    base_url: str | None = None
    recorder: Recorder | None = None
    #: Called before every attempt of an API call: raising (a DriverError) stops the operation there. A
    #: scheduled run stops calling the panel once its deadline passed or its lease is lost.
    before_call: Callable[[], None] | None = None
    clock: Clock = field(default_factory=SystemClock)
    sleeper: Callable[[float], None] = time.sleep
    max_attempts: int = 3
    backoff: float = 0.5
    max_backoff: float = 8.0
    max_body_bytes: int = 5 * MEGABYTE
    page_size: int = 100
    task_poll_interval: float = 2.0
    task_timeout: float = 600.0
    user_agent: str = "procmod/0.1"

    def with_changes(self, **changes: Any) -> DriverConfig:
        return replace(self, **changes)

    def setting(self, key: str, default: Any = None) -> Any:
        value = self.settings.get(key)
        return default if value in (None, "") else value

    def secret(self, key: str) -> str:
        return str(self.secrets.get(key) or self.settings.get(key) or "")

    @property
    def secret_values(self) -> tuple[str, ...]:
        """Every secret this config knows, so messages and records can be scrubbed of them."""
        schema_secrets = {key for key in self.settings if key in _secret_keys(self.module_type)}
        values = [str(v) for v in self.secrets.values() if v]
        values += [str(self.settings[key]) for key in schema_secrets if self.settings.get(key)]
        return tuple(values)

    @property
    def tls_verification(self) -> bool:
        if self.verify_tls is not None:
            return self.verify_tls
        flag = self.settings.get("verify_tls")
        return True if flag is None else bool(flag)


def _secret_keys(type_key: str) -> frozenset[str]:
    try:
        return module_type(type_key).secret_keys
    except KeyError:
        return frozenset()


# --- what the operations return -------------------------------------------------------------------


class StageOutcome(enum.StrEnum):
    OK = "ok"
    FAILED = "failed"
    SKIPPED = "skipped"


class Stage(enum.StrEnum):
    RESOLVE = "Resolve address"
    CONNECT = "Connect"
    TLS = "TLS"
    AUTHENTICATE = "Authenticate"
    API_VERSION = "API version"


@dataclass(frozen=True)
class CheckStage:
    stage: Stage
    outcome: StageOutcome
    latency_ms: int
    message: str

    @property
    def ok(self) -> bool:
        return self.outcome is StageOutcome.OK


@dataclass(frozen=True)
class CheckReport:
    """The staged result of a connection check; the first failed stage says why, the rest are skipped."""

    stages: tuple[CheckStage, ...]
    error: DriverError | None = None
    api_version: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and all(s.outcome is not StageOutcome.FAILED for s in self.stages)

    @property
    def failed_stage(self) -> CheckStage | None:
        return next((s for s in self.stages if s.outcome is StageOutcome.FAILED), None)

    @property
    def summary(self) -> str:
        failed = self.failed_stage
        if failed is None:
            version = f" (API {self.api_version})" if self.api_version else ""
            return f"Connection OK{version}"
        return f"{failed.stage.value} failed: {failed.message}"


@dataclass(frozen=True)
class ConfigChange:
    """One setting Update configuration would change: the value now and the value read from the panel."""

    key: str
    label: str
    before: Any
    after: Any
    reason: str = ""


@dataclass(frozen=True)
class ConfigPlan:
    """What Update configuration would change, computed against the module's current settings.

    `apply(settings)` returns new settings with the changes made; it is pure and idempotent:
    applying a plan twice gives what applying it once gives, and re-planning after it finds nothing.
    `catalog` holds the choices read from the panel (clusters, OS templates, packages) for display.
    """

    changes: tuple[ConfigChange, ...] = ()
    catalog: Mapping[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not self.changes

    def apply(self, settings: Mapping[str, Any]) -> dict[str, Any]:
        result = dict(settings)
        for change in self.changes:
            result[change.key] = change.after
        return result


@dataclass(frozen=True)
class Balance:
    amount: Decimal
    currency: str


class RemoteStatus(enum.StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    PENDING = "pending"  # being created, or a task still running
    EXPIRED = "expired"
    DELETED = "deleted"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class RemoteService:
    """A service as the external system knows it (VM, hosting account, domain)."""

    remote_id: str
    name: str
    status: RemoteStatus
    plan: str = ""
    expires: date | None = None
    details: Mapping[str, Any] = field(default_factory=dict)
    #: What reconciliation matches a billing service on (the type's `ModuleType.natural_key`: cPanel user
    #: name, VM name, domain name); empty: the remote id.
    natural_key: str = ""
    #: The primary address: the account's or the domain's name, the VM's first IP; "" when the panel has none.
    address: str = ""

    @property
    def key(self) -> str:
        return self.natural_key or self.remote_id


@dataclass(frozen=True)
class ServiceSpec:
    """What to open: a name (host name / domain / account), a plan (OS template / package / years) and
    type-specific options (e.g. cPanel username and contact e-mail, VM resources, domain contacts).
    Secret options (passwords) are never recorded: their keys are masked by name."""

    name: str
    plan: str = ""
    options: Mapping[str, Any] = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class ServiceResult:
    remote_id: str
    status: RemoteStatus
    message: str = ""
    already_existed: bool = False


# --- the interface --------------------------------------------------------------------------------


class Driver(ABC):
    """The operations every module type implements. Subclasses set `module_type`."""

    module_type: ClassVar[str]

    def __init__(self, config: DriverConfig) -> None:
        self.config = config

    @property
    def description(self) -> ModuleType:
        """Describe: schema, product types, data-center support, default tasks (core/moduletypes.py)."""
        return module_type(self.module_type)

    @abstractmethod
    def check_connection(self) -> CheckReport: ...

    @abstractmethod
    def update_configuration(self) -> ConfigPlan: ...

    @abstractmethod
    def read_balance(self) -> Balance | None: ...

    @abstractmethod
    def list_remote_services(self) -> list[RemoteService]: ...

    def iter_remote_services(self, page_size: int = 500) -> Iterator[list[RemoteService]]:
        """The panel's services a page at a time, as the vendor's API pages them (a panel may hold tens of
        thousands). A page that cannot be read raises its DriverError after the earlier pages were yielded,
        so a caller knows how far it got (reconciliation reports the rest as not read). Drivers whose API
        pages override this; the default is one page of everything."""
        yield self.list_remote_services()

    @abstractmethod
    def open_service(self, spec: ServiceSpec) -> ServiceResult: ...

    @abstractmethod
    def suspend_service(self, remote_id: str) -> ServiceResult: ...

    @abstractmethod
    def resume_service(self, remote_id: str) -> ServiceResult: ...

    @abstractmethod
    def close_service(self, remote_id: str) -> ServiceResult: ...

    def close(self) -> None:
        """Release the HTTP connection pool."""

    def __enter__(self) -> Driver:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

"""Plain, frozen dataclasses the screens receive. No ORM object ever leaves `core`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from procmod.core.paging import Page, PageRequest
from procmod.storage.enums import ModuleStatus, RunResult, ServiceStatus, TariffStatus

__all__ = [
    "ModuleStatus", "RunResult", "ServiceStatus", "TariffStatus",
    "PageRequest", "Page", "Option",
    "ModuleFilter", "ModuleRow", "ModuleCard", "SettingValue", "SettingsGroup",
    "CardTariff", "CardTask", "CardNotification",
    "TariffFilter", "TariffRow", "ServiceFilter", "ServiceRow",
    "NotificationFilter", "NotificationRow", "NotificationDetail", "NOTIFICATION_ADVICE",
    "TaskFilter", "TaskRow", "TaskRunRow",
    "ApiCallRow", "AuditRow", "FieldChange", "DepartmentRow", "DataCenterRow",
]

@dataclass(frozen=True)
class Option:
    """A choice in a filter: the value the service takes and the label the operator reads."""

    value: str
    label: str


# ---------------------------------------------------------------- processing modules


@dataclass(frozen=True)
class ModuleFilter:
    text: str = ""  # part of the name, case-insensitive
    module_type: str | None = None
    status: ModuleStatus | None = None
    datacenter_id: int | None = None
    department_id: int | None = None


@dataclass(frozen=True)
class ModuleRow:
    id: int
    name: str
    module_type: str
    module_type_title: str
    product_type_name: str
    datacenter_name: str | None
    department_name: str
    status: ModuleStatus
    sort_priority: int
    tariff_count: int
    active_service_count: int
    unread_notification_count: int
    health_ok: bool | None = None  # the last connection check; None: never checked
    health_checked_at: datetime | None = None


@dataclass(frozen=True)
class SettingValue:
    key: str
    label: str
    display: str  # secrets already masked
    help: str = ""


@dataclass(frozen=True)
class SettingsGroup:
    title: str
    values: list[SettingValue]


@dataclass(frozen=True)
class CardTariff:
    id: int
    name: str
    status: TariffStatus
    active_service_count: int


@dataclass(frozen=True)
class CardTask:
    id: int
    name: str
    schedule: str
    enabled: bool
    last_run_at: datetime | None
    last_result: RunResult | None
    last_duration: timedelta | None


@dataclass(frozen=True)
class CardNotification:
    id: int
    description: str
    created_at: datetime


@dataclass(frozen=True)
class ModuleCard:
    id: int
    name: str
    module_type: str
    module_type_title: str  # "Processing module": the system integrated with
    product_type_name: str
    supports_datacenter: bool
    datacenter_name: str | None
    department_name: str
    status: ModuleStatus
    sort_priority: int
    reports_balance: bool
    balance: Decimal | None
    balance_currency: str | None
    balance_read_at: datetime | None
    minimal_balance: Decimal | None
    updated_at: datetime
    updated_by: str | None
    version: int
    settings: list[SettingsGroup]
    tariffs: list[CardTariff]
    tariff_total: int  # the card shows the first tariffs; the link opens all of them
    tasks: list[CardTask]
    notifications: list[CardNotification]
    unread_notification_total: int
    health_ok: bool | None = None
    health_summary: str | None = None
    health_checked_at: datetime | None = None
    #: Why the module's type cannot be used (plugin broken or missing): the card is read-only. Empty if usable.
    type_unavailable: str = ""
    #: The IANA zone its tasks' schedules fire in.
    timezone: str = "UTC"


# ---------------------------------------------------------------- products


@dataclass(frozen=True)
class TariffFilter:
    text: str = ""
    module_id: int | None = None
    tariff_id: int | None = None
    status: TariffStatus | None = None


@dataclass(frozen=True)
class TariffRow:
    id: int
    name: str
    product_type_name: str
    status: TariffStatus
    price: Decimal
    module_names: list[str]  # linked modules, lowest sort priority first
    active_service_count: int
    period: str = "month"


@dataclass(frozen=True)
class ServiceFilter:
    text: str = ""
    tariff_id: int | None = None
    module_id: int | None = None
    status: ServiceStatus | None = None


@dataclass(frozen=True)
class ServiceRow:
    id: int
    name: str
    tariff_name: str
    module_name: str
    remote_id: str | None
    status: ServiceStatus
    created_at: datetime


# ---------------------------------------------------------------- notifications, tasks, provider


@dataclass(frozen=True)
class NotificationFilter:
    module_id: int | None = None
    unread_only: bool = False
    text: str = ""


@dataclass(frozen=True)
class NotificationRow:
    id: int
    module_id: int | None
    module_name: str | None
    kind: str
    description: str
    created_at: datetime
    read_at: datetime | None

    @property
    def unread(self) -> bool:
        return self.read_at is None


#: What the operator can do about a notification, by its kind (the notification screen's last block).
NOTIFICATION_ADVICE: dict[str, str] = {
    "task_failed": "Open the module's card (c) and check the connection there (c): the check says which stage "
                   "fails (address, TLS, login). Fix the settings (Edit) or the external system, then run the "
                   "task again from its runs (b here, then r).",
    "interrupted": "The worker running the task stopped. Nothing is lost: the task runs again at its next time; "
                   "run it now from its runs (b here, then r) if it cannot wait.",
    "recovered": "Nothing to do: the task works again.",
    "low_balance": "Top up the account on the external system, then read the balance again on the module's "
                   "card (c here, then B). The minimal balance is set with Edit on the card.",
    "sync_drift": "Services differ between the billing and the external system: compare them with the "
                  "module's services (c here, then s) and correct the side that is wrong.",
    "disabled": "New services are not placed on a disabled module. Enable it on its card (E) when it may "
                "take new services again.",
}


@dataclass(frozen=True)
class NotificationDetail:
    """One notification with what it is about: its module, the task that raised it and that task's last
    run up to the notification, and what to do."""

    id: int
    module_id: int | None
    module_name: str | None
    kind: str
    description: str
    created_at: datetime
    read_at: datetime | None
    occurrences: int
    task_id: int | None
    task_name: str | None
    task_schedule: str | None
    run_started_at: datetime | None
    run_finished_at: datetime | None
    run_result: RunResult | None
    run_message: str | None

    @property
    def advice(self) -> str:
        return NOTIFICATION_ADVICE.get(self.kind, "Open the module's card (c) to see its state.")


@dataclass(frozen=True)
class TaskFilter:
    module_id: int | None = None
    text: str = ""
    result: RunResult | None = None  # last run result


@dataclass(frozen=True)
class TaskRow:
    id: int
    module_id: int
    module_name: str
    name: str
    schedule: str
    enabled: bool
    last_run_at: datetime | None
    last_result: RunResult | None
    last_duration: timedelta | None
    next_run_at: datetime | None = None
    schedule_in_words: str = ""


@dataclass(frozen=True)
class TaskRunRow:
    id: int
    scheduled_for: datetime
    started_at: datetime
    finished_at: datetime | None
    result: RunResult
    message: str
    duration: timedelta | None


@dataclass(frozen=True)
class ApiCallRow:
    id: int
    at: datetime
    operation: str
    method: str
    url: str  # secrets masked by key name before it was stored
    status: int | None
    duration_ms: int
    error: str | None


#: How a masked secret was written into an audit entry (procmod.core.secrets.MASK, repeated here so the
#: DTOs import nothing of the secrets module).
_AUDIT_MASK = "••••••"


@dataclass(frozen=True)
class FieldChange:
    """One field of an audit entry: its value before and after, in words (a secret only says "changed")."""

    key: str
    label: str
    before: str
    after: str

    @property
    def line(self) -> str:
        if self.before == self.after:  # a secret typed again: its value is never shown
            return f"{self.label}: {self.after}"
        return f"{self.label}: {self.before} → {self.after}"


def _audit_value(value: object) -> str:
    if value is None or value == "":
        return "(empty)"
    if value is True or value is False:
        return "on" if value else "off"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "(none)"
    return str(value)


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: datetime
    actor: str
    action: str
    summary: str
    before: dict | None  # secrets already masked when written
    after: dict | None

    def changes(self, labels: dict[str, str] | None = None) -> list[FieldChange]:
        """Each field the entry records, before → after; `labels` names fields (else the key in words).
        Secrets were masked when written: a secret that was set and is set again reads "changed"."""
        before, after = self.before or {}, self.after or {}
        found = []
        for key in [*before, *(k for k in after if k not in before)]:
            label = (labels or {}).get(key) or key.replace("_", " ").capitalize()
            old, new = before.get(key), after.get(key)
            if _AUDIT_MASK in (old, new):
                was = "set" if old == _AUDIT_MASK else "not set"
                now = "changed" if old == _AUDIT_MASK and new == _AUDIT_MASK else ("set" if new else "removed")
                found.append(FieldChange(key, label, was, now) if now != "changed" else
                             FieldChange(key, label, "changed", "changed"))
            elif self.before is None:
                found.append(FieldChange(key, label, "—", _audit_value(new)))
            elif self.after is None:
                found.append(FieldChange(key, label, _audit_value(old), "—"))
            else:
                found.append(FieldChange(key, label, _audit_value(old), _audit_value(new)))
        return found


@dataclass(frozen=True)
class DepartmentRow:
    id: int
    name: str
    module_count: int
    email: str | None = None
    notify_email: str | None = None


@dataclass(frozen=True)
class DataCenterRow:
    id: int
    name: str
    external_id: str | None
    module_count: int
    code: str | None = None
    location: str | None = None

"""The registry of module types (drivers) and their declarative settings schemas (DOMAIN.md §6).

A module type describes itself: which product types it serves, whether it supports data centers and
reports a balance, the settings it needs (grouped as the card shows them) and its default background
tasks. Forms and the card are generated from this description; network code lives in the drivers.
"""

from __future__ import annotations

import enum
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any


class SettingGroup(enum.StrEnum):
    CONNECTION = "Connection parameters"
    MODULE = "Processing module settings"
    LICENSE = "License server"


class FieldKind(enum.StrEnum):
    TEXT = "text"
    PASSWORD = "password"
    FLAG = "flag"
    SWITCH = "switch"
    SELECT = "select"
    NUMBER = "number"
    URL = "url"


@dataclass(frozen=True)
class SettingField:
    key: str
    label: str
    group: SettingGroup
    kind: FieldKind = FieldKind.TEXT
    required: bool = False
    default: Any = None
    help: str = ""
    choices: tuple[tuple[str, str], ...] = ()  # (value, label) for SELECT
    minimum: int | None = None
    maximum: int | None = None
    max_length: int = 255
    #: For a SELECT whose choices the panel supplies: the settings key where Update configuration keeps them.
    choices_from: str | None = None

    @property
    def secret(self) -> bool:
        """Secret values are write-only: encrypted at rest, masked on screen and in audit entries."""
        return self.kind is FieldKind.PASSWORD

    def display(self, value: Any) -> str:
        """The value as the card shows it: secrets as set / not set, flags as Yes / No."""
        if self.secret:
            return "•••••• (set)" if value else "not set"
        if self.kind in (FieldKind.FLAG, FieldKind.SWITCH):
            return "Yes" if value else "No"
        if value is None or value == "":
            return "—"
        if self.kind is FieldKind.SELECT:
            return dict(self.choices).get(str(value), str(value))
        return str(value)

    def display_with(self, value: Any, settings: dict[str, Any]) -> str:
        """As `display`, naming a panel-supplied choice by its label when Update configuration read it."""
        if self.choices_from and value not in (None, ""):
            labels = {str(v): str(label) for v, label in settings.get(self.choices_from) or []}
            if str(value) in labels and labels[str(value)] != str(value):
                return f"{labels[str(value)]} ({value})"
        return self.display(value)


@dataclass(frozen=True)
class TaskTemplate:
    kind: str
    name: str
    schedule: str


@dataclass(frozen=True)
class ProductTypeInfo:
    code: str
    name: str


PRODUCT_TYPES: tuple[ProductTypeInfo, ...] = (
    ProductTypeInfo("vds", "VPS"),
    ProductTypeInfo("vhost", "Shared hosting"),
    ProductTypeInfo("dedic", "Dedicated server"),
    ProductTypeInfo("domain", "Domains"),
    ProductTypeInfo("certificate", "SSL certificates"),
    ProductTypeInfo("soft", "Licenses"),
    ProductTypeInfo("backup", "Backup storage"),
)
PRODUCT_TYPE_NAMES = {p.code: p.name for p in PRODUCT_TYPES}

CHECK_CONNECTION = TaskTemplate("check_connection", "Connection check", "*/15 * * * *")
SYNC_SERVICES = TaskTemplate("sync_services", "Service sync", "30 */4 * * *")
READ_BALANCE = TaskTemplate("read_balance", "Balance check", "0 6,18 * * *")


@dataclass(frozen=True)
class ModuleType:
    key: str
    title: str
    product_types: tuple[str, ...]
    supports_datacenter: bool
    reports_balance: bool
    fields: tuple[SettingField, ...]
    default_tasks: tuple[TaskTemplate, ...] = field(default=(CHECK_CONNECTION, SYNC_SERVICES))
    #: Settings keys holding what Update configuration read from the panel (lists of [value, label]).
    catalog_keys: tuple[str, ...] = ()
    #: Whether the external system can suspend a service (a registrar cannot suspend a domain).
    suspends_services: bool = True
    #: The driver class, as "package.module:Class": imported when a module of this type first talks to its
    #: panel, so describing types (the console's start, the wizard) loads no network code.
    driver: str = ""
    #: False for a type whose plugin is broken or missing: its modules open read-only, with the reason.
    available: bool = True
    unavailable_reason: str = ""
    #: Whether the external system can delete a service through the API (a registrar cannot: Close is refused).
    closes_services: bool = True
    #: How many operations (open, suspend, ...) run on one module at a time, however many are queued.
    operation_concurrency: int = 2
    #: What identifies a service on the panel for reconciliation (core/reconciliation.py), in words: "user
    #: name" (cPanel), "VM name" (VMmanager), "domain" (a registrar). Drivers put it in RemoteService.natural_key.
    natural_key: str = "remote id"

    def groups(self) -> list[tuple[SettingGroup, list[SettingField]]]:
        """The settings groups this type has, in card order; a group it lacks is absent."""
        result = []
        for group in SettingGroup:
            members = [f for f in self.fields if f.group is group]
            if members:
                result.append((group, members))
        return result

    def field(self, key: str) -> SettingField:
        for candidate in self.fields:
            if candidate.key == key:
                return candidate
        raise KeyError(f"{self.key} has no setting {key!r}")

    @property
    def secret_keys(self) -> frozenset[str]:
        return frozenset(f.key for f in self.fields if f.secret)


#: The entry point group module types are registered in, built-in ones included (pyproject.toml).
ENTRY_POINT_GROUP = "procmod.module_types"
#: Background task kinds the scheduler knows how to run (core/integration.py).
TASK_KINDS = frozenset({CHECK_CONNECTION.kind, SYNC_SERVICES.kind, READ_BALANCE.kind})
_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


class ModuleTypeUnavailable(KeyError):
    """A module type that is not installed, or whose plugin is broken; the message says which and why."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "module type unavailable"


def description_problems(candidate: Any, entry_name: str) -> list[str]:
    """What is wrong with a plugin's description (empty when nothing): checked before it is offered."""
    if not isinstance(candidate, ModuleType):
        return [f"is a {type(candidate).__name__}, not a procmod.core.moduletypes.ModuleType"]
    problems = []
    if not isinstance(candidate.key, str) or not _KEY.match(candidate.key):
        problems.append(f"key {candidate.key!r} is not lower-case letters, digits and _ (at most 40)")
    elif candidate.key != entry_name:
        problems.append(f"key {candidate.key!r} differs from its entry point name {entry_name!r}")
    if not isinstance(candidate.title, str) or not candidate.title.strip():
        problems.append("has no title")
    unknown = [p for p in candidate.product_types if p not in PRODUCT_TYPE_NAMES]
    if not candidate.product_types or unknown:
        problems.append(f"serves unknown product types {unknown}" if unknown else "serves no product type")
    if not isinstance(candidate.driver, str) or ":" not in candidate.driver:
        problems.append("names no driver as 'package.module:Class'")
    seen: set[str] = set()
    for setting in candidate.fields:
        if not isinstance(setting, SettingField):
            problems.append(f"has a setting that is a {type(setting).__name__}, not a SettingField")
            continue
        if setting.key in seen:
            problems.append(f"has two settings named {setting.key!r}")
        seen.add(setting.key)
        if not isinstance(setting.group, SettingGroup) or not isinstance(setting.kind, FieldKind):
            problems.append(f"setting {setting.key!r} has an unknown group or kind")
        elif setting.kind is FieldKind.SELECT and not (setting.choices or setting.choices_from):
            problems.append(f"select {setting.key!r} has no choices")
    for task in candidate.default_tasks:
        if not isinstance(task, TaskTemplate) or task.kind not in TASK_KINDS:
            problems.append(f"default task {getattr(task, 'kind', task)!r} is not one of {sorted(TASK_KINDS)}")
        elif len(task.schedule.split()) != 5:
            problems.append(f"default task {task.kind!r} has schedule {task.schedule!r}, not five cron fields")
    for key in candidate.catalog_keys:
        if key in seen:
            problems.append(f"catalog key {key!r} is also a setting")
    return problems


def _installed_entry_points() -> list[Any]:
    from importlib.metadata import entry_points

    return list(entry_points(group=ENTRY_POINT_GROUP))


class ModuleTypeRegistry(Mapping[str, ModuleType]):
    """The available module types, discovered from the entry point group on first use.

    A plugin that fails to import, is not a valid description, or repeats a key already taken is kept out
    with its reason (`unavailable`), and everything else keeps working.
    """

    def __init__(self, discover: Callable[[], Iterable[Any]] = _installed_entry_points) -> None:
        self._discover = discover
        self._types: dict[str, ModuleType] | None = None
        self._unavailable: dict[str, str] = {}
        self._lock = threading.Lock()

    def _loaded(self) -> dict[str, ModuleType]:
        if self._types is None:
            with self._lock:
                if self._types is None:
                    self._types = self._load()
        return self._types

    def _load(self) -> dict[str, ModuleType]:
        types: dict[str, ModuleType] = {}
        origins: dict[str, str] = {}
        # Built-in types first, so a plugin cannot take a built-in key; then plugins by name.
        for entry in sorted(self._discover(), key=lambda e: (not _builtin(e), e.name)):
            origin = _origin(entry)
            try:
                candidate = entry.load()
            except Exception as error:  # noqa: BLE001 - a broken plugin must not break the console
                self._unavailable[entry.name] = f"{origin} failed to import: {type(error).__name__}: {error}"
                continue
            problems = description_problems(candidate, entry.name)
            if problems:
                self._unavailable[entry.name] = f"{origin}: " + "; ".join(problems)
            elif candidate.key in types:
                self._unavailable.setdefault(
                    f"{candidate.key} ({origin})",
                    f"{origin} repeats the key {candidate.key!r} of {origins[candidate.key]}; it is ignored")
            else:
                types[candidate.key] = candidate
                origins[candidate.key] = origin
        # Offered in the main menu's order of product types (VPS, Shared hosting, ...), then by title.
        order = {code: i for i, code in enumerate(PRODUCT_TYPE_NAMES)}
        ranked = sorted(types.values(), key=lambda t: (min(order[p] for p in t.product_types), t.title.lower()))
        return {t.key: t for t in ranked}

    @property
    def unavailable(self) -> dict[str, str]:
        """Entry point name → why it is not offered."""
        self._loaded()
        return dict(self._unavailable)

    def __getitem__(self, key: str) -> ModuleType:
        return self._loaded()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._loaded())

    def __len__(self) -> int:
        return len(self._loaded())

    def reset(self, discover: Callable[[], Iterable[Any]] | None = None) -> None:
        """Discover again (tests that install a plugin, or build a broken one)."""
        with self._lock:
            if discover is not None:
                self._discover = discover
            self._types, self._unavailable = None, {}

    def placeholder(self, key: str) -> ModuleType:
        """What the card shows for a module whose type is not available: no settings, the reason."""
        reason = self.unavailable.get(key) or (f"no installed plugin provides the module type {key!r}")
        return ModuleType(key=key, title=f"{key} (unavailable)", product_types=(), supports_datacenter=False,
                          reports_balance=False, fields=(), default_tasks=(), available=False,
                          unavailable_reason=reason)


def _builtin(entry: Any) -> bool:
    return str(entry.value).startswith("procmod.core.")


def _origin(entry: Any) -> str:
    dist = getattr(entry, "dist", None)
    name = getattr(dist, "name", None)
    return f"plugin {entry.value!r}" + (f" of {name}" if name and name != "procmod" else "")


MODULE_TYPES = ModuleTypeRegistry()


def module_type(key: str) -> ModuleType:
    """An available module type; `ModuleTypeUnavailable` (a KeyError) saying why when it is not."""
    try:
        return MODULE_TYPES[key]
    except KeyError:
        raise ModuleTypeUnavailable(MODULE_TYPES.placeholder(key).unavailable_reason) from None


def module_type_or_placeholder(key: str) -> ModuleType:
    """The type to show a module with: the available one, or a placeholder carrying the reason."""
    try:
        return MODULE_TYPES[key]
    except KeyError:
        return MODULE_TYPES.placeholder(key)


def module_types_for(product_type: str) -> list[ModuleType]:
    """Only the types serving a product type (the Add wizard's second step)."""
    return [t for t in MODULE_TYPES.values() if product_type in t.product_types]

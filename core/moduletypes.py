"""The registry of module types (drivers) and their declarative settings schemas (DOMAIN.md §6).

A module type describes itself: which product types it serves, whether it supports data centers and
reports a balance, the settings it needs (grouped as the card shows them) and its default background
tasks. Forms and the card are generated from this description; network code lives in the drivers.
"""

from __future__ import annotations

import enum
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
    #: Whether the external system can delete a service through the API (a registrar cannot: Close is refused).
    closes_services: bool = True
    #: How many operations (open, suspend, ...) run on one module at a time, however many are queued.
    operation_concurrency: int = 2

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


C, M, L = SettingGroup.CONNECTION, SettingGroup.MODULE, SettingGroup.LICENSE

VMMANAGER6 = ModuleType(
    key="vmmanager6",
    title="VMmanager 6",
    product_types=("vds",),
    supports_datacenter=True,
    reports_balance=False,
    fields=(
        SettingField("url", "Address", C, FieldKind.URL, required=True, help="https://vm.example.com"),
        SettingField("email", "Login (e-mail)", C, required=True, max_length=254),
        SettingField("password", "Password", C, FieldKind.PASSWORD, required=True),
        SettingField("verify_tls", "Verify TLS certificate", C, FieldKind.FLAG, default=True),
        SettingField("ca_bundle", "CA bundle (PEM file)", C, max_length=500,
                     help="A private CA's certificates; blank: the system's trust store"),
        SettingField("cluster", "Cluster", M, FieldKind.SELECT, required=True, choices_from="cluster_choices",
                     help="Cluster the VMs are created in (read from the API by Update configuration)"),
        SettingField("use_recipes", "Use recipes", M, FieldKind.SWITCH, default=False),
        SettingField("extra_network_interface", "Additional network interface", M, FieldKind.SWITCH,
                     default=False),
        SettingField("license_server", "License server module", L, FieldKind.SELECT,
                     choices=(("", "None"), ("ispsystem", "ISPsystem licence server")), default=""),
        SettingField("license_key", "License key", L, FieldKind.PASSWORD),
    ),
    catalog_keys=("cluster_choices", "os_templates"),
)

CPANEL = ModuleType(
    key="cpanel",
    title="cPanel/WHM",
    product_types=("vhost",),
    supports_datacenter=False,
    reports_balance=False,
    fields=(
        SettingField("host", "Host", C, required=True, help="WHM host name or IP address"),
        SettingField("port", "Port", C, FieldKind.NUMBER, default=2087, minimum=1, maximum=65535),
        SettingField("whm_user", "WHM user", C, required=True, default="root", max_length=64),
        SettingField("api_token", "API token", C, FieldKind.PASSWORD, required=True),
        SettingField("verify_tls", "Verify TLS certificate", C, FieldKind.FLAG, default=True),
        SettingField("ca_bundle", "CA bundle (PEM file)", C, max_length=500,
                     help="A private CA's certificates; blank: the system's trust store"),
        SettingField("default_package", "Default package", M, FieldKind.SELECT, choices_from="package_choices",
                     help="WHM package used when a tariff names none"),
        SettingField("nameserver1", "Name server 1", M, max_length=253),
        SettingField("nameserver2", "Name server 2", M, max_length=253),
    ),
    catalog_keys=("package_choices",),
)

NAMECHEAP = ModuleType(
    key="namecheap",
    title="Namecheap",
    product_types=("domain",),
    supports_datacenter=False,
    reports_balance=True,
    fields=(
        SettingField("api_user", "API user", C, required=True, max_length=64),
        SettingField("api_key", "API key", C, FieldKind.PASSWORD, required=True),
        SettingField("user_name", "User name", C, required=True, max_length=64),
        SettingField("client_ip", "Client IP", C, required=True, help="The whitelisted IPv4 address"),
        SettingField("sandbox", "Sandbox", C, FieldKind.FLAG, default=False),
        SettingField("api_url", "API address", C, FieldKind.URL,
                     help="Blank: api.namecheap.com (or the sandbox when Sandbox is on)"),
        SettingField("ca_bundle", "CA bundle (PEM file)", C, max_length=500,
                     help="A private CA's certificates; blank: the system's trust store"),
        SettingField("default_years", "Registration period, years", M, FieldKind.NUMBER, default=1,
                     minimum=1, maximum=10),
        SettingField("auto_renew", "Auto-renew", M, FieldKind.SWITCH, default=True),
    ),
    default_tasks=(CHECK_CONNECTION, SYNC_SERVICES, READ_BALANCE),
    suspends_services=False,
    closes_services=False,
)

MODULE_TYPES: dict[str, ModuleType] = {t.key: t for t in (VMMANAGER6, CPANEL, NAMECHEAP)}


def module_type(key: str) -> ModuleType:
    try:
        return MODULE_TYPES[key]
    except KeyError:
        raise KeyError(f"unknown module type {key!r}") from None


def module_types_for(product_type: str) -> list[ModuleType]:
    """Only the types serving a product type (the Add wizard's second step)."""
    return [t for t in MODULE_TYPES.values() if product_type in t.product_types]

"""Drivers: one interface (base.Driver) per module type, over httpx, with typed errors and redaction.

`driver_for(config)` builds the driver that `config.module_type`'s description names (core/moduletypes.py).
"""

from __future__ import annotations

import importlib

from procmod.core.drivers.base import (
    Balance,
    CallLog,
    CallRecord,
    CheckReport,
    CheckStage,
    ConfigChange,
    ConfigPlan,
    Driver,
    DriverConfig,
    RemoteService,
    RemoteStatus,
    ServiceResult,
    ServiceSpec,
    Stage,
    StageOutcome,
)
from procmod.core.drivers.cpanel import CpanelDriver
from procmod.core.drivers.errors import (
    BadCredentials,
    DriverError,
    PanelRefused,
    PanelUnavailable,
    Timeout,
    TlsError,
    UnexpectedAnswer,
    Unreachable,
    Unsupported,
)
from procmod.core.drivers.namecheap import NamecheapDriver
from procmod.core.drivers.vmmanager6 import VmmanagerDriver
from procmod.core.moduletypes import ModuleTypeUnavailable, module_type

def driver_class(type_key: str) -> type[Driver]:
    """The driver class a module type names (`ModuleType.driver`, "package.module:Class"), imported now.

    `ModuleTypeUnavailable` (a KeyError) when the type is not installed or its driver cannot be loaded.
    """
    description = module_type(type_key)
    module_name, _, attribute = description.driver.partition(":")
    try:
        loaded = getattr(importlib.import_module(module_name), attribute)
    except Exception as error:  # noqa: BLE001 - a plugin's import can fail in any way
        raise ModuleTypeUnavailable(f"the driver {description.driver!r} of module type {type_key!r} cannot be "
                                    f"loaded: {type(error).__name__}: {error}") from error
    if not (isinstance(loaded, type) and issubclass(loaded, Driver)):
        raise ModuleTypeUnavailable(f"{description.driver!r} of module type {type_key!r} is not a "
                                    "procmod Driver class")
    return loaded


def driver_for(config: DriverConfig) -> Driver:
    """The driver of `config.module_type`; `ModuleTypeUnavailable` (a KeyError) for a type without one."""
    return driver_class(config.module_type)(config)


__all__ = [
    "BadCredentials",
    "Balance",
    "CallLog",
    "CallRecord",
    "CheckReport",
    "CheckStage",
    "ConfigChange",
    "ConfigPlan",
    "CpanelDriver",
    "Driver",
    "DriverConfig",
    "DriverError",
    "NamecheapDriver",
    "PanelRefused",
    "PanelUnavailable",
    "RemoteService",
    "RemoteStatus",
    "ServiceResult",
    "ServiceSpec",
    "Stage",
    "StageOutcome",
    "Timeout",
    "TlsError",
    "UnexpectedAnswer",
    "Unreachable",
    "Unsupported",
    "VmmanagerDriver",
    "driver_class",
    "driver_for",
]

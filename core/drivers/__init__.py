"""Drivers: one interface (base.Driver) per module type, over httpx, with typed errors and redaction.

`driver_for(config)` builds the driver for `config.module_type` ("vmmanager6", "cpanel", "namecheap").
"""

from __future__ import annotations

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

DRIVERS: dict[str, type[Driver]] = {
    VmmanagerDriver.module_type: VmmanagerDriver,
    CpanelDriver.module_type: CpanelDriver,
    NamecheapDriver.module_type: NamecheapDriver,
}


def driver_for(config: DriverConfig) -> Driver:
    """The driver of `config.module_type`; KeyError for a type without one."""
    try:
        driver_class = DRIVERS[config.module_type]
    except KeyError:
        raise KeyError(f"no driver for module type {config.module_type!r}") from None
    return driver_class(config)


__all__ = [
    "DRIVERS",
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
    "driver_for",
]

"""The console's screens, one per file; `destination_screen` builds the screen of a menu destination."""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from procmod.tui.screens.list_base import ListScreen

#: Where each destination's screen class lives: only the one opened is imported (the start list is on
#: the way to the console's first data, and the others are prepared later).
_DESTINATION_CLASSES: dict[str, tuple[str, str]] = {
    "modules": ("procmod.tui.screens.module_list", "ModuleListScreen"),
    "datacenters": ("procmod.tui.screens.provider_lists", "DataCenterListScreen"),
    "tariffs": ("procmod.tui.screens.tariff_list", "TariffListScreen"),
    "services": ("procmod.tui.screens.service_list", "ServiceListScreen"),
    "departments": ("procmod.tui.screens.provider_lists", "DepartmentListScreen"),
    "notifications": ("procmod.tui.screens.notification_list", "NotificationListScreen"),
    "tasks": ("procmod.tui.screens.task_list", "TaskListScreen"),
    "failures": ("procmod.tui.screens.failure_queue", "FailureQueueScreen"),
    "reconciliation": ("procmod.tui.screens.recon_overview", "ReconOverviewScreen"),
}


def destination_screen(destination_id: str) -> ListScreen[Any]:
    """A fresh, unfiltered screen for a menu destination id (see `procmod.tui.actions.DESTINATIONS`)."""
    try:
        module, name = _DESTINATION_CLASSES[destination_id]
    except KeyError:
        raise ValueError(f"unknown destination {destination_id!r}") from None
    screen_class: type[ListScreen[Any]] = getattr(import_module(module), name)
    return screen_class()

"""The console's screens, one per file; `destination_screen` builds the screen of a menu destination."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tui.screens.list_base import ListScreen


def destination_screen(destination_id: str) -> ListScreen[Any]:
    """A fresh, unfiltered screen for a menu destination id (see `tui.actions.DESTINATIONS`)."""
    from tui.screens.module_list import ModuleListScreen
    from tui.screens.notification_list import NotificationListScreen
    from tui.screens.provider_lists import DataCenterListScreen, DepartmentListScreen
    from tui.screens.service_list import ServiceListScreen
    from tui.screens.tariff_list import TariffListScreen
    from tui.screens.task_list import TaskListScreen

    screens: dict[str, type[ListScreen[Any]]] = {
        "modules": ModuleListScreen,
        "datacenters": DataCenterListScreen,
        "tariffs": TariffListScreen,
        "services": ServiceListScreen,
        "departments": DepartmentListScreen,
        "notifications": NotificationListScreen,
        "tasks": TaskListScreen,
    }
    try:
        return screens[destination_id]()
    except KeyError:
        raise ValueError(f"unknown destination {destination_id!r}") from None

"""`procmod module-types`: what module types are installed, what each serves, and which are unavailable."""

from __future__ import annotations

import json
import sys
from typing import Any

from procmod.core.moduletypes import MODULE_TYPES, PRODUCT_TYPE_NAMES, ModuleType


def _features(description: ModuleType) -> list[str]:
    features = []
    if description.supports_datacenter:
        features.append("data centers")
    if description.reports_balance:
        features.append("balance")
    if description.suspends_services:
        features.append("suspend")
    return features


def module_type_rows() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = [
        {"key": t.key, "title": t.title, "available": True, "product_types": list(t.product_types),
         "features": _features(t), "driver": t.driver,
         "default_tasks": [{"kind": task.kind, "name": task.name, "schedule": task.schedule}
                           for task in t.default_tasks]}
        for t in MODULE_TYPES.values()
    ]
    rows += [{"key": name, "available": False, "reason": reason} for name, reason in MODULE_TYPES.unavailable.items()]
    return rows


def print_module_types(*, as_json: bool) -> int:
    rows = module_type_rows()
    if as_json:
        json.dump(rows, sys.stdout, indent=2)
        print()
        return 0
    print(f"{'KEY':<12} {'TITLE':<16} {'PRODUCT TYPES':<24} FEATURES")
    for row in rows:
        if row["available"]:
            served = ", ".join(PRODUCT_TYPE_NAMES.get(p, p) for p in row["product_types"])
            print(f"{row['key']:<12} {row['title']:<16} {served:<24} {', '.join(row['features']) or '—'}")
    unavailable = [row for row in rows if not row["available"]]
    if unavailable:
        print("\nUnavailable:")
        for row in unavailable:
            print(f"  {row['key']}: {row['reason']}")
    return 0

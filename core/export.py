"""Export a list, every page of it with its filters, to CSV or JSON, streaming.

The rows are read a page at a time by keyset (`PageRequest.next`: each page starts after the last row of
the one before, so page 10,000 costs what page 1 does) and written as they come: a million services are
exported without holding them, and without one long transaction holding the database. The list is not
counted (the request carries a lower bound larger than any list, so `_paged` never counts; the last,
short page ends it). Columns are the list's row fields; values are written as text a spreadsheet reads
(times in ISO 8601 UTC, statuses by their value, lists joined by "; ").
"""

from __future__ import annotations

import csv
import dataclasses
import enum
import json
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from typing import IO, Any

from procmod.core.dto import (
    DataCenterRow,
    DepartmentRow,
    ModuleFilter,
    ModuleRow,
    NotificationFilter,
    NotificationRow,
    Page,
    PageRequest,
    ServiceFilter,
    ServiceRow,
    TariffFilter,
    TariffRow,
    TaskFilter,
    TaskRow,
)

#: Rows per page read while exporting.
EXPORT_PAGE = 1_000
FORMATS = ("csv", "json")
_NEVER_COUNT = PageRequest(limit=EXPORT_PAGE, known_total=10**15, known_total_is_lower_bound=True)


#: Each exportable list: its filter type (None: text only), its row type (the columns), and how a page is
#: read from the backend.
LISTS: dict[str, tuple[type | None, type, Callable[[Any, Any, PageRequest], Page[Any]]]] = {
    "modules": (ModuleFilter, ModuleRow, lambda b, f, p: b.modules.list(f, p)),
    "tariffs": (TariffFilter, TariffRow, lambda b, f, p: b.tariffs.list(f, p)),
    "services": (ServiceFilter, ServiceRow, lambda b, f, p: b.services.list(f, p)),
    "notifications": (NotificationFilter, NotificationRow, lambda b, f, p: b.notifications.list(
        f, dataclasses.replace(p, sort="created", descending=True))),
    "tasks": (TaskFilter, TaskRow, lambda b, f, p: b.tasks.list(f, p)),
    "departments": (None, DepartmentRow, lambda b, f, p: b.provider.departments(p, getattr(f, "text", f))),
    "datacenters": (None, DataCenterRow, lambda b, f, p: b.provider.datacenters(p, getattr(f, "text", f))),
}


def make_filter(list_name: str, **values: Any) -> Any:
    """The list's filter from keyword values it has (others are ignored: `--status` means nothing to
    departments); a text-only list's filter is its text."""
    filter_type = LISTS[list_name][0]
    if filter_type is None:
        return values.get("text") or ""
    names = {f.name for f in dataclasses.fields(filter_type)}
    return filter_type(**{k: v for k, v in values.items() if k in names and v is not None})


def iter_rows(backend: Any, list_name: str, flt: Any, *, sort: str | None = None,
              descending: bool = False) -> Iterator[Any]:
    """Every row of a list, in its order, a page at a time."""
    read = LISTS[list_name][2]
    request = dataclasses.replace(_NEVER_COUNT, sort=sort, descending=descending)
    while True:
        page = read(backend, flt, request)
        yield from page.rows
        if len(page.rows) < request.limit:
            return
        request = dataclasses.replace(request.next(page), known_total=_NEVER_COUNT.known_total,
                                      known_total_is_lower_bound=True)


def cell(value: Any) -> Any:
    """A value as the file holds it."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (list, tuple)):
        return "; ".join(str(cell(v)) for v in value)
    return value


def export(backend: Any, list_name: str, flt: Any, fmt: str, out: IO[str], *, sort: str | None = None,
           descending: bool = False) -> int:
    """Write the list to `out` as CSV (a header line, then a line a row) or JSON (an array of objects);
    returns the number of rows written."""
    if list_name not in LISTS:
        raise ValueError(f"unknown list {list_name!r}; one of: {', '.join(LISTS)}")
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; csv or json")
    count = 0
    names = [f.name for f in dataclasses.fields(LISTS[list_name][1])]
    writer = csv.DictWriter(out, fieldnames=names, lineterminator="\n")
    if fmt == "json":
        out.write("[")
    else:
        writer.writeheader()
    for row in iter_rows(backend, list_name, flt, sort=sort, descending=descending):
        values = {name: cell(getattr(row, name)) for name in names}
        if fmt == "csv":
            writer.writerow(values)
        else:
            out.write(("\n" if count == 0 else ",\n") + json.dumps(values, ensure_ascii=False))
        count += 1
    if fmt == "json":
        out.write("\n]\n" if count else "]\n")
    return count

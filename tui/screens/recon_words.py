"""How the reconciliation screens put a report and its rows into words (no colour needed to read them)."""

from __future__ import annotations

from rich.text import Text

from procmod.core.formatting import format_time
from procmod.core.reconciliation import FieldDiff, ReconGroup, ReconRowView, ReportSummary
from procmod.tui.widgets.row_table import FittedCell

GROUPS = (ReconGroup.PANEL_ONLY, ReconGroup.BILLING_ONLY, ReconGroup.DIFFERENT)
#: The compared fields the report's table sums up in one column (every field is in a row's difference view).
TABLE_FIELDS = ("status", "plan", "address")
_SHORT_LABELS = {"status": "Status", "plan": "Plan", "address": "Address", "name": "Name"}


def fields_label(group: ReconGroup) -> str:
    """The header of the report's fields column, which reads differently by group (see `fields_cell`)."""
    if group is ReconGroup.DIFFERENT:
        return "Differs: billing / panel"
    return f"Status · plan · address ({'panel' if group is ReconGroup.PANEL_ONLY else 'billing'})"


def fields_cell(row: ReconRowView) -> str | FittedCell:
    """A row's compared fields in one cell, so that at 80 columns they show beside the key and the state:
    on one side only, that side's status · plan · address ("—" where it keeps none); on both, only the
    fields that differ, each with its billing / panel values (`Status Active / Suspended · Plan 1 / 2`)."""
    if row.group is ReconGroup.DIFFERENT:
        pairs = [(_SHORT_LABELS.get(f.field, f.label), f.billing or "—", f.panel or "—")
                 for f in row.fields if f.differs]
        if not pairs:
            return "—"
        return FittedCell(_pairs_text(pairs, None), lambda width: _pairs_text(pairs, width))
    panel = row.group is ReconGroup.PANEL_ONLY
    by_field = {f.field: (f.panel if panel else f.billing) for f in row.fields}
    return " · ".join(by_field.get(field) or "—" for field in TABLE_FIELDS)


def _pairs_text(pairs: list[tuple[str, str, str]], width: int | None) -> str:
    """`Status Active / Suspended · Plan 1 / 2`; in `width` cells, every value cut to a share of the width
    left by the labels and separators (a short value gives its spare to the long ones), so that both sides
    of each pair stay in view: the panel's plan was cut off whole at 80 columns, after the billing's."""
    values = [value for _, billing, panel in pairs for value in (billing, panel)]
    if width is not None:
        fixed = sum(len(label) + 4 for label, _, _ in pairs) + 3 * (len(pairs) - 1)  # "L " + " / ", " · "
        budget = width - fixed
        if budget >= 2 * len(values) and sum(map(len, values)) > budget:
            cap = max(c for c in range(2, max(map(len, values)) + 1)
                      if sum(min(len(v), c) for v in values) <= budget)
            spare = budget - sum(min(len(v), cap) for v in values)
            shortened = []
            for value in values:
                room = cap
                if len(value) > cap and spare:
                    room, spare = cap + 1, spare - 1
                shortened.append(value if len(value) <= room else value[:room - 1] + "…")
            values = shortened
    return " · ".join(f"{label} {values[2 * i]} / {values[2 * i + 1]}" for i, (label, _, _) in enumerate(pairs))


def field_verdict(field: FieldDiff) -> str:
    """The word of a field's two values: `differs`, `same`, or `not compared` (one side keeps none)."""
    if field.differs:
        return "differs"
    return "same" if field.billing == field.panel else "not compared"


def row_state(row: ReconRowView) -> str:
    """Open, what was done to it, or why it offers nothing."""
    if row.resolved:
        return f"done: {row.resolved}"
    return row.note or "open"


def row_state_word(row: ReconRowView) -> str:
    """The report table's State cell, one word or two, so the compared fields keep the width at 80 columns:
    `open`, `done` or `no action` (the whole state is on the line below the table for the row highlighted,
    and in the row's own view)."""
    if row.resolved:
        return "done"
    return "no action" if row.note else "open"


def group_count(report: ReportSummary, group: ReconGroup) -> int:
    return {ReconGroup.PANEL_ONLY: report.panel_only, ReconGroup.BILLING_ONLY: report.billing_only,
            ReconGroup.DIFFERENT: report.different}[group]


def type_title(key: str) -> str:
    """A module type's title (`cPanel/WHM`) from its key, as the card shows it."""
    from procmod.core.moduletypes import module_type_or_placeholder

    return module_type_or_placeholder(key).title


def read_by(report: ReportSummary) -> str:
    return "the schedule" if report.started_by == "schedule" else report.started_by


def report_lines(report: ReportSummary) -> Text:
    """The head of a report: the module, when read and by whom, what was read, the counts."""
    text = Text(f"{report.module_name} ({type_title(report.module_type)})", style="bold")
    text.append(f"  ·  read {format_time(report.read_at)} by {read_by(report)}")
    text.append(f"\n{report.summary}" + (f"  ·  {report.open_rows:,} open" if report.drift else "")
                + f"  ·  {report.remote_total:,} read")
    return text


def group_tabs(report: ReportSummary | None, shown: ReconGroup) -> Text:
    """`[1 Only on the panel: 3]  2 Only in the billing: 1 …`: the group shown is bracketed (and reversed)."""
    text = Text()
    for number, group in enumerate(GROUPS, start=1):
        count = group_count(report, group) if report else 0
        label = f"{number} {group.title}: {count:,}"
        if group is shown:
            text.append(f"[{label}]", style="bold reverse")
        else:
            text.append(f" {label} ")
        text.append(" ")
    return text


def error_text(error: BaseException) -> str:
    return str(error) or type(error).__name__

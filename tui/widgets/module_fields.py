"""The fields of a processing module's forms (the Add wizard and Edit), built from its type's schema.

Parameters first (name, data center when the type has them, department, sort priority, minimal balance
when the type reports a balance), then the settings groups. Values go back to `ModuleParams` here, so the
wizard and the edit form send the domain the same shape.
"""

from __future__ import annotations

import functools

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from procmod.core.backend import Backend
from procmod.core.lifecycle import ModuleParams
from procmod.core.moduletypes import FieldKind, ModuleType, SettingField, SettingGroup
from procmod.core.schedule import local_zone_name, zone_names
from procmod.core.validation import (
    NAME_MAX, ValidationError, validate_money, validate_name, validate_priority, validate_settings,
)
from procmod.tui.widgets.schema_form import FormField, Section

#: Longest a whole number (a sign and 12 digits) or an amount (12 digits, a point, 2 decimals) can be, with
#: room for spaces around it, which validation strips.
NUMBER_MAX = 16
MONEY_MAX = 20

PARAMETER_KEYS = ("name", "datacenter_id", "department_id", "sort_priority", "minimal_balance", "timezone")


def parameter_fields(mtype: ModuleType, backend: Backend) -> list[FormField]:
    fields = [FormField("name", "Name", required=True, help="How the module is called in lists and cards",
                        max_length=NAME_MAX)]
    datacenters, departments = backend.provider.parameter_options()
    if mtype.supports_datacenter:
        fields.append(FormField("datacenter_id", "Data center", FieldKind.SELECT, required=True, choices=tuple(
            (o.value, o.label) for o in datacenters)))
    fields.append(FormField("department_id", "Responsible department", FieldKind.SELECT, required=True,
                            help="Receives the module's tasks and notifications",
                            choices=tuple((o.value, o.label) for o in departments)))
    fields.append(FormField("sort_priority", "Sort priority", FieldKind.NUMBER, required=True,
                            help="Lower is tried first when a tariff links several modules", max_length=NUMBER_MAX))
    if mtype.reports_balance:
        fields.append(FormField("minimal_balance", "Minimal balance", help="A notification when the balance "
                                "falls below it, e.g. 100.00", max_length=MONEY_MAX))
    fields.append(FormField("timezone", "Time zone", FieldKind.SELECT,
                            help="The clock its tasks' schedules fire by; type to jump (e.g. Europe/Am). "
                                 "Left unchosen: your own zone",
                            choices=_zone_choices()))
    return fields


@functools.cache
def _zone_choices() -> tuple[tuple[str, str], ...]:
    """The time zone select's choices: one tuple for the process (a form's shape compares it by identity)."""
    return tuple((zone, zone) for zone in zone_names())


def setting_sections(mtype: ModuleType, groups: tuple[SettingGroup, ...],
                     secrets_set: frozenset[str] = frozenset(),
                     catalogs: Mapping[str, Sequence[tuple[str, str]]] | None = None) -> list[Section]:
    """The type's settings groups among `groups`, in card order; a group the type lacks is absent.

    `catalogs` (ModuleForm.catalogs) are the choices Update configuration read from the panel, by field
    key: such a SELECT becomes a drop-down of them; without them it stays free text.
    """
    catalogs = catalogs or {}

    def field_of(setting: SettingField) -> FormField:
        fld = FormField.from_setting(setting, secret_set=setting.key in secrets_set)
        panel_choices = catalogs.get(setting.key)
        if setting.choices_from and panel_choices and not setting.choices:
            fld = replace(fld, choices=tuple((str(v), str(label)) for v, label in panel_choices), from_panel=True)
        return fld

    return [(group.value, [field_of(f) for f in fields]) for group, fields in mtype.groups() if group in groups]


def other_groups() -> tuple[SettingGroup, ...]:
    return tuple(g for g in SettingGroup if g is not SettingGroup.CONNECTION)


def to_params(values: dict[str, Any], mtype: ModuleType) -> ModuleParams:
    """Form values (all forms of one module merged) → the domain's ModuleParams."""

    def as_id(raw: Any) -> int | None:
        return int(raw) if str(raw or "").isdigit() else None

    settings = {f.key: values[f.key] for f in mtype.fields if f.key in values}
    return ModuleParams(
        name=values.get("name", ""), department_id=as_id(values.get("department_id")),
        datacenter_id=as_id(values.get("datacenter_id")), sort_priority=values.get("sort_priority", ""),
        minimal_balance=values.get("minimal_balance") or None, settings=settings,
        timezone=values.get("timezone") or None,
    )


def initial_values(params: ModuleParams) -> dict[str, Any]:
    """ModuleParams → form values (ids as the selects' string values)."""
    values: dict[str, Any] = dict(params.settings)
    values.update(name=params.name, sort_priority=params.sort_priority,
                  department_id=str(params.department_id) if params.department_id is not None else "",
                  datacenter_id=str(params.datacenter_id) if params.datacenter_id is not None else "",
                  minimal_balance="" if params.minimal_balance is None else str(params.minimal_balance),
                  timezone=params.timezone or local_zone_name())
    return values


def field_errors(values: dict[str, Any], mtype: ModuleType, secrets_set: frozenset[str] = frozenset()) -> dict[str, str]:
    """What the domain would refuse in these form values, found without the database (the wizard's ctrl+n
    checks a step with it, and a form clears an error with it once fixed). The domain still validates all
    of it when saving (e.g. that the chosen department still exists)."""
    errors: dict[str, str] = {}
    params = to_params(values, mtype)
    if "name" in values and (error := validate_name(params.name)[1]):
        errors["name"] = error
    if "sort_priority" in values and (error := validate_priority(params.sort_priority)[1]):
        errors["sort_priority"] = error
    if "minimal_balance" in values and (error := validate_money(params.minimal_balance, "Minimal balance")[1]):
        errors["minimal_balance"] = error
    if "department_id" in values and params.department_id is None:
        errors["department_id"] = "Responsible department is required"
    if "datacenter_id" in values and params.datacenter_id is None:
        errors["datacenter_id"] = "Data center is required for this module type"
    try:
        validate_settings(mtype, params.settings, secrets_already_set=secrets_set)
    except ValidationError as invalid:
        errors.update({key: message for key, message in invalid.errors.items() if key in values})
    return errors

"""Schema-driven validation of a module's settings and parameters.

Every value an operator types is checked here before anything is saved: required, URL and host syntax,
number ranges, select choices, length limits, and no control characters. Errors are keyed by field so
a form can show each one next to its input. Nothing here touches the database.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

from procmod.core.moduletypes import FieldKind, ModuleType, SettingField, SettingGroup

_HOST_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
NAME_MAX = 100
PRIORITY_RANGE = (0, 100_000)


class ValidationError(ValueError):
    """One or more fields are invalid; `errors` maps field key → readable message."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__("; ".join(f"{k}: {v}" for k, v in self.errors.items()))


@dataclass
class Cleaned:
    """Validated values split into plain settings and secrets (secrets left blank are not present)."""

    settings: dict[str, Any] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)


def control_character_error(text: str) -> str | None:
    for char in text:
        category = unicodedata.category(char)
        if category in ("Cc", "Cs") or (category == "Cf" and char not in "\u200d"):
            return f"contains a control character (U+{ord(char):04X})"
    return None


def check_text(text: Any, *, label: str, required: bool, max_length: int) -> tuple[str, str | None]:
    """Returns (the stripped text, an error or None)."""
    if text is None:
        text = ""
    if not isinstance(text, str):
        return "", f"{label} must be text"
    if (problem := control_character_error(text)) is not None:
        return text, f"{label} {problem}"
    stripped = text.strip()
    if required and not stripped:
        return stripped, f"{label} is required"
    if len(stripped) > max_length:
        return stripped, f"{label} is longer than {max_length} characters"
    return stripped, None


def is_host(value: str) -> bool:
    """A DNS host name or an IPv4/IPv6 address."""
    try:
        ipaddress.ip_address(value.strip("[]"))
        return True
    except ValueError:
        pass
    if len(value) > 253 or value.endswith("."):
        value = value[:-1] if value.endswith(".") else value
        if len(value) > 253:
            return False
    labels = value.split(".")
    return all(_HOST_LABEL.match(label) for label in labels) and not labels[-1].isdigit()


def url_error(value: str) -> str | None:
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError as exc:
        return f"is not a valid URL ({exc})"
    if parts.scheme not in ("http", "https"):
        return "must start with https:// (or http://)"
    if not parts.hostname or not is_host(parts.hostname):
        return "has no valid host name"
    if port is not None and not 1 <= port <= 65535:
        return "has a port outside 1–65535"
    if any(c.isspace() for c in value):
        return "must not contain spaces"
    return None


def _number(value: Any, fld: SettingField) -> tuple[int | None, str | None]:
    if value is None or value == "":
        return None, (f"{fld.label} is required" if fld.required else None)
    if isinstance(value, bool):
        return None, f"{fld.label} must be a whole number"
    if isinstance(value, str):
        if control_character_error(value) or not re.fullmatch(r"\s*[+-]?\d{1,12}\s*", value):
            return None, f"{fld.label} must be a whole number"
        value = int(value)
    if not isinstance(value, int):
        return None, f"{fld.label} must be a whole number"
    if fld.minimum is not None and value < fld.minimum or fld.maximum is not None and value > fld.maximum:
        return None, f"{fld.label} must be between {fld.minimum} and {fld.maximum}"
    return value, None


def validate_field(fld: SettingField, value: Any) -> tuple[Any, str | None]:
    """Validate one setting; returns (clean value, error or None)."""
    if fld.kind in (FieldKind.FLAG, FieldKind.SWITCH):
        if value is None:
            return bool(fld.default), None
        if not isinstance(value, bool):
            return None, f"{fld.label} must be on or off"
        return value, None
    if fld.kind is FieldKind.NUMBER:
        return _number(value, fld)
    text, error = check_text(value, label=fld.label, required=fld.required, max_length=fld.max_length)
    if error or not text:
        return text, error
    if fld.kind is FieldKind.URL and (problem := url_error(text)):
        return text, f"{fld.label} {problem}"
    if fld.kind is FieldKind.SELECT and fld.choices and text not in dict(fld.choices):
        return text, f"{fld.label} must be one of: {', '.join(label for _, label in fld.choices)}"
    if fld.key in ("host", "nameserver1", "nameserver2") and not is_host(text):
        return text, f"{fld.label} is not a valid host name or IP address"
    if fld.key == "client_ip":
        try:
            ipaddress.IPv4Address(text)
        except ValueError:
            return text, f"{fld.label} must be an IPv4 address"
    if fld.key == "email" and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", text):
        return text, f"{fld.label} must be an e-mail address"
    return text, None


def validate_settings(mtype: ModuleType, values: dict[str, Any], *, secrets_already_set: frozenset[str] = frozenset()
                      ) -> Cleaned:
    """Validate every field of the type's schema. A blank secret that is already set stays unchanged."""
    errors: dict[str, str] = {}
    cleaned = Cleaned()
    unknown = set(values) - {f.key for f in mtype.fields} - set(mtype.catalog_keys)
    for key in sorted(unknown):
        errors[key] = f"{mtype.title} has no setting {key!r}"
    for key in mtype.catalog_keys:
        if key in values:
            catalog, error = _catalog(values[key])
            if error:
                errors[key] = error
            else:
                cleaned.settings[key] = catalog
    for fld in mtype.fields:
        raw = values.get(fld.key, fld.default if not fld.secret else None)
        if fld.secret:
            blank = raw is None or (isinstance(raw, str) and raw == "")
            if blank:
                if fld.required and fld.key not in secrets_already_set:
                    errors[fld.key] = f"{fld.label} is required"
                continue
            clean, error = check_text(raw, label=fld.label, required=fld.required, max_length=fld.max_length)
            if error:
                errors[fld.key] = error
            else:
                cleaned.secrets[fld.key] = clean
            continue
        clean, error = validate_field(fld, raw)
        if error:
            errors[fld.key] = error
        else:
            cleaned.settings[fld.key] = clean
    if errors:
        raise ValidationError(errors)
    return cleaned


def _catalog(value: Any) -> tuple[list[list[str]] | None, str | None]:
    """Choices read from a panel: a bounded list of [value, label] text pairs."""
    if not isinstance(value, (list, tuple)) or len(value) > 10_000:
        return None, "must be a list of at most 10,000 choices"
    pairs = []
    for pair in value:
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            return None, "must hold [value, label] pairs"
        texts = [str(part) for part in pair]
        if any(len(t) > 255 or control_character_error(t) for t in texts):
            return None, "holds a choice that is too long or has control characters"
        pairs.append(texts)
    return pairs, None


def validate_name(name: Any) -> tuple[str, str | None]:
    return check_text(name, label="Name", required=True, max_length=NAME_MAX)


_PRIORITY_FIELD = SettingField("sort_priority", "Sort priority", SettingGroup.MODULE, FieldKind.NUMBER,
                               required=True, minimum=PRIORITY_RANGE[0], maximum=PRIORITY_RANGE[1])


def validate_priority(value: Any) -> tuple[int | None, str | None]:
    return _number(value, _PRIORITY_FIELD)


def validate_money(value: Any, label: str) -> tuple[Decimal | None, str | None]:
    if value is None or value == "":
        return None, None
    if isinstance(value, bool):
        return None, f"{label} must be an amount"
    if isinstance(value, str) and control_character_error(value):
        return None, f"{label} must be an amount"
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        return None, f"{label} must be an amount such as 100.00"
    if not amount.is_finite() or amount < 0 or amount >= Decimal("1e12"):
        return None, f"{label} must be between 0 and 999,999,999,999.99"
    if amount != amount.quantize(Decimal("0.01")):
        return None, f"{label} has more than two decimals"
    return amount.quantize(Decimal("0.01")), None

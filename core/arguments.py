"""Checked entry points: the arguments of `core`'s public calls are checked before the body runs.

A method opts in with one line, `@entry_point()`. From its type hints (and the overrides given to the
decorator) a plan of checks is built once, on the first call, and cached; each call then costs one pass
over its arguments. A bad argument is answered with the project's `ValidationError`, keyed by the
parameter's name (or, inside a params dataclass such as `ModuleParams`, by the field's name, which is the
key a form shows the error under). What is checked, by hint:

- `int`: a real int (not bool, not float, not a numeric string) within PostgreSQL's INTEGER range;
- `str`: text without NUL, lone surrogates or other control characters, at most `TEXT_MAX` characters;
- `bool`: True or False only;
- an `Enum` class: one of its members;
- `X | None`: None or an X;
- `Mapping[K, V]`/`dict[K, V]`: a mapping of at most `ITEMS_MAX` entries whose keys and values are checked;
- `Iterable[T]`/`Sequence[T]`/`list[T]`/`set[T]`/`tuple[T, ...]`: a collection (not text, bytes or a
  mapping) of at most `ITEMS_MAX` items, each checked; it is handed on as a list (a generator is read once);
- a dataclass: an instance of it, each field checked by the field's own hint;
- `Any`/`object`: anything (the body validates it, e.g. `validate_settings`);
- any other class: an instance of it.

Overrides say more than a hint can: `Column(Service.name)` takes the length, range and nullability of a
database column, `Ref(Department.id)` also requires the row to exist, `Text(255)`, `Int(1, 100)`,
`Known(ENTITIES, "reference entity")` one of a set of known objects. A parameter of a dataclass is
overridden with the dotted name: `@entry_point(**{"params.name": Text(100)})`.

Every decorated function is listed in `ENTRY_POINTS`, so a test can feed all of them, including those
added later. `refuses=` names the exceptions the entry point documents besides `ValidationError` and
`NotFound` (a Conflict, a DeleteBlocked, ...); `network=True` marks a call that talks to an external system.
"""

from __future__ import annotations

import collections.abc
import dataclasses
import enum
import functools
import importlib
import inspect
import math
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

from procmod.core.errors import NotFound
from procmod.core.moduletypes import MODULE_TYPES
from procmod.core.validation import ValidationError, control_character_error

#: PostgreSQL INTEGER and BIGINT (SQLite stores 64-bit ints; PostgreSQL's INTEGER is the narrower bound).
INT32 = (-(2**31), 2**31 - 1)
INT64 = (-(2**63), 2**63 - 1)
#: Bounds for text and collections whose hint names no column: far above any form's, far below harm.
TEXT_MAX = 10_000
ITEMS_MAX = 10_000

F = TypeVar("F", bound=Callable[..., Any])


class _Bad(Exception):
    """A check's refusal: errors by field key (raised inside the checks, turned into ValidationError)."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors


def _refuse(key: str, message: str) -> _Bad:
    return _Bad({key: message})


# ------------------------------------------------------------------------------------------------ checks


class Check:
    """One argument's check: returns the value to hand on, or raises _Bad naming `key`."""

    def __call__(self, value: Any, key: str, db: Any) -> Any:  # pragma: no cover - interface
        raise NotImplementedError

    #: True when the check needs the database (existence of a row): it runs after every type check passed.
    needs_db = False


@dataclass(frozen=True)
class Anything(Check):
    def __call__(self, value: Any, key: str, db: Any) -> Any:
        return value


@dataclass(frozen=True)
class Int(Check):
    minimum: int = INT32[0]
    maximum: int = INT32[1]

    def __call__(self, value: Any, key: str, db: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _refuse(key, f"{_label(key)} must be a whole number, not {_kind(value)}")
        if not self.minimum <= value <= self.maximum:
            raise _refuse(key, f"{_label(key)} must be between {self.minimum:,} and {self.maximum:,}")
        return value


@dataclass(frozen=True)
class Text(Check):
    max_length: int = TEXT_MAX
    min_length: int = 0

    def __call__(self, value: Any, key: str, db: Any) -> Any:
        if not isinstance(value, str):
            raise _refuse(key, f"{_label(key)} must be text, not {_kind(value)}")
        if len(value) < self.min_length:
            raise _refuse(key, f"{_label(key)} must not be empty" if self.min_length == 1 else
                          f"{key} is shorter than {self.min_length} characters")
        if len(value) > self.max_length:
            raise _refuse(key, f"{_label(key)} is longer than {self.max_length:,} characters")
        if (problem := control_character_error(value)) is not None:
            raise _refuse(key, f"{_label(key)} {problem}")
        return value


@dataclass(frozen=True)
class Flag(Check):
    def __call__(self, value: Any, key: str, db: Any) -> Any:
        if not isinstance(value, bool):
            raise _refuse(key, f"{_label(key)} must be True or False, not {_kind(value)}")
        return value


@dataclass(frozen=True)
class Number(Check):
    """A finite float or Decimal (an int is accepted too)."""

    def __call__(self, value: Any, key: str, db: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
            raise _refuse(key, f"{_label(key)} must be a number, not {_kind(value)}")
        if (isinstance(value, float) and not math.isfinite(value)) or (
                isinstance(value, Decimal) and not value.is_finite()):
            raise _refuse(key, f"{_label(key)} must be a finite number")
        if isinstance(value, int) and not INT64[0] <= value <= INT64[1]:
            raise _refuse(key, f"{_label(key)} is out of range")
        return value


@dataclass(frozen=True)
class Plain(Check):
    """A value a JSON column or a driver setting can hold: None, True/False, an int in BIGINT's range, a
    finite number, clean text, or a list of those (a catalog of choices), at most `depth` lists deep."""

    max_length: int = TEXT_MAX
    depth: int = 3

    def __call__(self, value: Any, key: str, db: Any) -> Any:
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, int):
            return Int(*INT64)(value, key, db)
        if isinstance(value, (float, Decimal)):
            return Number()(value, key, db)
        if isinstance(value, str):
            return Text(self.max_length)(value, key, db)
        if isinstance(value, (list, tuple)) and self.depth > 0:
            return Items(Plain(self.max_length, self.depth - 1), as_type=type(value))(value, key, db)
        raise _refuse(key, f"{_label(key)} must be text, a number, True/False or a list of those, "
                           f"not {_kind(value)}")


@dataclass(frozen=True)
class Member(Check):
    enum_class: type[enum.Enum]

    def __call__(self, value: Any, key: str, db: Any) -> Any:
        if not isinstance(value, self.enum_class):
            choices = ", ".join(str(m.value) for m in self.enum_class)
            raise _refuse(key, f"{_label(key)} must be one of: {choices}")
        return value


@dataclass(frozen=True)
class Optional(Check):
    inner: Check

    def __call__(self, value: Any, key: str, db: Any) -> Any:
        return None if value is None else self.inner(value, key, db)

    @property
    def needs_db(self) -> bool:  # type: ignore[override]
        return self.inner.needs_db


@dataclass(frozen=True)
class Mapping(Check):
    keys: Check = Text(255, min_length=1)
    values: Check = Anything()
    max_items: int = ITEMS_MAX

    def __call__(self, value: Any, key: str, db: Any) -> Any:
        if not isinstance(value, collections.abc.Mapping):
            raise _refuse(key, f"{_label(key)} must be a mapping of names to values, not {_kind(value)}")
        if len(value) > self.max_items:
            raise _refuse(key, f"{_label(key)} has more than {self.max_items:,} entries")
        for item_key, item in value.items():
            try:
                self.keys(item_key, key, db)
            except _Bad:
                raise _refuse(key, f"{_label(key)} must have names that are non-empty text without control "
                                   "characters") from None
            self.values(item, item_key or key, db)  # keyed as a form keys the field: by the setting's name
        return value


@dataclass(frozen=True)
class Items(Check):
    item: Check
    max_items: int = ITEMS_MAX
    as_type: type = list

    def __call__(self, value: Any, key: str, db: Any) -> Any:
        if isinstance(value, (str, bytes, bytearray, memoryview, collections.abc.Mapping)) or not isinstance(
                value, collections.abc.Iterable):
            raise _refuse(key, f"{_label(key)} must be a list, not {_kind(value)}")
        items = []
        for item in value:
            if len(items) >= self.max_items:
                raise _refuse(key, f"{_label(key)} has more than {self.max_items:,} items")
            items.append(self.item(item, key, db))
        return items if self.as_type is list else self.as_type(items)


@dataclass(frozen=True)
class InstanceOf(Check):
    """An instance of a class, named by the class or by "module.Class" (imported on first use, for classes a
    module only names under TYPE_CHECKING). A dataclass's fields are checked too, as `Record` does."""

    cls: type | str

    def __call__(self, value: Any, key: str, db: Any) -> Any:
        cls = _import(self.cls) if isinstance(self.cls, str) else self.cls
        if not isinstance(value, cls):
            raise _refuse(key, f"{_label(key)} must be a {cls.__name__}, not {_kind(value)}")
        if dataclasses.is_dataclass(cls):
            return Record(cls)(value, key, db)
        return value


@dataclass(frozen=True, eq=False)
class Choice(Check):
    """Text that is a key of `choices` (a mapping or collection, read on each call: it may grow)."""

    choices: Any = field(repr=False)
    label: str = "value"

    def __call__(self, value: Any, key: str, db: Any) -> Any:
        if not isinstance(value, str) or value not in self.choices:
            known = ", ".join(sorted(map(str, self.choices))[:20])
            raise _refuse(key, f"{_label(key)} must be a known {self.label} ({known})")
        return value


@dataclass(frozen=True, eq=False)
class Known(Check):
    """One of a set of known objects (e.g. the reference entities' `EntitySpec`s), by identity: never an
    object built to look like one. `options` maps names to the objects (the message lists the names)."""

    options: Any = field(repr=False)
    label: str = "value"

    def __call__(self, value: Any, key: str, db: Any) -> Any:
        if not any(value is option for option in self.options.values()):
            known = ", ".join(sorted(map(str, self.options)))
            raise _refuse(key, f"{_label(key)} must be a known {self.label} ({known}), not {_kind(value)}")
        return value


@dataclass(frozen=True)
class Record(Check):
    """A dataclass instance whose fields are checked by their hints; errors are keyed by field name."""

    cls: type
    overrides: dict[str, Check] = field(default_factory=dict, hash=False)

    def __call__(self, value: Any, key: str, db: Any) -> Any:
        if not isinstance(value, self.cls):
            raise _refuse(key, f"{_label(key)} must be a {self.cls.__name__}, not {_kind(value)}")
        errors: dict[str, str] = {}
        for name, check in self.fields:
            try:
                check(getattr(value, name), name, db)
            except _Bad as bad:
                errors.update(bad.errors)
        if errors:
            raise _Bad(errors)
        return value

    @functools.cached_property
    def fields(self) -> tuple[tuple[str, Check], ...]:
        """(field name, check) of every field, built once per Record."""
        return _record_plan(self.cls, _frozen(self.overrides))

    @property
    def needs_db(self) -> bool:  # type: ignore[override]
        return any(c.needs_db for _, c in self.fields)


@functools.cache
def _record_plan(cls: type, overrides: tuple[tuple[str, Check], ...]) -> tuple[tuple[str, Check], ...]:
    hints = typing.get_type_hints(cls, include_extras=True)
    given = dict(overrides)
    return tuple((f.name, given.get(f.name) or check_for(hints.get(f.name, Any))) for f in dataclasses.fields(cls))


def _frozen(overrides: dict[str, Check]) -> tuple[tuple[str, Check], ...]:
    return tuple(sorted(overrides.items(), key=lambda item: item[0]))


def Column(attribute: Any, *, nullable: bool | None = None) -> Check:  # noqa: N802 - reads as a type
    """The check a database column implies: String(n) → Text(n), Integer → INTEGER range, BigInteger,
    Boolean, Enum, Numeric; a nullable column also accepts None."""
    from sqlalchemy import BigInteger, Boolean, Enum, Integer, Numeric, String

    column = attribute.property.columns[0]
    sql_type = column.type
    check: Check
    if isinstance(sql_type, BigInteger):
        check = Int(*INT64)
    elif isinstance(sql_type, Integer):
        check = Int(*INT32)
    elif isinstance(sql_type, Boolean):
        check = Flag()
    elif isinstance(sql_type, Enum) and sql_type.enum_class is not None:
        check = Member(sql_type.enum_class)
    elif isinstance(sql_type, String):
        check = Text(sql_type.length or TEXT_MAX)
    elif isinstance(sql_type, Numeric):
        check = Number()
    else:
        check = Anything()
    allow_none = column.nullable if nullable is None else nullable
    return Optional(check) if allow_none else check


@dataclass(frozen=True, eq=False)
class Ref(Check):
    """An id (or code) of an existing row of `attribute`'s table: its column's check, then one lookup."""

    attribute: Any
    label: str = ""
    needs_db = True

    def __call__(self, value: Any, key: str, db: Any) -> Any:
        value = Column(self.attribute, nullable=False)(value, key, db)
        if db is not None:
            model = self.attribute.property.parent.class_
            with db.sessions() as session:
                if session.get(model, value) is None:
                    what = self.label or model.__tablename__.replace("_", " ")
                    raise _refuse(key, f"There is no {what} {value!r} (deleted by someone else?)")
        return value


#: Checks entry points share.
MODULE_TYPE = Choice(MODULE_TYPES, "module type")
#: Settings or secrets handed to a driver: non-empty names, plain values.
DRIVER_SETTINGS = Mapping(Text(64, min_length=1), Plain())


# ------------------------------------------------------------------------------------------------ hints


def check_for(hint: Any) -> Check:
    """The check a type hint implies (see the module's docstring)."""
    if hint is Any or hint is object or isinstance(hint, TypeVar):
        return Anything()
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is typing.Annotated:
        extra = [a for a in args[1:] if isinstance(a, Check)]
        return extra[0] if extra else check_for(args[0])
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        check = check_for(inner[0]) if len(inner) == 1 else _Either(tuple(check_for(a) for a in inner))
        return Optional(check) if len(inner) < len(args) else check
    if origin is typing.Literal:
        return _OneOf(args)
    if hint is bool:
        return Flag()
    if hint is int:
        return Int()
    if hint is str:
        return Text()
    if hint in (float, Decimal):
        return Number()
    if origin in (dict, collections.abc.Mapping, collections.abc.MutableMapping) or hint in (
            dict, collections.abc.Mapping):
        keys = check_for(args[0]) if args else Anything()
        keys = Text(255, min_length=1) if isinstance(keys, Text) else keys  # names: not empty, not huge
        return Mapping(keys, check_for(args[1]) if args else Anything())
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return Items(check_for(args[0]), as_type=tuple)
        return Items(Anything(), as_type=tuple)
    if origin in (list, set, frozenset, collections.abc.Iterable, collections.abc.Sequence,
                  collections.abc.Collection, collections.abc.Set):
        kind = origin if origin in (set, frozenset) else list
        return Items(check_for(args[0]) if args else Anything(), as_type=kind)
    if isinstance(hint, type):
        if issubclass(hint, enum.Enum):
            return Member(hint)
        if dataclasses.is_dataclass(hint):
            return Record(hint)
        return InstanceOf(hint)
    return Anything()


@dataclass(frozen=True)
class _Either(Check):
    options: tuple[Check, ...]

    def __call__(self, value: Any, key: str, db: Any) -> Any:
        first: _Bad | None = None
        for option in self.options:
            try:
                return option(value, key, db)
            except _Bad as bad:
                first = first or bad
        assert first is not None
        raise first


@dataclass(frozen=True)
class _OneOf(Check):
    values: tuple[Any, ...]

    def __call__(self, value: Any, key: str, db: Any) -> Any:
        if not any(type(value) is type(v) and value == v for v in self.values):
            raise _refuse(key, f"{_label(key)} must be one of: {', '.join(map(str, self.values))}")
        return value


def _label(key: str) -> str:
    """How a message names the field: "department_id" → "Department id"."""
    text = key.replace("_", " ").strip()
    return text[:1].upper() + text[1:] if text else "Value"


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    return {bool: "True/False", int: "a number", float: "a number", str: "text", bytes: "bytes",
            list: "a list", tuple: "a list", dict: "a mapping"}.get(type(value), type(value).__name__)


def _import(dotted: str) -> type:
    module, _, name = dotted.rpartition(".")
    return getattr(importlib.import_module(module), name)


# ------------------------------------------------------------------------------------------------ registry


@dataclass
class EntryPoint:
    """One checked public call: where it lives, what it refuses, and its cached plan of checks."""

    function: Callable[..., Any]
    qualname: str
    module: str
    refuses: tuple[type[BaseException] | str, ...]
    network: bool
    overrides: dict[str, Check]
    #: The checked callable (what callers get); `function` is the body it guards.
    checked: Callable[..., Any] | None = None
    _plan: tuple[tuple[str, ...], dict[str, Check], bool] | None = None

    @property
    def owner_name(self) -> str:
        """The class the method belongs to ("" for a plain function)."""
        return self.qualname.rpartition(".")[0]

    @property
    def parameters(self) -> list[str]:
        return [n for n in self.plan()[0] if n != "self"]

    def checks(self) -> dict[str, Check]:
        return dict(self.plan()[1])

    def refused(self) -> tuple[type[BaseException], ...]:
        """The documented refusals: ValidationError, NotFound and those named in `refuses=`."""
        named = tuple(_import(r) if isinstance(r, str) else r for r in self.refuses)
        return (ValidationError, NotFound, *named)

    def plan(self) -> tuple[tuple[str, ...], dict[str, Check], bool]:
        if self._plan is None:
            signature = inspect.signature(self.function)
            hints = _hints(self.function, self.overrides, self.qualname)
            names = tuple(signature.parameters)
            checks: dict[str, Check] = {}
            nested: dict[str, dict[str, Check]] = {}
            for dotted, check in self.overrides.items():
                head, _, rest = dotted.partition(".")
                if head not in signature.parameters:
                    raise TypeError(f"{self.qualname}: @entry_point names no parameter {head!r}")
                if rest:
                    nested.setdefault(head, {})[rest] = check
            for name, parameter in signature.parameters.items():
                if name == "self" or parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
                    continue
                check = self.overrides.get(name) or check_for(hints.get(name, Any))
                if name in nested:
                    inner = check.inner if isinstance(check, Optional) else check
                    if not isinstance(inner, Record):
                        raise TypeError(f"{self.qualname}: {name} is not a dataclass; cannot override its fields")
                    record = Record(inner.cls, {**inner.overrides, **nested[name]})
                    check = Optional(record) if isinstance(check, Optional) else record
                checks[name] = check
            needs_db = any(c.needs_db for c in checks.values())
            if needs_db and not self.owner_name:
                raise TypeError(f"{self.qualname}: Ref looks rows up on the method's object (self._db); "
                                "a plain function cannot use it")
            self._plan = (names, checks, needs_db)
        return self._plan


def _hints(function: Callable[..., Any], overrides: dict[str, Check], qualname: str) -> dict[str, Any]:
    """The function's resolved hints; a name only imported under TYPE_CHECKING needs an override."""
    try:
        return typing.get_type_hints(function, include_extras=True)
    except NameError:
        pass
    hints: dict[str, Any] = {}
    for name, annotation in function.__annotations__.items():
        if name in overrides or name == "return":
            continue
        try:
            hints[name] = typing.get_type_hints(_Probe(annotation, function.__globals__), include_extras=True)["x"]
        except NameError as exc:
            raise TypeError(f"{qualname}: the hint of {name!r} cannot be resolved ({exc}); give "
                            f"@entry_point({name}=InstanceOf('module.Class'))") from None
    return hints


class _Probe:
    """A stand-in carrying one annotation, for resolving hints one at a time."""

    def __init__(self, annotation: Any, module_globals: dict[str, Any]) -> None:
        self.__annotations__ = {"x": annotation}
        self.__globals__ = module_globals


#: Every checked entry point by "module:Qualified.name", in the order they were decorated.
ENTRY_POINTS: dict[str, EntryPoint] = {}


def entry_point(*, refuses: tuple[type[BaseException] | str, ...] = (), network: bool = False,
                **overrides: Check) -> Callable[[F], F]:
    """Check a public call's arguments against its hints (and `overrides`) before it runs.

    Bad arguments raise `ValidationError` naming every bad field at once; the body never sees them.
    Values are handed on as checked (an iterable arrives as a list). Existence checks (`Ref`) run after
    the type checks pass, on `self._db` when the method's object has one.
    """

    def decorate(function: F) -> F:
        entry = EntryPoint(function, function.__qualname__, function.__module__, tuple(refuses), network,
                           dict(overrides))
        ENTRY_POINTS[f"{function.__module__}:{function.__qualname__}"] = entry

        @functools.wraps(function)
        def checked(*args: Any, **kwargs: Any) -> Any:
            names, checks, needs_db = entry._plan or entry.plan()
            db = getattr(args[0], "_db", None) if needs_db and args else None
            errors: dict[str, str] = {}
            args = list(args)  # type: ignore[assignment]
            for index, (name, value) in enumerate(zip(names, args)):
                check = checks.get(name)
                if check is not None:
                    try:
                        args[index] = check(value, name, None)  # type: ignore[index]
                    except _Bad as bad:
                        errors.update(bad.errors)
            for name, value in kwargs.items():
                check = checks.get(name)
                if check is not None:
                    try:
                        kwargs[name] = check(value, name, None)
                    except _Bad as bad:
                        errors.update(bad.errors)
            if errors:
                raise ValidationError(errors)
            if db is not None:
                bound = dict(zip(names, args)) | kwargs
                for name, check in checks.items():
                    if check.needs_db and name in bound:
                        try:
                            check(bound[name], name, db)
                        except _Bad as bad:
                            errors.update(bad.errors)
                if errors:
                    raise ValidationError(errors)
            return function(*args, **kwargs)

        checked.entry_point = entry  # type: ignore[attr-defined]
        entry.checked = checked
        return checked  # type: ignore[return-value]

    return decorate

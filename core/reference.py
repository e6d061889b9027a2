"""Reference data with one pattern: data centers, departments and tariff plans.

Each entity is a description (`EntitySpec`: its fields, which are unique, and its delete rules) plus its
own rules; one set of services validates, writes an audit entry per change, refuses duplicates naming the
existing record, and deletes only when no rule blocks, the check and the delete in one transaction. The
console's form, card and list kit (tui/widgets/reference_form.py, tui/screens/reference_*.py) and the
command line (tui/cli_setup.py) both render and call these descriptions.

Names are unique case-insensitively in the database as well (migration 0009): two operators adding one
name at once, one wins and the other gets the same refusal the check gives.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from procmod.core.arguments import (
    Choice, Int, Items, Known, Mapping as MappingOf, Optional, Plain, Record, Text, entry_point,
)
from procmod.core.clock import Clock
from procmod.core.errors import Blocker, DeleteBlocked, NotFound
from procmod.core.formatting import format_money
from procmod.core.moduletypes import PRODUCT_TYPES, module_type
from procmod.core.validation import (
    PRIORITY_RANGE,
    ValidationError,
    check_text,
    validate_money,
    validate_priority,
)
from procmod.storage.engine import Database
from procmod.storage.enums import TariffStatus
from procmod.storage.models import (
    AuditEntry,
    DataCenter,
    Department,
    ProcessingModule,
    ProductType,
    Tariff,
    TariffModule,
)

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")

#: The billing periods a tariff's price is for: (value, label).
TARIFF_PERIODS: tuple[tuple[str, str], ...] = (
    ("month", "per month"), ("quarter", "per quarter"), ("half_year", "per half-year"), ("year", "per year"),
    ("once", "once"),
)
TARIFF_STATUSES: tuple[tuple[str, str], ...] = tuple((s.value, s.label) for s in TariffStatus)


def ensure_product_types(session: Session) -> None:
    """Add the catalogue's product types the database lacks (migration 0009 installs them; idempotent)."""
    present = set(session.scalars(select(ProductType.code)))
    session.add_all(ProductType(code=p.code, name=p.name) for p in PRODUCT_TYPES if p.code not in present)
    session.flush()


# ---------------------------------------------------------------------------- descriptions


@dataclass(frozen=True)
class FieldSpec:
    """One field of a reference entity's form, card and command line."""

    key: str
    label: str
    kind: str = "text"  # text | long_text | email | code | money | choice
    required: bool = False
    max_length: int = 100
    unique: bool = False  # case-insensitive; a duplicate is refused naming the existing record
    choices: tuple[tuple[str, str], ...] = ()  # (value, label); product types are read from the catalogue
    help: str = ""
    default: Any = None  # taken when the field is not given at all (a new record's form starts from it)


@dataclass(frozen=True)
class DeleteRule:
    """One thing that keeps a record from being deleted: how many there are, and where they are fixed."""

    kind: str
    count: Callable[[Session, int], int]
    message: Callable[[int], str]
    fix_in: str  # the destination (tui/actions.py DESTINATIONS) listing them
    fix_filter: str  # the filter field of that list that narrows it to this record

    def blocker(self, session: Session, object_id: int) -> Blocker | None:
        count = self.count(session, object_id)
        if not count:
            return None
        return Blocker(self.kind, count, self.message(count), fix_in=self.fix_in,
                       fix_filter=((self.fix_filter, object_id),))


@dataclass(frozen=True)
class EntitySpec:
    kind: str  # the audit entries' object type
    title: str  # "Data center"
    plural: str
    model: type
    fields: tuple[FieldSpec, ...]
    delete_rules: tuple[DeleteRule, ...] = ()
    destination: str = ""

    def field(self, key: str) -> FieldSpec:
        return next(f for f in self.fields if f.key == key)


def _modules_using(column: Any) -> Callable[[Session, int], int]:
    def count(session: Session, object_id: int) -> int:
        return session.scalar(select(func.count()).select_from(ProcessingModule).where(column == object_id)) or 0
    return count


DATACENTER = EntitySpec(
    "datacenter", "Data center", "Data centers", DataCenter,
    fields=(
        FieldSpec("name", "Name", required=True, unique=True, help="As operators and customers know it"),
        FieldSpec("code", "Short name", kind="code", max_length=32, unique=True,
                  help="A short code such as FRA1 (letters, digits, . _ -)"),
        FieldSpec("location", "Location", max_length=200, help="City and country, or the address"),
        FieldSpec("external_id", "External id", max_length=100,
                  help="The data center's id in the external system (e.g. the panel's location id)"),
    ),
    delete_rules=(
        DeleteRule("modules", _modules_using(ProcessingModule.datacenter_id),
                   lambda n: f"{n} processing module(s) are placed in this data center: move them to another "
                             "data center (Edit on their card) or delete them",
                   "modules", "datacenter_id"),
    ),
    destination="datacenters",
)

DEPARTMENT = EntitySpec(
    "department", "Department", "Departments", Department,
    fields=(
        FieldSpec("name", "Name", required=True, unique=True, help="e.g. Technical support"),
        FieldSpec("email", "E-mail", kind="email", max_length=254, help="The department's address"),
        FieldSpec("notify_email", "Notifications to", kind="email", max_length=254,
                  help="Where the modules' notifications for this department go (blank: its e-mail)"),
        FieldSpec("description", "Description", kind="long_text", max_length=500),
    ),
    delete_rules=(
        DeleteRule("modules", _modules_using(ProcessingModule.department_id),
                   lambda n: f"{n} processing module(s) name this department responsible: choose another "
                             "department on their card (Edit)",
                   "modules", "department_id"),
    ),
    destination="departments",
)

TARIFF = EntitySpec(
    "tariff", "Tariff plan", "Tariff plans", Tariff,
    fields=(
        FieldSpec("name", "Name", required=True, unique=True),
        FieldSpec("product_type", "Product type", kind="choice", required=True,
                  help="What the tariff sells; only modules whose type serves it can be linked"),
        FieldSpec("price", "Price", kind="money", required=True, help="An amount such as 4.90"),
        FieldSpec("period", "Period", kind="choice", required=True, choices=TARIFF_PERIODS, default="month"),
        FieldSpec("status", "Status", kind="choice", required=True, choices=TARIFF_STATUSES, default="active",
                  help="Active tariffs are sold; Disabled, Archived and Deleted ones are not"),
        FieldSpec("description", "Description", kind="long_text", max_length=2000),
    ),
    destination="tariffs",
)

ENTITIES = {spec.kind: spec for spec in (DATACENTER, DEPARTMENT, TARIFF)}


# ---------------------------------------------------------------------------- what screens receive


@dataclass(frozen=True)
class ReferenceCard:
    kind: str
    id: int
    title: str
    values: list[tuple[str, str]]  # (label, display)
    related: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class TariffLink:
    module_id: int
    sort_priority: int


@dataclass(frozen=True)
class LinkChoice:
    """A module a tariff may link: its type serves the tariff's product type (or it is linked now)."""

    module_id: int
    name: str
    module_type_title: str
    linked: bool
    sort_priority: int


@dataclass(frozen=True)
class SetupProgress:
    """What a new database has so far (the main menu's getting-started panel)."""

    datacenter: bool
    department: bool
    module: bool
    tariff: bool


#: The checks the services' arguments share: a spec is one of ENTITIES' (never a look-alike built by a
#: caller: its model and rules decide what is written), values are keyed by field names, a list's limit is
#: a page's size.
SPEC = Known(ENTITIES, "reference entity")
VALUES = MappingOf(Text(64, min_length=1))
LIMIT = Int(0, 10_000)
#: A tariff's links: module ids, and priorities as a form or the command line has them (a number or the text
#: typed, which the body reads and range-checks).
LINKS = Optional(Items(Record(TariffLink, {"sort_priority": Plain(32, depth=0)})))
_WRITE = ("procmod.core.lifecycle.ReadOnly",)


# ---------------------------------------------------------------------------- validation


def _clean_value(spec_field: FieldSpec, raw: Any, choices: Mapping[str, str]) -> tuple[Any, str | None]:
    if spec_field.kind == "money":
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            return None, f"{spec_field.label} is required" if spec_field.required else None
        return validate_money(raw, spec_field.label)
    text, error = check_text(raw, label=spec_field.label, required=spec_field.required,
                             max_length=spec_field.max_length)
    if error:
        return None, error
    if spec_field.kind != "long_text" and ("\n" in text or "\t" in text):
        return None, f"{spec_field.label} must be one line"
    if not text:
        return None, None
    if spec_field.kind == "email" and not _EMAIL.fullmatch(text):
        return None, f"{spec_field.label} must be an e-mail address such as support@example.com"
    if spec_field.kind == "code" and not _CODE.fullmatch(text):
        return None, f"{spec_field.label} may hold letters, digits, '.', '_' and '-' only"
    if spec_field.kind == "choice":
        if text not in choices:
            return None, f"{spec_field.label} must be one of: {', '.join(choices.values())}"
    return text, None


# ---------------------------------------------------------------------------- the services


class ReferenceCommands:
    """Reads and writes of the reference entities; every write is one transaction with its audit entry."""

    def __init__(self, db: Database, clock: Clock, operator: str, *, writable: Callable[[], None]) -> None:
        self._db, self._clock, self.operator, self._writable = db, clock, operator, writable

    # ------------------------------------------------------------ helpers

    @entry_point()
    def setup_progress(self) -> SetupProgress:
        """Whether any data center, department, module and tariff exists: four index look-ups."""
        with self._db.sessions() as session:
            def exists(model: Any) -> bool:
                return session.scalar(select(model.id).limit(1)) is not None
            return SetupProgress(exists(DataCenter), exists(Department), exists(ProcessingModule), exists(Tariff))

    @entry_point()
    def product_type_choices(self) -> list[tuple[str, str]]:
        """The catalogue in its own order (as the Add wizard lists it), any other type after, by name."""
        order = {p.code: index for index, p in enumerate(PRODUCT_TYPES)}
        with self._db.sessions() as session:
            rows = session.execute(select(ProductType.code, ProductType.name)).all()
        return sorted(((c, n) for c, n in rows), key=lambda row: (order.get(row[0], len(order)), row[1]))

    @entry_point(spec=SPEC, key=Text(64, min_length=1))
    def choices(self, spec: EntitySpec, key: str) -> list[tuple[str, str]]:
        if spec is TARIFF and key == "product_type":
            return self.product_type_choices()
        if key not in {f.key for f in spec.fields}:
            raise ValidationError({"key": f"{spec.title} has no field {key!r}"})
        return list(spec.field(key).choices)

    @entry_point(spec=SPEC, values=VALUES)
    def clean(self, spec: EntitySpec, values: Mapping[str, Any]) -> dict[str, Any]:
        """Every field validated, each error keyed by its field; unknown keys refused."""
        if not isinstance(values, Mapping):
            raise ValidationError({"values": "must be a mapping of field names to values"})
        errors: dict[str, str] = {}
        known = {f.key for f in spec.fields}
        for key in sorted(set(values) - known):
            errors[str(key)] = f"{spec.title} has no field {key!r} (fields: {', '.join(sorted(known))})"
        cleaned: dict[str, Any] = {}
        for spec_field in spec.fields:
            choices = dict(self.choices(spec, spec_field.key)) if spec_field.kind == "choice" else {}
            value, error = _clean_value(spec_field, values.get(spec_field.key, spec_field.default), choices)
            if error:
                errors[spec_field.key] = error
            else:
                cleaned[spec_field.key] = value
        if errors:
            raise ValidationError(errors)
        return cleaned

    def _duplicates(self, session: Session, spec: EntitySpec, values: Mapping[str, Any],
                    own_id: int | None) -> dict[str, str]:
        errors = {}
        for spec_field in spec.fields:
            value = values.get(spec_field.key)
            if not spec_field.unique or value in (None, ""):
                continue
            column = getattr(spec.model, spec_field.key)
            query = select(spec.model.id, spec.model.name).where(func.lower(column) == value.lower())
            if own_id is not None:
                query = query.where(spec.model.id != own_id)
            found = session.execute(query.limit(1)).first()
            if found is not None:
                errors[spec_field.key] = (f"{spec.title} “{found.name}” (#{found.id}) already has the "
                                          f"{spec_field.label.lower()} {value}")
        return errors

    def _refuse_duplicates_after_race(self, spec: EntitySpec, values: Mapping[str, Any], own_id: int | None,
                                      exc: IntegrityError) -> ValidationError:
        """A unique index refused the write: another operator saved the same name meanwhile. Name them."""
        with self._db.sessions() as session:
            errors = self._duplicates(session, spec, values, own_id)
        return ValidationError(errors or {"name": f"Another {spec.title.lower()} was saved with the same "
                                                  f"values meanwhile: {exc.orig}"})

    def _audit(self, session: Session, action: str, spec: EntitySpec, object_id: int, summary: str,
               before: dict[str, Any] | None, after: dict[str, Any] | None) -> None:
        def plain(values: dict[str, Any] | None) -> dict[str, Any] | None:
            if values is None:
                return None
            return {k: str(v) if isinstance(v, (Decimal, datetime)) else v for k, v in values.items()}
        session.add(AuditEntry(at=self._clock.now(), actor=self.operator, action=action, object_type=spec.kind,
                               object_id=object_id, summary=summary, before=plain(before), after=plain(after)))

    @staticmethod
    def _locked(session: Session, spec: EntitySpec, object_id: int) -> Any:
        if not isinstance(object_id, int) or isinstance(object_id, bool):
            raise ValidationError({"id": f"{spec.title} id must be a whole number"})
        record = session.scalars(select(spec.model).where(spec.model.id == object_id).with_for_update()).one_or_none()
        if record is None:
            raise NotFound(f"{spec.title} #{object_id} no longer exists.")
        return record

    @staticmethod
    def _values_of(spec: EntitySpec, record: Any) -> dict[str, Any]:
        values = {f.key: getattr(record, f.key) for f in spec.fields}
        if "status" in values and isinstance(values["status"], TariffStatus):
            values["status"] = values["status"].value
        return values

    @staticmethod
    def _assign(spec: EntitySpec, record: Any, values: Mapping[str, Any]) -> None:
        for key, value in values.items():
            if key == "status":
                value = TariffStatus(value)
            elif key == "price" and value is None:
                value = Decimal("0")
            setattr(record, key, value)

    # ------------------------------------------------------------ generic create, edit, delete

    @entry_point(spec=SPEC)
    def values(self, spec: EntitySpec, object_id: int) -> dict[str, Any]:
        """The current values, as the edit form starts from them."""
        with self._db.reads() as session:
            record = session.get(spec.model, object_id)
            if record is None:
                raise NotFound(f"{spec.title} #{object_id} no longer exists.")
            return self._values_of(spec, record)

    @entry_point(refuses=_WRITE, spec=SPEC, values=VALUES, links=LINKS)
    def create(self, spec: EntitySpec, values: Mapping[str, Any], *,
               links: Sequence[TariffLink] | None = None) -> int:
        self._writable()
        cleaned = self.clean(spec, values)
        try:
            with self._db.write() as session:
                if errors := self._duplicates(session, spec, cleaned, None):
                    raise ValidationError(errors)
                record = spec.model()
                self._assign(spec, record, cleaned)
                session.add(record)
                session.flush()
                after = dict(cleaned)
                if spec is TARIFF:
                    after["modules"] = self._set_links(session, record, links or [])
                self._audit(session, "create", spec, record.id, f"Created {spec.title.lower()} {record.name}",
                            None, after)
                return record.id
        except IntegrityError as exc:
            raise self._refuse_duplicates_after_race(spec, cleaned, None, exc) from None

    @entry_point(refuses=_WRITE, spec=SPEC, values=VALUES, links=LINKS)
    def update(self, spec: EntitySpec, object_id: int, values: Mapping[str, Any], *,
               links: Sequence[TariffLink] | None = None) -> None:
        """Save an edit; `links` (tariffs) replaces the linked modules when given."""
        self._writable()
        cleaned = self.clean(spec, values)
        try:
            with self._db.write() as session:
                record = self._locked(session, spec, object_id)
                if errors := self._duplicates(session, spec, cleaned, object_id):
                    raise ValidationError(errors)
                before = self._values_of(spec, record)
                if spec is TARIFF and cleaned["product_type"] != record.product_type and links is None:
                    links = [TariffLink(m, p) for m, p in session.execute(
                        select(TariffModule.module_id, TariffModule.sort_priority)
                        .where(TariffModule.tariff_id == object_id))]
                self._assign(spec, record, cleaned)
                session.flush()
                after = self._values_of(spec, record)
                if spec is TARIFF:
                    before["modules"] = self._links_of(session, object_id)
                    if links is not None:
                        after["modules"] = self._set_links(session, record, links)
                    elif record.status is TariffStatus.ACTIVE and not before["modules"]:
                        raise ValidationError({"status": "Link a processing module before making it Active"})
                    else:
                        after["modules"] = before["modules"]
                changed = sorted(k for k in after if before.get(k) != after.get(k))
                if changed:
                    self._audit(session, "edit", spec, object_id,
                                f"Edited {spec.title.lower()} {record.name}: {', '.join(changed)}",
                                {k: before.get(k) for k in changed}, {k: after.get(k) for k in changed})
        except IntegrityError as exc:
            raise self._refuse_duplicates_after_race(spec, cleaned, object_id, exc) from None

    @entry_point(spec=SPEC)
    def blockers(self, spec: EntitySpec, object_id: int) -> list[Blocker]:
        with self._db.reads() as session:
            if session.get(spec.model, object_id) is None:
                raise NotFound(f"{spec.title} #{object_id} no longer exists.")
            return self._blockers(session, spec, object_id)

    @staticmethod
    def _blockers(session: Session, spec: EntitySpec, object_id: int) -> list[Blocker]:
        return [b for rule in spec.delete_rules if (b := rule.blocker(session, object_id)) is not None]

    @entry_point(refuses=(*_WRITE, DeleteBlocked), spec=SPEC)
    def delete(self, spec: EntitySpec, object_id: int) -> None:
        """Check the delete rules and delete, in one transaction holding the record's row lock; the
        RESTRICT foreign keys refuse what a concurrent transaction added meanwhile."""
        self._writable()
        if not spec.delete_rules:
            raise ValidationError({"id": f"A {spec.title.lower()} is not deleted: archive it"})
        try:
            with self._db.write() as session:
                record = self._locked(session, spec, object_id)
                if blockers := self._blockers(session, spec, object_id):
                    raise DeleteBlocked(blockers)
                before = self._values_of(spec, record)
                session.delete(record)
                session.flush()
                self._audit(session, "delete", spec, object_id, f"Deleted {spec.title.lower()} {before['name']}",
                            before, None)
        except IntegrityError as exc:
            raise DeleteBlocked([Blocker("concurrent", 1, "another operator placed a module on it meanwhile; "
                                         "look again")]) from exc

    @entry_point(kind=Choice(ENTITIES, "reference entity"))
    def card_title(self, kind: str, object_id: int) -> str:
        """A record's name (filters say which record they narrow to); NotFound once it is gone."""
        spec = ENTITIES[kind]
        with self._db.reads() as session:
            name = session.scalar(select(spec.model.name).where(spec.model.id == object_id))
        if name is None:
            raise NotFound(f"{spec.title} #{object_id} no longer exists.")
        return name

    @entry_point(spec=SPEC)
    def card(self, spec: EntitySpec, object_id: int) -> ReferenceCard:
        with self._db.reads() as session:
            record = session.get(spec.model, object_id)
            if record is None:
                raise NotFound(f"{spec.title} #{object_id} no longer exists.")
            values, title = self._values_of(spec, record), record.name
            shown = []
            for spec_field in spec.fields:
                value = values[spec_field.key]
                if spec_field.kind == "choice":
                    value = dict(self.choices(spec, spec_field.key)).get(value, value)
                elif spec_field.kind == "money" and value is not None:
                    value = format_money(value)
                shown.append((spec_field.label, "—" if value in (None, "") else str(value)))
            related = [(self._related_label(r.kind), f"{r.count(session, object_id):,}") for r in spec.delete_rules]
            changes = session.scalar(select(func.count()).select_from(AuditEntry).where(
                AuditEntry.object_type == spec.kind, AuditEntry.object_id == object_id)) or 0
            last = session.execute(select(AuditEntry.at, AuditEntry.actor).where(
                AuditEntry.object_type == spec.kind, AuditEntry.object_id == object_id)
                .order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(1)).first()
        from procmod.core.formatting import format_time

        history = f"{changes} change(s)" + (f", the last by {last.actor} at {format_time(last.at)} UTC" if last else "")
        return ReferenceCard(spec.kind, object_id, title, shown, [*related, ("History", history)])

    @staticmethod
    def _related_label(kind: str) -> str:
        return {"modules": "Processing modules"}.get(kind, kind)

    # ------------------------------------------------------------ tariff plans

    @entry_point(refuses=_WRITE)
    def archive_tariff(self, tariff_id: int) -> None:
        self._writable()
        with self._db.write() as session:
            tariff = self._locked(session, TARIFF, tariff_id)
            if tariff.status is TariffStatus.ARCHIVED:
                return
            before, tariff.status = tariff.status, TariffStatus.ARCHIVED
            self._audit(session, "archive", TARIFF, tariff_id, f"Archived tariff plan {tariff.name}",
                        {"status": before.value}, {"status": TariffStatus.ARCHIVED.value})

    @entry_point()
    def tariff_links(self, tariff_id: int) -> list[TariffLink]:
        with self._db.reads() as session:
            return [TariffLink(m, p) for m, p in session.execute(
                select(TariffModule.module_id, TariffModule.sort_priority)
                .where(TariffModule.tariff_id == tariff_id).order_by(TariffModule.sort_priority))]

    @entry_point(product_type=Text(64), limit=LIMIT)
    def link_choices(self, product_type: str, tariff_id: int | None = None, limit: int = 200) -> list[LinkChoice]:
        """The modules a tariff of `product_type` may link: those whose module type serves it (plus any
        linked now), lowest sort priority first."""
        types = [key for key, mtype in _module_types().items() if product_type in mtype.product_types]
        linked: dict[int, int] = {}
        with self._db.reads() as session:
            if tariff_id is not None:
                linked = dict(session.execute(select(TariffModule.module_id, TariffModule.sort_priority)
                                              .where(TariffModule.tariff_id == tariff_id)).all())
            query = (select(ProcessingModule.id, ProcessingModule.name, ProcessingModule.module_type,
                            ProcessingModule.sort_priority)
                     .where(ProcessingModule.module_type.in_(types) | ProcessingModule.id.in_(list(linked)))
                     .order_by(ProcessingModule.sort_priority, ProcessingModule.name).limit(limit))
            rows = session.execute(query).all()
        return [LinkChoice(i, n, module_type(t).title, i in linked, linked.get(i, p)) for i, n, t, p in rows]

    @staticmethod
    def _links_of(session: Session, tariff_id: int) -> list[list[int]]:
        return [[m, p] for m, p in session.execute(
            select(TariffModule.module_id, TariffModule.sort_priority)
            .where(TariffModule.tariff_id == tariff_id).order_by(TariffModule.module_id))]

    def _set_links(self, session: Session, tariff: Tariff, links: Iterable[TariffLink]) -> list[list[int]]:
        """Replace a tariff's links: each module's type must serve the tariff's product type; an Active
        tariff keeps at least one. Returns the links as [module id, priority] pairs (audit)."""
        wanted: dict[int, int] = {}
        for link in links:
            if not isinstance(link, TariffLink) or not isinstance(link.module_id, int):
                raise ValidationError({"modules": "each link is a module id and a sort priority"})
            priority, error = validate_priority(link.sort_priority)
            if error:
                raise ValidationError({"modules": f"{error} ({PRIORITY_RANGE[0]}–{PRIORITY_RANGE[1]})"})
            wanted[link.module_id] = priority
        if not wanted and tariff.status is TariffStatus.ACTIVE:
            raise ValidationError({"modules": "An active tariff needs at least one processing module; link one, "
                                              "or save it Disabled"})
        modules = session.scalars(select(ProcessingModule).where(ProcessingModule.id.in_(list(wanted)))
                                  .with_for_update()).all() if wanted else []
        if len(modules) != len(wanted):
            raise NotFound("A chosen processing module no longer exists.")
        product = session.scalar(select(ProductType.name).where(ProductType.code == tariff.product_type))
        wrong = [f"{m.name} ({module_type(m.module_type).title})" for m in modules
                 if tariff.product_type not in module_type(m.module_type).product_types]
        if wrong:
            raise ValidationError({"modules": f"{', '.join(wrong)}: the module type does not serve {product}"})
        session.execute(delete(TariffModule).where(TariffModule.tariff_id == tariff.id))
        session.add_all(TariffModule(tariff_id=tariff.id, module_id=m, sort_priority=p) for m, p in wanted.items())
        session.flush()
        return sorted([m, p] for m, p in wanted.items())


def _module_types() -> dict[str, Any]:
    from procmod.core.moduletypes import MODULE_TYPES

    return MODULE_TYPES

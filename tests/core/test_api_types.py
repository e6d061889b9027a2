"""Every checked entry point of `core` (core/arguments.py's registry) answers any argument with a result or
one of its documented refusals: never a raw DataError, OverflowError, UnicodeEncodeError, AttributeError.

The property test walks `ENTRY_POINTS`, so an entry point added later with `@entry_point()` is fed too. Its
arguments are drawn from the entry point's own plan of checks: values that pass the type checks (existing
ids, members, text within the column's length) mixed with hostile ones (None, bools, floats, huge and
negative ints, text with NUL, lone surrogates or far too long, lists, dicts, bytes).

Calls that talk to an external system (`network=True`) get only the rows (modules, their services and
tasks) of modules whose panel is a closed loopback port, or ids no row has: the connection is refused at
once (a DriverError, their documented refusal), so nothing leaves the machine. The other calls never get
those modules, so an edit cannot point them elsewhere.
"""

from __future__ import annotations

import dataclasses

import importlib
import inspect
import pkgutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from typing import Annotated, Any

import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

import procmod.core
from procmod.core import arguments
from procmod.core.arguments import (
    ENTRY_POINTS, INT32, Anything, Check, Choice, Flag, InstanceOf, Int, Items, Mapping, Member, Number,
    Known, Optional, Plain, Record, Ref, Text, _record_plan,
)
from procmod.core.backend import Backend
from procmod.core.integration import Integrations
from procmod.core.lifecycle import Commands, ModuleParams
from procmod.core.reference import ENTITIES, EntitySpec, FieldSpec, TariffLink
from procmod.core.errors import NotFound
from procmod.core.validation import ValidationError
from procmod.demo.seed import seed_demo
from procmod.storage.models import DataCenter, Department, Notification, ProcessingModule, Service, Tariff
from tests.conftest import DIALECTS, make_backend, new_database_url

#: Generated calls per dialect, spread over the entry points.
TOTAL_INPUTS = 10_000


def _import_core() -> None:
    """Import every module of `procmod.core`, so that every decorated entry point is registered."""
    for info in pkgutil.walk_packages(procmod.core.__path__, "procmod.core."):
        importlib.import_module(info.name)


_import_core()

#: Public methods of the checked classes that are deliberately not entry points (reads with no argument
#: a caller types, or the scheduler's own plumbing); a new public method must be decorated or listed here.
NOT_ENTRY_POINTS = {
    "Integrations.call_log", "Integrations.run_task",
    # The job engine's own call (core/services.py) with a module id it read from its claimed job.
    "Integrations.module_config",
    # Reconciliation's own read of a panel (its guard and progress come from `Reconciliation.reconcile`), and
    # the fenced form of reconcile the scheduled sync calls with its run's guard.
    "Integrations.read_panel", "Reconciliation.reconcile_fenced",
    # Paged lists: their PageRequest carries the previous page's own keyset (checking it is not done yet).
    "ModuleQueries.list", "ModuleQueries.history", "ModuleQueries.type_options", "TariffQueries.list",
    "NotificationService.list", "TaskQueries.list", "TaskQueries.runs", "Reconciliation.rows",
    "Reconciliation.overview",
    # The pane's one-statement reading, called by Backend.pane with the failure queue's counts (SQL expressions).
    "NotificationService.latest_with_counts",
    # The scheduler's own loop: called by serve() and the worker with its clock's time and the claims it made.
    *(f"Scheduler.{name}" for name in ("tick", "next_due", "schedule_unscheduled", "claim_due", "execute",
                                       "extend_lease", "finish", "finish_many", "reap_expired", "serve",
                                       "shutdown")),
}


# ------------------------------------------------------------------------------------------------ values

_SURROGATES = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)
_hostile_text = st.one_of(
    st.text(max_size=20).map(lambda t: t + "\x00"),
    st.builds(lambda a, s, b: a + s + b, st.text(max_size=5), _SURROGATES, st.text(max_size=5)),
    st.builds(lambda c, n: c * n, st.characters(codec="utf-8"), st.integers(256, 12_000)),
    st.text(alphabet=st.characters(categories=["Cc", "Cf", "Zl", "Zp"]), min_size=1, max_size=5),
)
HOSTILE = st.one_of(
    st.none(), st.booleans(), st.floats(allow_nan=True, allow_infinity=True),
    st.integers(max_value=0), st.integers(min_value=INT32[1] - 3, max_value=2**70),
    st.integers(min_value=-(2**70), max_value=INT32[0] + 3),
    _hostile_text, st.binary(max_size=10), st.lists(st.integers(-3, 30), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3), st.tuples(st.integers(), st.none()),
    st.just(Decimal("NaN")), st.just(Decimal("1e400")), st.just(datetime(2026, 1, 1, tzinfo=timezone.utc)),
    st.just(object()), st.sets(st.integers(-3, 3), max_size=3), st.just(float("inf")),
    st.just("abc"), st.just("1"), st.just(""), st.just("  "),
)
#: What a form field may hold: the property test of validation uses the same mix.
FORM_VALUES = st.one_of(
    st.text(max_size=40), st.from_regex(r"[a-z0-9.-]{1,30}", fullmatch=True),
    st.sampled_from(["https://127.0.0.1:1", "127.0.0.1", "billing@hostco.example", "root", "x" * 255]),
    st.none(), st.booleans(), st.integers(-(10**15), 10**15), st.floats(allow_nan=True), st.just(""), HOSTILE,
)
SETTING_KEYS = sorted({"url", "email", "password", "verify_tls", "ca_bundle", "cluster", "host", "port", "whm_user",
                       "api_token", "api_user", "api_key", "user_name", "client_ip", "sandbox", "api_url",
                       "default_years", "auto_renew", "nameserver1", "default_package", "package_choices",
                       "cluster_choices", "license_server"})
#: Complete, valid settings of each type (their panel is a closed loopback port), for creates and edits to pass.
GOOD_SETTINGS = [
    {"host": "127.0.0.1", "port": 1, "whm_user": "root", "api_token": "t", "verify_tls": False},
    {"url": "https://127.0.0.1:1", "email": "a@b.example", "password": "pw", "cluster": "c1", "verify_tls": False},
    {"api_user": "u", "api_key": "k", "user_name": "u", "client_ip": "127.0.0.1", "api_url": "https://127.0.0.1:1"},
]
LOOPBACK = {"url": "https://127.0.0.1:1", "host": "127.0.0.1", "port": 1, "api_url": "https://127.0.0.1:1",
            "verify_tls": False, "ca_bundle": None}


@dataclass
class Api:
    """One database per dialect with the demo's rows, and which ids the strategies draw from."""

    backend: Backend
    ids: dict[str, list[int]]
    #: Rows of the loopback modules (their modules, services, tasks): the only ones network calls get.
    loopback: dict[str, list[int]]
    #: Objects the backend makes on request rather than holds (the scheduler: `make_scheduler`).
    made: list[Any] = dataclasses.field(default_factory=list)

    def callable(self, entry: arguments.EntryPoint) -> Any:
        """What a caller calls: a plain function, or the method on the backend's object of its class."""
        if not entry.owner_name:
            return entry.checked
        return getattr(self.owner(entry), entry.function.__name__)

    def owner(self, entry: arguments.EntryPoint) -> Any:
        """The backend's object whose class defines the entry point (commands, integrations, notifications...)."""
        names = [n for n, member in inspect.getmembers(type(self.backend)) if isinstance(member, property)]
        for value in [*(getattr(self.backend, name) for name in [*vars(self.backend), *names]), *self.made]:
            if type(value).__qualname__ == entry.owner_name and type(value).__module__ == entry.module:
                return value
        raise AssertionError(f"{entry.qualname}: no attribute or property of Backend holds a {entry.owner_name} "
                             "(nor does Api.made); the property test cannot reach it")


def _ids(backend: Backend, model: Any) -> list[int]:
    with backend.db.sessions() as session:
        return list(session.scalars(select(model.id).order_by(model.id).limit(50)))


def build_api(url: str) -> Api:
    backend = make_backend(url)
    seed_demo(backend, service_count=20)
    backend.driver_options = {"max_attempts": 1, "connect_timeout": 1.0, "read_timeout": 1.0, "deadline": 3.0,
                              "sleeper": lambda seconds: None, "task_timeout": 1.0}
    backend.commands.checker = None  # the wizard's check is fed on its own (check_values), on loopback only
    department = _ids(backend, Department)[0]
    datacenter = _ids(backend, DataCenter)[0]
    settings_of = dict(zip([("vhost", "cpanel"), ("vds", "vmmanager6"), ("domain", "namecheap")], GOOD_SETTINGS))
    loopback = [backend.commands.create_module(product, key, ModuleParams(
        name=f"Loopback {key}", department_id=department, datacenter_id=datacenter, settings=values))
        for (product, key), values in settings_of.items()]
    with backend.db.sessions() as session:
        tariffs = {m: session.scalar(select(Tariff.id).join(ProcessingModule, ProcessingModule.product_type
                                                            == Tariff.product_type).where(ProcessingModule.id == m)
                                     .order_by(Tariff.id).limit(1)) for m in loopback}
    services = [backend.commands.place_service(tariffs[m], m, f"loopback-{m}", f"lb-{m}") for m in loopback]
    ids = {"module_id": [i for i in _ids(backend, ProcessingModule) if i not in loopback],
           "tariff_id": _ids(backend, Tariff), "service_id": _ids(backend, Service),
           "department_id": _ids(backend, Department), "datacenter_id": _ids(backend, DataCenter)}
    from procmod.storage.models import BackgroundTask

    with backend.db.sessions() as session:
        ids["task_id"] = list(session.scalars(select(BackgroundTask.id).where(
            BackgroundTask.module_id.not_in(loopback)).limit(50)))
    ids["module_ids"] = ids["module_id"]
    with backend.db.sessions() as session:
        tasks = list(session.scalars(select(BackgroundTask.id).where(BackgroundTask.module_id.in_(loopback))))
        ids["notification_id"] = list(session.scalars(select(Notification.id).order_by(Notification.id).limit(50)))
    # A reference record's id: a data center's, a department's or a tariff's (any spec may get any of them).
    ids["object_id"] = sorted({*ids["datacenter_id"], *ids["department_id"], *ids["tariff_id"]})
    scheduler = backend.make_scheduler(worker_id="api-types")  # Run now claims; nothing here executes a run
    return Api(backend, ids, {"module_id": loopback, "service_id": services, "task_id": tasks}, [scheduler])


@pytest.fixture(scope="module", params=DIALECTS)
def api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    built = build_api(new_database_url(request.param, tmp_path_factory.mktemp("api"), request))
    yield built
    built.backend.close()


#: Values the bodies accept, by parameter or field name, tried first (half of the time) so that creates and
#: edits get through their validation too.
LIKELY = {
    "name": st.from_regex(r"[A-Za-z][A-Za-z0-9 .-]{0,30}", fullmatch=True),
    "product_type": st.sampled_from(["vhost", "vds", "domain"]),  # the simplest pairs with the first type_key
    "expected_version": st.integers(1, 3),
    "sort_priority": st.integers(0, 100_000),
    "minimal_balance": st.one_of(st.none(), st.decimals(0, 10**6, places=2)),
    "schedule": st.sampled_from(["*/15 * * * *", "0 6,18 * * *", "30 */4 * * *", "0 0 1 1 *"]),
    "remote_id": st.from_regex(r"[a-z0-9-]{1,20}", fullmatch=True),
    "key": st.sampled_from(sorted({f.key for spec in ENTITIES.values() for f in spec.fields})),
}


def valid(check: Check, key: str, api: Api, network: bool) -> st.SearchStrategy[Any]:
    """Values that pass `check` (the body then decides), for the parameter or field named `key`."""
    if key in LIKELY:
        return st.one_of(LIKELY[key], _valid(check, key, api, network))
    return _valid(check, key, api, network)


def _valid(check: Check, key: str, api: Api, network: bool) -> st.SearchStrategy[Any]:
    if isinstance(check, Optional):
        return st.one_of(valid(check.inner, key, api, network), st.none())
    if isinstance(check, (Int, Ref)):
        if network:  # rows of the loopback modules, or none at all (an id no row has)
            return st.sampled_from(api.loopback[key]) if key in api.loopback else st.integers(
                INT32[1] - 1000, INT32[1])
        known = api.ids.get(key) or api.ids.get(key.removesuffix("s")) or []
        lo, hi = (check.minimum, check.maximum) if isinstance(check, Int) else INT32
        some = st.integers(max(lo, -3), min(hi, 3))
        return st.one_of(st.sampled_from(known), some) if known else st.one_of(some, st.integers(lo, hi))
    if isinstance(check, Text):
        return st.one_of(st.text(max_size=min(40, check.max_length)),
                         st.just("x" * check.max_length), st.just(" Name "), st.sampled_from(
                             ["vds", "vhost", "domain", "*/15 * * * *", "0 6,18 * * *", "61 * * * *"]))
    if isinstance(check, Flag):
        return st.booleans()
    if isinstance(check, Number):
        return st.one_of(st.integers(-(10**6), 10**6), st.decimals(allow_nan=False, allow_infinity=False))
    if isinstance(check, Member):
        return st.sampled_from(list(check.enum_class))
    if isinstance(check, Choice):
        return st.sampled_from(sorted(check.choices))
    if isinstance(check, Plain):  # a number, or text as typed (a priority, a setting's value)
        return st.one_of(st.integers(-5, 100_000), st.from_regex(r" ?[0-9]{1,6} ?", fullmatch=True), FORM_VALUES)
    if isinstance(check, Known):
        return st.sampled_from(list(check.options.values()))
    if isinstance(check, Mapping):
        pairs = st.dictionaries(st.one_of(st.sampled_from(SETTING_KEYS), st.text(max_size=10)), FORM_VALUES,
                                max_size=8)
        if network:
            return pairs.map(lambda d: {**d, **LOOPBACK})
        # Half of them a type's complete settings with a few values changed, so that saves get through.
        edited = st.builds(lambda good, extra: {**good, **extra}, st.sampled_from(GOOD_SETTINGS),
                           st.dictionaries(st.sampled_from(SETTING_KEYS), FORM_VALUES, max_size=2))
        return st.one_of(edited, pairs)
    if isinstance(check, Items):
        inner = valid(check.item, key, api, network)
        return st.one_of(st.lists(inner, max_size=4), st.lists(inner, max_size=4).map(tuple),
                         st.lists(inner, max_size=4).map(lambda items: (i for i in items)))
    if isinstance(check, Record):
        return record(check.cls, check.overrides, api, network)
    if isinstance(check, InstanceOf):
        cls = arguments._import(check.cls) if isinstance(check.cls, str) else check.cls
        if not dataclasses.is_dataclass(cls):  # e.g. the scheduler's RunGuard: only the scheduler makes one
            return st.nothing()
        return record(cls, {}, api, network)
    if isinstance(check, Anything):
        return FORM_VALUES
    raise AssertionError(f"no strategy for {check!r}: teach this test the new kind of check")


def record(cls: type, overrides: dict[str, Check], api: Api, network: bool) -> st.SearchStrategy[Any]:
    """Instances of a params dataclass, each field drawn as an argument is (so fields may be hostile)."""
    if cls.__name__ == "ConfigPlan":  # a plan's changes: settings Update configuration would write
        from procmod.core.drivers.base import ConfigChange, ConfigPlan

        change = st.builds(ConfigChange, key=st.one_of(st.sampled_from(SETTING_KEYS), HOSTILE),
                           label=st.just("x"), before=FORM_VALUES, after=FORM_VALUES)
        return st.builds(ConfigPlan, changes=st.one_of(st.lists(change, max_size=3).map(tuple), HOSTILE))
    fields = {name: argument(check, name, api, network)
              for name, check in _record_plan(cls, arguments._frozen(overrides))}
    return st.builds(cls, **fields)


def field_value(spec_field: FieldSpec) -> st.SearchStrategy[Any]:
    """What a reference form's field may hold: mostly the kind of value the field takes, some not."""
    good = {
        "email": st.sampled_from(["support@hostco.example", "noc@dc.example", "not-an-address"]),
        "code": st.one_of(st.from_regex(r"[A-Z][A-Z0-9._-]{0,8}", fullmatch=True), st.just("FRA 1")),
        "money": st.one_of(st.sampled_from(["4.90", "0", "12", "-1", "1e9", "abc"]),
                           st.decimals(0, 10**4, places=2), st.integers(-5, 10**6)),
        "choice": st.sampled_from([v for v, _ in spec_field.choices] or ["vhost", "vds", "domain", "no-such"]),
    }.get(spec_field.kind, st.from_regex(r"[A-Za-z][A-Za-z0-9 .-]{0,30}", fullmatch=True))
    return st.integers(0, 7).flatmap(lambda pick: FORM_VALUES if pick == 7 else good)


def spec_values(spec: Any, generic: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """A reference record's values for the spec drawn: its fields (any of them left out, so defaults and
    "required" are exercised), now and then a field it does not have; one in four the generic mix."""
    if not isinstance(spec, EntitySpec):
        return generic
    fields = st.fixed_dictionaries({f.key: field_value(f) for f in spec.fields if f.required},
                                   optional={f.key: field_value(f) for f in spec.fields if not f.required})
    foreign = st.dictionaries(st.sampled_from(["price", "email", "code", "module_id"]), FORM_VALUES, max_size=1)
    mixed = st.builds(lambda own, other: {**other, **own}, fields, foreign)
    return st.integers(0, 3).flatmap(lambda pick: generic if pick == 3 else st.one_of(fields, mixed))


def spec_id(api: Api, spec: Any, generic: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """A record id of the spec drawn (so that edits and deletes reach their bodies), or the generic mix."""
    own = api.ids.get(f"{getattr(spec, 'kind', '')}_id")
    return st.one_of(st.sampled_from(own), generic) if own else generic


def argument(check: Check, key: str, api: Api, network: bool) -> st.SearchStrategy[Any]:
    """Mostly values that pass the checks (so the bodies run), one in four hostile."""
    good = valid(check, key, api, network)
    return st.integers(0, 3).flatmap(lambda pick: HOSTILE if pick == 3 else good)


# ------------------------------------------------------------------------------------------------ tests


def test_every_public_method_of_a_checked_class_is_an_entry_point() -> None:
    """A class with one checked method has all of them checked (or listed in NOT_ENTRY_POINTS)."""
    owners = {(e.module, e.owner_name) for e in ENTRY_POINTS.values() if e.owner_name}
    assert {("procmod.core.lifecycle", "Commands"), ("procmod.core.integration", "Integrations"),
            ("procmod.core.reference", "ReferenceCommands"), ("procmod.core.queries", "ModuleQueries"),
            ("procmod.core.queries", "TariffQueries"), ("procmod.core.queries", "NotificationService"),
            ("procmod.core.queries", "TaskQueries"), ("procmod.core.scheduler", "Scheduler"),
            ("procmod.core.reconciliation", "Reconciliation")} <= owners
    for module, qualname in owners:
        cls = importlib.import_module(module)
        for part in qualname.split("."):
            cls = getattr(cls, part)
        for name, member in inspect.getmembers(cls, inspect.isfunction):
            if name.startswith("_") or f"{qualname}.{name}" in NOT_ENTRY_POINTS:
                continue
            assert hasattr(member, "entry_point"), f"{qualname}.{name} has no @entry_point()"


def test_every_plan_builds() -> None:
    """A typo in an override or a hint that cannot be resolved fails here, not on an operator's first call."""
    for entry in ENTRY_POINTS.values():
        assert entry.checks() is not None, entry.qualname
        for refusal in entry.refused():
            assert issubclass(refusal, BaseException)


def feeder(name: str, entry: arguments.EntryPoint, method: Any, strategies: dict[str, Any], examples: int,
           fed: dict[str, int], refused: dict[str, int]) -> Any:
    """A Hypothesis test calling one entry point: it passes when every call returns or is refused with one
    of the entry point's documented errors."""

    @settings(max_examples=examples, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def feed(data: st.DataObject) -> None:
        kwargs: dict[str, Any] = {}
        for p, s in strategies.items():  # a callable strategy depends on the arguments drawn before it
            kwargs[p] = data.draw(s if isinstance(s, st.SearchStrategy) else s(kwargs), label=p)
        note(f"entry point {name}")
        fed[name] = fed.get(name, 0) + 1
        try:
            method(**kwargs)
        except entry.refused() as refusal:
            refused[name] = refused.get(name, 0) + 1
            assert str(refusal), f"{name} refused with an empty message"
            if isinstance(refusal, ValidationError):
                assert refusal.errors and all(isinstance(k, str) and k for k in refusal.errors)

    return feed


def test_hostile_inputs_get_the_projects_own_errors(api: Api) -> None:
    entries = sorted(ENTRY_POINTS.items())
    # An entry point without arguments is called once (there is nothing to generate); the rest share the total.
    per_entry = -(-TOTAL_INPUTS // sum(1 for _, entry in entries if entry.parameters))
    fed: dict[str, int] = {}
    refused: dict[str, int] = {}
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    for name, entry in entries:
        method = api.callable(entry)
        checks = entry.checks()
        strategies: dict[str, Any] = {p: argument(checks[p], p, api, entry.network)
                                      for p in entry.parameters if p in checks}
        if "spec" in strategies and "values" in strategies:  # a reference record's values follow its spec
            generic = strategies["values"]
            strategies["values"] = lambda drawn, generic=generic: spec_values(drawn.get("spec"), generic)
        if "spec" in strategies and "object_id" in strategies:
            generic = strategies["object_id"]
            strategies["object_id"] = lambda drawn, generic=generic: spec_id(api, drawn.get("spec"), generic)

        began = time.perf_counter()
        feeder(name, entry, method, strategies, per_entry, fed, refused)()
        seconds[name] = time.perf_counter() - began
    elapsed = time.perf_counter() - started
    total = sum(fed.values())
    print(f"\n{api.backend.db.engine.dialect.name}: {total:,} calls to {len(entries)} entry points in "
          f"{elapsed:.1f} s, {sum(refused.values()):,} refused with the project's errors")
    for name in sorted(fed):
        print(f"  {name.partition(':')[2]:45} {fed[name]:5} fed, {fed[name] - refused.get(name, 0):4} accepted, "
              f"{seconds[name]:4.1f} s")
    assert total >= TOTAL_INPUTS
    assert set(fed) == set(ENTRY_POINTS), "every entry point was fed"


# ------------------------------------------------------------------------------- the issue's own cases


@pytest.mark.parametrize("field, value, key", [
    ("department_id", "abc", "department_id"),
    ("department_id", 2**40, "department_id"),
    ("department_id", True, "department_id"),
    ("settings", "x", "settings"),
    ("settings", {1: "x"}, "settings"),
    ("name", "Web\x00", "name"),
    ("name", "Web\udc80", "name"),
    ("name", "x" * 20_000, "name"),
])
def test_the_reported_inputs_name_their_field(api: Api, field: str, value: Any, key: str) -> None:
    params = ModuleParams(**{"name": "Web", "department_id": api.ids["department_id"][0],
                             "settings": {"host": "127.0.0.1", "api_token": "t"}, field: value})
    with api.backend.db.sessions() as session:
        before = session.scalar(select(func.count()).select_from(ProcessingModule))
    with pytest.raises(ValidationError) as raised:
        api.backend.commands.create_module("vhost", "cpanel", params)
    assert key in raised.value.errors
    with api.backend.db.sessions() as session:
        assert session.scalar(select(func.count()).select_from(ProcessingModule)) == before


@pytest.mark.parametrize("call, key", [
    (lambda c: c.set_module_enabled("1", True), "module_id"),
    (lambda c: c.set_module_enabled(1, "yes"), "enabled"),
    (lambda c: c.delete_module(2**31), "module_id"),
    (lambda c: c.set_tariff_status(1, "active"), "status"),
    (lambda c: c.set_tariff_modules(1, "12"), "module_ids"),
    (lambda c: c.set_tariff_modules(1, [1, 2**63]), "module_ids"),
    (lambda c: c.place_service(1, 1, "s" * 256), "name"),
    (lambda c: c.place_service(1, 1, "svc", remote_id="\x00"), "remote_id"),
    (lambda c: c.set_task_schedule(1.0, "* * * * *", True), "task_id"),
    (lambda c: c.create_module("vhost", "no-such-type", None), "type_key"),
])
def test_commands_refuse_wrong_types_naming_the_argument(api: Api, call: Any, key: str) -> None:
    with pytest.raises(ValidationError) as raised:
        call(api.backend.commands)
    assert key in raised.value.errors, raised.value.errors


def test_every_bad_field_is_named_at_once(api: Api) -> None:
    params = ModuleParams(name=None, department_id="2", datacenter_id=1.5, settings=[])
    with pytest.raises(ValidationError) as raised:
        api.backend.commands.update_module(api.ids["module_id"][0], "3", params)
    assert {"name", "department_id", "datacenter_id", "settings", "expected_version"} <= set(raised.value.errors)


def test_an_iterable_argument_is_read_once(api: Api) -> None:
    """A generator of ids arrives in the body as a list: the check does not use it up."""
    with api.backend.db.sessions() as session:
        tariff = session.scalars(select(Tariff).order_by(Tariff.id).limit(1)).one()
        linked = [m for m in api.ids["module_id"][:50]]
    from procmod.storage.models import TariffModule

    with api.backend.db.sessions() as session:
        current = list(session.scalars(select(TariffModule.module_id).where(TariffModule.tariff_id == tariff.id)))
    api.backend.commands.set_tariff_modules(tariff.id, (m for m in current))
    with api.backend.db.sessions() as session:
        assert sorted(session.scalars(select(TariffModule.module_id).where(
            TariffModule.tariff_id == tariff.id))) == sorted(current)
    assert linked


def test_ref_checks_the_row_exists(api: Api) -> None:
    """`Ref` is the existence check a new entry point opts into (one primary-key lookup)."""

    class Probe:
        def __init__(self, db: Any) -> None:
            self._db = db

        @arguments.entry_point(department_id=Ref(Department.id, "department"))
        def use(self, department_id: int) -> int:
            return department_id

    try:
        probe = Probe(api.backend.db)
        assert probe.use(api.ids["department_id"][0]) == api.ids["department_id"][0]
        with pytest.raises(ValidationError) as raised:
            probe.use(2**31 - 1)
        assert "no department" in raised.value.errors["department_id"]
        with pytest.raises(ValidationError):
            probe.use("1")
    finally:
        ENTRY_POINTS.pop(f"{__name__}:{Probe.use.__qualname__}", None)


@dataclass(frozen=True)
class Params:
    """A params dataclass as a new entry point would declare one (hints resolve in its module)."""

    title: Annotated[str, Text(5)]
    note: str = ""
    tags: tuple[str, ...] = ()


def test_overrides_from_columns_annotations_and_dotted_names() -> None:
    """The ways an entry point says more than a plain hint, checked without a database."""
    from procmod.core.arguments import Column

    @arguments.entry_point(name=Column(Service.name), remote_id=Column(Service.remote_id),
                           **{"params.note": Text(3)})
    def probe(name: str, remote_id: str | None, params: Params, ids: set[int] = frozenset()) -> Any:
        return name, remote_id, params, ids

    try:
        assert probe("a" * 255, None, Params("ok"), ids=iter([1, 1])) == ("a" * 255, None, Params("ok"), {1})
        for kwargs, key in [({"name": "a" * 256}, "name"), ({"remote_id": "r" * 101}, "remote_id"),
                            ({"params": Params("toolong")}, "title"), ({"params": Params("ok", "long")}, "note"),
                            ({"params": Params("ok", tags=("a", 1))}, "tags"), ({"ids": [True]}, "ids"),
                            ({"params": {"title": "ok"}}, "params")]:
            call = {"name": "n", "remote_id": None, "params": Params("ok"), **kwargs}
            with pytest.raises(ValidationError) as raised:
                probe(**call)
            assert set(raised.value.errors) == {key}, (kwargs, raised.value.errors)
        assert "Remote id" in str(pytest.raises(ValidationError, probe, "n", 5, Params("ok")).value)
    finally:
        ENTRY_POINTS.pop(f"{__name__}:{probe.__qualname__}", None)


# ------------------------------------------------- reference data, reads and the scheduler (issue 14, item 11)


def _audit_count(api: Api) -> int:
    from procmod.storage.models import AuditEntry

    with api.backend.db.sessions() as session:
        return session.scalar(select(func.count()).select_from(AuditEntry)) or 0


@pytest.mark.parametrize("call, key", [
    (lambda r, ids: r.create("department", {"name": "Sales"}), "spec"),
    (lambda r, ids: r.create(dataclasses.replace(ENTITIES["department"], title="Look-alike"), {"name": "Sales"}),
     "spec"),
    (lambda r, ids: r.create(ENTITIES["department"], "x"), "values"),
    (lambda r, ids: r.create(ENTITIES["department"], {1: "x"}), "values"),
    (lambda r, ids: r.create(ENTITIES["department"], [("name", "Sales")]), "values"),
    (lambda r, ids: r.create(ENTITIES["tariff"], {"name": "T"}, links="12"), "links"),
    (lambda r, ids: r.create(ENTITIES["tariff"], {"name": "T"}, links=[TariffLink("1", 0)]), "module_id"),
    (lambda r, ids: r.update(ENTITIES["tariff"], "abc", {"name": "T"}), "object_id"),
    (lambda r, ids: r.update(ENTITIES["tariff"], ids["tariff_id"][0], {"name": "T"},
                             links=[TariffLink(ids["module_id"][0], [5])]), "sort_priority"),
    (lambda r, ids: r.delete(ENTITIES["datacenter"], 2**40), "object_id"),
    (lambda r, ids: r.delete(ENTITIES["datacenter"], True), "object_id"),
    (lambda r, ids: r.archive_tariff("1"), "tariff_id"),
    (lambda r, ids: r.values(ENTITIES["department"], 2**40), "object_id"),
    (lambda r, ids: r.card(ENTITIES["department"], "1"), "object_id"),
    (lambda r, ids: r.card("department", 1), "spec"),
    (lambda r, ids: r.blockers(ENTITIES["datacenter"], None), "object_id"),
    (lambda r, ids: r.card_title("nope", 1), "kind"),
    (lambda r, ids: r.card_title("department", 2**40), "object_id"),
    (lambda r, ids: r.choices(ENTITIES["department"], "nope"), "key"),
    (lambda r, ids: r.clean(ENTITIES["department"], ["name"]), "values"),
    (lambda r, ids: r.tariff_links(2**40), "tariff_id"),
    (lambda r, ids: r.link_choices("vds", limit=-1), "limit"),
    (lambda r, ids: r.link_choices("vds", tariff_id="1"), "tariff_id"),
    (lambda r, ids: r.link_choices("vds\x00"), "product_type"),
])
def test_reference_commands_refuse_wrong_types_naming_the_argument(api: Api, call: Any, key: str) -> None:
    """Each of these used to reach the database (DataError, ProgrammingError on PostgreSQL), a KeyError or a
    StopIteration, or was taken as a spec; now a ValidationError names the argument and nothing is written."""
    before = _audit_count(api)
    with pytest.raises(ValidationError) as raised:
        call(api.backend.reference, api.ids)
    assert key in raised.value.errors, raised.value.errors
    assert _audit_count(api) == before


def test_reference_commands_take_valid_calls_as_before(api: Api) -> None:
    reference = api.backend.reference
    spec = ENTITIES["department"]
    new = reference.create(spec, {"name": "Checked entry points", "email": "checks@hostco.example"})
    assert reference.values(spec, new)["email"] == "checks@hostco.example"
    reference.update(spec, new, {"name": "Checked entry points", "description": "one line"})
    assert reference.card_title("department", new) == "Checked entry points"
    assert reference.blockers(spec, new) == []
    reference.delete(spec, new)
    with pytest.raises(NotFound):
        reference.card(spec, new)
    # The tariff form and the command line hand the priority on as typed: text the body reads.
    module = next(c.module_id for c in reference.link_choices("vhost") if c.module_id in api.ids["module_id"])
    tariff = reference.create(ENTITIES["tariff"], {"name": "Checked links", "product_type": "vhost",
                                                   "price": "4.90", "status": "active"},
                              links=[TariffLink(module, " 7")])
    assert reference.tariff_links(tariff) == [TariffLink(module, 7)]
    reference.update(ENTITIES["tariff"], tariff, reference.values(ENTITIES["tariff"], tariff),
                     links=(link for link in [TariffLink(module, 3)]))
    assert reference.tariff_links(tariff) == [TariffLink(module, 3)]


@pytest.mark.parametrize("call, key", [
    (lambda b: b.notifications.mark_read(["abc"]), "notification_ids"),
    (lambda b: b.notifications.mark_read("x"), "notification_ids"),
    (lambda b: b.notifications.mark_read([2**40]), "notification_ids"),
    (lambda b: b.notifications.mark_read(7), "notification_ids"),
    (lambda b: b.notifications.mark_all_read("x"), "module_id"),
    (lambda b: b.notifications.mark_all_read(2**40), "module_id"),
    (lambda b: b.notifications.unread_count("1"), "module_id"),
    (lambda b: b.notifications.latest_unread(limit=-5), "limit"),
    (lambda b: b.modules.card(2**40), "module_id"),
    (lambda b: b.modules.card("1"), "module_id"),
    (lambda b: b.modules.name("abc"), "module_id"),
    (lambda b: b.modules.options("\x00"), "text"),
    (lambda b: b.modules.options(limit=-1), "limit"),
    (lambda b: b.tariffs.name(2**40), "tariff_id"),
    (lambda b: b.tariffs.module_choices(1.0), "tariff_id"),
    (lambda b: b.tariffs.options(limit="50"), "limit"),
    (lambda b: b.tasks.in_progress_count(2**40), "module_id"),
])
def test_reads_refuse_wrong_types_naming_the_argument(api: Api, call: Any, key: str) -> None:
    """On PostgreSQL these raised a raw ProgrammingError or DataError (SQLite took some of them silently)."""
    with pytest.raises(ValidationError) as raised:
        call(api.backend)
    assert key in raised.value.errors, raised.value.errors


def test_mark_read_takes_a_generator_and_ids_as_before(api: Api) -> None:
    from procmod.storage.models import Notification

    notifications = api.backend.notifications
    module_id = api.backend.modules.list().rows[0].id
    with api.backend.db.write() as session:  # earlier tests of this shared database may have read them all
        session.add_all(Notification(module_id=module_id, kind="test", description=f"unread {i}",
                                     created_at=api.backend.clock.now(), read_at=None) for i in range(3))
    unread = [row.id for row in notifications.latest_unread(limit=3)]
    assert unread, "the demo has unread notifications"
    assert notifications.mark_read(i for i in unread) == len(unread)
    assert notifications.mark_read([]) == 0


@pytest.mark.parametrize("task_id", ["abc", 2**40, None, 1.0, True, [1]])
def test_run_now_refuses_a_task_id_that_is_not_one(api: Api, task_id: Any) -> None:
    from procmod.storage.models import TaskRun

    scheduler = api.made[0]
    with api.backend.db.sessions() as session:
        before = session.scalar(select(func.count()).select_from(TaskRun))
    with pytest.raises(ValidationError) as raised:
        scheduler.run_now(task_id)
    assert "task_id" in raised.value.errors
    with api.backend.db.sessions() as session:
        assert session.scalar(select(func.count()).select_from(TaskRun)) == before
    assert scheduler.run_now(INT32[1]) is None  # a well-typed id no task has: nothing to run, as before

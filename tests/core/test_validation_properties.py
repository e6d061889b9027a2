"""Property tests of the schema-driven validation: whatever is typed, no invalid record is ever saved."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from procmod.core.lifecycle import CheckOutcome, ModuleParams
from procmod.core.moduletypes import MODULE_TYPES, FieldKind, SettingField
from procmod.core.validation import ValidationError, control_character_error, is_host, url_error, validate_field, validate_settings
from procmod.storage.models import ProcessingModule
from tests.conftest import make_backend

texts = st.one_of(
    st.text(max_size=40),  # any unicode, control characters included
    st.text(alphabet=st.characters(codec="utf-8"), min_size=250, max_size=5000),  # huge
    st.from_regex(r"[a-z0-9.-]{1,30}", fullmatch=True),  # host-like
    st.sampled_from(["https://vm.example.com", "http://10.0.0.1:1500", "https://[::1]:443/x", "ftp://x",
                     "https://exa mple.com", "web01.hostco.example", "198.51.100.7", "a@b.example"]),
)
values = st.one_of(texts, st.none(), st.booleans(), st.integers(min_value=-10**15, max_value=10**15),
                   st.floats(allow_nan=True), st.just(""))


def assert_clean(fld: SettingField, value: object) -> None:
    """What every saved value satisfies."""
    if fld.kind in (FieldKind.FLAG, FieldKind.SWITCH):
        assert isinstance(value, bool)
    elif fld.kind is FieldKind.NUMBER:
        assert value is None or (isinstance(value, int) and not isinstance(value, bool)
                                 and fld.minimum <= value <= fld.maximum)
    else:
        assert isinstance(value, str) and len(value) <= fld.max_length and control_character_error(value) is None
        assert value == value.strip()
        if value and fld.kind is FieldKind.URL:
            assert url_error(value) is None
        if value and fld.kind is FieldKind.SELECT and fld.choices:
            assert value in dict(fld.choices)
        if value and fld.key in ("host", "nameserver1", "nameserver2"):
            assert is_host(value)
        if fld.required:
            assert value


@settings(max_examples=1500, deadline=None)
@given(type_key=st.sampled_from(sorted(MODULE_TYPES)), data=st.data())
def test_validated_settings_are_always_clean(type_key: str, data: st.DataObject) -> None:
    mtype = MODULE_TYPES[type_key]
    raw = {f.key: data.draw(values, label=f.key) for f in mtype.fields if data.draw(st.booleans())}
    try:
        cleaned = validate_settings(mtype, raw)
    except ValidationError as exc:
        assert exc.errors and all(isinstance(m, str) and m for m in exc.errors.values())
        return
    for fld in mtype.fields:
        if fld.secret:
            if fld.key in cleaned.secrets:
                assert_clean(fld, cleaned.secrets[fld.key])
            else:
                assert not fld.required
        else:
            assert_clean(fld, cleaned.settings[fld.key])


@settings(max_examples=1000, deadline=None)
@given(fld=st.sampled_from([f for t in MODULE_TYPES.values() for f in t.fields if not f.secret]), value=values)
def test_each_field_accepts_only_clean_values(fld: SettingField, value: object) -> None:
    clean, error = validate_field(fld, value)
    if error is None:
        assert_clean(fld, clean) if (clean not in (None, "") or fld.required) else None
    else:
        assert fld.label in error


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=values, priority=values, host=values, port=values, token=values)
def test_no_invalid_module_is_ever_saved(tmp_path_factory, name, priority, host, port, token) -> None:  # noqa: ANN001
    backend = _backend(tmp_path_factory.getbasetemp() / "prop.db")
    backend.commands.checker = lambda *a: CheckOutcome(True, "ok")
    with backend.db.sessions() as session:
        before = session.scalar(select(func.count()).select_from(ProcessingModule))
    params = ModuleParams(name=name, department_id=1, sort_priority=priority,
                          settings={"host": host, "port": port, "whm_user": "root", "api_token": token})
    try:
        new_id = backend.commands.create_module("vhost", "cpanel", params)
    except ValidationError:
        with backend.db.sessions() as session:
            assert session.scalar(select(func.count()).select_from(ProcessingModule)) == before
        return
    with backend.db.sessions() as session:
        module = session.get(ProcessingModule, new_id)
        mtype = MODULE_TYPES["cpanel"]
        for fld in mtype.fields:
            if not fld.secret:
                assert_clean(fld, module.settings[fld.key])
        assert module.name and control_character_error(module.name) is None and len(module.name) <= 100
        assert 0 <= module.sort_priority <= 100_000


_BACKENDS: dict[Path, object] = {}


def _backend(path: Path):  # noqa: ANN202 - one database for all examples of the run
    if path not in _BACKENDS:
        from procmod.demo.seed import seed_demo

        _BACKENDS[path] = make_backend(f"sqlite:///{path}")
        seed_demo(_BACKENDS[path], service_count=10)
    return _BACKENDS[path]

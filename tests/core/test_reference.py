"""Reference data (core/reference.py) on real SQLite files and PostgreSQL: the catalogue the migration
installs, data centers, departments, tariff plans, their validation, duplicates, audit and guarded delete."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from procmod.core.backend import Backend
from procmod.core.errors import DeleteBlocked, NotFound
from procmod.core.lifecycle import ReadOnly
from procmod.core.moduletypes import PRODUCT_TYPES
from procmod.core.reference import DATACENTER, DEPARTMENT, TARIFF, TariffLink
from procmod.core.validation import ValidationError
from procmod.demo.seed import seed_demo
from procmod.storage.enums import TariffStatus
from procmod.storage.models import AuditEntry, ProcessingModule, ProductType, Tariff, TariffModule
from tests.conftest import make_backend, new_database_url


def _audit(backend: Backend, kind: str, object_id: int) -> list[tuple[str, str]]:
    with backend.db.sessions() as session:
        return [(a, s) for a, s in session.execute(
            select(AuditEntry.action, AuditEntry.summary).where(AuditEntry.object_type == kind,
                                                                AuditEntry.object_id == object_id)
            .order_by(AuditEntry.id))]


def test_the_migration_installs_the_product_types_and_the_demo_adds_none(empty_backend: Backend) -> None:
    with empty_backend.db.sessions() as session:
        codes = dict(session.execute(select(ProductType.code, ProductType.name)).all())
    assert codes == {p.code: p.name for p in PRODUCT_TYPES}
    seed_demo(empty_backend)  # no duplicate key: the seed only adds what is missing
    with empty_backend.db.sessions() as session:
        assert session.scalar(select(func.count()).select_from(ProductType)) == len(PRODUCT_TYPES)


def test_data_center_create_edit_delete_with_audit(empty_backend: Backend) -> None:
    ref = empty_backend.reference
    dc = ref.create(DATACENTER, {"name": " Frankfurt FRA1 ", "code": "FRA1", "location": "Frankfurt, DE",
                                 "external_id": "7"})
    assert ref.values(DATACENTER, dc) == {"name": "Frankfurt FRA1", "code": "FRA1", "location": "Frankfurt, DE",
                                          "external_id": "7"}
    ref.update(DATACENTER, dc, {"name": "Frankfurt 1", "code": "FRA1", "location": "Frankfurt, DE",
                                "external_id": "7"})
    card = ref.card(DATACENTER, dc)
    assert card.title == "Frankfurt 1"
    assert ("Short name", "FRA1") in card.values and ("Processing modules", "0") in card.related
    ref.delete(DATACENTER, dc)
    with pytest.raises(NotFound):
        ref.values(DATACENTER, dc)
    assert [a for a, _ in _audit(empty_backend, "datacenter", dc)] == ["create", "edit", "delete"]
    assert "name" in _audit(empty_backend, "datacenter", dc)[1][1]


@pytest.mark.parametrize("values, field, words", [
    ({"name": ""}, "name", "required"),
    ({"name": "x" * 101}, "name", "longer than 100"),
    ({"name": "A\x07"}, "name", "control character"),
    ({"name": "A", "code": "FRA 1"}, "code", "letters, digits"),
    ({"name": "A", "colour": "red"}, "colour", "no field"),
    ({"name": 5}, "name", "must be text"),
])
def test_data_center_bad_input_names_the_field(empty_backend: Backend, values: dict, field: str,
                                               words: str) -> None:
    with pytest.raises(ValidationError) as refused:
        empty_backend.reference.create(DATACENTER, values)
    assert words in refused.value.errors[field]
    assert empty_backend.provider.datacenters().total == 0  # nothing half-saved


def test_department_e_mail_is_checked(empty_backend: Backend) -> None:
    with pytest.raises(ValidationError) as refused:
        empty_backend.reference.create(DEPARTMENT, {"name": "Billing", "email": "billing at example"})
    assert "e-mail address" in refused.value.errors["email"]
    dept = empty_backend.reference.create(DEPARTMENT, {"name": "Billing", "email": "billing@example.com",
                                                       "notify_email": "alerts@example.com"})
    assert empty_backend.provider.departments().rows[0].notify_email == "alerts@example.com"
    assert dept


def test_duplicates_are_refused_naming_the_existing_one(empty_backend: Backend) -> None:
    ref = empty_backend.reference
    first = ref.create(DATACENTER, {"name": "Amsterdam", "code": "AMS2"})
    with pytest.raises(ValidationError) as refused:
        ref.create(DATACENTER, {"name": "AMSTERDAM", "code": "ams2"})
    assert f"“Amsterdam” (#{first})" in refused.value.errors["name"]
    assert "AMS2" in refused.value.errors["code"] or "ams2" in refused.value.errors["code"]
    other = ref.create(DATACENTER, {"name": "Paris"})
    with pytest.raises(ValidationError):
        ref.update(DATACENTER, other, {"name": "amsterdam"})


def test_the_database_refuses_a_duplicate_the_check_did_not_see(empty_backend: Backend,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Two operators adding one name at once: the unique index decides, the loser reads a clear refusal."""
    ref = empty_backend.reference
    ref.create(DEPARTMENT, {"name": "Sales"})
    monkeypatch.setattr(type(ref), "_duplicates", lambda self, session, spec, values, own_id: {})
    with pytest.raises(ValidationError):  # the unique index, then the refusal names the winner
        ref.create(DEPARTMENT, {"name": "SALES"})
    monkeypatch.undo()
    with pytest.raises(ValidationError) as refused:
        ref.create(DEPARTMENT, {"name": "sales"})
    assert "“Sales”" in refused.value.errors["name"]


def test_concurrent_adds_of_one_name_one_wins(dialect: str, tmp_path, request) -> None:
    url = new_database_url(dialect, tmp_path, request)
    backends = [make_backend(url) for _ in range(4)]
    outcomes: list[str] = []
    barrier = threading.Barrier(len(backends))

    def add(backend: Backend) -> None:
        barrier.wait()
        try:
            backend.reference.create(DATACENTER, {"name": "Race DC"})
            outcomes.append("won")
        except ValidationError as refused:
            assert "Race DC" in refused.errors["name"]
            outcomes.append("refused")

    threads = [threading.Thread(target=add, args=(b,)) for b in backends]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for backend in backends:
        backend.close()
    assert sorted(outcomes) == ["refused"] * 3 + ["won"]


def test_a_data_center_in_use_is_not_deleted_and_the_blocker_says_where(backend: Backend) -> None:
    ref = backend.reference
    fra = next(r for r in backend.provider.datacenters().rows if r.name == "Frankfurt FRA1")
    with pytest.raises(DeleteBlocked) as refused:
        ref.delete(DATACENTER, fra.id)
    (blocker,) = refused.value.blockers
    assert blocker.kind == "modules" and blocker.count == 4  # Frankfurt: three VMmanager modules and the Proxmox cluster
    assert blocker.fix_in == "modules" and blocker.fix_filter == (("datacenter_id", fra.id),)
    assert ref.blockers(DATACENTER, fra.id) == [blocker]
    assert backend.provider.datacenters().total == 2


def test_tariff_create_with_links_and_priorities(backend: Backend) -> None:
    ref = backend.reference
    choices = ref.link_choices("vds")
    assert choices and all(c.module_type_title in ("VMmanager 6", "Proxmox VE") for c in choices)  # the VPS types
    first, second = choices[0].module_id, choices[1].module_id
    tariff = ref.create(TARIFF, {"name": "VPS Nano", "product_type": "vds", "price": "2.90", "period": "month",
                                 "status": "active", "description": "The smallest VPS"},
                        links=[TariffLink(second, 5), TariffLink(first, 10)])
    assert ref.tariff_links(tariff) == [TariffLink(second, 5), TariffLink(first, 10)]
    row = backend.tariffs.list(page=__import__("procmod.core.dto", fromlist=["x"]).PageRequest(limit=200)).rows
    nano = next(r for r in row if r.name == "VPS Nano")
    assert nano.module_names[0] == choices[1].name and nano.price == Decimal("2.90")
    card = backend.modules.card(second)
    assert "VPS Nano" in [t.name for t in card.tariffs]
    ref.archive_tariff(tariff)
    assert ref.values(TARIFF, tariff)["status"] == "archived"
    assert [a for a, _ in _audit(backend, "tariff", tariff)] == ["create", "archive"]


def test_a_tariff_is_refused_a_module_whose_type_does_not_serve_it(backend: Backend) -> None:
    ref = backend.reference
    with backend.db.sessions() as session:
        cpanel = session.scalar(select(ProcessingModule.id).where(ProcessingModule.module_type == "cpanel").limit(1))
    with pytest.raises(ValidationError) as refused:
        ref.create(TARIFF, {"name": "VPS Wrong", "product_type": "vds", "price": "1", "period": "month",
                            "status": "active"}, links=[TariffLink(cpanel, 1)])
    assert "does not serve VPS" in refused.value.errors["modules"]
    with pytest.raises(ValidationError) as refused:
        ref.create(TARIFF, {"name": "VPS Lonely", "product_type": "vds", "price": "1", "period": "month",
                            "status": "active"}, links=[])
    assert "at least one" in refused.value.errors["modules"]
    with backend.db.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Tariff).where(Tariff.name.like("VPS %o%ly"))) == 0


@pytest.mark.parametrize("values, field", [
    ({"price": "-1"}, "price"), ({"price": "1.234"}, "price"), ({"price": ""}, "price"),
    ({"period": "fortnight"}, "period"), ({"status": "sold"}, "status"), ({"product_type": "cars"}, "product_type"),
    ({"name": "VPS Start"}, "name"),
])
def test_tariff_bad_input(backend: Backend, values: dict, field: str) -> None:
    base = {"name": "New", "product_type": "vds", "price": "1.00", "period": "month", "status": "disabled"}
    with pytest.raises(ValidationError) as refused:
        backend.reference.create(TARIFF, {**base, **values})
    assert field in refused.value.errors


def test_tariff_edit_keeps_links_and_audits_the_change(backend: Backend) -> None:
    ref = backend.reference
    with backend.db.sessions() as session:
        tariff = session.scalar(select(Tariff.id).where(Tariff.name == "VPS Start"))
    before = ref.tariff_links(tariff)
    values = ref.values(TARIFF, tariff)
    ref.update(TARIFF, tariff, {**values, "price": "5.10", "period": "year"})
    assert ref.tariff_links(tariff) == before
    assert ref.values(TARIFF, tariff)["price"] == Decimal("5.10")
    assert "period, price" in _audit(backend, "tariff", tariff)[-1][1]


def test_disabled_archived_and_deleted_tariffs_do_not_block_a_module_delete(backend: Backend) -> None:
    commands = backend.commands
    with backend.db.sessions() as session:
        module_id = session.scalar(select(ProcessingModule.id).where(ProcessingModule.name == "VM Frankfurt legacy"))
        statuses = set(session.scalars(select(Tariff.status).join(TariffModule, TariffModule.tariff_id == Tariff.id)
                                       .where(TariffModule.module_id == module_id)))
    kinds = {b.kind for b in commands.delete_blockers(module_id)}
    assert ("tariffs" in kinds) == (TariffStatus.ACTIVE in statuses)


def test_read_only_refuses_every_reference_write(backend: Backend) -> None:
    backend.make_read_only()
    with pytest.raises(ReadOnly):
        backend.reference.create(DATACENTER, {"name": "Nope"})
    with pytest.raises(ReadOnly):
        backend.reference.archive_tariff(1)

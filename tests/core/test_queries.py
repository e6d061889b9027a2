"""The read services behind every list and the module card, on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import func, select

from procmod.core.backend import Backend
from procmod.core.dto import (
    ModuleFilter,
    ModuleStatus,
    NotificationFilter,
    PageRequest,
    RunResult,
    ServiceFilter,
    ServiceStatus,
    TariffFilter,
    TariffStatus,
    TaskFilter,
)
from procmod.core.queries import NotFound
from procmod.demo.seed import MODULES, MODULE_COUNT
from procmod.storage.models import Notification, ProcessingModule, Service, TariffModule
from tests.conftest import count_calls


def module_id(backend: Backend, name: str) -> int:
    rows = backend.modules.list(ModuleFilter(text=name)).rows
    return next(r.id for r in rows if r.name == name)


def sql_scalar(backend: Backend, query) -> int:  # noqa: ANN001
    with backend.db.sessions() as session:
        return session.execute(query).scalar_one()


class TestModulesList:
    def test_pages_cover_every_module_once_in_priority_order(self, seeded_backend: Backend) -> None:
        seen, page = [], PageRequest(limit=5)
        while True:
            result = seeded_backend.modules.list(page=page)
            assert len(result.rows) <= 5
            seen.extend(result.rows)
            if not result.has_next:
                break
            page = page.next()
        assert result.total == MODULE_COUNT == len(seen) == len({r.id for r in seen})
        keys = [(r.sort_priority, r.id) for r in seen]
        assert keys == sorted(keys)

    def test_sort_by_name_descending(self, seeded_backend: Backend) -> None:
        rows = seeded_backend.modules.list(page=PageRequest(sort="name", descending=True)).rows
        assert [r.name for r in rows] == sorted((r.name for r in rows), reverse=True)

    def test_filters_by_name_type_and_status(self, seeded_backend: Backend) -> None:
        by_name = seeded_backend.modules.list(ModuleFilter(text="frankfurt"))
        assert {r.name for r in by_name.rows} == {"VM Frankfurt 1", "VM Frankfurt 2", "VM Frankfurt legacy"}
        assert by_name.total == 3
        cpanel_disabled = seeded_backend.modules.list(ModuleFilter(module_type="cpanel", status=ModuleStatus.DISABLED))
        assert [r.name for r in cpanel_disabled.rows] == ["cPanel legacy"]
        assert seeded_backend.modules.list(ModuleFilter(text="%")).total == 0  # wildcards are literal

    def test_counts_are_those_of_the_database(self, seeded_backend: Backend) -> None:
        row = next(r for r in seeded_backend.modules.list().rows if r.name == "Namecheap reseller")
        assert row.active_service_count == sql_scalar(seeded_backend, select(func.count()).where(
            Service.module_id == row.id, Service.status == ServiceStatus.ACTIVE))
        assert row.tariff_count == sql_scalar(seeded_backend, select(func.count()).where(
            TariffModule.module_id == row.id))
        assert row.unread_notification_count == 2
        assert row.module_type_title == "Namecheap" and row.product_type_name == "Domains"


class TestModuleCard:
    def test_vmmanager_card_has_datacenter_and_three_setting_groups(self, seeded_backend: Backend) -> None:
        card = seeded_backend.modules.card(module_id(seeded_backend, "VM Frankfurt 1"))
        assert card.module_type_title == "VMmanager 6"
        assert card.supports_datacenter and card.datacenter_name == "Frankfurt FRA1"
        assert card.department_name == "Technical support" and card.status is ModuleStatus.ENABLED
        assert [g.title for g in card.settings] == [
            "Connection parameters", "Processing module settings", "License server"]
        values = {v.key: v.display for g in card.settings for v in g.values}
        assert values["url"] == "https://vm-fra1.hostco.example"
        assert values["password"] == "•••••• (set)" and "demo-" not in repr(card)
        assert values["use_recipes"] == "Yes"

    def test_a_group_the_type_lacks_is_absent(self, seeded_backend: Backend) -> None:
        card = seeded_backend.modules.card(module_id(seeded_backend, "cPanel shared-01"))
        assert [g.title for g in card.settings] == ["Connection parameters", "Processing module settings"]
        assert not card.supports_datacenter and card.datacenter_name is None

    def test_balance_in_overview_for_types_that_report_one(self, seeded_backend: Backend) -> None:
        card = seeded_backend.modules.card(module_id(seeded_backend, "Namecheap reseller"))
        assert card.reports_balance and str(card.balance) == "85.20" and card.balance_currency == "USD"
        assert card.balance_read_at is not None and str(card.minimal_balance) == "100.00"

    def test_related_tariffs_include_archived_and_deleted_with_active_counts(self, seeded_backend: Backend) -> None:
        for name in ("VM Frankfurt 1", "VM Frankfurt 2", "VM Frankfurt legacy", "Namecheap reseller"):
            mid = module_id(seeded_backend, name)
            card = seeded_backend.modules.card(mid)
            assert card.tariff_total == len(card.tariffs) > 0
            for tariff in card.tariffs:
                expected = sql_scalar(seeded_backend, select(func.count()).where(
                    Service.module_id == mid, Service.tariff_id == tariff.id,
                    Service.status == ServiceStatus.ACTIVE))
                assert tariff.active_service_count == expected
        statuses = {t.status for name in [r.name for r in seeded_backend.modules.list().rows]
                    for t in seeded_backend.modules.card(module_id(seeded_backend, name)).tariffs}
        assert {TariffStatus.ARCHIVED, TariffStatus.DELETED} <= statuses

    def test_tasks_show_their_last_run(self, seeded_backend: Backend) -> None:
        card = seeded_backend.modules.card(module_id(seeded_backend, "VM Frankfurt 1"))
        tasks = {t.name: t for t in card.tasks}
        assert set(tasks) == {"Connection check", "Service sync"}
        assert tasks["Connection check"].schedule == "*/15 * * * *"
        assert tasks["Connection check"].last_result is RunResult.SUCCESSFUL
        assert tasks["Connection check"].last_duration.total_seconds() < 60
        sync = tasks["Service sync"]
        assert sync.last_result is RunResult.IN_PROGRESS and sync.last_duration is None
        failing = seeded_backend.modules.card(module_id(seeded_backend, "VM Amsterdam 1"))
        assert {t.name: t.last_result for t in failing.tasks}["Connection check"] is RunResult.UNSUCCESSFUL

    def test_only_unread_notifications_newest_first(self, seeded_backend: Backend) -> None:
        card = seeded_backend.modules.card(module_id(seeded_backend, "Namecheap reseller"))
        assert card.unread_notification_total == len(card.notifications) == 2
        assert [n.created_at for n in card.notifications] == sorted(
            (n.created_at for n in card.notifications), reverse=True)
        assert all("restored" not in n.description for n in card.notifications)

    def test_missing_module_is_a_readable_not_found(self, seeded_backend: Backend) -> None:
        with pytest.raises(NotFound, match="no longer exists"):
            seeded_backend.modules.card(999_999)


class TestTariffs:
    def test_filter_by_module_lists_exactly_its_links(self, seeded_backend: Backend) -> None:
        mid = module_id(seeded_backend, "cPanel shared-01")
        page = seeded_backend.tariffs.list(TariffFilter(module_id=mid))
        assert page.total == sql_scalar(seeded_backend, select(func.count()).where(TariffModule.module_id == mid))
        assert all("cPanel shared-01" in r.module_names for r in page.rows)

    def test_filter_by_tariff_and_status(self, seeded_backend: Backend) -> None:
        archived = seeded_backend.tariffs.list(TariffFilter(status=TariffStatus.ARCHIVED))
        assert archived.total >= 3 and all(r.status is TariffStatus.ARCHIVED for r in archived.rows)
        one = seeded_backend.tariffs.list(TariffFilter(tariff_id=archived.rows[0].id))
        assert [r.name for r in one.rows] == [archived.rows[0].name]

    def test_linked_modules_lowest_sort_priority_first(self, seeded_backend: Backend) -> None:
        row = next(r for r in seeded_backend.tariffs.list(TariffFilter(text="VPS Standard")).rows)
        assert len(row.module_names) == 3
        priorities = {r.name: r.sort_priority for r in seeded_backend.modules.list().rows}
        assert [priorities[n] for n in row.module_names] == sorted(priorities[n] for n in row.module_names)

    def test_paging_and_name_lookup(self, seeded_backend: Backend) -> None:
        first = seeded_backend.tariffs.list(page=PageRequest(limit=10))
        second = seeded_backend.tariffs.list(page=PageRequest(limit=10).next())
        assert first.total == second.total >= 40
        assert not {r.id for r in first.rows} & {r.id for r in second.rows}
        assert seeded_backend.tariffs.name(first.rows[0].id) == first.rows[0].name
        with pytest.raises(NotFound):
            seeded_backend.tariffs.name(999_999)


class TestServices:
    def test_filters_combine(self, seeded_backend: Backend) -> None:
        mid = module_id(seeded_backend, "VM Amsterdam 2")
        page = seeded_backend.services.list(ServiceFilter(module_id=mid, status=ServiceStatus.ACTIVE),
                                            PageRequest(limit=20))
        assert len(page.rows) == 20 and page.has_next
        assert all(r.module_name == "VM Amsterdam 2" and r.status is ServiceStatus.ACTIVE for r in page.rows)
        assert page.total == sql_scalar(seeded_backend, select(func.count()).where(
            Service.module_id == mid, Service.status == ServiceStatus.ACTIVE))
        tariff_id = seeded_backend.tariffs.list(TariffFilter(text="Domain .io")).rows[0].id
        by_tariff = seeded_backend.services.list(ServiceFilter(tariff_id=tariff_id))
        assert by_tariff.total > 0 and all(r.tariff_name == "Domain .io" for r in by_tariff.rows)
        assert page.position == f"1–20 of {page.total:,}"


class TestTasksAndProvider:
    def test_task_list_filter_and_history(self, seeded_backend: Backend) -> None:
        mid = module_id(seeded_backend, "Namecheap main")
        tasks = seeded_backend.tasks.list(TaskFilter(module_id=mid))
        assert {t.name for t in tasks.rows} == {"Connection check", "Service sync", "Balance check"}
        runs = seeded_backend.tasks.runs(tasks.rows[0].id, PageRequest(limit=3))
        assert runs.total == 8 and len(runs.rows) == 3
        assert [r.started_at for r in runs.rows] == sorted((r.started_at for r in runs.rows), reverse=True)
        failed = seeded_backend.tasks.list(TaskFilter(result=RunResult.UNSUCCESSFUL))
        assert {t.module_name for t in failed.rows} == {"VM Amsterdam 1", "cPanel shared-03"}
        assert seeded_backend.tasks.in_progress_count(module_id(seeded_backend, "VM Frankfurt 1")) == 1

    def test_departments_and_datacenters_with_module_counts(self, seeded_backend: Backend) -> None:
        departments = {r.name: r.module_count for r in seeded_backend.provider.departments().rows}
        assert departments == {"Sales department": 3, "Technical support": 14}
        datacenters = {r.name: r.module_count for r in seeded_backend.provider.datacenters().rows}
        assert datacenters == {"Frankfurt FRA1": 4, "Amsterdam AMS2": 4}


class TestNotifications:
    def test_filter_by_module_and_unread(self, seeded_backend: Backend) -> None:
        mid = module_id(seeded_backend, "VM Amsterdam 1")
        everything = seeded_backend.notifications.list(NotificationFilter(module_id=mid))
        unread = seeded_backend.notifications.list(NotificationFilter(module_id=mid, unread_only=True))
        assert everything.total == 2 and unread.total == 1 and unread.rows[0].unread
        assert all(r.module_name == "VM Amsterdam 1" for r in everything.rows)

    def test_mark_read_removes_from_card_and_pane(self, backend: Backend) -> None:
        mid = module_id(backend, "Namecheap reseller")
        before = backend.notifications.unread_count()
        first = backend.modules.card(mid).notifications[0]
        assert backend.notifications.mark_read([first.id]) == 1
        assert backend.notifications.mark_read([first.id]) == 0  # already read: nothing changes
        assert first.id not in {n.id for n in backend.modules.card(mid).notifications}
        assert first.id not in {n.id for n in backend.notifications.latest_unread()}
        assert backend.notifications.unread_count() == before - 1
        assert backend.notifications.mark_all_read(mid) == 1
        assert backend.modules.card(mid).notifications == []
        with backend.db.sessions() as session:
            read_at = session.scalar(select(Notification.read_at).where(Notification.id == first.id))
        assert read_at == backend.clock.now()
        assert backend.notifications.mark_all_read() == before - 2
        assert backend.notifications.latest_unread() == []

    def test_latest_unread_newest_first_and_bounded(self, seeded_backend: Backend) -> None:
        latest = seeded_backend.notifications.latest_unread(limit=5)
        assert len(latest) == 5 and all(n.unread for n in latest)
        assert [n.created_at for n in latest] == sorted((n.created_at for n in latest), reverse=True)


def test_module_options_are_bounded_and_filtered(seeded_backend: Backend) -> None:
    assert len(seeded_backend.modules.options(limit=4)) == 4
    assert [o.label for o in seeded_backend.modules.options("namecheap")] == [
        "Namecheap main", "Namecheap reseller", "Namecheap sandbox"]
    assert {o.value for o in seeded_backend.modules.type_options()} == {spec.type_key for spec in MODULES}
    assert sql_scalar(seeded_backend, select(func.count()).select_from(ProcessingModule)) == MODULE_COUNT


def test_modules_by_datacenter_and_department(seeded_backend: Backend) -> None:
    fra = next(r for r in seeded_backend.provider.datacenters().rows if r.name == "Frankfurt FRA1")
    rows = seeded_backend.modules.list(ModuleFilter(datacenter_id=fra.id)).rows
    assert {r.name for r in rows} == {"VM Frankfurt 1", "VM Frankfurt 2", "VM Frankfurt legacy", "Proxmox cluster 1"}
    sales = next(r for r in seeded_backend.provider.departments().rows if r.name == "Sales department")
    assert seeded_backend.modules.list(ModuleFilter(department_id=sales.id)).total == 3
    assert [o.label for o in seeded_backend.provider.department_options()] == ["Sales department", "Technical support"]
    assert [o.label for o in seeded_backend.provider.datacenter_options()] == ["Amsterdam AMS2", "Frankfurt FRA1"]


def test_module_history_newest_first(backend: Backend) -> None:
    module = module_id(backend, "VM Frankfurt 2")
    backend.commands.set_module_enabled(module, False)
    history = backend.modules.history(module)
    assert [r.action for r in history.rows] == ["disable", "create"] and history.rows[0].actor == "tester"


def test_big_counts_stop_past_the_page(seeded_backend: Backend, monkeypatch) -> None:  # noqa: ANN001
    import procmod.core.queries as queries

    monkeypatch.setattr(queries, "COUNT_LOOKAHEAD", 100)
    page = seeded_backend.services.list(page=PageRequest(limit=50))
    assert page.total == 150 and page.total_is_lower_bound and page.position == "1–50 of 150+"
    assert page.has_next
    small = seeded_backend.modules.list(page=PageRequest(limit=50))
    assert small.total == MODULE_COUNT and not small.total_is_lower_bound


def test_every_list_filters_by_text_anywhere_in_the_name_in_any_case(seeded_backend: Backend) -> None:
    """One rule everywhere (issue 18, item 11): `indigo` finds vps8.indigo-client.example, not only names
    that start with it; short text, long text and text in capitals alike."""
    page = seeded_backend.services.list(ServiceFilter(text="INDIGO-cl"))
    assert page.total > 0 and all("indigo-cl" in r.name.lower() for r in page.rows)
    assert [r.id for r in page.rows] == sorted(r.id for r in page.rows)  # in id order, from the index
    by_name = seeded_backend.services.list(ServiceFilter(text="indigo-cl"), PageRequest(sort="name"))
    assert {r.id for r in by_name.rows} == {r.id for r in page.rows}
    assert all("s1" in r.name.lower() for r in seeded_backend.services.list(ServiceFilter(text="s1")).rows)
    assert seeded_backend.tariffs.list(TariffFilter(text="domain .c")).total == 2  # .com, .co.uk
    assert seeded_backend.tariffs.list(TariffFilter(text="COM")).total >= 1  # anywhere: "Domain .com"
    assert seeded_backend.modules.list(ModuleFilter(text="PANEL")).total >= 1  # cPanel modules
    assert seeded_backend.tasks.list(TaskFilter(text="CHECK")).total >= 1
    assert seeded_backend.notifications.list(NotificationFilter(text="ALANC")).total >= 1  # "balance"
    # LIKE's wildcards are plain characters to the operator.
    assert seeded_backend.services.list(ServiceFilter(text="vps%")).total == 0
    assert seeded_backend.services.list(ServiceFilter(text="_")).total == 0


def test_a_whole_selection_takes_every_match_from_the_text_index(seeded_backend: Backend, monkeypatch) -> None:  # noqa: ANN001
    """A bulk selection ("select all matching") reads the text index's matches however many there are: it
    has no page to stop at, and the fallback of a list in another order (a scan) reads every name."""
    from procmod.core.queries import TextFilter

    monkeypatch.setattr(TextFilter, "FEW", 0)  # as if "indigo-cl" matched more than a list fetches by id
    db = seeded_backend.db

    def matching(search: TextFilter) -> tuple[set[int], str]:
        query = select(Service.id).where(*search.criteria())
        with db.sessions() as session:
            return set(session.scalars(query)), str(query.compile(db.engine))

    listed, listed_sql = matching(TextFilter(db, Service, "name", "indigo-cl"))
    whole, whole_sql = matching(TextFilter(db, Service, "name", "indigo-cl", whole=True))
    assert whole == listed and whole
    if db.dialect == "sqlite":
        assert "service_name_fts" in whole_sql and "service_name_fts" not in listed_sql


def test_the_text_index_follows_inserts_renames_and_deletes(backend: Backend) -> None:
    """The FTS5 table (SQLite) is kept by triggers; PostgreSQL's trigram index by the database itself."""
    from sqlalchemy import delete, update

    from procmod.storage.models import Service

    def names(text: str) -> list[str]:
        return [r.name for r in backend.services.list(ServiceFilter(text=text)).rows]

    first = backend.services.list(page=PageRequest(limit=1)).rows[0]
    assert names("zanzibar") == []
    with backend.db.write() as session:
        session.execute(update(Service).where(Service.id == first.id).values(name="mail.zanzibar-shop.example"))
    assert names("zanzibar") == ["mail.zanzibar-shop.example"]
    assert names(first.name) == []
    with backend.db.write() as session:
        session.execute(delete(Service).where(Service.id == first.id))
    assert names("zanzibar") == []


KEYSET_LISTS = {
    "services by id": lambda b, p: b.services.list(page=p),
    "services by name, descending": lambda b, p: b.services.list(page=PageRequest(p.offset, p.limit, "name", True,
                                                                                   p.after, p.before)),
    "services by name prefix": lambda b, p: b.services.list(ServiceFilter(text="c"), p),
    "services containing text, from the index": lambda b, p: b.services.list(ServiceFilter(text="client"), p),
    "services containing text, newest first": lambda b, p: b.services.list(ServiceFilter(text="example"),
        PageRequest(p.offset, p.limit, "created", True, p.after, p.before)),
    "tariffs by lower(name)": lambda b, p: b.tariffs.list(page=p),
    "notifications newest first": lambda b, p: b.notifications.list(page=PageRequest(
        p.offset, p.limit, "created", True, p.after, p.before)),
    "modules by name": lambda b, p: b.modules.list(page=PageRequest(p.offset, p.limit, "name", False, p.after,
                                                                    p.before)),
    "tasks by next run": lambda b, p: b.tasks.list(page=PageRequest(
        p.offset, p.limit, "next", False, p.after, p.before)),
}


@pytest.mark.parametrize("name", list(KEYSET_LISTS))
def test_keyset_pages_match_offset_pages_both_ways(seeded_backend: Backend, name: str) -> None:
    """Walking a list with keyset cursors gives the rows offset paging gives, forwards and back again."""
    fetch = KEYSET_LISTS[name]
    limit = 7
    by_offset, offset = [], 0
    while True:
        page = fetch(seeded_backend, PageRequest(offset, limit))
        by_offset.append([r.id for r in page.rows])
        if not page.has_next or offset > 40 * limit:
            break
        offset += limit
    request = PageRequest(0, limit)
    forwards, pages = [], []
    for _ in by_offset:
        page = fetch(seeded_backend, request)
        forwards.append([r.id for r in page.rows])
        pages.append(page)
        assert page.offset == request.offset
        request = request.next(page)
    assert forwards == by_offset
    backwards, request = [], PageRequest(pages[-1].offset, limit)
    page = pages[-1]
    while page.has_previous:
        request = request.previous(page)
        page = fetch(seeded_backend, request)
        backwards.append([r.id for r in page.rows])
    assert backwards == by_offset[-2::-1]


def test_keyset_page_counts_from_its_own_start(seeded_backend: Backend, monkeypatch) -> None:  # noqa: ANN001
    """A deep keyset page counts from its first row on, so the position still reads "of N" or "of N+"."""
    import procmod.core.queries as queries

    first = seeded_backend.services.list(page=PageRequest(limit=100))
    second = seeded_backend.services.list(page=PageRequest(limit=100).next(first))
    assert second.total == first.total and not second.total_is_lower_bound
    assert second.position.startswith("101–200 of ")
    monkeypatch.setattr(queries, "COUNT_LOOKAHEAD", 50)
    capped = seeded_backend.services.list(page=replace(PageRequest(limit=100).next(first), known_total=None))
    assert capped.total == 100 + 100 + 50 and capped.total_is_lower_bound


def test_moving_page_to_page_counts_the_list_once(seeded_backend: Backend, monkeypatch) -> None:  # noqa: ANN001
    """Next and previous carry the exact total they moved from; a list that changed meanwhile is counted."""
    import procmod.core.queries as queries

    first = seeded_backend.services.list(page=PageRequest(limit=100))
    assert not first.total_is_lower_bound
    calls = count_calls(monkeypatch, queries, "_capped_count")
    second = seeded_backend.services.list(page=PageRequest(limit=100).next(first))
    back = seeded_backend.services.list(page=PageRequest(limit=100).next(first).previous(second))
    assert calls.count == 0 and second.total == back.total == first.total
    assert [r.id for r in back.rows] == [r.id for r in first.rows]

    stale = replace(PageRequest(limit=100).next(first), known_total=150)  # rows were added since
    assert seeded_backend.services.list(page=stale).total == first.total and calls.count == 1
    big = seeded_backend.services.list(page=PageRequest(limit=100))
    monkeypatch.setattr(queries, "COUNT_LOOKAHEAD", 50)
    capped = seeded_backend.services.list(page=PageRequest(limit=100))
    assert capped.total == 150 and capped.total_is_lower_bound
    assert big.total == first.total


def test_a_lower_bound_holds_until_the_pages_come_near_it(seeded_backend: Backend, monkeypatch) -> None:  # noqa: ANN001
    """"Of 150+" stays true while the pages are short of it; near it, the list is counted again."""
    import procmod.core.queries as queries

    monkeypatch.setattr(queries, "COUNT_LOOKAHEAD", 100)
    request = PageRequest(limit=20)
    page = seeded_backend.services.list(page=request)
    assert page.total == 120 and page.total_is_lower_bound
    calls = count_calls(monkeypatch, queries, "_capped_count")
    totals = []
    for _ in range(6):  # 21–40 … 121–140
        request = request.next(page)
        page = seeded_backend.services.list(page=request)
        totals.append((page.offset, page.total, page.total_is_lower_bound))
    assert totals[:4] == [(20, 120, True), (40, 120, True), (60, 120, True), (80, 120, True)]
    assert calls.count >= 1 and totals[4][1] > 120  # at 101–120 the bound was reached: counted again, further


def test_keyset_cursor_past_the_end_is_an_empty_page(seeded_backend: Backend) -> None:
    last = seeded_backend.services.list(page=PageRequest(0, 1, "id", True))
    beyond = seeded_backend.services.list(page=PageRequest(500, 100, after=last.last_key))
    assert beyond.rows == [] and beyond.total == 500 and not beyond.has_next


def test_keyset_falls_back_to_offset_at_null_sort_values(backend: Backend) -> None:
    """A NULL in a cursor cannot be compared: those pages are read by offset, and still cover every row once."""
    from sqlalchemy import update

    from procmod.storage.models import BackgroundTask

    with backend.db.write() as session:
        session.execute(update(BackgroundTask).where(BackgroundTask.id % 2 == 0).values(next_run_at=None))
    every = sorted(r.id for r in backend.tasks.list(page=PageRequest(0, 500)).rows)
    for descending in (False, True):
        seen, request = [], PageRequest(0, 5, "next", descending)
        while True:
            page = backend.tasks.list(page=request)
            seen.extend(r.id for r in page.rows)
            if not page.has_next:
                break
            request = request.next(page)
        assert sorted(seen) == every and len(seen) == len(set(seen))


def test_a_short_page_is_the_last_and_gives_the_total_without_a_count(seeded_backend: Backend,
                                                                       monkeypatch) -> None:  # noqa: ANN001
    import procmod.core.queries as queries

    expected = seeded_backend.modules.list(ModuleFilter(text="cpanel")).total
    assert 0 < expected < 100

    def no_count(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise AssertionError("a short page needs no count")

    monkeypatch.setattr(queries, "_capped_count", no_count)
    page = seeded_backend.modules.list(ModuleFilter(text="cpanel"))
    assert page.total == len(page.rows) == expected and not page.has_next
    assert seeded_backend.modules.list(ModuleFilter(text="no such module")).total == 0

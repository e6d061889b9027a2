"""Read services behind every list and the module card.

Every list is one page of indexed SQL plus one aggregate count: nothing loads a whole table. Counts
shown in rows (tariffs, active services, unread notifications) are correlated aggregates evaluated for
the page's rows only. Results are plain dataclasses from `procmod.core.dto`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timezone
from typing import Any, TypeVar

from sqlalchemy import JSON, ColumnElement, FromClause, Integer, Select, String, and_, column, func, literal_column, or_
from sqlalchemy import literal, select, table, type_coerce, union_all, update
from sqlalchemy.orm import Session, aliased

from procmod.core.arguments import Int, entry_point
from procmod.core.clock import Clock
from procmod.core.errors import NotFound
from procmod.core.dto import (
    AuditRow,
    CardNotification,
    CardTariff,
    CardTask,
    DataCenterRow,
    DepartmentRow,
    ModuleCard,
    ModuleFilter,
    ModuleRow,
    NotificationDetail,
    NotificationFilter,
    NotificationRow,
    Option,
    Page,
    PageRequest,
    ServiceFilter,
    ServiceRow,
    SettingsGroup,
    SettingValue,
    TariffFilter,
    TariffRow,
    TaskFilter,
    TaskRow,
    TaskRunRow,
)
from procmod.core.moduletypes import MODULE_TYPES, PRODUCT_TYPE_NAMES, module_type, module_type_or_placeholder
from procmod.core.schedule import describe, describe_in_zone
from procmod.core.secrets import SecretBox, SecretsUnavailable
from procmod.storage.engine import Database
from procmod.storage.text_search import SEARCHED_COLUMNS, TRIGRAM
from procmod.storage.enums import RunResult, ServiceStatus
from procmod.storage.models import (
    AuditEntry,
    BackgroundTask,
    DataCenter,
    Department,
    Notification,
    ProcessingModule,
    Service,
    Tariff,
    TariffModule,
    TaskRun,
)

RowT = TypeVar("RowT")

#: A choice list's or side pane's size (a negative LIMIT is an error on PostgreSQL, no limit on SQLite).
LIMIT = Int(0, 10_000)

#: How far past the current page a list counts its rows before saying "N+".
COUNT_LOOKAHEAD = 10_000

#: How many related rows the card shows per block before pointing at the full, filtered list.
CARD_TARIFF_LIMIT = 50
CARD_NOTIFICATION_LIMIT = 20


def _json_rows(session: Session, rows: FromClause) -> Any:
    """The rows of `rows` (a small, limited subquery) as one JSON array of arrays, a column of the statement
    that holds it: a few rows beside a main row without a round trip of their own. Read back as lists."""
    cols = list(rows.c)
    if session.get_bind().dialect.name == "postgresql":
        value = func.coalesce(func.json_agg(func.json_build_array(*cols)), literal_column("'[]'::json"))
    else:
        value = func.json_group_array(func.json_array(*cols))
    return type_coerce(select(value).select_from(rows).scalar_subquery(), JSON)


def _json_time(text: str) -> datetime:
    """A timestamp read from `_json_rows` (ISO text: naive UTC on SQLite, with an offset on PostgreSQL), as
    the ORM gives it: aware UTC."""
    value = datetime.fromisoformat(text)
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def _paged(
    session: Session,
    query: Select[Any],
    count_query: Select[Any],
    page: PageRequest,
    sort_columns: dict[str, ColumnElement[Any]],
    default_sort: str,
    tiebreak: ColumnElement[Any],
    to_row: Callable[[Any], RowT],
) -> Page[RowT]:
    """Order, slice and count one list query; the tiebreak (a unique column) keeps pages stable.

    A request with a keyset cursor (`after`/`before`, built by `PageRequest.next(page)`/`previous(page)`)
    reads from that row on, like the first page does, instead of skipping `offset` rows: page 5,000 of a
    million services costs what page 1 costs. A cursor holding NULL (a nullable sort column) falls back to
    the offset, which orders NULLs the same way on every page.

    The count stops at `COUNT_LOOKAHEAD` rows past the page's start: counting a million matching services
    to print "of 1,000,000" would cost more than the page itself, so the position then reads "of 10,100+".
    A request that carries the exact total of the page it moves from (`known_total`) is not counted again
    while its rows agree with that total; a list that grew or shrank meanwhile is counted. A total that was
    a lower bound ("of 10,100+") holds until the pages come within one page of it; then it is counted again. A page shorter
    than its limit is the list's last, and gives its total without a count.
    """
    column = sort_columns.get(page.sort or default_sort, sort_columns[default_sort])
    descending = page.descending
    cursor = page.after if page.after is not None else page.before
    keyset = cursor is not None and None not in cursor
    # `before` reads backwards from the cursor, then puts the rows back in the list's order.
    backwards = keyset and page.before is not None and page.after is None
    reverse = descending != backwards
    # A nullable sort column orders NULL as the smallest value on both dialects (SQLite's default; PostgreSQL
    # would put NULL last), so cursors mean the same thing everywhere. Non-null columns keep plain ordering,
    # which their indexes serve.
    nullable = bool(getattr(column, "nullable", False))
    if reverse:
        order = [column.desc().nulls_last() if nullable else column.desc(), tiebreak.desc()]
    else:
        order = [column.asc().nulls_first() if nullable else column.asc(), tiebreak.asc()]
    if column is tiebreak:
        # Ordered by the unique column alone: an FTS5 table hands its rows over in that order only when it
        # is the whole ORDER BY (a filtered page of 1M services then reads 100 index entries, not all).
        order = order[:1]
    keyed = query.add_columns(column.label("_sort_key"), tiebreak.label("_tiebreak"))
    if keyset:
        keyed = keyed.where(*_beyond(column, tiebreak, cursor, reverse, inclusive=False, nullable=nullable))
        result = list(session.execute(keyed.order_by(*order).limit(page.limit)))
        if backwards:
            result.reverse()
    else:
        result = list(session.execute(keyed.order_by(*order).offset(page.offset).limit(page.limit)))
    first_key = (result[0]._sort_key, result[0]._tiebreak) if result else None
    last_key = (result[-1]._sort_key, result[-1]._tiebreak) if result else None
    rows = [to_row(tuple(r)[:-2]) for r in result]
    told = _total_told_by(page, len(rows))
    counted = count_query.with_only_columns(literal_column("1"))
    if told is not None:
        total, lower_bound = told
    elif keyset and first_key is not None and None not in first_key:
        # Count from the page's first row on: the rows before it are `offset`, known from the way here.
        cap = page.limit + COUNT_LOOKAHEAD
        from_here = counted.where(*_beyond(column, tiebreak, first_key, descending, inclusive=True,
                                           nullable=nullable))
        total = page.offset + _capped_count(session, from_here, cap)
        lower_bound = total >= page.offset + cap
    elif keyset:
        total, lower_bound = page.offset, False  # the list shrank past the cursor: nothing from here on
    else:
        cap = page.offset + page.limit + COUNT_LOOKAHEAD
        total = _capped_count(session, counted, cap)
        lower_bound = total >= cap
    return Page(rows=rows, total=total, offset=page.offset, limit=page.limit, total_is_lower_bound=lower_bound,
                first_key=first_key, last_key=last_key)


def _total_told_by(page: PageRequest, shown: int) -> tuple[int, bool] | None:
    """The list's total (and whether it is a lower bound) when the request and its `shown` rows tell it
    without a count; None when it must be counted."""
    known, end, full = page.known_total, page.offset + shown, shown == page.limit
    if known is not None and page.known_total_is_lower_bound:
        if full and end < known:  # still short of "at least N": N still holds
            return known, True
    elif known is not None and (end <= known if full else end == known):
        return known, False  # the total the request moved from, and the rows agree with it
    if not full and (shown or page.offset == 0):
        return end, False  # a short page is the last one (a narrow filter, typed)
    return None


def _beyond(column: ColumnElement[Any], tiebreak: ColumnElement[Any], key: tuple[Any, ...], descending: bool,
            *, inclusive: bool, nullable: bool) -> list[ColumnElement[bool]]:
    """Rows past `key` (a non-NULL sort value) in the list's order, or at or past it when `inclusive`.

    Written as a range on the sort column plus the tie condition, so an index on the sort column serves it.
    NULL sorts smallest: past a cursor going down, the NULL rows are still to come.
    """
    value, tie = key
    if descending:
        tie_past = tiebreak <= tie if inclusive else tiebreak < tie
        if nullable:
            return [or_(column < value, column.is_(None), and_(column == value, tie_past))]
        return [column <= value, or_(column < value, tie_past)]
    tie_past = tiebreak >= tie if inclusive else tiebreak > tie
    return [column >= value, or_(column > value, tie_past)]


def _capped_count(session: Session, counted: Select[Any], cap: int) -> int:
    return session.execute(select(func.count()).select_from(counted.limit(cap).subquery())).scalar_one()


#: What every list's filter line says about the rule it applies.
FILTER_RULE = "matches anywhere in the name, any case"


class TextFilter:
    """The one filter rule of every list: the column contains the typed text, anywhere, in any case.

    Served by the column's text-search index (`procmod.storage.text_search`, migration 0008):
    - PostgreSQL: ILIKE '%text%', which the planner answers from the `pg_trgm` GIN index when it pays.
    - SQLite, a list in id order (`drive=True`, the services list): the FTS5 trigram table is joined in and
      hands its matches over in id order, lazily, so a page of "client" at 1M services reads 100 index
      entries and a rare text reads only its matches.
    - SQLite, a list in another order: the index is asked how many rows match (stopping at `FEW`); a few
      are fetched by id from it, many are found by reading the list's own order and stopping at a page.
    - SQLite, a query that takes every match in no order (`whole=True`: a bulk selection, its count): the
      index's matches by id, however many: there is no page to stop at, and a scan of the table reads
      every name (1M services: ~220 ms, against ~10 ms for 10,000 matches from the index).
    - Text shorter than a trigram (or with LIKE's wildcards): the same reading in the list's order.
    """

    #: Up to this many matches, a list in another order than the id fetches them by id from the index.
    FEW = 2_000

    def __init__(self, db: Database, model: Any, column_name: str, text: str, *, drive: bool = False,
                 whole: bool = False) -> None:
        self.model = model
        self.column = getattr(model, column_name)
        self.text = text
        self._postgresql = db.dialect == "postgresql"
        self.fts: FromClause | None = None
        self._by_ids = False
        searched = SEARCHED_COLUMNS.get((model.__tablename__, column_name))
        if (db.dialect == "sqlite" and searched is not None and len(text) >= TRIGRAM
                and not any(ch in text for ch in "%_")):
            fts = table(searched.fts_table, column("rowid", Integer), column(column_name, String))
            if drive:
                self.fts = fts
            elif whole:
                self._by_ids = True
                self._ids = select(fts.c.rowid).where(self._like(fts))
            else:
                matching = select(literal_column("1")).select_from(fts).where(self._like(fts)).limit(self.FEW + 1)
                with db.reads() as session:
                    few = session.execute(select(func.count()).select_from(matching.subquery())).scalar_one()
                if few <= self.FEW:
                    self._by_ids = True
                    self._ids = select(fts.c.rowid).where(self._like(fts))

    def _like(self, fts: FromClause) -> ColumnElement[bool]:
        return fts.c[self.column.key].like(f"%{self.text}%")

    def criteria(self) -> list[ColumnElement[bool]]:
        if not self.text:
            return []
        if self.fts is not None:
            return [self._like(self.fts)]
        if self._by_ids:
            return [self.model.id.in_(self._ids)]
        if self._postgresql:
            escaped = self.text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            return [self.column.ilike(f"%{escaped}%", escape="\\")]
        return [self.column.icontains(self.text, autoescape=True)]

    def source(self, base: Any = None) -> Any:
        """What the query selects from: the FTS table joined to the rows it names (driving), or the table."""
        base = self.model.__table__ if base is None else base
        if self.fts is None:
            return base
        return self.fts.join(base, self.fts.c.rowid == self.model.id)

    @property
    def row_id(self) -> ColumnElement[Any]:
        """The row's id as the index keeps it: ordering by it lets the FTS table drive the page."""
        return self.fts.c.rowid if self.fts is not None else self.model.id


def _count_of(*criteria: ColumnElement[bool], model: Any) -> Select[Any]:
    return select(func.count()).select_from(model).where(*criteria)


def _active_services(module_id: Any = None, tariff_id: Any = None) -> Any:
    """A correlated count of Active services on a module and/or tariff."""
    criteria = [Service.status == ServiceStatus.ACTIVE]
    if module_id is not None:
        criteria.append(Service.module_id == module_id)
    if tariff_id is not None:
        criteria.append(Service.tariff_id == tariff_id)
    return select(func.count()).where(*criteria).scalar_subquery()


def _last_run_id(task_id: Any) -> Any:
    return (
        select(TaskRun.id)
        .where(TaskRun.task_id == task_id)
        .order_by(TaskRun.started_at.desc(), TaskRun.id.desc())
        .limit(1)
        .scalar_subquery()
    )


def _duration(run_started: datetime | None, run_finished: datetime | None):  # noqa: ANN202
    if run_started is None or run_finished is None:
        return None
    return run_finished - run_started


class ModuleQueries:
    def __init__(self, db: Database, clock: Clock, secrets: SecretBox) -> None:
        self._db = db
        self._clock = clock
        self._secrets = secrets

    def _criteria(self, flt: ModuleFilter) -> list[ColumnElement[bool]]:
        criteria = TextFilter(self._db, ProcessingModule, "name", flt.text).criteria()
        if flt.module_type:
            criteria.append(ProcessingModule.module_type == flt.module_type)
        if flt.status:
            criteria.append(ProcessingModule.status == flt.status)
        if flt.datacenter_id is not None:
            criteria.append(ProcessingModule.datacenter_id == flt.datacenter_id)
        if flt.department_id is not None:
            criteria.append(ProcessingModule.department_id == flt.department_id)
        return criteria

    def list(self, flt: ModuleFilter = ModuleFilter(), page: PageRequest = PageRequest()) -> Page[ModuleRow]:
        m = ProcessingModule
        tariff_count = (
            select(func.count()).where(TariffModule.module_id == m.id).scalar_subquery()
        )
        unread = (
            select(func.count())
            .where(Notification.module_id == m.id, Notification.read_at.is_(None))
            .scalar_subquery()
        )
        criteria = self._criteria(flt)
        query = (
            select(
                m.id, m.name, m.module_type, m.product_type, DataCenter.name, Department.name,
                m.status, m.sort_priority, tariff_count, _active_services(module_id=m.id), unread,
                m.health_ok, m.health_checked_at,
            )
            .join(Department, Department.id == m.department_id)
            .outerjoin(DataCenter, DataCenter.id == m.datacenter_id)
            .where(*criteria)
        )
        sorts = {"name": m.name, "type": m.module_type, "status": m.status, "priority": m.sort_priority,
                 "id": m.id}

        def to_row(r: Any) -> ModuleRow:
            return ModuleRow(
                id=r[0], name=r[1], module_type=r[2],
                module_type_title=MODULE_TYPES[r[2]].title if r[2] in MODULE_TYPES else r[2],
                product_type_name=PRODUCT_TYPE_NAMES.get(r[3], r[3]), datacenter_name=r[4],
                department_name=r[5], status=r[6], sort_priority=r[7], tariff_count=r[8],
                active_service_count=r[9], unread_notification_count=r[10], health_ok=r[11],
                health_checked_at=r[12],
            )

        with self._db.reads() as session:
            return _paged(session, query, _count_of(*criteria, model=m), page, sorts, "priority",
                          m.id, to_row)

    @entry_point()
    def name(self, module_id: int) -> str:
        with self._db.reads() as session:
            found = session.scalar(select(ProcessingModule.name).where(ProcessingModule.id == module_id))
        if found is None:
            raise NotFound(f"Processing module #{module_id} no longer exists.")
        return found

    @entry_point(limit=LIMIT)
    def options(self, text: str = "", limit: int = 50) -> list[Option]:
        """Modules for a filter's choice list: name order, narrowed by text, never the whole table."""
        query = (select(ProcessingModule.id, ProcessingModule.name)
                 .where(*TextFilter(self._db, ProcessingModule, "name", text).criteria())
                 .order_by(ProcessingModule.name).limit(limit))
        with self._db.reads() as session:
            return [Option(str(i), n) for i, n in session.execute(query)]

    def history(self, module_id: int, page: PageRequest = PageRequest(limit=50)) -> Page[AuditRow]:
        """The module's audit entries, newest first (secrets were masked when they were written)."""
        criteria = [AuditEntry.object_type == "processing_module", AuditEntry.object_id == module_id]
        query = select(AuditEntry.id, AuditEntry.at, AuditEntry.actor, AuditEntry.action, AuditEntry.summary,
                       AuditEntry.before, AuditEntry.after).where(*criteria)
        with self._db.reads() as session:
            return _paged(session, query, _count_of(*criteria, model=AuditEntry),
                          replace(page, sort="at", descending=True), {"at": AuditEntry.at}, "at",
                          AuditEntry.id, lambda r: AuditRow(*r))

    @staticmethod
    def type_options() -> list[Option]:
        return [Option(t.key, t.title) for t in MODULE_TYPES.values()]

    @entry_point()
    def card(self, module_id: int) -> ModuleCard:
        """Three statements, whatever the latency to the database: the module with its two counts and its
        latest unread notifications (as one JSON value), its tariffs, its tasks."""
        with self._db.reads() as session:
            unread = (Notification.module_id == module_id, Notification.read_at.is_(None))
            latest = (select(Notification.id, Notification.description, Notification.created_at).where(*unread)
                      .order_by(Notification.created_at.desc(), Notification.id.desc())
                      .limit(CARD_NOTIFICATION_LIMIT).subquery())
            row = session.execute(
                select(ProcessingModule, Department.name, DataCenter.name,
                       _count_of(TariffModule.module_id == module_id, model=TariffModule).scalar_subquery(),
                       _count_of(*unread, model=Notification).scalar_subquery(),
                       _json_rows(session, latest))
                .join(Department, Department.id == ProcessingModule.department_id)
                .outerjoin(DataCenter, DataCenter.id == ProcessingModule.datacenter_id)
                .where(ProcessingModule.id == module_id)
            ).one_or_none()
            if row is None:
                raise NotFound(f"Processing module #{module_id} no longer exists.")
            module, department_name, datacenter_name, tariff_total, unread_total, notifications = row
            mtype = module_type_or_placeholder(module.module_type)
            return ModuleCard(
                id=module.id, name=module.name, module_type=mtype.key, module_type_title=mtype.title,
                product_type_name=PRODUCT_TYPE_NAMES.get(module.product_type, module.product_type),
                supports_datacenter=mtype.supports_datacenter,
                datacenter_name=datacenter_name if mtype.supports_datacenter else None,
                department_name=department_name, status=module.status,
                sort_priority=module.sort_priority, reports_balance=mtype.reports_balance,
                balance=module.balance, balance_currency=module.balance_currency,
                balance_read_at=module.balance_read_at, minimal_balance=module.minimal_balance,
                updated_at=module.updated_at, updated_by=module.updated_by, version=module.version,
                timezone=module.timezone or "UTC",
                settings=self._settings_groups(module),
                tariffs=self._card_tariffs(session, module_id),
                tariff_total=tariff_total,
                tasks=self._card_tasks(session, module_id),
                notifications=sorted(
                    (CardNotification(id=i, description=d, created_at=_json_time(t)) for i, d, t in notifications),
                    key=lambda n: (n.created_at, n.id), reverse=True),
                unread_notification_total=unread_total,
                health_ok=module.health_ok, health_summary=module.health_summary,
                health_checked_at=module.health_checked_at,
                type_unavailable=mtype.unavailable_reason,
            )

    def _settings_groups(self, module: ProcessingModule) -> list[SettingsGroup]:
        mtype = module_type_or_placeholder(module.module_type)
        try:
            secret_values = self._secrets.open(module.secrets)
            unavailable = False
        except SecretsUnavailable:
            secret_values, unavailable = {}, True
        groups = []
        for group, fields in mtype.groups():
            values = []
            for fld in fields:
                if fld.secret and unavailable:
                    display = "unavailable (encrypted with another key)"
                elif fld.secret:
                    display = fld.display(secret_values.get(fld.key))
                else:
                    display = fld.display_with(module.settings.get(fld.key, fld.default), module.settings)
                values.append(SettingValue(fld.key, fld.label, display, fld.help))
            groups.append(SettingsGroup(group.value, values))
        return groups

    @staticmethod
    def _card_tariffs(session: Session, module_id: int) -> list[CardTariff]:
        query = (
            select(Tariff.id, Tariff.name, Tariff.status,
                   _active_services(module_id=module_id, tariff_id=Tariff.id))
            .join(TariffModule, TariffModule.tariff_id == Tariff.id)
            .where(TariffModule.module_id == module_id)
            # `name || ''`, not `name`: sorted by the tariff's name index under a LIMIT, PostgreSQL walks the
            # index through every tariff looking for this module's (1.4 s for a card of 1,000 tariffs among
            # 1,000,000); with no index to walk it reads the module's links and sorts them (27 ms).
            .order_by(Tariff.name.concat(""), Tariff.id)
            .limit(CARD_TARIFF_LIMIT)
        )
        return [CardTariff(id=i, name=n, status=s, active_service_count=c) for i, n, s, c in
                session.execute(query)]

    @staticmethod
    def _card_tasks(session: Session, module_id: int) -> list[CardTask]:
        last = aliased(TaskRun)
        query = (
            select(BackgroundTask, last)
            .outerjoin(last, last.id == _last_run_id(BackgroundTask.id))
            .where(BackgroundTask.module_id == module_id)
            .order_by(BackgroundTask.name, BackgroundTask.id)
        )
        return [
            CardTask(
                id=task.id, name=task.name, schedule=task.schedule, enabled=task.enabled,
                last_run_at=run.started_at if run else None, last_result=run.result if run else None,
                last_duration=_duration(run.started_at, run.finished_at) if run else None,
            )
            for task, run in session.execute(query)
        ]


class TariffQueries:
    def __init__(self, db: Database) -> None:
        self._db = db

    @staticmethod
    def _criteria(flt: TariffFilter, search: TextFilter) -> list[ColumnElement[bool]]:
        criteria: list[ColumnElement[bool]] = search.criteria()
        if flt.tariff_id is not None:
            criteria.append(Tariff.id == flt.tariff_id)
        if flt.status:
            criteria.append(Tariff.status == flt.status)
        if flt.module_id is not None:
            # Driven by the (module_id, tariff_id) index: the module's links first, then their tariffs.
            criteria.append(Tariff.id.in_(select(TariffModule.tariff_id).where(TariffModule.module_id == flt.module_id)))
        return criteria

    def list(self, flt: TariffFilter = TariffFilter(), page: PageRequest = PageRequest()) -> Page[TariffRow]:
        search = TextFilter(self._db, Tariff, "name", flt.text)
        criteria = self._criteria(flt, search)
        query = select(
            Tariff.id, Tariff.name, Tariff.product_type, Tariff.status, Tariff.price,
            _active_services(tariff_id=Tariff.id), Tariff.period,
        ).select_from(search.source()).where(*criteria)
        # By lower(name): the order the name index keeps, so an unfiltered page stops early.
        sorts = {"name": func.lower(Tariff.name), "status": Tariff.status, "price": Tariff.price,
                 "id": search.row_id}
        count = select(func.count()).select_from(search.source()).where(*criteria)
        with self._db.reads() as session:
            page_rows = _paged(session, query, count, page, sorts, "name", search.row_id, tuple)
            names = self._module_names(session, [r[0] for r in page_rows.rows])
        rows = [
            TariffRow(id=r[0], name=r[1], product_type_name=PRODUCT_TYPE_NAMES.get(r[2], r[2]), status=r[3],
                      price=r[4], module_names=names.get(r[0], []), active_service_count=r[5], period=r[6])
            for r in page_rows.rows
        ]
        return replace(page_rows, rows=rows)  # with its keys and whether the total is a lower bound

    @staticmethod
    def _module_names(session: Session, tariff_ids: Sequence[int]) -> dict[int, list[str]]:
        """Linked module names for one page of tariffs, in one query, lowest sort priority first."""
        names: dict[int, list[str]] = defaultdict(list)
        if not tariff_ids:
            return names
        query = (
            select(TariffModule.tariff_id, ProcessingModule.name)
            .join(ProcessingModule, ProcessingModule.id == TariffModule.module_id)
            .where(TariffModule.tariff_id.in_(tariff_ids))
            .order_by(TariffModule.tariff_id, TariffModule.sort_priority, ProcessingModule.sort_priority,
                      ProcessingModule.name)
        )
        for tariff_id, module_name in session.execute(query):
            names[tariff_id].append(module_name)
        return names

    @entry_point()
    def name(self, tariff_id: int) -> str:
        with self._db.reads() as session:
            found = session.scalar(select(Tariff.name).where(Tariff.id == tariff_id))
        if found is None:
            raise NotFound(f"Tariff plan #{tariff_id} no longer exists.")
        return found

    @entry_point(limit=LIMIT)
    def module_choices(self, tariff_id: int, limit: int = 500) -> list[tuple[Option, bool]]:
        """The Modules dialog of a tariff: modules of its product type (and any linked one), with whether
        each is linked now; lowest sort priority first."""
        linked = select(TariffModule.module_id).where(TariffModule.tariff_id == tariff_id)
        with self._db.reads() as session:
            product_type = session.scalar(select(Tariff.product_type).where(Tariff.id == tariff_id))
            if product_type is None:
                raise NotFound(f"Tariff plan #{tariff_id} no longer exists.")
            linked_ids = set(session.scalars(linked))
            rows = session.execute(
                select(ProcessingModule.id, ProcessingModule.name)
                .where((ProcessingModule.product_type == product_type) | ProcessingModule.id.in_(linked))
                .order_by(ProcessingModule.sort_priority, ProcessingModule.name).limit(limit)
            ).all()
        return [(Option(str(i), n), i in linked_ids) for i, n in rows]

    @entry_point(limit=LIMIT)
    def options(self, text: str = "", limit: int = 50) -> list[Option]:
        search = TextFilter(self._db, Tariff, "name", text)
        query = (select(Tariff.id, Tariff.name).select_from(search.source()).where(*search.criteria())
                 .order_by(Tariff.name, Tariff.id).limit(limit))
        with self._db.reads() as session:
            return [Option(str(i), n) for i, n in session.execute(query)]


class ServiceQueries:
    def __init__(self, db: Database) -> None:
        self._db = db

    @staticmethod
    def _criteria(flt: ServiceFilter, search: TextFilter) -> list[ColumnElement[bool]]:
        criteria: list[ColumnElement[bool]] = search.criteria()
        if flt.tariff_id is not None:
            criteria.append(Service.tariff_id == flt.tariff_id)
        if flt.module_id is not None:
            criteria.append(Service.module_id == flt.module_id)
        if flt.status:
            criteria.append(Service.status == flt.status)
        return criteria

    def list(self, flt: ServiceFilter = ServiceFilter(), page: PageRequest = PageRequest()) -> Page[ServiceRow]:
        search = TextFilter(self._db, Service, "name", flt.text, drive=(page.sort or "id") == "id")
        criteria = self._criteria(flt, search)
        query = (
            select(Service.id, Service.name, Tariff.name, ProcessingModule.name, Service.remote_id,
                   Service.status, Service.created_at)
            .select_from(search.source())
            .join(Tariff, Tariff.id == Service.tariff_id)
            .join(ProcessingModule, ProcessingModule.id == Service.module_id)
            .where(*criteria)
        )
        # In id order a filtered page is read from the text index as it goes (see TextFilter).
        sorts = {"id": search.row_id, "name": func.lower(Service.name), "status": Service.status,
                 "created": Service.created_at}

        def to_row(r: Any) -> ServiceRow:
            return ServiceRow(id=r[0], name=r[1], tariff_name=r[2], module_name=r[3], remote_id=r[4],
                              status=r[5], created_at=r[6])

        count = select(func.count()).select_from(search.source()).where(*criteria)
        with self._db.reads() as session:
            return _paged(session, query, count, page, sorts, "id", search.row_id, to_row)


class NotificationService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    def _criteria(self, flt: NotificationFilter) -> list[ColumnElement[bool]]:
        criteria: list[ColumnElement[bool]] = []
        if flt.module_id is not None:
            criteria.append(Notification.module_id == flt.module_id)
        if flt.unread_only:
            criteria.append(Notification.read_at.is_(None))
        criteria.extend(TextFilter(self._db, Notification, "description", flt.text).criteria())
        return criteria

    def _query(self) -> Select[Any]:
        return select(
            Notification.id, Notification.module_id, ProcessingModule.name, Notification.kind,
            Notification.description, Notification.created_at, Notification.read_at,
        ).outerjoin(ProcessingModule, ProcessingModule.id == Notification.module_id)

    @staticmethod
    def _to_row(r: Any) -> NotificationRow:
        return NotificationRow(id=r[0], module_id=r[1], module_name=r[2], kind=r[3], description=r[4],
                               created_at=r[5], read_at=r[6])

    def list(
        self, flt: NotificationFilter = NotificationFilter(), page: PageRequest = PageRequest(sort="created",
                                                                                        descending=True)
    ) -> Page[NotificationRow]:
        criteria = self._criteria(flt)
        sorts = {"created": Notification.created_at, "id": Notification.id}
        with self._db.reads() as session:
            return _paged(session, self._query().where(*criteria), _count_of(*criteria, model=Notification),
                          page, sorts, "created", Notification.id,
                          self._to_row)

    @entry_point()
    def open(self, notification_id: int) -> NotificationDetail:
        """One notification, read in full: marked read (when unread) and returned with its module, task and
        the task's last run up to it. A notification deleted meanwhile (its module was) is NotFound."""
        self.mark_read([notification_id])
        n = Notification
        with self._db.reads() as session:
            row = session.execute(
                select(n.id, n.module_id, ProcessingModule.name, n.kind, n.description, n.created_at, n.read_at,
                       n.occurrences, n.task_id, BackgroundTask.name, BackgroundTask.schedule)
                .outerjoin(ProcessingModule, ProcessingModule.id == n.module_id)
                .outerjoin(BackgroundTask, BackgroundTask.id == n.task_id)
                .where(n.id == notification_id)
            ).one_or_none()
            if row is None:
                raise NotFound(f"Notification #{notification_id} no longer exists.")
            run = None
            if row[8] is not None:  # the run that raised it: the task's last one up to it (else its last)
                runs = (select(TaskRun.started_at, TaskRun.finished_at, TaskRun.result, TaskRun.message)
                        .where(TaskRun.task_id == row[8]).order_by(TaskRun.started_at.desc(), TaskRun.id.desc())
                        .limit(1))
                run = (session.execute(runs.where(TaskRun.started_at <= row[5])).one_or_none()
                       or session.execute(runs).one_or_none())
        return NotificationDetail(*row, *(run or (None, None, None, None)))

    @entry_point(limit=LIMIT)
    def latest_unread(self, limit: int = 20) -> list[NotificationRow]:
        """The newest unread notifications for the side pane."""
        with self._db.reads() as session:
            return [self._to_row(r) for r in session.execute(self._latest_unread(limit))]

    def _latest_unread(self, limit: int) -> Select[Any]:
        return (self._query().where(Notification.read_at.is_(None))
                .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit))

    def latest_with_counts(self, limit: int, counts: Sequence[Any] = ()) -> tuple[list[NotificationRow], int, list[int]]:
        """The pane's reading in one statement (two when nothing is unread): the newest unread notifications,
        how many are unread, and the given scalar counts, riding on the rows as columns read once."""
        unread_total = _count_of(Notification.read_at.is_(None), model=Notification).scalar_subquery()
        query = self._latest_unread(limit).add_columns(unread_total, *counts)
        with self._db.reads() as session:
            rows = session.execute(query).all()
            if rows:
                unread, *counted = rows[0][-(len(counts) + 1):]  # after each notification's own columns
                return [self._to_row(r) for r in rows], unread, counted
            return [], 0, list(session.execute(select(*counts)).one()) if counts else []

    @entry_point()
    def unread_count(self, module_id: int | None = None) -> int:
        criteria = [Notification.read_at.is_(None)]
        if module_id is not None:
            criteria.append(Notification.module_id == module_id)
        with self._db.reads() as session:
            return session.execute(_count_of(*criteria, model=Notification)).scalar_one()

    @entry_point()
    def mark_read(self, notification_ids: Iterable[int]) -> int:
        ids = list(notification_ids)
        if not ids:
            return 0
        return self._mark(and_(Notification.id.in_(ids)))

    @entry_point()
    def mark_all_read(self, module_id: int | None = None) -> int:
        criterion = Notification.module_id == module_id if module_id is not None else and_(True)
        return self._mark(criterion)

    def _mark(self, criterion: ColumnElement[bool]) -> int:
        with self._db.write() as session:
            result = session.execute(
                update(Notification)
                .where(criterion, Notification.read_at.is_(None))
                .values(read_at=self._clock.now())
            )
            return result.rowcount or 0


class TaskQueries:
    def __init__(self, db: Database) -> None:
        self._db = db

    def list(self, flt: TaskFilter = TaskFilter(), page: PageRequest = PageRequest()) -> Page[TaskRow]:
        last = aliased(TaskRun)
        joined = (
            BackgroundTask.__table__.join(ProcessingModule, ProcessingModule.id == BackgroundTask.module_id)
            .outerjoin(last, last.id == _last_run_id(BackgroundTask.id))
        )
        criteria: list[ColumnElement[bool]] = []
        if flt.module_id is not None:
            criteria.append(BackgroundTask.module_id == flt.module_id)
        criteria.extend(TextFilter(self._db, BackgroundTask, "name", flt.text).criteria())
        if flt.result is not None:
            criteria.append(last.result == flt.result)
        query = (
            select(BackgroundTask.id, BackgroundTask.module_id, ProcessingModule.name, BackgroundTask.name,
                   BackgroundTask.schedule, BackgroundTask.enabled, last.started_at, last.finished_at,
                   last.result, BackgroundTask.next_run_at, ProcessingModule.timezone)
            .select_from(joined)
            .where(*criteria)
        )
        # The default order follows the (module_id) index, so a page stops early instead of sorting every task.
        sorts = {"module": BackgroundTask.module_id, "module_name": ProcessingModule.name,
                 "name": BackgroundTask.name, "next": BackgroundTask.next_run_at, "id": BackgroundTask.id}

        def to_row(r: Any) -> TaskRow:
            return TaskRow(id=r[0], module_id=r[1], module_name=r[2], name=r[3], schedule=r[4], enabled=r[5],
                           last_run_at=r[6], last_result=r[8], last_duration=_duration(r[6], r[7]),
                           next_run_at=r[9], schedule_in_words=describe_in_zone(r[4], r[10]))

        # Without a result filter the count needs no join (one row per task either way).
        count = select(func.count()).select_from(joined if flt.result is not None else BackgroundTask)
        with self._db.reads() as session:
            return _paged(session, query, count.where(*criteria), page, sorts, "module", BackgroundTask.id,
                          to_row)

    def runs(self, task_id: int, page: PageRequest = PageRequest()) -> Page[TaskRunRow]:
        """A task's run history, newest first."""
        criteria = [TaskRun.task_id == task_id]
        query = select(TaskRun.id, TaskRun.scheduled_for, TaskRun.started_at, TaskRun.finished_at,
                       TaskRun.result, TaskRun.message).where(*criteria)

        def to_row(r: Any) -> TaskRunRow:
            return TaskRunRow(id=r[0], scheduled_for=r[1], started_at=r[2], finished_at=r[3], result=r[4],
                              message=r[5] or "", duration=_duration(r[2], r[3]))

        with self._db.reads() as session:
            return _paged(session, query, _count_of(*criteria, model=TaskRun),
                          replace(page, sort="started", descending=True),
                          {"started": TaskRun.started_at}, "started", TaskRun.id, to_row)

    @entry_point()
    def in_progress_count(self, module_id: int) -> int:
        query = (
            select(func.count())
            .select_from(TaskRun)
            .join(BackgroundTask, BackgroundTask.id == TaskRun.task_id)
            .where(BackgroundTask.module_id == module_id, TaskRun.result == RunResult.IN_PROGRESS)
        )
        with self._db.reads() as session:
            return session.execute(query).scalar_one()


class ProviderQueries:
    """Departments and data centers (Provider → Departments, Integration → Data centers)."""

    #: Choices a module form's data center and department selects offer at most.
    OPTION_LIMIT = 500

    def __init__(self, db: Database) -> None:
        self._db = db

    def department_options(self) -> list[Option]:
        return self.parameter_options()[1]

    def datacenter_options(self) -> list[Option]:
        return self.parameter_options()[0]

    def parameter_options(self) -> tuple[list[Option], list[Option]]:
        """The data centers and the departments a module's form offers, by name, in one statement."""
        branches = [select(literal(kind).label("kind"), model.id, model.name,
                           func.row_number().over(order_by=model.name).label("place"))
                    .order_by(model.name).limit(self.OPTION_LIMIT).subquery()
                    for kind, model in ((0, DataCenter), (1, Department))]
        both = union_all(*(select(*b.c) for b in branches)).subquery()
        found: tuple[list[Option], list[Option]] = ([], [])
        with self._db.reads() as session:
            for kind, i, name, _place in session.execute(select(*both.c).order_by(both.c.kind, both.c.place)):
                found[kind].append(Option(str(i), name))
        return found

    def departments(self, page: PageRequest = PageRequest(), text: str = "") -> Page[DepartmentRow]:
        criteria = [Department.name.icontains(text, autoescape=True)] if text else []
        modules = select(func.count()).where(ProcessingModule.department_id == Department.id).scalar_subquery()
        query = select(Department.id, Department.name, modules, Department.email, Department.notify_email
                       ).where(*criteria)
        with self._db.reads() as session:
            return _paged(session, query, _count_of(*criteria, model=Department), page,
                          {"name": Department.name}, "name", Department.id,
                          lambda r: DepartmentRow(id=r[0], name=r[1], module_count=r[2], email=r[3],
                                                  notify_email=r[4]))

    def datacenters(self, page: PageRequest = PageRequest(), text: str = "") -> Page[DataCenterRow]:
        criteria = [DataCenter.name.icontains(text, autoescape=True)] if text else []
        modules = select(func.count()).where(ProcessingModule.datacenter_id == DataCenter.id).scalar_subquery()
        query = select(DataCenter.id, DataCenter.name, DataCenter.external_id, modules, DataCenter.code,
                       DataCenter.location).where(*criteria)
        with self._db.reads() as session:
            return _paged(session, query, _count_of(*criteria, model=DataCenter), page,
                          {"name": DataCenter.name}, "name", DataCenter.id,
                          lambda r: DataCenterRow(id=r[0], name=r[1], external_id=r[2], module_count=r[3],
                                                  code=r[4], location=r[5]))

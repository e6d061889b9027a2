"""A page of a list and the request for one: what the lists' first pages need at start-up, kept apart from
core/dto.py (whose 26 frozen dataclasses cost ~13 ms to create) so that the menu and `--open LIST` paint
before those are made. core/dto.py re-exports both."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

__all__ = ["Page", "PageRequest"]

T = TypeVar("T")


@dataclass(frozen=True)
class PageRequest:
    """One page of a list: `limit` rows from `offset`, ordered by `sort` (a column key of that list).

    `after`/`before` make it a keyset request: the page starts after (or ends before) the row whose sort
    key is given, so page 5,000 of a million services costs what page 1 costs. `offset` is then only the
    position shown ("40,001–40,100"). `next(page)`/`previous(page)` build them from the page shown, and
    carry its total (`known_total`, exact or a lower bound) so that the list is not counted again on every
    page.
    """

    offset: int = 0
    limit: int = 100
    sort: str | None = None
    descending: bool = False
    after: tuple[Any, ...] | None = None
    before: tuple[Any, ...] | None = None
    #: The list's total as the page this request moves from counted it (None: count it), and whether that
    #: count stopped early ("10,100+": at least that many).
    known_total: int | None = None
    known_total_is_lower_bound: bool = False

    def first(self) -> PageRequest:
        return PageRequest(0, self.limit, self.sort, self.descending)

    def next(self, page: Page[Any] | None = None) -> PageRequest:
        after = page.last_key if page is not None else None
        return PageRequest(self.offset + self.limit, self.limit, self.sort, self.descending, after=after,
                           **_known(page))

    def previous(self, page: Page[Any] | None = None) -> PageRequest:
        offset = max(0, self.offset - self.limit)
        if offset == 0 or page is None or page.first_key is None:
            return PageRequest(offset, self.limit, self.sort, self.descending, **_known(page))
        return PageRequest(offset, self.limit, self.sort, self.descending, before=page.first_key,
                           **_known(page))

    def at(self, offset: int) -> PageRequest:
        """An offset request (no keyset): for jumps, e.g. to the last page of a list that shrank."""
        return PageRequest(max(0, offset), self.limit, self.sort, self.descending)


def _known(page: Page[Any] | None) -> dict[str, Any]:
    if page is None:
        return {}
    return {"known_total": page.total, "known_total_is_lower_bound": page.total_is_lower_bound}


@dataclass(frozen=True)
class Page(Generic[T]):
    rows: list[T]
    total: int
    offset: int
    limit: int
    #: True when counting stopped early: there are at least `total` rows (shown as "10,100+").
    total_is_lower_bound: bool = False
    #: The sort keys (sort value, tiebreak) of the first and last rows, for keyset `next`/`previous`.
    first_key: tuple[Any, ...] | None = None
    last_key: tuple[Any, ...] | None = None

    @property
    def has_next(self) -> bool:
        return self.offset + len(self.rows) < self.total

    @property
    def has_previous(self) -> bool:
        return self.offset > 0

    @property
    def position(self) -> str:
        """`101–200 of 2,140` as the list footer shows it."""
        total = f"{self.total:,}+" if self.total_is_lower_bound else f"{self.total:,}"
        if not self.rows:
            return f"0 of {total}"
        return f"{self.offset + 1:,}–{self.offset + len(self.rows):,} of {total}"

"""A page of a listing (limit, offset, ordering by named fields) and applying it to a query.

The API asks for fields by their API names; each listing maps those names to its columns, so
callers never see SQL and a name outside the map cannot reach the database.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Select, func, select

T = TypeVar("T", bound=tuple[Any, ...])


@dataclass(frozen=True)
class Page:
    limit: int = 100
    offset: int = 0
    order_by: tuple[tuple[str, bool], ...] = ()
    """(field name, descending) pairs, most significant first."""


def paged(
    query: Select[T], page: Page, columns: Mapping[str, Any], *, tiebreak: Any = None
) -> Select[T]:
    """`query` ordered by the page's fields (then `tiebreak`, for a stable order), sliced."""
    order = []
    for name, descending in page.order_by:
        column = columns[name]
        order.append(column.desc() if descending else column.asc())
    if tiebreak is not None:
        order.append(tiebreak)
    return query.order_by(*order).limit(page.limit).offset(page.offset)


def total_of(query: Select[Any], session: Any) -> int:
    """How many rows `query` returns without paging (`total_entries`)."""
    return int(session.scalar(select(func.count()).select_from(query.order_by(None).subquery())))

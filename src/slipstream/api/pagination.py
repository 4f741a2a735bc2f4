"""`limit`, `offset` and `order_by` as Airflow's API takes them, checked and handed to the
store as a `Page` (the store maps field names to columns: SQL stays in the store layer).

`limit` defaults to `[api] fallback_page_limit` and is capped at `[api] maximum_page_limit`,
as Airflow does; `order_by` is one or more field names, `-name` for descending. A field the
listing cannot sort by is a 400 that names it and the fields it can.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Annotated

from fastapi import HTTPException, Query, Request, status

from slipstream.db.store.paging import Page

__all__ = ["Page", "page_of"]

MAX_OFFSET = 2**31 - 1  # past it, databases overflow; no listing is that long
LimitParam = Annotated[
    int | None, Query(ge=0, le=MAX_OFFSET, description="Largest number of items returned")
]
OffsetParam = Annotated[
    int, Query(ge=0, le=MAX_OFFSET, description="Items to skip before the first returned")
]
OrderByParam = Annotated[
    list[str] | None, Query(description="Fields to sort by; prefix one with - for descending")
]


def page_of(
    request: Request,
    limit: int | None,
    offset: int,
    order_by: list[str] | None,
    *,
    allowed: Collection[str],
    default: str,
) -> Page:
    """The page a list route was asked for, `order_by` checked against the `allowed` fields."""
    config = request.app.state.config
    maximum = config.getint("api", "maximum_page_limit")
    if limit is None:
        limit = config.getint("api", "fallback_page_limit")
    fields = [part.strip() for item in (order_by or [default]) for part in item.split(",")]
    ordering: list[tuple[str, bool]] = []
    for field in filter(None, fields):
        name = field.removeprefix("-")
        if name not in allowed:
            raise HTTPException(
                status.HTTP_400_BAD_REQUEST,
                f"Ordering with {name!r} is disallowed or the attribute does not exist on the "
                f"model; choose from: {', '.join(sorted(allowed))}",
            )
        ordering.append((name, field.startswith("-")))
    return Page(limit=min(limit, maximum), offset=offset, order_by=tuple(ordering))

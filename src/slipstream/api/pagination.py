"""`limit`, `offset` and `order_by` as Airflow's API takes them, checked and handed to the
store as a `Page` (the store maps field names to columns: SQL stays in the store layer).

`limit` defaults to `[api] fallback_page_limit` and is capped at `[api] maximum_page_limit`,
as Airflow does; `order_by` is one or more field names, `-name` for descending. A field the
listing cannot sort by is a 400 that names it and the fields it can.

Listings that also page by cursor (DAG runs, task instances) take `cursor`: an opaque token for
a position in the listing's order (`next_cursor`, `previous_cursor`), not a keyset: rows added
or removed ahead of it shift the pages, as with `offset`.
"""

from __future__ import annotations

import base64
from collections.abc import Collection
from typing import Annotated, Any

from fastapi import HTTPException, Query, Request, status

from slipstream.api.params import INT64_MAX
from slipstream.db.store.paging import Page

__all__ = ["Page", "cursor_fields", "cursor_probe", "page_of"]

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


# --- cursors -------------------------------------------------------------------------------------

CURSOR_TOTAL_LIMIT = 10_000
"""With a cursor, `total_entries` counts no further than this (`total_entries_limit`)."""


def cursor_probe(page: Page, cursor: str) -> Page:
    """The rows to read for the page at `cursor`: one more than asked, to tell whether a next
    page exists. A cursor that is not one is a 400."""
    try:
        start = decode_cursor(cursor)
    except ValueError as err:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(err)) from None
    return Page(limit=page.limit + 1, offset=start, order_by=page.order_by)


def cursor_fields(page: Page, probe: Page, found: int) -> dict[str, Any]:
    """`total_entries_limit`, `next_cursor` and `previous_cursor` of a page read with `probe`
    (`cursor_probe`), which found `found` rows."""
    start = probe.offset
    more = found > page.limit > 0
    return {
        "total_entries_limit": CURSOR_TOTAL_LIMIT,
        "next_cursor": encode_cursor(start + page.limit) if more else None,
        "previous_cursor": encode_cursor(max(start - page.limit, 0)) if start > 0 else None,
    }


def encode_cursor(offset: int) -> str:
    """An opaque cursor for the page starting `offset` rows into the listing's order."""
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    """The offset of a cursor from `encode_cursor` ("" is the first page); ValueError if it is
    not one."""
    if not cursor:
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, _, number = text.partition(":")
        offset = int(number)
    except (ValueError, UnicodeDecodeError):
        raise ValueError(
            f"Invalid cursor {cursor!r}: pass a next_cursor or previous_cursor"
        ) from None
    if kind != "o" or not 0 <= offset <= INT64_MAX:
        raise ValueError(f"Invalid cursor {cursor!r}: pass a next_cursor or previous_cursor")
    return offset

"""What route signatures share besides paging (`api.pagination`): integers bounded to what a
database column holds, range filters (`<field>_gte`, `_gt`, `_lte`, `_lt`), lists and
`update_mask` from the query string, and the clock routes read times with (UTC).

A time without a zone is UTC, Airflow's default time zone.
"""

# No `from __future__ import annotations`: FastAPI reads `range_query`'s parameter types, which
# name its argument `kind`, when the route is declared.

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Annotated, Any, TypeVar, cast

from fastapi import Depends, HTTPException, Path, Query, status
from pydantic import Field

from slipstream.db.store.ranges import Bounds

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
"""The integers a database column holds: a larger id or index would fail to bind."""

DbInt = Annotated[int, Field(ge=INT64_MIN, le=INT64_MAX)]
"""A body field holding an integer the database can hold (others are a 422, not sent to SQL)."""
IntPath = Annotated[int, Path(ge=INT64_MIN, le=INT64_MAX)]
IntQuery = Annotated[int | None, Query(ge=INT64_MIN, le=INT64_MAX)]
MapIndexQuery = Annotated[int, Query(ge=INT64_MIN, le=INT64_MAX)]
"""A `map_index` query parameter with a default (-1: the task instance of an unmapped task)."""
StrListQuery = Annotated[list[str] | None, Query()]
UpdateMask = Annotated[list[str] | None, Query(description="The fields to update")]

T = TypeVar("T")


def utc(value: T) -> T:
    """A datetime in UTC (one without a zone is UTC already); other values as they are. Times
    that fall off the calendar when moved to UTC (year 1 east of Greenwich) become its ends."""
    if not isinstance(value, dt.datetime):
        return value
    if value.tzinfo is None:
        return cast(T, value.replace(tzinfo=dt.UTC))
    try:
        return cast(T, value.astimezone(dt.UTC))
    except OverflowError:
        end = dt.datetime.min if value.year == dt.MINYEAR else dt.datetime.max
        return cast(T, end.replace(tzinfo=dt.UTC))


def now() -> dt.datetime:
    """The time a change is made at."""
    return dt.datetime.now(dt.UTC)


def range_query(name: str, kind: type = dt.datetime) -> Any:
    """A dependency reading the query parameters `<name>_gte`, `_gt`, `_lte` and `_lt` (times
    in UTC) as `Bounds`."""

    def bounds(
        gte: Annotated[kind | None, Query(alias=f"{name}_gte")] = None,  # type: ignore[valid-type]
        gt: Annotated[kind | None, Query(alias=f"{name}_gt")] = None,  # type: ignore[valid-type]
        lte: Annotated[kind | None, Query(alias=f"{name}_lte")] = None,  # type: ignore[valid-type]
        lt: Annotated[kind | None, Query(alias=f"{name}_lt")] = None,  # type: ignore[valid-type]
    ) -> Bounds:
        return Bounds(*(utc(value) for value in (gte, gt, lte, lt)))

    return Depends(bounds)


def fields_in_mask(
    given: Iterable[str],
    update_mask: list[str] | None,
    updatable: Sequence[str],
    noun: str,
    *,
    ignored: Iterable[str] = (),
) -> set[str]:
    """The fields a change sets: those `given`, kept to the ones `update_mask` names when there
    is one. A masked name that is not `updatable` (nor `ignored`, e.g. the id) is a 400."""
    fields = set(given)
    if not update_mask:
        return fields
    asked = {name.strip() for name in update_mask} - set(ignored)
    unknown = asked - set(updatable)
    if unknown:
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST,
            f"update_mask names fields a {noun} does not have: {', '.join(sorted(unknown))}; "
            f"choose from: {', '.join(updatable)}",
        )
    return fields & asked

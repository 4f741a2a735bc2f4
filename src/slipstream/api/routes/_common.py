"""Small pieces the log, XCom, asset and event-log routes share: documented error responses,
ids the database can hold, and times without a zone read as UTC."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import Path, Query

BIGGEST = 2**63 - 1
"""The largest integer a database column holds: a larger id or index would fail to bind."""

_DESCRIPTIONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    406: "Not Acceptable",
    409: "Conflict",
}

IdPath = Annotated[int, Path(ge=-BIGGEST, le=BIGGEST)]
IntQuery = Annotated[int | None, Query(ge=-BIGGEST, le=BIGGEST)]
OffsetQuery = Annotated[
    int, Query(ge=0, le=BIGGEST, description="Items to skip before the first returned")
]
"""`pagination.OffsetParam`, bounded: a larger offset cannot be bound in SQL."""


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI `responses` of a route for 401, 403 and these error codes; each body is
    `{"detail": ...}` saying what is wrong."""
    return {code: {"description": _DESCRIPTIONS[code]} for code in (401, 403, *codes)}


def utc(value: dt.datetime | None) -> dt.datetime | None:
    """The time in UTC; one without a zone is UTC already (Airflow's default time zone). Times
    that fall off the calendar when moved to UTC (year 1 east of Greenwich) become its ends."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    try:
        return value.astimezone(dt.UTC)
    except OverflowError:
        end = dt.datetime.min if value.year == dt.MINYEAR else dt.datetime.max
        return end.replace(tzinfo=dt.UTC)

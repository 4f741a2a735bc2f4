"""Date helpers for the SDK: DAG files pass naive datetimes, stdlib aware ones and pendulum ones."""

from __future__ import annotations

import datetime as dt
from typing import Any


def to_aware(value: Any, *, name: str = "date") -> Any:
    """Return `value` as a timezone-aware pendulum DateTime (naive means UTC), or None."""
    if value is None:
        return None
    import pendulum

    if isinstance(value, pendulum.DateTime):
        return value
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            return pendulum.instance(value, tz="UTC")
        return pendulum.instance(value)
    if isinstance(value, dt.date):
        return pendulum.datetime(value.year, value.month, value.day, tz="UTC")
    if isinstance(value, str):
        parsed = pendulum.parse(value, tz="UTC")
        if not isinstance(parsed, pendulum.DateTime):
            raise ValueError(f"{name} {value!r} is not a date and time")
        return parsed
    raise TypeError(f"{name} must be a datetime, got {type(value).__name__}: {value!r}")


def to_timedelta(value: Any, *, name: str) -> dt.timedelta | None:
    """Accept a timedelta or a number of seconds, as Airflow does for delays and timeouts."""
    if value is None or isinstance(value, dt.timedelta):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return dt.timedelta(seconds=value)
    raise TypeError(f"{name} must be a timedelta or seconds, got {type(value).__name__}: {value!r}")

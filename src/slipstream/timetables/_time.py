"""Clock, time-zone and interval helpers shared by the timetables.

pendulum and dateutil are imported inside the functions so that importing a timetable module
stays cheap. Tests replace `utcnow` here to freeze "now" for every timetable at once.
"""

from __future__ import annotations

import datetime as dt
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pendulum import DateTime

Delta = Any  # datetime.timedelta | dateutil.relativedelta.relativedelta

_RELATIVEDELTA_FIELDS = (
    "years",
    "months",
    "days",
    "leapdays",
    "hours",
    "minutes",
    "seconds",
    "microseconds",
    "year",
    "month",
    "day",
    "hour",
    "minute",
    "second",
    "microsecond",
)


def utcnow() -> DateTime:
    """The current time as an aware pendulum DateTime in UTC (replaced in tests)."""
    import pendulum

    return pendulum.now("UTC")


def coerce_datetime(value: dt.datetime) -> DateTime:
    """Turn any datetime into a pendulum DateTime; a naive one is taken to be UTC."""
    import pendulum

    if isinstance(value, pendulum.DateTime) and value.tzinfo is not None:
        return value
    if value.tzinfo is None:
        return pendulum.instance(value, tz="UTC")
    return pendulum.instance(value)


def to_utc(value: dt.datetime) -> DateTime:
    """The same instant as a pendulum DateTime in UTC."""
    import pendulum

    if value.tzinfo is None:
        return pendulum.instance(value, tz="UTC")
    # Go through the stdlib so PEP 495 `fold` on zoneinfo-based zones is honoured.
    return pendulum.instance(value.astimezone(dt.UTC)).in_timezone(pendulum.UTC)


def parse_timezone(value: Any) -> Any:
    """Accept a zone name, a pendulum/zoneinfo zone or a fixed offset and return a pendulum zone."""
    import pendulum

    if value is None:
        return pendulum.UTC
    if isinstance(value, str):
        try:
            return pendulum.timezone(value)
        except Exception as exc:  # pendulum raises its own InvalidTimezone
            raise ValueError(f"unknown time zone {value!r}") from exc
    if isinstance(value, int | float) and not isinstance(value, bool):
        return pendulum.FixedTimezone(int(value))
    if isinstance(value, pendulum.Timezone | pendulum.FixedTimezone):
        return value
    key = getattr(value, "key", None)  # zoneinfo.ZoneInfo
    if isinstance(key, str):
        return pendulum.timezone(key)
    if isinstance(value, dt.tzinfo):
        offset = value.utcoffset(None)
        if offset is not None:
            if offset == dt.timedelta(0):
                return pendulum.UTC
            return pendulum.FixedTimezone(int(offset.total_seconds()))
    raise ValueError(f"cannot use {value!r} as a time zone")


def encode_timezone(tz: Any) -> str | int:
    """A zone name where the zone has one, else its offset from UTC in seconds."""
    import pendulum

    if isinstance(tz, pendulum.FixedTimezone):
        offset = tz.offset
        return "UTC" if offset == 0 else offset
    name = getattr(tz, "name", None) or getattr(tz, "key", None)
    if isinstance(name, str):
        return name
    return encode_timezone(parse_timezone(tz))


def is_relativedelta(value: object) -> bool:
    """True for a dateutil relativedelta, without importing dateutil when it is not loaded."""
    module = sys.modules.get("dateutil.relativedelta")
    return module is not None and isinstance(value, module.relativedelta)


def encode_interval(value: Delta) -> float | dict[str, Any]:
    """A timedelta as seconds, a relativedelta as a dict of its non-default fields."""
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if is_relativedelta(value):
        data: dict[str, Any] = {
            name: getattr(value, name)
            for name in _RELATIVEDELTA_FIELDS
            if getattr(value, name) not in (0, None)
        }
        if value.weekday is not None:
            data["weekday"] = [value.weekday.weekday, value.weekday.n]
        return {"__relativedelta": data}
    raise ValueError(f"{value!r} is neither a timedelta nor a relativedelta")


def decode_interval(value: float | int | dict[str, Any]) -> Delta:
    """Inverse of `encode_interval`."""
    if isinstance(value, dict):
        from dateutil.relativedelta import relativedelta, weekday

        fields = dict(value["__relativedelta"])
        if "weekday" in fields:
            day, n = fields.pop("weekday")
            fields["weekday"] = weekday(day, n)
        return relativedelta(**fields)
    return dt.timedelta(seconds=value)


def delta_seconds(value: Delta) -> float:
    """Approximate length of a delta in seconds (a month counts as 30 days, a year as 365)."""
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    return (
        value.years * 365 * 86400
        + value.months * 30 * 86400
        + value.days * 86400
        + value.hours * 3600
        + value.minutes * 60
        + value.seconds
        + value.microseconds / 1e6
    )

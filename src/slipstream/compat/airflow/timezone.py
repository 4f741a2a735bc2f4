"""`airflow.utils.timezone` (and `airflow.sdk.timezone`): the few helpers DAG files call.

Naive datetimes are taken to be in the default time zone, `[core] default_timezone` (UTC unless
`SLIPSTREAM__CORE__DEFAULT_TIMEZONE` / `AIRFLOW__CORE__DEFAULT_TIMEZONE` says otherwise), as in
Airflow. pendulum is imported on first use, so importing this module is free.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from pendulum import DateTime
    from pendulum.tz.timezone import FixedTimezone, Timezone

_TZINFO_POSITION = 7  # dt.datetime(year, month, day, hour, minute, second, microsecond, tzinfo)


def __getattr__(name: str) -> Any:
    if name == "utc":
        import pendulum

        return pendulum.UTC
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def utcnow() -> DateTime:
    """The current time, aware, in UTC."""
    import pendulum

    return pendulum.now(pendulum.UTC)


def datetime(*args: Any, **kwargs: Any) -> dt.datetime:
    """`datetime.datetime(...)`, in the default time zone unless `tzinfo` is given."""
    if "tzinfo" not in kwargs and len(args) <= _TZINFO_POSITION:
        kwargs["tzinfo"] = _default_timezone()
    return dt.datetime(*args, **kwargs)


def parse(string: str, timezone: Any = None, *, strict: bool = False) -> DateTime:
    """Parse a date/time; one without an offset is read in `timezone` (default zone if None)."""
    import pendulum

    return cast("DateTime", pendulum.parse(string, tz=_as_timezone(timezone), strict=strict))


def make_aware(value: dt.datetime | None, timezone: Any = None) -> dt.datetime | None:
    """Attach `timezone` (default: the default zone) to a naive datetime.

    A wall time that does not exist or happens twice (DST changes) resolves to the later one, as in
    Airflow. Raises ValueError for an aware datetime.
    """
    if value is None:
        return None
    if _is_aware(value):
        raise ValueError(f"make_aware expects a naive datetime, got {value!r}")
    zone = _as_timezone(timezone)
    value = value.replace(fold=1)
    convert = getattr(zone, "convert", None)
    if convert is not None:  # a pendulum zone: knows about DST gaps
        return cast(dt.datetime, convert(value))
    return value.replace(tzinfo=zone)


def convert_to_utc(value: dt.datetime | None) -> DateTime | None:
    """The same instant in UTC; a naive datetime is first read in the default zone."""
    if value is None:
        return None
    import pendulum

    aware = value if _is_aware(value) else cast(dt.datetime, make_aware(value))
    return pendulum.instance(aware).in_timezone(pendulum.UTC)


def coerce_datetime(value: dt.datetime | None, timezone: Any = None) -> DateTime | None:
    """A pendulum DateTime for `value`; a naive one is read in `timezone` (default zone if None)."""
    if value is None:
        return None
    import pendulum

    if not _is_aware(value):
        value = cast(dt.datetime, make_aware(value, timezone))
    if isinstance(value, pendulum.DateTime):
        return value
    return pendulum.instance(value)


def _is_aware(value: dt.datetime) -> bool:
    return value.tzinfo is not None and value.tzinfo.utcoffset(value) is not None


def _as_timezone(timezone: Any) -> Timezone | FixedTimezone | dt.tzinfo:
    if timezone is None:
        return _default_timezone()
    if isinstance(timezone, str):
        return _named_timezone(timezone)
    return cast(dt.tzinfo, timezone)


def _default_timezone() -> Timezone | FixedTimezone:
    from slipstream.compat.airflow.configuration import conf

    return _named_timezone(conf.get("core", "default_timezone", fallback="utc") or "utc")


def _named_timezone(name: str) -> Timezone | FixedTimezone:
    import pendulum

    if name.lower() == "system":
        return pendulum.local_timezone()
    if name.lower() == "utc":
        return pendulum.UTC
    return pendulum.timezone(name)

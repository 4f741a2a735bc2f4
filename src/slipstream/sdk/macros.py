"""The `macros` template namespace: `{{ macros.ds_add(ds, 7) }}`, `{{ macros.datetime.now() }}`, ...

A module, as in Airflow. `dateutil` (with its `relativedelta`, `parser` and `tz` submodules) is
imported on first use; `ds_format_locale` needs Babel, also imported on use.
"""

from __future__ import annotations

import json
import random as _random_module
import time
import uuid
from datetime import datetime, timedelta
from typing import Any

__all__ = [
    "datetime",
    "datetime_diff_for_humans",
    "ds_add",
    "ds_format",
    "ds_format_locale",
    "json",
    "random",
    "time",
    "timedelta",
    "uuid",
]


def ds_add(ds: str, days: int) -> str:
    """Add `days` (may be negative) to a `YYYY-MM-DD` date.

    `ds_add('2015-01-06', -5) == '2015-01-01'`.
    """
    if not days:
        return str(ds)
    return (datetime.strptime(str(ds), "%Y-%m-%d") + timedelta(days=days)).strftime("%Y-%m-%d")


def ds_format(ds: str, input_format: str, output_format: str) -> str:
    """Re-format a date string: `ds_format('2015-01-01', '%Y-%m-%d', '%m-%d-%y') == '01-01-15'`."""
    return datetime.strptime(str(ds), input_format).strftime(output_format)


def ds_format_locale(ds: str, input_format: str, output_format: str, locale: Any = None) -> str:
    """Re-format a date string with a Babel pattern in `locale` (default: LC_TIME, else en_US).

    `ds_format_locale('12/07/2024', '%d/%m/%Y', 'EEEE dd MMMM yyyy', 'en_US')` gives
    `'Friday 12 July 2024'`.
    """
    try:
        from babel import Locale
        from babel.dates import LC_TIME, format_datetime
    except ImportError as err:
        raise ImportError("macros.ds_format_locale needs the 'babel' package installed") from err
    return format_datetime(
        datetime.strptime(str(ds), input_format),
        format=output_format,
        locale=locale or LC_TIME or Locale("en_US"),
    )


def datetime_diff_for_humans(dt: Any, since: Any = None) -> str:
    """How far `dt` is from `since` (default: now) in words: `'2 days ago'`, `'1 day before'`."""
    import pendulum

    other = None if since is None else pendulum.instance(since)
    return pendulum.instance(dt).diff_for_humans(other)


class _Random:
    """`macros.random`: Airflow's is `random.random` (call it for a float in [0, 1)); the `random`
    module's other functions (`macros.random.randint(1, 6)`) work too."""

    def __call__(self) -> float:
        return _random_module.random()

    def __getattr__(self, name: str) -> Any:
        return getattr(_random_module, name)

    def __repr__(self) -> str:
        return "<macros.random>"


random = _Random()


def __getattr__(name: str) -> Any:
    if name == "dateutil":
        import dateutil
        import dateutil.parser
        import dateutil.relativedelta
        import dateutil.tz

        globals()["dateutil"] = dateutil
        return dateutil
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), "dateutil"})

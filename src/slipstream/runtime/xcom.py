"""XCom values: stored as JSON, so what a task pulls is what any executor would give it.

JSON values (dicts, lists, text, numbers, booleans, None) are stored as they are. Like Airflow 3,
whose XComs go through `airflow.sdk.serde`, tuples, sets, frozensets, datetimes (pendulum ones
stay pendulum), dates and timedeltas come back as themselves: they are stored as records
`{"__classname__": ..., "__version__": ..., "__data__": ...}` with Airflow's class names.
Any other object cannot be stored (XComNotJSONSerializable), nor can a dict that uses the
reserved key `__classname__` itself, as in Airflow.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

from slipstream.core.exceptions import XComNotJSONSerializable

RETURN_VALUE_KEY = "return_value"

CLASSNAME = "__classname__"
VERSION = "__version__"
DATA = "__data__"


def encode(value: Any, *, dag_id: str, task_id: str, key: str) -> str:
    """The stored form of an XCom value; names the task and key when it cannot be stored."""
    try:
        return json.dumps(_to_json(value))
    except (TypeError, ValueError, RecursionError) as err:
        raise XComNotJSONSerializable(
            f"XCom '{key}' of task '{task_id}' in DAG '{dag_id}' cannot be stored: "
            f"{type(value).__name__} value is not JSON serializable ({err})"
        ) from None


def decode(raw: str) -> Any:
    return json.loads(raw, object_hook=_from_json)


def _to_json(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float)):
        return value
    if isinstance(value, list):
        return [_to_json(item) for item in value]
    if isinstance(value, dict):
        if CLASSNAME in value:
            raise ValueError(f"the key {CLASSNAME!r} is reserved")
        return {k: _to_json(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return _record("builtins.tuple", 1, [_to_json(item) for item in value])
    if isinstance(value, (set, frozenset)):
        name = "builtins.frozenset" if isinstance(value, frozenset) else "builtins.set"
        return _record(name, 1, [_to_json(item) for item in sorted(value, key=repr)])
    if isinstance(value, dt.datetime):
        name = "pendulum.datetime.DateTime" if _is_pendulum(value) else "datetime.datetime"
        return _record(name, 2, {"iso": value.isoformat(), "tz": _zone_name(value.tzinfo)})
    if isinstance(value, dt.date):
        return _record("datetime.date", 1, value.isoformat())
    if isinstance(value, dt.timedelta):
        return _record("datetime.timedelta", 1, value.total_seconds())
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _record(classname: str, version: int, data: Any) -> dict[str, Any]:
    return {CLASSNAME: classname, VERSION: version, DATA: data}


def _from_json(obj: dict[str, Any]) -> Any:
    if CLASSNAME not in obj or len(obj) != 3 or VERSION not in obj or DATA not in obj:
        return obj
    decoder = _DECODERS.get(obj[CLASSNAME])
    return obj if decoder is None else decoder(obj[DATA])


def _is_pendulum(value: dt.datetime) -> bool:
    return type(value).__module__.startswith("pendulum")


def _zone_name(tz: dt.tzinfo | None) -> str | None:
    """The IANA name of a named time zone, so values come back in it; None for offsets."""
    if tz is None or type(tz).__name__ == "FixedTimezone":
        return None
    name = getattr(tz, "key", None) or getattr(tz, "name", None)
    return name if isinstance(name, str) else None


def _datetime(data: dict[str, Any]) -> dt.datetime:
    value = dt.datetime.fromisoformat(data["iso"])
    if data.get("tz") and value.tzinfo is not None:
        from zoneinfo import ZoneInfo

        value = value.astimezone(ZoneInfo(data["tz"]))
    return value


def _pendulum_datetime(data: dict[str, Any]) -> dt.datetime:
    import pendulum

    value = pendulum.instance(dt.datetime.fromisoformat(data["iso"]))
    return value.in_timezone(data["tz"]) if data.get("tz") else value


_DECODERS: dict[str, Callable[[Any], Any]] = {
    "builtins.tuple": tuple,
    "builtins.set": set,
    "builtins.frozenset": frozenset,
    "datetime.datetime": _datetime,
    "pendulum.datetime.DateTime": _pendulum_datetime,
    "datetime.date": dt.date.fromisoformat,
    "datetime.timedelta": lambda seconds: dt.timedelta(seconds=seconds),
}

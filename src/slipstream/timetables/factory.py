"""Turning a DAG's `schedule=` argument into a timetable, and timetables to and from dicts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from slipstream.timetables import _time
from slipstream.timetables.base import Timetable, TimetableError, lookup_timetable_class


def create_timetable(
    schedule: Any,
    timezone: Any = "UTC",
    *,
    combine_all: Callable[..., Any] | None = None,
) -> Timetable:
    """The timetable Airflow 3 builds for `DAG(schedule=...)`, validated.

    None → NullTimetable; "@once" / "@continuous" → Once/ContinuousTimetable; a cron string or
    preset → CronTriggerTimetable (Airflow 3 default `create_cron_data_intervals=False`);
    timedelta / relativedelta → DeltaTriggerTimetable; a Timetable → itself; an asset condition
    or a collection of assets → AssetTriggeredTimetable (a collection means all of them, combined
    by `combine_all(*assets)` when given). Raises `TimetableError` naming a bad schedule.
    """
    from slipstream.timetables import assets, simple, trigger

    if schedule is None:
        return simple.NullTimetable()
    if isinstance(schedule, Timetable):
        return schedule
    if isinstance(schedule, str):
        key = schedule.strip()
        if key == "@once":
            return simple.OnceTimetable()
        if key == "@continuous":
            return simple.ContinuousTimetable()
        timetable: Timetable = trigger.CronTriggerTimetable(schedule, timezone=timezone)
    elif isinstance(schedule, dt.timedelta) or _time.is_relativedelta(schedule):
        timetable = trigger.DeltaTriggerTimetable(schedule)
    elif assets.is_asset_like(schedule) or isinstance(schedule, list | tuple | set | frozenset):
        timetable = assets.AssetTriggeredTimetable(schedule, combine_all=combine_all)
    else:
        raise TimetableError(
            f"{schedule!r} is not a valid schedule: expected None, a cron expression or preset, "
            "a timedelta, a Timetable or assets"
        )
    timetable.validate()
    return timetable


def encode_timetable(timetable: Timetable) -> dict[str, Any]:
    """`timetable.serialize()` with its `__type` guaranteed (custom timetables may leave it out)."""
    data = dict(timetable.serialize())
    data.setdefault("__type", timetable.type_name)
    return data


def deserialize_timetable(
    data: dict[str, Any],
    *,
    condition_decoder: Callable[[dict[str, Any]], Any] | None = None,
) -> Timetable:
    """Rebuild a timetable from `serialize()` / `encode_timetable()` output.

    `condition_decoder` turns a serialized asset condition back into objects (e.g. the SDK's
    `deserialize_asset_condition`); by default asset conditions stay dicts that still evaluate.
    """
    # Importing the modules registers the built-in classes by name.
    from slipstream.timetables import assets, events, interval, simple, trigger  # noqa: F401

    if not isinstance(data, dict) or not isinstance(data.get("__type"), str):
        raise TimetableError(f"not a serialized timetable: {data!r}")
    params = {k: v for k, v in data.items() if k != "__type"}
    cls = lookup_timetable_class(data["__type"])
    if issubclass(cls, assets.AssetTriggeredTimetable):
        return cls.deserialize(params, condition_decoder=condition_decoder)
    return cls.deserialize(params)

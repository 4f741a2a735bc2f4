"""DateTimeSensor: waits until a given date and time (templated)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from slipstream.sdk.sensors.base import BaseSensorOperator, log_not_deferred

__all__ = ["DateTimeSensor", "DateTimeSensorAsync"]


def parse_target_time(value: Any) -> Any:
    """An aware datetime from an ISO-like string (naive = UTC) or a datetime (naive = UTC)."""
    import pendulum

    if isinstance(value, dt.datetime):
        return pendulum.instance(value, tz="UTC") if value.tzinfo is None else value
    parsed = pendulum.parse(str(value), tz="UTC", strict=False)
    if not isinstance(parsed, dt.datetime):
        raise ValueError(f"target_time {value!r} is not a date and time")
    return parsed


class DateTimeSensor(BaseSensorOperator):
    """Done once the current time is after `target_time`.

    `target_time` is a template field, so a datetime is kept as its ISO string and templates
    such as `"{{ data_interval_end.add(hours=1) }}"` work; naive times are read as UTC.

    :param target_time: the datetime to wait for (str or datetime, templated).
    """

    template_fields: Sequence[str] = ("target_time",)

    def __init__(self, *, target_time: str | dt.datetime, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(target_time, dt.datetime):
            self.target_time: Any = target_time.isoformat()
        elif isinstance(target_time, str):
            self.target_time = target_time
        else:
            raise TypeError(
                f"Task '{self.task_id}': expected str or datetime.datetime type for target_time, "
                f"got {type(target_time).__name__}"
            )

    def poke(self, context: Any) -> bool:
        import pendulum

        self.log.info("Checking if the time (%s) has come", self.target_time)
        return bool(pendulum.now("UTC") > parse_target_time(self.target_time))


class DateTimeSensorAsync(DateTimeSensor):
    """Airflow's deferrable variant; Slipstream waits like `DateTimeSensor` (logged)."""

    def __init__(
        self,
        *,
        target_time: str | dt.datetime,
        start_from_trigger: bool = False,
        end_from_trigger: bool = False,
        trigger_kwargs: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(target_time=target_time, **kwargs)
        self.start_from_trigger = start_from_trigger
        self.end_from_trigger = end_from_trigger
        self.trigger_kwargs = trigger_kwargs

    def execute(self, context: Any) -> Any:
        log_not_deferred(self, f"waiting in {self.mode} mode")
        return super().execute(context)

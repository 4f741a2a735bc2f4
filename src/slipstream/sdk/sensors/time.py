"""TimeSensor: waits until a time of day, in the DAG's timezone."""

from __future__ import annotations

import datetime as dt
from typing import Any

from slipstream.sdk.sensors.base import BaseSensorOperator, log_not_deferred

__all__ = ["TimeSensor", "TimeSensorAsync"]


class TimeSensor(BaseSensorOperator):
    """Done once the current time passes `target_time` on the day the try started.

    `target_time` is read in the DAG's timezone (UTC without a DAG). As in Airflow, the target
    is fixed to "today" when the try starts (`target_datetime`, in UTC), so a sensor started
    after the target time of day succeeds at its first poke.

    :param target_time: the time of day to wait for.
    """

    def __init__(
        self,
        *,
        target_time: dt.time,
        deferrable: bool = False,
        start_from_trigger: bool = False,
        end_from_trigger: bool = False,
        trigger_kwargs: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if not isinstance(target_time, dt.time):
            raise TypeError(
                f"Task '{self.task_id}': target_time must be a datetime.time, got {target_time!r}"
            )
        self.target_time = target_time
        self.deferrable = deferrable
        self.start_from_trigger = start_from_trigger
        self.end_from_trigger = end_from_trigger
        self.trigger_kwargs = trigger_kwargs
        self.target_datetime = self._target_for_today()

    def _target_for_today(self) -> Any:
        import pendulum

        tz = self.dag.timezone if self.dag is not None else pendulum.UTC
        today = pendulum.now(tz).date()
        naive = self.target_time.replace(tzinfo=None)
        local = pendulum.datetime(
            today.year,
            today.month,
            today.day,
            naive.hour,
            naive.minute,
            naive.second,
            naive.microsecond,
            tz=tz,
        )
        return local.in_timezone("UTC")

    def execute(self, context: Any) -> Any:
        self.target_datetime = self._target_for_today()
        if self.deferrable:
            log_not_deferred(self, f"waiting in {self.mode} mode")
        return super().execute(context)

    def poke(self, context: Any) -> bool:
        import pendulum

        self.log.info("Checking if the time (%s) has come", self.target_datetime)
        return bool(pendulum.now("UTC") > self.target_datetime)


class TimeSensorAsync(TimeSensor):
    """Airflow's deprecated name for `TimeSensor(deferrable=True)`."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(deferrable=True, **kwargs)

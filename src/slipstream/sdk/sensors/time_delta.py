"""TimeDeltaSensor (wait until a delay after the run's data interval) and WaitSensor."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any

from slipstream.sdk.sensors.base import BaseSensorOperator, log_not_deferred

__all__ = ["TimeDeltaSensor", "TimeDeltaSensorAsync", "WaitSensor"]


def _utcnow() -> Any:
    import pendulum

    return pendulum.now("UTC")


class TimeDeltaSensor(BaseSensorOperator):
    """Done once `delta` has passed after the run's `data_interval_end` (or its `run_after` when
    the run has no data interval). A manual run's interval is `[logical_date, logical_date]`, so
    there it waits `delta` after the logical date.

    :param delta: how long to wait after the end of the data interval.
    """

    def __init__(
        self,
        *,
        delta: timedelta,
        deferrable: bool = False,
        end_from_trigger: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if not isinstance(delta, timedelta):
            raise TypeError(f"Task '{self.task_id}': delta must be a timedelta, got {delta!r}")
        self.delta = delta
        self.deferrable = deferrable
        self.end_from_trigger = end_from_trigger

    def _derive_base_time(self, context: Any) -> datetime:
        """`data_interval_end`, else the run's `run_after` (or logical date)."""
        end = context.get("data_interval_end")
        if end:
            if not isinstance(end, datetime):
                raise ValueError("`data_interval_end` returned non-datetime object")
            return end
        dag_run = context.get("dag_run")
        if not dag_run:
            raise ValueError("`dag_run` not found in task context")
        base = getattr(dag_run, "run_after", None) or getattr(dag_run, "logical_date", None)
        if base is None:
            raise ValueError(f"Task '{self.task_id}': the run has no data interval or run_after")
        return base

    def execute(self, context: Any) -> Any:
        if self.deferrable:
            log_not_deferred(self, f"waiting in {self.mode} mode")
        return super().execute(context)

    def poke(self, context: Any) -> bool:
        base_time = self._derive_base_time(context)
        self.log.info(
            "Checking if the delta has elapsed base_time=%s, delta=%s", base_time, self.delta
        )
        return bool(_utcnow() > base_time + self.delta)


class TimeDeltaSensorAsync(TimeDeltaSensor):
    """Airflow's deprecated name for `TimeDeltaSensor(deferrable=True)`."""

    def __init__(self, *, delta: timedelta, end_from_trigger: bool = False, **kwargs: Any) -> None:
        super().__init__(delta=delta, deferrable=True, end_from_trigger=end_from_trigger, **kwargs)


class WaitSensor(BaseSensorOperator):
    """Waits `time_to_wait` (a timedelta, or an int of minutes) from the start of the task.

    :param time_to_wait: how long to wait.
    """

    def __init__(
        self, *, time_to_wait: timedelta | int, deferrable: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.deferrable = deferrable
        if isinstance(time_to_wait, timedelta):
            self.time_to_wait = time_to_wait
        elif isinstance(time_to_wait, int) and not isinstance(time_to_wait, bool):
            self.time_to_wait = timedelta(minutes=time_to_wait)
        else:
            raise TypeError(
                f"Task '{self.task_id}': time_to_wait must be a timedelta or minutes, "
                f"got {time_to_wait!r}"
            )

    def execute(self, context: Any) -> None:
        if self.deferrable:
            log_not_deferred(self, "sleeping")
        time.sleep(max(self.time_to_wait.total_seconds(), 0.0))

"""DayOfWeekSensor: waits until the day of the week is one of the given days."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from slipstream.sdk.sensors.base import BaseSensorOperator
from slipstream.sdk.weekday import WeekDay

__all__ = ["DayOfWeekSensor"]


class DayOfWeekSensor(BaseSensorOperator):
    """Done when today (UTC), or the run's logical date, falls on one of `week_day`.

    :param week_day: a day name (`"Saturday"`), a `WeekDay`, or a set/list of either.
    :param use_task_logical_date: compare the run's logical date instead of today.
    """

    def __init__(
        self,
        *,
        week_day: str | WeekDay | Iterable[str] | Iterable[WeekDay],
        use_task_logical_date: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.week_day = week_day
        self.use_task_logical_date = use_task_logical_date
        self._week_day_num = WeekDay.validate_week_day(week_day)

    def poke(self, context: Any) -> bool:
        import pendulum

        today = pendulum.now("UTC")
        self.log.info(
            "Poking until weekday is in %s, Today is %s",
            self.week_day,
            WeekDay(today.isoweekday()).name,
        )
        if self.use_task_logical_date:
            logical_date = context.get("logical_date")
            if not logical_date:
                raise ValueError(
                    f"Task '{self.task_id}': use_task_logical_date=True needs a logical date, "
                    "and this run has none"
                )
            return logical_date.isoweekday() in self._week_day_num
        return today.isoweekday() in self._week_day_num

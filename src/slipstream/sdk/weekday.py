"""WeekDay: the days of the week, ISO numbered (Monday = 1), as weekday sensors and branches use."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from typing import Any

__all__ = ["WeekDay"]


class WeekDay(enum.IntEnum):
    """A day of the week; the value is `datetime.isoweekday()` of that day."""

    MONDAY = 1
    TUESDAY = 2
    WEDNESDAY = 3
    THURSDAY = 4
    FRIDAY = 5
    SATURDAY = 6
    SUNDAY = 7

    @classmethod
    def get_weekday_number(cls, week_day_str: str) -> WeekDay:
        """The day named `week_day_str`, in any case (`"monday"`, `"Monday"`, `"MONDAY"`)."""
        name = week_day_str.upper()
        if name not in cls.__members__:
            raise AttributeError(f'Invalid Week Day passed: "{week_day_str}"')
        return cls[name]

    @classmethod
    def convert(cls, day: str | WeekDay) -> WeekDay:
        """A WeekDay from a WeekDay or a day name."""
        if isinstance(day, WeekDay):
            return day
        return cls.get_weekday_number(day)

    @classmethod
    def validate_week_day(cls, week_day: Any) -> set[int]:
        """The ISO day numbers named by a day name, a WeekDay, or an iterable of either."""
        if isinstance(week_day, str):
            return {cls.get_weekday_number(week_day)}
        if isinstance(week_day, WeekDay):
            return {week_day}
        if isinstance(week_day, Iterable):
            days = list(week_day)
            if all(isinstance(day, str) for day in days):
                return {cls.get_weekday_number(day) for day in days}
            if all(isinstance(day, WeekDay) for day in days):
                return set(days)
        raise TypeError(
            f"Unsupported Type for week_day parameter: {type(week_day)}. Input should be "
            "iterable type: str, set, list, dict or Weekday enum type"
        )

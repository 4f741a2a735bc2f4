"""Fixed-step arithmetic (timedelta or relativedelta) for the delta timetables."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from slipstream.timetables import _time
from slipstream.timetables.base import TimetableError

if TYPE_CHECKING:
    from pendulum import DateTime


class DeltaMixin:
    """Runs every `delta` from wherever the schedule starts; no alignment to a clock."""

    def __init__(self, delta: Any) -> None:
        if not (isinstance(delta, dt.timedelta) or _time.is_relativedelta(delta)):
            raise TimetableError(
                f"Invalid schedule {delta!r}: a delta schedule needs a timedelta or relativedelta"
            )
        self._delta = delta

    @property
    def summary(self) -> str:
        """`str()` of the delta, e.g. "1 day, 0:00:00", as Airflow shows it."""
        return str(self._delta)

    @property
    def delta(self) -> Any:
        return self._delta

    def validate(self) -> None:
        """A delta schedule must move time forward."""
        now = dt.datetime(2000, 1, 1)
        if now + self._delta <= now:
            raise TimetableError(
                f"Invalid schedule {self._delta!r}: schedule interval must be positive"
            )

    def _get_next(self, current: dt.datetime) -> DateTime:
        return _time.to_utc(_time.coerce_datetime(current) + self._delta)

    def _get_prev(self, current: dt.datetime) -> DateTime:
        return _time.to_utc(_time.coerce_datetime(current) - self._delta)

    def _align_to_next(self, current: dt.datetime) -> DateTime:
        return _time.to_utc(current)

    def _align_to_prev(self, current: dt.datetime) -> DateTime:
        return _time.to_utc(current)

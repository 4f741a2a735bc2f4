"""Data-interval timetables: each run covers one whole period and starts when it ends.

Airflow 2's default (`create_cron_data_intervals=True`). The logical date is the period *start*;
the run happens at the period end. With `catchup=False` the newest complete period runs.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from slipstream.timetables import _time
from slipstream.timetables._cron import CronMixin
from slipstream.timetables._delta import DeltaMixin
from slipstream.timetables.base import DagRunInfo, DataInterval, Timetable

if TYPE_CHECKING:
    from pendulum import DateTime

    from slipstream.timetables.base import TimeRestriction


class _DataIntervalTimetable(Timetable):
    def _get_next(self, current: dt.datetime) -> DateTime:
        raise NotImplementedError

    def _get_prev(self, current: dt.datetime) -> DateTime:
        raise NotImplementedError

    def _align_to_next(self, current: dt.datetime) -> DateTime:
        raise NotImplementedError

    def _align_to_prev(self, current: dt.datetime) -> DateTime:
        raise NotImplementedError

    def _skip_to_latest(self, earliest: DateTime | None) -> DateTime:
        """Without catchup: the start of the newest period that has already ended."""
        raise NotImplementedError

    def next_dagrun_info(
        self,
        last_automated_data_interval: DataInterval | None,
        restriction: TimeRestriction,
    ) -> DagRunInfo | None:
        """The period after the last run's, not before the start date (or, without catchup, now)."""
        earliest = restriction.earliest
        if not restriction.catchup:
            earliest = self._skip_to_latest(earliest)
        elif earliest is not None:
            earliest = self._align_to_next(earliest)
        if last_automated_data_interval is None:
            if earliest is None:
                return None  # no start date: nothing to anchor the first period to
            start = earliest
        else:
            # Re-aligning lets a changed schedule pick up cleanly from the last run.
            start = self._align_to_prev(last_automated_data_interval.end)
            if earliest is not None:
                start = max(start, earliest)
        if restriction.latest is not None and start > restriction.latest:
            return None
        return DagRunInfo.interval(_time.to_utc(start), self._get_next(start))


class CronDataIntervalTimetable(CronMixin, _DataIntervalTimetable):
    """Periods between consecutive cron times; `schedule=<cron>` in Airflow 2."""

    def __init__(self, cron: str, timezone: Any = "UTC") -> None:
        super().__init__(cron, timezone)

    def _skip_to_latest(self, earliest: DateTime | None) -> DateTime:
        now = _time.utcnow()
        last_start = self._get_prev(now)
        if self._get_next(last_start) == now:
            start = last_start  # now is a boundary: the period ending now is complete
        else:
            start = self._get_prev(last_start)
        if earliest is None:
            return start
        return max(start, self._align_to_next(earliest))

    def infer_manual_data_interval(self, run_after: DateTime) -> DataInterval:
        """The last complete period before `run_after`: @daily triggered at 01:00 gets yesterday."""
        end = self._align_to_prev(run_after)
        return DataInterval(self._get_prev(end), end)

    def _serialize_fields(self) -> dict[str, Any]:
        return {
            "expression": self._expression,
            "timezone": _time.encode_timezone(self._timezone),
        }

    @classmethod
    def deserialize(cls, data: dict[str, Any]) -> Timetable:
        return cls(data["expression"], _time.parse_timezone(data["timezone"]))


class DeltaDataIntervalTimetable(DeltaMixin, _DataIntervalTimetable):
    """Periods of a fixed length starting at the start date; `schedule=<timedelta>` in Airflow 2."""

    def _round(self, instant: DateTime) -> DateTime:
        """Round down to a multiple of the delta counted from the Unix epoch."""
        import pendulum

        step = _time.delta_seconds(self._delta)
        ts = instant.timestamp()
        return pendulum.from_timestamp(ts - ts % step, tz="UTC")

    def _skip_to_latest(self, earliest: DateTime | None) -> DateTime:
        start = self._get_prev(self._round(_time.utcnow()))
        if earliest is None:
            return start
        return max(start, _time.to_utc(earliest))

    def infer_manual_data_interval(self, run_after: DateTime) -> DataInterval:
        """`[run_after - delta, run_after]`."""
        end = _time.coerce_datetime(run_after)
        return DataInterval(self._get_prev(end), end)

    def _serialize_fields(self) -> dict[str, Any]:
        return {"delta": _time.encode_interval(self._delta)}

    @classmethod
    def deserialize(cls, data: dict[str, Any]) -> Timetable:
        return cls(_time.decode_interval(data["delta"]))

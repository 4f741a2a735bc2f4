"""Trigger timetables: a run fires *at* each schedule point (like POSIX cron).

Airflow 3's default for `schedule="<cron>"` and `schedule=timedelta(...)`. The run's logical date
is the trigger time; its data interval is `[trigger - interval, trigger]` (by default a single
instant). With `catchup=False` the newest schedule point at or before now runs right away.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from slipstream.timetables import _time
from slipstream.timetables._cron import CronMixin
from slipstream.timetables._delta import DeltaMixin
from slipstream.timetables.base import DagRunInfo, DataInterval, Timetable, TimetableError

if TYPE_CHECKING:
    from pendulum import DateTime

    from slipstream.timetables.base import TimeRestriction


class _TriggerTimetable(Timetable):
    _interval: Any = dt.timedelta()

    def _get_next(self, current: dt.datetime) -> DateTime:
        raise NotImplementedError

    def _align_to_next(self, current: dt.datetime) -> DateTime:
        raise NotImplementedError

    def _align_to_prev(self, current: dt.datetime) -> DateTime:
        raise NotImplementedError

    def _calc_first_run(self) -> DateTime:
        """First trigger of a DAG that has no start date and no runs yet."""
        raise NotImplementedError

    def infer_manual_data_interval(self, run_after: DateTime) -> DataInterval:
        """`[run_after - interval, run_after]`."""
        end = _time.coerce_datetime(run_after)
        return DataInterval(_time.coerce_datetime(end - self._interval), end)

    def next_dagrun_info(
        self,
        last_automated_data_interval: DataInterval | None,
        restriction: TimeRestriction,
    ) -> DagRunInfo | None:
        """Next trigger after the last run; without catchup, not older than the newest past one."""
        last = last_automated_data_interval
        earliest = restriction.earliest
        if restriction.catchup:
            if last is not None:
                trigger = self._get_next(last.end)
            elif earliest is None:
                trigger = self._calc_first_run()
            else:
                trigger = self._align_to_next(earliest)
        else:
            candidates = [self._align_to_prev(_time.utcnow())]
            if last is not None:
                candidates.append(self._get_next(last.end))
            elif earliest is None:
                candidates.append(self._calc_first_run())
            if earliest is not None:
                candidates.append(self._align_to_next(earliest))
            trigger = max(candidates)
        if restriction.latest is not None and trigger > restriction.latest:
            return None
        return DagRunInfo.interval(_time.to_utc(trigger - self._interval), trigger)


class CronTriggerTimetable(CronMixin, _TriggerTimetable):
    """Fire at each cron time in `timezone`; data interval `[t - interval, t]`.

    `run_immediately` only matters for a DAG without start date and runs: True runs the most
    recent past point now; a timedelta does so if that point is at most that long ago; otherwise
    (False or None, as in Airflow's code) the past point runs if it is within 10% of the gap
    between points (at least 5 minutes), else the DAG waits for the next point.
    """

    def __init__(
        self,
        cron: str,
        *,
        timezone: Any = "UTC",
        interval: Any = dt.timedelta(),
        run_immediately: bool | dt.timedelta | None = False,
    ) -> None:
        super().__init__(cron, timezone)
        self._interval = interval
        self._run_immediately = run_immediately

    def _calc_first_run(self) -> DateTime:
        now = _time.utcnow()
        past = self._align_to_prev(now)
        if self._run_immediately is True:
            return past
        upcoming = self._align_to_next(now)
        if isinstance(self._run_immediately, dt.timedelta):
            buffer = self._run_immediately
        else:
            buffer = max((upcoming - past) / 10, dt.timedelta(minutes=5))
        return past if now - past <= buffer else upcoming

    def _serialize_fields(self) -> dict[str, Any]:
        return {
            "expression": self._expression,
            "timezone": _time.encode_timezone(self._timezone),
            "interval": _time.encode_interval(self._interval),
            "run_immediately": _encode_run_immediately(self._run_immediately),
        }

    @classmethod
    def deserialize(cls, data: dict[str, Any]) -> Timetable:
        return cls(
            data["expression"],
            timezone=_time.parse_timezone(data["timezone"]),
            interval=_time.decode_interval(data.get("interval", 0.0)),
            run_immediately=_decode_run_immediately(data.get("run_immediately", False)),
        )


class DeltaTriggerTimetable(DeltaMixin, _TriggerTimetable):
    """Fire every `delta`, starting at the start date; data interval `[t - interval, t]`."""

    def __init__(self, delta: Any, *, interval: Any = dt.timedelta()) -> None:
        super().__init__(delta)
        self._interval = interval

    def _calc_first_run(self) -> DateTime:
        return self._align_to_prev(_time.utcnow())

    def _serialize_fields(self) -> dict[str, Any]:
        return {
            "delta": _time.encode_interval(self._delta),
            "interval": _time.encode_interval(self._interval),
        }

    @classmethod
    def deserialize(cls, data: dict[str, Any]) -> Timetable:
        return cls(
            _time.decode_interval(data["delta"]),
            interval=_time.decode_interval(data.get("interval", 0.0)),
        )


class MultipleCronTriggerTimetable(Timetable):
    """Fire whenever any of several crons fires; one run per instant even if several match."""

    def __init__(
        self,
        *crons: str,
        timezone: Any = "UTC",
        interval: Any = dt.timedelta(),
        run_immediately: bool | dt.timedelta | None = False,
    ) -> None:
        if not crons:
            raise TimetableError("MultipleCronTriggerTimetable needs at least one cron expression")
        self._timetables = [
            CronTriggerTimetable(
                cron, timezone=timezone, interval=interval, run_immediately=run_immediately
            )
            for cron in crons
        ]
        self.description = ", ".join(t.description for t in self._timetables)

    @property
    def summary(self) -> str:
        return ", ".join(t.summary for t in self._timetables)

    def validate(self) -> None:
        for timetable in self._timetables:
            timetable.validate()

    def infer_manual_data_interval(self, run_after: DateTime) -> DataInterval:
        """The widest of the member intervals (earliest start)."""
        intervals = [t.infer_manual_data_interval(run_after) for t in self._timetables]
        return min(intervals, key=lambda i: i.start)

    def next_dagrun_info(
        self,
        last_automated_data_interval: DataInterval | None,
        restriction: TimeRestriction,
    ) -> DagRunInfo | None:
        """Earliest member run with catchup; without, the newest past one, else the soonest."""
        infos = [
            t.next_dagrun_info(last_automated_data_interval, restriction) for t in self._timetables
        ]
        found = [info for info in infos if info is not None]
        if not found:
            return None
        if restriction.catchup:
            return min(found, key=lambda i: i.logical_date)
        now = _time.utcnow().timestamp()

        def key(info: DagRunInfo) -> float:
            ts = info.logical_date.timestamp()
            return -ts if ts <= now else ts

        return min(found, key=key)

    def _serialize_fields(self) -> dict[str, Any]:
        first = self._timetables[0]
        return {
            "expressions": [t.expression for t in self._timetables],
            "timezone": _time.encode_timezone(first.timezone),
            "interval": _time.encode_interval(first._interval),
            "run_immediately": _encode_run_immediately(first._run_immediately),
        }

    @classmethod
    def deserialize(cls, data: dict[str, Any]) -> Timetable:
        return cls(
            *data["expressions"],
            timezone=_time.parse_timezone(data["timezone"]),
            interval=_time.decode_interval(data.get("interval", 0.0)),
            run_immediately=_decode_run_immediately(data.get("run_immediately", False)),
        )


def _encode_run_immediately(value: bool | dt.timedelta | None) -> bool | float | None:
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    return value


def _decode_run_immediately(value: bool | float | None) -> bool | dt.timedelta | None:
    if value is None or isinstance(value, bool):
        return value
    return dt.timedelta(seconds=value)

"""`EventsTimetable`: runs at an explicit list of instants (e.g. match days)."""

from __future__ import annotations

import bisect
from typing import TYPE_CHECKING, Any

from slipstream.timetables import _time
from slipstream.timetables.base import DagRunInfo, DataInterval, Timetable, TimetableError

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Iterable

    from pendulum import DateTime

    from slipstream.timetables.base import TimeRestriction


class EventsTimetable(Timetable):
    """One run at each listed datetime (duplicates collapse); naive datetimes are UTC.

    `restrict_to_events=True` makes a manual run use the latest event at or before the trigger
    time (the first event if all lie ahead) instead of the trigger time itself.
    """

    def __init__(
        self,
        event_dates: Iterable[dt.datetime],
        restrict_to_events: bool = False,
        presorted: bool = False,
        description: str | None = None,
    ) -> None:
        dates = [_time.coerce_datetime(d) for d in event_dates]
        self.event_dates: list[DateTime] = dates if presorted else sorted(dates)
        self.restrict_to_events = restrict_to_events
        if description is not None:
            self.description = description
            self._summary = description
        else:
            count = len(self.event_dates)
            self._summary = f"{count} events"
            if self.event_dates:
                first, last = self.event_dates[0], self.event_dates[-1]
                self.description = (
                    f"{count} events between {first.isoformat()} and {last.isoformat()}"
                )
            else:
                self.description = "No events"

    @property
    def summary(self) -> str:
        return self._summary

    def next_dagrun_info(
        self,
        last_automated_data_interval: DataInterval | None,
        restriction: TimeRestriction,
    ) -> DagRunInfo | None:
        """The first event after the last run and not before the start date (or now, no catchup)."""
        earliest = restriction.earliest
        if not restriction.catchup:
            now = _time.utcnow()
            if earliest is None or now > earliest:
                earliest = now
        last_end = last_automated_data_interval.end if last_automated_data_interval else None
        for event in self.event_dates:
            if earliest is not None and event < earliest:
                continue
            if last_end is not None and event <= last_end:
                continue
            break
        else:
            return None
        if restriction.latest is not None and event > restriction.latest:
            return None
        return DagRunInfo.exact(event)

    def infer_manual_data_interval(self, run_after: DateTime) -> DataInterval:
        """The trigger time, or with `restrict_to_events` the event a manual run stands for."""
        run_after = _time.coerce_datetime(run_after)
        if not self.restrict_to_events or not self.event_dates:
            return DataInterval.exact(run_after)
        index = bisect.bisect_right(self.event_dates, run_after)
        return DataInterval.exact(self.event_dates[max(index - 1, 0)])

    def _serialize_fields(self) -> dict[str, Any]:
        return {
            "event_dates": [d.isoformat() for d in self.event_dates],
            "restrict_to_events": self.restrict_to_events,
            "description": self.description,
            "_summary": self._summary,
        }

    @classmethod
    def deserialize(cls, data: dict[str, Any]) -> Timetable:
        timetable = cls(
            [_parse_event(d) for d in data["event_dates"]],
            restrict_to_events=data["restrict_to_events"],
            presorted=True,
            description=data["description"],
        )
        timetable._summary = data["_summary"]
        return timetable


def _parse_event(text: str) -> DateTime:
    """One serialized event date (an ISO 8601 date and time) as a pendulum DateTime."""
    import pendulum

    parsed = pendulum.parse(text)
    if not isinstance(parsed, pendulum.DateTime):
        raise TimetableError(f"event date {text!r} is not a date and time")
    return parsed

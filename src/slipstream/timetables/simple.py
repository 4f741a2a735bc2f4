"""Timetables without a period: `schedule=None`, `"@once"` and `"@continuous"`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from slipstream.timetables import _time
from slipstream.timetables.base import DagRunInfo, DataInterval, Timetable

if TYPE_CHECKING:
    from pendulum import DateTime

    from slipstream.timetables.base import TimeRestriction


class _TrivialTimetable(Timetable):
    periodic = False
    run_ordering = ("logical_date",)

    def infer_manual_data_interval(self, run_after: DateTime) -> DataInterval:
        """A manual run covers the single instant it was triggered for."""
        return DataInterval.exact(_time.coerce_datetime(run_after))

    def __hash__(self) -> int:
        return hash(type(self).__name__)

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) or NotImplemented


class NullTimetable(_TrivialTimetable):
    """`schedule=None`: never scheduled; runs only when triggered."""

    can_be_scheduled = False
    description = "Never, external triggers only"

    @property
    def summary(self) -> str:
        return "None"

    def next_dagrun_info(
        self,
        last_automated_data_interval: DataInterval | None,
        restriction: TimeRestriction,
    ) -> DagRunInfo | None:
        return None


class OnceTimetable(_TrivialTimetable):
    """`"@once"`: one run at the start date (or now without one), whatever `catchup` says."""

    description = "Once, as soon as possible"

    @property
    def summary(self) -> str:
        return "@once"

    def next_dagrun_info(
        self,
        last_automated_data_interval: DataInterval | None,
        restriction: TimeRestriction,
    ) -> DagRunInfo | None:
        if last_automated_data_interval is not None:
            return None
        if restriction.earliest is not None:
            run_after = _time.coerce_datetime(restriction.earliest)
        else:
            run_after = _time.utcnow()
        if restriction.latest is not None and run_after > restriction.latest:
            return None
        return DagRunInfo.exact(run_after)


class ContinuousTimetable(_TrivialTimetable):
    """`"@continuous"`: a new run as soon as the previous one ends, one at a time."""

    description = "As frequently as possible, but only one run at a time."
    active_runs_limit = 1

    @property
    def summary(self) -> str:
        return "@continuous"

    def next_dagrun_info(
        self,
        last_automated_data_interval: DataInterval | None,
        restriction: TimeRestriction,
    ) -> DagRunInfo | None:
        """Each run's interval reaches from the previous run's end up to now."""
        now = _time.utcnow()
        start_date = _time.coerce_datetime(restriction.earliest) if restriction.earliest else now
        last = last_automated_data_interval
        if last is None:
            start, end = start_date, max(start_date, now)
        elif last.end > now:  # the start date lies in the future
            start, end = start_date, start_date + (last.end - last.start)
        else:
            start, end = last.end, now
        if restriction.latest is not None and end > restriction.latest:
            return None
        return DagRunInfo.interval(start, end)

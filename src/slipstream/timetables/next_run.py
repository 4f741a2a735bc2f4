"""When a DAG's next scheduled run is due, from its serialized timetable.

The DAG processor fills `dag.next_dagrun*` for new and changed DAGs with `compute_next_dagrun`;
the scheduler calls the same function after creating each scheduled run, so both agree.

`now` is handed to the timetable by replacing `slipstream.timetables._time.utcnow` while it
computes (timetables read the clock only there; without catchup, "now" decides which past point
runs). The replacement is guarded by a lock, so concurrent calls in one process do not see each
other's clock; a timetable used by another thread at that very moment would see it too.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from slipstream.timetables import DagRunInfo, DataInterval, TimeRestriction, Timetable


class ScheduledDag(Protocol):
    """What the computation needs of a (serialized) DAG."""

    @property
    def timetable(self) -> Timetable: ...

    @property
    def start_date(self) -> dt.datetime | None: ...

    @property
    def end_date(self) -> dt.datetime | None: ...

    @property
    def catchup(self) -> bool: ...

    @property
    def task_dict(self) -> Mapping[str, Any]: ...


_CLOCK_LOCK = threading.RLock()


def compute_next_dagrun(
    serialized_dag: ScheduledDag,
    last_interval: DataInterval | tuple[dt.datetime, dt.datetime] | None,
    now: dt.datetime | None = None,
) -> DagRunInfo | None:
    """The next automated run after the one covering `last_interval`, or None for no run.

    `last_interval` is the data interval of the DAG's latest scheduled (or backfill) run, as a
    `DataInterval` or a `(start, end)` pair of aware datetimes; None when it has none. `now`
    defaults to the real time. The answer's `logical_date`, `data_interval` and `run_after`
    become `dag.next_dagrun`, `next_dagrun_data_interval_*` and `next_dagrun_create_after`.
    Exceptions of a (custom) timetable propagate.
    """
    timetable = serialized_dag.timetable
    if not getattr(timetable, "can_be_scheduled", True):
        return None
    restriction = time_restriction(serialized_dag)
    last = _as_interval(last_interval)
    with _frozen_now(now):
        info: DagRunInfo | None = timetable.next_dagrun_info(
            last_automated_data_interval=last, restriction=restriction
        )
    return info


def time_restriction(serialized_dag: ScheduledDag) -> TimeRestriction:
    """Airflow's bounds: the earliest start date (DAG or task) to the latest end date, catchup.

    Like Airflow, the end bound only applies when the DAG or some task has an end date, and a
    task's own start date before the DAG's moves the earliest run back.
    """
    from slipstream.timetables import TimeRestriction

    starts = [t.start_date for t in serialized_dag.task_dict.values() if t.start_date]
    if serialized_dag.start_date is not None:
        starts.append(serialized_dag.start_date)
    ends = [t.end_date for t in serialized_dag.task_dict.values() if t.end_date]
    if serialized_dag.end_date is not None:
        ends.append(serialized_dag.end_date)
    return TimeRestriction(
        earliest=min(starts) if starts else None,
        latest=max(ends) if ends else None,
        catchup=serialized_dag.catchup,
    )


def _as_interval(value: Any) -> DataInterval | None:
    if value is None:
        return None
    from slipstream.timetables import DataInterval
    from slipstream.timetables._time import coerce_datetime

    start, end = value
    return DataInterval(coerce_datetime(start), coerce_datetime(end))


@contextlib.contextmanager
def _frozen_now(now: dt.datetime | None) -> Iterator[None]:
    if now is None:
        yield
        return
    from slipstream.timetables import _time

    frozen = _time.to_utc(now)
    with _CLOCK_LOCK:
        original = _time.utcnow
        _time.utcnow = lambda: frozen
        try:
            yield
        finally:
            _time.utcnow = original

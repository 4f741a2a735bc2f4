"""None, @once, @continuous and EventsTimetable; run ids."""

from __future__ import annotations

from datetime import datetime, timedelta

import pendulum
import pytest

from slipstream.timetables import (
    ContinuousTimetable,
    CronDataIntervalTimetable,
    CronTriggerTimetable,
    DagRunInfo,
    DataInterval,
    EventsTimetable,
    NullTimetable,
    OnceTimetable,
    TimeRestriction,
)


def utc(*args: int) -> pendulum.DateTime:
    return pendulum.datetime(*args, tz="UTC")


def test_null_timetable():
    tt = NullTimetable()
    assert (tt.summary, tt.periodic, tt.can_be_scheduled) == ("None", False, False)
    assert tt.description == "Never, external triggers only"
    assert tt.next_dagrun_info(None, TimeRestriction(utc(2024, 1, 1), None, True)) is None
    # a manual run of schedule=None covers exactly its logical date
    assert tt.infer_manual_data_interval(utc(2024, 5, 1)) == DataInterval(
        utc(2024, 5, 1), utc(2024, 5, 1)
    )
    assert NullTimetable() == NullTimetable() and NullTimetable() != OnceTimetable()


def test_once_timetable(freeze):
    tt = OnceTimetable()
    assert (tt.summary, tt.periodic, tt.can_be_scheduled) == ("@once", False, True)
    for catchup in (True, False):  # catchup does not matter for @once
        info = tt.next_dagrun_info(None, TimeRestriction(utc(2020, 1, 1), None, catchup))
        assert info == DagRunInfo.exact(utc(2020, 1, 1))
    assert tt.next_dagrun_info(info.data_interval, TimeRestriction(None, None, True)) is None
    assert (
        tt.next_dagrun_info(None, TimeRestriction(utc(2020, 1, 2), utc(2020, 1, 1), True)) is None
    )
    freeze(utc(2024, 6, 1, 12))
    assert tt.next_dagrun_info(None, TimeRestriction(None, None, True)).run_after == utc(
        2024, 6, 1, 12
    )


def test_continuous_timetable(freeze):
    tt = ContinuousTimetable()
    assert tt.active_runs_limit == 1 and tt.summary == "@continuous"
    freeze(utc(2024, 6, 1, 12))
    first = tt.next_dagrun_info(None, TimeRestriction(utc(2024, 1, 1), None, False))
    assert first.data_interval == DataInterval(utc(2024, 1, 1), utc(2024, 6, 1, 12))
    freeze(utc(2024, 6, 1, 12, 5))
    second = tt.next_dagrun_info(first.data_interval, TimeRestriction(utc(2024, 1, 1), None, False))
    assert second.data_interval == DataInterval(utc(2024, 6, 1, 12), utc(2024, 6, 1, 12, 5))
    assert second.run_after == utc(2024, 6, 1, 12, 5)
    ended = TimeRestriction(utc(2024, 1, 1), utc(2024, 6, 1), False)
    assert tt.next_dagrun_info(first.data_interval, ended) is None


EVENTS = [utc(2024, 3, 1), utc(2024, 1, 1), utc(2024, 2, 1), utc(2024, 2, 1)]


def test_events_catchup_walks_sorted_events():
    tt = EventsTimetable(EVENTS)
    restriction = TimeRestriction(utc(2024, 1, 15), None, True)
    first = tt.next_dagrun_info(None, restriction)
    assert first == DagRunInfo.exact(utc(2024, 2, 1))
    second = tt.next_dagrun_info(first.data_interval, restriction)
    assert second.run_after == utc(2024, 3, 1)
    assert tt.next_dagrun_info(second.data_interval, restriction) is None
    assert tt.summary == "4 events"
    assert tt.description == (
        "4 events between 2024-01-01T00:00:00+00:00 and 2024-03-01T00:00:00+00:00"
    )


def test_events_no_catchup_skips_past(freeze):
    freeze(utc(2024, 2, 15))
    tt = EventsTimetable(EVENTS, description="Match days")
    info = tt.next_dagrun_info(None, TimeRestriction(utc(2023, 1, 1), utc(2024, 12, 31), False))
    assert info.run_after == utc(2024, 3, 1)
    assert tt.summary == tt.description == "Match days"
    restricted = TimeRestriction(utc(2023, 1, 1), utc(2024, 2, 20), False)
    assert tt.next_dagrun_info(None, restricted) is None


def test_events_manual_runs():
    assert EventsTimetable(EVENTS).infer_manual_data_interval(utc(2024, 2, 10)) == (
        DataInterval.exact(utc(2024, 2, 10))
    )
    tt = EventsTimetable(EVENTS, restrict_to_events=True)
    assert tt.infer_manual_data_interval(utc(2024, 2, 10)).start == utc(2024, 2, 1)
    assert tt.infer_manual_data_interval(utc(2024, 2, 1)).start == utc(2024, 2, 1)
    assert tt.infer_manual_data_interval(utc(2023, 6, 1)).start == utc(2024, 1, 1)
    assert EventsTimetable([]).next_dagrun_info(None, TimeRestriction(None, None, True)) is None
    assert EventsTimetable([]).description == "No events"


def test_events_naive_dates_are_utc():
    tt = EventsTimetable([datetime(2024, 1, 1, 6)])
    info = tt.next_dagrun_info(None, TimeRestriction(None, None, True))
    assert info.run_after == utc(2024, 1, 1, 6)


def test_data_interval_unpacks_like_a_tuple():
    start, end = DataInterval(utc(2024, 1, 1), utc(2024, 1, 2))
    assert (start, end) == (utc(2024, 1, 1), utc(2024, 1, 2))
    info = DagRunInfo.interval(utc(2024, 1, 1), utc(2024, 1, 2))
    assert info.run_after == utc(2024, 1, 2) and info.logical_date == utc(2024, 1, 1)
    with pytest.raises(AttributeError):
        info.run_after = utc(2025, 1, 1)  # type: ignore[misc]


def test_generate_run_id():
    tt = CronTriggerTimetable("@daily", timezone="Europe/Amsterdam")
    local = pendulum.datetime(2024, 1, 1, 1, tz="Europe/Amsterdam")
    assert tt.generate_run_id("scheduled", local) == "scheduled__2024-01-01T00:00:00+00:00"
    assert NullTimetable().generate_run_id("manual", utc(2024, 5, 1, 12, 30)) == (
        "manual__2024-05-01T12:30:00+00:00"
    )
    # like Airflow 3, run_after names the run when given (data-interval timetables: period end)
    di = CronDataIntervalTimetable("@daily", "UTC")
    assert di.generate_run_id(
        "scheduled",
        utc(2024, 1, 1),
        run_after=utc(2024, 1, 2),
        data_interval=DataInterval(utc(2024, 1, 1), utc(2024, 1, 2)),
    ) == ("scheduled__2024-01-02T00:00:00+00:00")

    class RunType:
        value = "backfill"

    assert tt.generate_run_id(RunType(), datetime(2024, 1, 1)) == (
        "backfill__2024-01-01T00:00:00+00:00"
    )
    with pytest.raises(ValueError, match="run id"):
        tt.generate_run_id("manual")


def test_equality_and_hash():
    a = CronTriggerTimetable("@daily", timezone="UTC")
    assert a == CronTriggerTimetable("0 0 * * *", timezone="UTC")
    assert a != CronTriggerTimetable("@daily", timezone="Europe/Amsterdam")
    assert a != CronDataIntervalTimetable("@daily", "UTC")
    assert len({a, CronTriggerTimetable("0 0 * * *", timezone="UTC")}) == 1
    assert ContinuousTimetable().infer_manual_data_interval(utc(2024, 1, 1)).end == utc(2024, 1, 1)
    assert CronTriggerTimetable("@daily", timezone="UTC", interval=timedelta(1)) != a


def test_naive_restriction_bounds_are_utc():
    restriction = TimeRestriction(datetime(2024, 1, 1), datetime(2024, 1, 2), True)
    assert restriction.earliest == utc(2024, 1, 1)
    tt = CronTriggerTimetable("0 12 * * *", timezone="UTC")
    info = tt.next_dagrun_info(None, restriction)
    assert info.run_after == utc(2024, 1, 1, 12)
    assert tt.next_dagrun_info(info.data_interval, restriction) is None

"""Delta timetables: fixed steps with timedelta or relativedelta."""

from __future__ import annotations

from datetime import timedelta

import pendulum
import pytest
from dateutil.relativedelta import relativedelta

from slipstream.timetables import (
    DataInterval,
    DeltaDataIntervalTimetable,
    DeltaTriggerTimetable,
    TimeRestriction,
    TimetableError,
    create_timetable,
)


def utc(*args: int) -> pendulum.DateTime:
    return pendulum.datetime(*args, tz="UTC")


def test_delta_trigger_catchup_steps_from_start_date():
    tt = DeltaTriggerTimetable(timedelta(hours=6))
    restriction = TimeRestriction(utc(2024, 1, 1, 0, 5), None, True)
    first = tt.next_dagrun_info(None, restriction)
    assert first.run_after == utc(2024, 1, 1, 0, 5)  # deltas do not align to the clock
    assert first.data_interval == DataInterval(utc(2024, 1, 1, 0, 5), utc(2024, 1, 1, 0, 5))
    second = tt.next_dagrun_info(first.data_interval, restriction)
    assert second.run_after == utc(2024, 1, 1, 6, 5)


def test_delta_trigger_interval_and_manual_run():
    tt = DeltaTriggerTimetable(timedelta(days=1), interval=timedelta(hours=2))
    info = tt.next_dagrun_info(None, TimeRestriction(utc(2024, 1, 1), None, True))
    assert info.data_interval == DataInterval(utc(2023, 12, 31, 22), utc(2024, 1, 1))
    assert tt.infer_manual_data_interval(utc(2024, 2, 1)) == DataInterval(
        utc(2024, 1, 31, 22), utc(2024, 2, 1)
    )


def test_delta_trigger_no_catchup_runs_now(freeze):
    freeze(utc(2024, 6, 15, 10, 30))
    tt = DeltaTriggerTimetable(timedelta(hours=1))
    restriction = TimeRestriction(utc(2024, 1, 1), None, False)
    assert tt.next_dagrun_info(None, restriction).run_after == utc(2024, 6, 15, 10, 30)
    assert tt.next_dagrun_info(None, TimeRestriction(None, None, True)).run_after == utc(
        2024, 6, 15, 10, 30
    )


def test_delta_trigger_end_date():
    tt = DeltaTriggerTimetable(timedelta(days=1))
    restriction = TimeRestriction(utc(2024, 1, 1), utc(2024, 1, 1, 12), True)
    first = tt.next_dagrun_info(None, restriction)
    assert tt.next_dagrun_info(first.data_interval, restriction) is None


def test_delta_data_interval_catchup():
    tt = DeltaDataIntervalTimetable(timedelta(hours=6))
    restriction = TimeRestriction(utc(2024, 1, 1), None, True)
    first = tt.next_dagrun_info(None, restriction)
    assert first.data_interval == DataInterval(utc(2024, 1, 1), utc(2024, 1, 1, 6))
    assert first.run_after == utc(2024, 1, 1, 6)
    second = tt.next_dagrun_info(first.data_interval, restriction)
    assert second.data_interval == DataInterval(utc(2024, 1, 1, 6), utc(2024, 1, 1, 12))


def test_delta_data_interval_no_catchup_latest_complete_period(freeze):
    freeze(utc(2024, 6, 15, 10, 30))
    tt = DeltaDataIntervalTimetable(timedelta(hours=1))
    info = tt.next_dagrun_info(None, TimeRestriction(utc(2024, 1, 1), None, False))
    assert info.data_interval == DataInterval(utc(2024, 6, 15, 9), utc(2024, 6, 15, 10))


def test_delta_data_interval_manual_run():
    tt = DeltaDataIntervalTimetable(timedelta(days=1))
    assert tt.infer_manual_data_interval(utc(2024, 3, 25, 1)) == DataInterval(
        utc(2024, 3, 24, 1), utc(2024, 3, 25, 1)
    )


def test_relativedelta_months():
    tt = DeltaDataIntervalTimetable(relativedelta(months=1))
    restriction = TimeRestriction(utc(2024, 1, 31), None, True)
    first = tt.next_dagrun_info(None, restriction)
    assert first.data_interval == DataInterval(utc(2024, 1, 31), utc(2024, 2, 29))
    trigger = create_timetable(relativedelta(months=1))
    assert isinstance(trigger, DeltaTriggerTimetable)
    assert trigger.summary == "relativedelta(months=+1)"


def test_summary_and_validation():
    assert DeltaTriggerTimetable(timedelta(days=1)).summary == "1 day, 0:00:00"
    for bad in (timedelta(0), timedelta(hours=-1), relativedelta(months=-1)):
        with pytest.raises(TimetableError, match="must be positive"):
            create_timetable(bad)
    with pytest.raises(TimetableError, match="timedelta or relativedelta"):
        DeltaTriggerTimetable(3600)  # type: ignore[arg-type]

"""Cron timetables: trigger vs data-interval semantics, catchup, limits, DST."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pendulum
import pytest

from slipstream.core.exceptions import AirflowException
from slipstream.timetables import (
    CRON_PRESETS,
    CronDataIntervalTimetable,
    CronTriggerTimetable,
    DataInterval,
    MultipleCronTriggerTimetable,
    TimeRestriction,
    TimetableError,
    create_timetable,
)


def utc(*args: int) -> pendulum.DateTime:
    return pendulum.datetime(*args, tz="UTC")


def runs(timetable, restriction, count):
    """The first `count` scheduled runs, feeding each interval back in like the scheduler."""
    out, last = [], None
    for _ in range(count):
        info = timetable.next_dagrun_info(last, restriction)
        if info is None:
            break
        out.append(info)
        last = info.data_interval
    return out


# --- CronTriggerTimetable -------------------------------------------------------------------


def test_trigger_catchup_runs_at_each_cron_time_from_start():
    tt = CronTriggerTimetable("0 0 * * *", timezone="UTC")
    infos = runs(tt, TimeRestriction(utc(2024, 1, 1), None, True), 3)
    assert [i.run_after for i in infos] == [utc(2024, 1, 1), utc(2024, 1, 2), utc(2024, 1, 3)]
    # data interval is the trigger instant; logical date == run_after
    assert infos[0].data_interval == DataInterval(utc(2024, 1, 1), utc(2024, 1, 1))
    assert infos[0].logical_date == utc(2024, 1, 1)


def test_trigger_unaligned_start_waits_for_next_cron_time():
    tt = CronTriggerTimetable("0 0 * * *", timezone="UTC")
    info = tt.next_dagrun_info(None, TimeRestriction(utc(2024, 1, 1, 12), None, True))
    assert info.run_after == utc(2024, 1, 2)


def test_trigger_interval_sets_data_interval_start():
    tt = CronTriggerTimetable("0 * * * *", timezone="UTC", interval=timedelta(hours=1))
    info = tt.next_dagrun_info(None, TimeRestriction(utc(2024, 1, 1, 5), None, True))
    assert info.data_interval == DataInterval(utc(2024, 1, 1, 4), utc(2024, 1, 1, 5))
    assert info.logical_date == utc(2024, 1, 1, 4)
    assert info.run_after == utc(2024, 1, 1, 5)


def test_trigger_end_date_is_inclusive():
    tt = CronTriggerTimetable("@daily", timezone="UTC")
    restriction = TimeRestriction(utc(2024, 1, 1), utc(2024, 1, 3), True)
    assert [i.run_after for i in runs(tt, restriction, 10)] == [
        utc(2024, 1, 1),
        utc(2024, 1, 2),
        utc(2024, 1, 3),
    ]


def test_trigger_no_catchup_runs_latest_past_time(freeze):
    freeze(utc(2024, 6, 15, 10, 30))
    tt = CronTriggerTimetable("@hourly", timezone="UTC")
    restriction = TimeRestriction(utc(2024, 1, 1), None, False)
    assert tt.next_dagrun_info(None, restriction).run_after == utc(2024, 6, 15, 10)
    # an old last run does not cause a backfill either
    old = DataInterval(utc(2024, 2, 1), utc(2024, 2, 1))
    assert tt.next_dagrun_info(old, restriction).run_after == utc(2024, 6, 15, 10)
    # after the 10:00 run the next one is 11:00
    done = DataInterval(utc(2024, 6, 15, 10), utc(2024, 6, 15, 10))
    assert tt.next_dagrun_info(done, restriction).run_after == utc(2024, 6, 15, 11)


def test_trigger_no_catchup_future_start(freeze):
    freeze(utc(2024, 6, 15, 10, 30))
    tt = CronTriggerTimetable("@daily", timezone="UTC")
    info = tt.next_dagrun_info(None, TimeRestriction(utc(2024, 7, 1, 6), None, False))
    assert info.run_after == utc(2024, 7, 2)


@pytest.mark.parametrize(
    ("now", "run_immediately", "expected"),
    [
        (utc(2024, 6, 15, 10, 3), False, utc(2024, 6, 15, 10)),  # within 10% (6 min)
        (utc(2024, 6, 15, 10, 30), False, utc(2024, 6, 15, 11)),
        (utc(2024, 6, 15, 10, 30), True, utc(2024, 6, 15, 10)),
        (utc(2024, 6, 15, 10, 30), timedelta(minutes=45), utc(2024, 6, 15, 10)),
        (utc(2024, 6, 15, 10, 50), timedelta(minutes=45), utc(2024, 6, 15, 11)),
    ],
)
def test_trigger_first_run_without_start_date(freeze, now, run_immediately, expected):
    freeze(now)
    tt = CronTriggerTimetable("@hourly", timezone="UTC", run_immediately=run_immediately)
    for catchup in (True, False):
        info = tt.next_dagrun_info(None, TimeRestriction(None, None, catchup))
        assert info.run_after == expected


def test_trigger_manual_data_interval():
    run_after = utc(2024, 3, 5, 12, 34)
    tt = CronTriggerTimetable("@daily", timezone="UTC")
    assert tt.infer_manual_data_interval(run_after) == DataInterval(run_after, run_after)
    tt = CronTriggerTimetable("@daily", timezone="UTC", interval=timedelta(days=1))
    assert tt.infer_manual_data_interval(run_after=run_after) == DataInterval(
        utc(2024, 3, 4, 12, 34), run_after
    )


# --- CronDataIntervalTimetable --------------------------------------------------------------


def test_data_interval_catchup_runs_after_each_period():
    tt = CronDataIntervalTimetable("@daily", "UTC")
    infos = runs(tt, TimeRestriction(utc(2024, 1, 1), None, True), 2)
    assert infos[0].data_interval == DataInterval(utc(2024, 1, 1), utc(2024, 1, 2))
    assert infos[0].run_after == utc(2024, 1, 2)
    assert infos[0].logical_date == utc(2024, 1, 1)
    assert infos[1].data_interval == DataInterval(utc(2024, 1, 2), utc(2024, 1, 3))


def test_data_interval_unaligned_start_and_end_date():
    tt = CronDataIntervalTimetable("@daily", "UTC")
    restriction = TimeRestriction(utc(2024, 1, 1, 12), utc(2024, 1, 3), True)
    infos = runs(tt, restriction, 10)
    # the first period starts at the next midnight; a period may start at the end date
    assert [i.logical_date for i in infos] == [utc(2024, 1, 2), utc(2024, 1, 3)]


def test_data_interval_without_start_date_never_runs():
    tt = CronDataIntervalTimetable("@daily", "UTC")
    assert tt.next_dagrun_info(None, TimeRestriction(None, None, True)) is None


@pytest.mark.parametrize(
    "now",
    [utc(2024, 6, 15, 10, 30), utc(2024, 6, 15)],  # between boundaries, and on one
)
def test_data_interval_no_catchup_runs_latest_complete_period(freeze, now):
    freeze(now)
    tt = CronDataIntervalTimetable("@daily", "UTC")
    info = tt.next_dagrun_info(None, TimeRestriction(utc(2024, 1, 1), None, False))
    assert info.data_interval == DataInterval(utc(2024, 6, 14), utc(2024, 6, 15))


def test_data_interval_manual_run_gets_last_complete_period():
    tt = CronDataIntervalTimetable("@daily", "UTC")
    assert tt.infer_manual_data_interval(utc(2024, 3, 25, 1)) == DataInterval(
        utc(2024, 3, 24), utc(2024, 3, 25)
    )
    # exactly on a boundary: the period that just ended
    assert tt.infer_manual_data_interval(utc(2024, 3, 25)) == DataInterval(
        utc(2024, 3, 24), utc(2024, 3, 25)
    )


def test_data_interval_realigns_after_schedule_change():
    tt = CronDataIntervalTimetable("0 6 * * *", "UTC")
    last = DataInterval(utc(2024, 1, 1), utc(2024, 1, 2))  # from an old midnight schedule
    info = tt.next_dagrun_info(last, TimeRestriction(utc(2023, 1, 1), None, True))
    assert info.data_interval == DataInterval(utc(2024, 1, 1, 6), utc(2024, 1, 2, 6))


# --- time zones and DST -----------------------------------------------------------------------


def test_daily_cron_in_local_time_across_spring_forward():
    tt = CronTriggerTimetable("30 2 * * *", timezone="Europe/Amsterdam")
    infos = runs(tt, TimeRestriction(utc(2024, 3, 29), None, True), 4)
    assert [i.run_after for i in infos] == [
        utc(2024, 3, 29, 1, 30),  # 02:30 CET
        utc(2024, 3, 30, 1, 30),  # 02:30 CET
        utc(2024, 3, 31, 1, 30),  # 02:30 does not exist: 03:30 CEST
        utc(2024, 4, 1, 0, 30),  # 02:30 CEST
    ]
    assert all(i.run_after.timezone_name == "UTC" for i in infos)


def test_daily_cron_runs_once_on_fall_back_day():
    tt = CronTriggerTimetable("30 2 * * *", timezone="Europe/Amsterdam")
    infos = runs(tt, TimeRestriction(utc(2024, 10, 26, 12), None, True), 2)
    assert [i.run_after for i in infos] == [
        utc(2024, 10, 27, 0, 30),  # first 02:30 (CEST)
        utc(2024, 10, 28, 1, 30),  # 02:30 CET
    ]


def test_hourly_cron_runs_in_repeated_hour_and_skips_missing_one():
    tt = CronTriggerTimetable("30 * * * *", timezone="Europe/Amsterdam")
    fall = runs(tt, TimeRestriction(utc(2024, 10, 26, 23, 30), None, True), 4)
    assert [i.run_after for i in fall] == [
        utc(2024, 10, 26, 23, 30),  # 01:30 CEST
        utc(2024, 10, 27, 0, 30),  # 02:30 CEST
        utc(2024, 10, 27, 1, 30),  # 02:30 CET (repeated hour)
        utc(2024, 10, 27, 2, 30),  # 03:30 CET
    ]
    spring = runs(tt, TimeRestriction(utc(2024, 3, 31, 0, 30), None, True), 2)
    assert [i.run_after for i in spring] == [
        utc(2024, 3, 31, 0, 30),  # 01:30 CET
        utc(2024, 3, 31, 1, 30),  # 03:30 CEST (02:30 does not exist)
    ]


def test_hourly_cron_previous_times_in_fold():
    tt = CronTriggerTimetable("30 * * * *", timezone="Europe/Amsterdam")
    assert tt._get_prev(utc(2024, 10, 27, 2, 30)) == utc(2024, 10, 27, 1, 30)
    assert tt._get_prev(utc(2024, 10, 27, 1, 30)) == utc(2024, 10, 27, 0, 30)
    assert tt._get_prev(utc(2024, 10, 27, 0, 30)) == utc(2024, 10, 26, 23, 30)


def test_new_york_daily_cron_keeps_local_wall_time():
    tt = CronTriggerTimetable("0 9 * * *", timezone="America/New_York")
    infos = runs(tt, TimeRestriction(utc(2024, 3, 9), None, True), 2)
    assert [i.run_after for i in infos] == [utc(2024, 3, 9, 14), utc(2024, 3, 10, 13)]


def test_local_midnight_data_interval_is_23_hours_on_spring_day():
    tt = CronDataIntervalTimetable("@daily", "Europe/Amsterdam")
    start = pendulum.datetime(2024, 3, 31, tz="Europe/Amsterdam")
    info = tt.next_dagrun_info(None, TimeRestriction(start, None, True))
    assert info.data_interval == DataInterval(utc(2024, 3, 30, 23), utc(2024, 3, 31, 22))
    assert info.data_interval.end - info.data_interval.start == timedelta(hours=23)


def test_timezone_objects_are_accepted():
    for tz in (pendulum.timezone("Asia/Kolkata"), pendulum.FixedTimezone(19800)):
        tt = CronTriggerTimetable("0 9 * * *", timezone=tz)
        info = tt.next_dagrun_info(None, TimeRestriction(utc(2024, 1, 1), None, True))
        assert info.run_after == utc(2024, 1, 1, 3, 30)


# --- MultipleCronTriggerTimetable -------------------------------------------------------------


def test_multiple_cron_catchup_interleaves():
    tt = MultipleCronTriggerTimetable("0 9 * * *", "0 17 * * *", "0 9 * * *", timezone="UTC")
    infos = runs(tt, TimeRestriction(utc(2024, 1, 1), None, True), 4)
    assert [i.run_after for i in infos] == [
        utc(2024, 1, 1, 9),
        utc(2024, 1, 1, 17),
        utc(2024, 1, 2, 9),
        utc(2024, 1, 2, 17),
    ]
    assert tt.summary == "0 9 * * *, 0 17 * * *, 0 9 * * *"


def test_multiple_cron_no_catchup_takes_latest_past(freeze):
    freeze(utc(2024, 6, 15, 18))
    tt = MultipleCronTriggerTimetable("0 9 * * *", "0 17 * * *", timezone="UTC")
    info = tt.next_dagrun_info(None, TimeRestriction(utc(2024, 1, 1), None, False))
    assert info.run_after == utc(2024, 6, 15, 17)
    assert (
        tt.next_dagrun_info(None, TimeRestriction(utc(2024, 1, 1), utc(2023, 1, 1), True)) is None
    )


def test_multiple_cron_needs_a_cron():
    with pytest.raises(TimetableError):
        MultipleCronTriggerTimetable(timezone="UTC")


# --- presets, summaries, validation --------------------------------------------------------


@pytest.mark.parametrize(
    ("preset", "cron"),
    [
        ("@hourly", "0 * * * *"),
        ("@daily", "0 0 * * *"),
        ("@midnight", "0 0 * * *"),
        ("@weekly", "0 0 * * 0"),
        ("@monthly", "0 0 1 * *"),
        ("@quarterly", "0 0 1 */3 *"),
        ("@yearly", "0 0 1 1 *"),
        ("@annually", "0 0 1 1 *"),
    ],
)
def test_presets(preset, cron):
    assert CRON_PRESETS[preset] == cron
    tt = create_timetable(preset, "UTC")
    assert isinstance(tt, CronTriggerTimetable)
    assert tt.summary == cron


def test_summary_and_description():
    tt = CronTriggerTimetable("30 21 * * 5", timezone="UTC")
    assert tt.summary == "30 21 * * 5"
    assert tt.description == "At 21:30, only on Friday"
    assert CronTriggerTimetable("@daily", timezone="UTC").description == "At 00:00"
    assert CronTriggerTimetable("*/15 * * * *", timezone="UTC").description == "Every 15 minutes"
    assert CronTriggerTimetable("1-5 * * * *", timezone="UTC").description == ""
    assert CronTriggerTimetable("0 0 1 */3 *", timezone="UTC").description == (
        "At 00:00, on day 1 of the month, every 3 months"
    )


@pytest.mark.parametrize(
    ("schedule", "reason"),
    [
        ("* * *", "columns"),
        ("61 * * * *", "out of range"),
        ("@sometimes", "unknown preset"),
        ("0 0 30 2 *", "never matches"),
        ("not a cron", ""),
    ],
)
def test_invalid_cron_raises_naming_the_schedule(schedule, reason):
    with pytest.raises(TimetableError) as info:
        create_timetable(schedule, "UTC")
    message = str(info.value)
    assert repr(schedule) in message
    assert reason in message
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, AirflowException)


def test_validate_on_directly_built_timetable():
    tt = CronTriggerTimetable("99 * * * *", timezone="UTC")
    with pytest.raises(TimetableError, match="'99 \\* \\* \\* \\*'"):
        tt.validate()
    with pytest.raises(TimetableError, match="must be a string"):
        CronDataIntervalTimetable(5, "UTC")  # type: ignore[arg-type]


def test_unknown_timezone():
    with pytest.raises(ValueError, match="Mars/Olympus"):
        create_timetable("@daily", "Mars/Olympus")


def _wall_matches(expr, tz, start, end):
    """Brute force: every UTC minute in [start, end) whose local wall time matches the cron."""
    from croniter import croniter

    zone, out, t = pendulum.timezone(tz), [], datetime.fromtimestamp(start.timestamp(), UTC)
    while t < end:
        local = t.astimezone(zone)
        if croniter.match(expr, datetime(*local.timetuple()[:5])):
            out.append(t)
        t += timedelta(minutes=1)
    return out


@pytest.mark.parametrize(
    ("tz", "start"),
    [
        ("Europe/Amsterdam", utc(2024, 3, 30, 20)),
        ("Europe/Amsterdam", utc(2024, 10, 26, 20)),
        ("America/New_York", utc(2024, 3, 10, 1)),
        ("America/New_York", utc(2024, 11, 3, 0)),
        ("Australia/Lord_Howe", utc(2024, 4, 6, 9)),  # 30-minute shifts
        ("Australia/Lord_Howe", utc(2024, 10, 5, 9)),
    ],
)
@pytest.mark.parametrize("expr", ["*/20 * * * *", "45 * * * *"])
def test_every_hour_crons_match_wall_clock_exactly(tz, start, expr):
    end = start.add(hours=12)
    tt = CronTriggerTimetable(expr, timezone=tz)
    forward, t = [], start.subtract(microseconds=1)
    while (t := tt._get_next(t)) < end:
        forward.append(t)
    backward, t = [], end
    while (t := tt._get_prev(t)) >= start:
        backward.append(t)
    expected = _wall_matches(expr, tz, start, end)
    assert len(expected) >= 11
    assert forward == expected
    assert backward[::-1] == expected

"""TimeDeltaSensor, DateTimeSensor, TimeSensor, DayOfWeekSensor."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pendulum
import pytest

from slipstream.core.exceptions import AirflowRescheduleException
from slipstream.sdk import DAG
from slipstream.sdk.sensors.date_time import DateTimeSensor, parse_target_time
from slipstream.sdk.sensors.time import TimeSensor
from slipstream.sdk.sensors.time_delta import TimeDeltaSensor, WaitSensor
from slipstream.sdk.sensors.weekday import DayOfWeekSensor
from slipstream.sdk.weekday import WeekDay


def context_at(op: Any, make_context: Any, make_ti: Any, make_dag_run: Any, **run: Any) -> Any:
    return make_context(op, make_ti(op, dag_run=make_dag_run(**run)))


def test_time_delta_waits_after_the_data_interval_end(
    make_context: Any, make_ti: Any, make_dag_run: Any
) -> None:
    op = TimeDeltaSensor(task_id="delta", delta=dt.timedelta(hours=1))
    now = pendulum.now("UTC")
    past = context_at(
        op, make_context, make_ti, make_dag_run, data_interval_end=now.subtract(hours=2)
    )
    future = context_at(op, make_context, make_ti, make_dag_run, data_interval_end=now)
    assert op.poke(past) is True
    assert op.poke(future) is False


def test_time_delta_manual_run_uses_the_logical_date(
    make_context: Any, make_ti: Any, make_dag_run: Any
) -> None:
    op = TimeDeltaSensor(task_id="manual", delta=dt.timedelta(minutes=1))
    logical = pendulum.now("UTC").subtract(minutes=5)
    context = context_at(
        op,
        make_context,
        make_ti,
        make_dag_run,
        logical_date=logical,
        data_interval_start=logical,
        data_interval_end=logical,
    )
    assert op.execute(context) is None
    with pytest.raises(TypeError, match="'bad': delta"):
        TimeDeltaSensor(task_id="bad", delta=5)  # type: ignore[arg-type]


def test_time_delta_reschedules_until_due(
    make_context: Any, make_ti: Any, make_dag_run: Any
) -> None:
    op = TimeDeltaSensor(task_id="wait", delta=dt.timedelta(days=1), mode="reschedule")
    context = context_at(
        op, make_context, make_ti, make_dag_run, data_interval_end=pendulum.now("UTC")
    )
    with pytest.raises(AirflowRescheduleException):
        op.execute(context)


def test_date_time_sensor_strings_and_datetimes(make_context: Any) -> None:
    past = DateTimeSensor(task_id="past", target_time=dt.datetime(2020, 1, 1, 12))
    assert past.target_time == "2020-01-01T12:00:00"
    assert past.poke(make_context(past)) is True
    future = DateTimeSensor(
        task_id="future", target_time=pendulum.now("UTC").add(days=1).isoformat()
    )
    assert future.poke(make_context(future)) is False
    assert DateTimeSensor.template_fields == ("target_time",)
    with pytest.raises(TypeError, match="'bad'"):
        DateTimeSensor(task_id="bad", target_time=5)  # type: ignore[arg-type]


def test_date_time_sensor_renders_its_template(make_context: Any) -> None:
    with DAG("dts", schedule=None):
        op = DateTimeSensor(task_id="tpl", target_time="{{ data_interval_end.add(hours=1) }}")
    context = make_context(op)
    op.render_template_fields(context)
    assert parse_target_time(op.target_time) == pendulum.datetime(2024, 3, 5, 1, tz="UTC")
    assert op.poke(context) is True


def test_time_sensor_in_the_dag_timezone(make_context: Any) -> None:
    with DAG("ts", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="Europe/Paris")):
        op = TimeSensor(task_id="noon", target_time=dt.time(12, 30))
    local = op.target_datetime.in_timezone("Europe/Paris")
    assert (local.hour, local.minute) == (12, 30)
    assert local.date() == pendulum.now("Europe/Paris").date()
    early = TimeSensor(task_id="early", target_time=dt.time(0, 0))
    late = TimeSensor(task_id="late", target_time=dt.time(23, 59, 59, 999999))
    assert early.poke(make_context(early)) is True
    assert late.poke(make_context(late)) is False


def test_day_of_week_sensor(make_context: Any, make_ti: Any, make_dag_run: Any) -> None:
    op = DayOfWeekSensor(
        task_id="tuesday", week_day={"Tuesday", "wednesday"}, use_task_logical_date=True
    )
    tuesday = context_at(op, make_context, make_ti, make_dag_run)  # 2024-03-05 is a Tuesday
    assert op.poke(tuesday) is True
    sunday = context_at(
        op, make_context, make_ti, make_dag_run, logical_date=pendulum.datetime(2024, 3, 10)
    )
    assert op.poke(sunday) is False
    today = DayOfWeekSensor(task_id="today", week_day=WeekDay(pendulum.now("UTC").isoweekday()))
    assert today.poke(make_context(today)) is True


def test_wait_sensor(make_context: Any) -> None:
    op = WaitSensor(task_id="nap", time_to_wait=dt.timedelta(seconds=0.01))
    assert op.execute(make_context(op)) is None
    assert WaitSensor(task_id="minutes", time_to_wait=2).time_to_wait == dt.timedelta(minutes=2)

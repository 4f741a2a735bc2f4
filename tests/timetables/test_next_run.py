"""`compute_next_dagrun`: the first scheduled run of a DAG, from its serialized timetable."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pendulum
import pytest

from slipstream.sdk import DAG
from slipstream.sdk.assets import Asset
from slipstream.sdk.operators.empty import EmptyOperator
from slipstream.serialization import SerializedDAG, deserialize_dag, serialize_dag
from slipstream.timetables import _time
from slipstream.timetables.next_run import compute_next_dagrun, time_restriction

UTC = dt.UTC
NOW = dt.datetime(2024, 3, 10, 12, 30, tzinfo=UTC)


def serialized(schedule: Any, **kwargs: Any) -> SerializedDAG:
    kwargs.setdefault("start_date", pendulum.datetime(2024, 1, 1, tz="UTC"))
    with DAG("d", schedule=schedule, **kwargs) as dag:
        EmptyOperator(task_id="t")
    return deserialize_dag(serialize_dag(dag))


def test_without_catchup_the_newest_past_point_runs() -> None:
    info = compute_next_dagrun(serialized("@daily", catchup=False), None, NOW)
    assert info is not None
    assert info.logical_date == dt.datetime(2024, 3, 10, tzinfo=UTC)
    assert info.run_after == dt.datetime(2024, 3, 10, tzinfo=UTC)


def test_with_catchup_the_first_run_is_at_the_start_date() -> None:
    info = compute_next_dagrun(serialized("@daily", catchup=True), None, NOW)
    assert info is not None and info.logical_date == dt.datetime(2024, 1, 1, tzinfo=UTC)


def test_the_next_run_follows_the_last_scheduled_interval() -> None:
    last = (dt.datetime(2024, 2, 1, tzinfo=UTC), dt.datetime(2024, 2, 1, tzinfo=UTC))
    info = compute_next_dagrun(serialized("@daily", catchup=True), last, NOW)
    assert info is not None and info.logical_date == dt.datetime(2024, 2, 2, tzinfo=UTC)


def test_now_is_the_given_time_not_the_clock() -> None:
    original = _time.utcnow
    later = dt.datetime(2025, 6, 1, 8, tzinfo=UTC)
    info = compute_next_dagrun(serialized("@daily", catchup=False), None, later)
    assert info is not None and info.logical_date == dt.datetime(2025, 6, 1, tzinfo=UTC)
    assert _time.utcnow is original


def test_the_clock_is_restored_even_when_the_timetable_fails(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    dag = serialized("@daily")
    original = _time.utcnow

    def boom(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("custom timetable bug")

    monkeypatch.setattr(type(dag.timetable), "next_dagrun_info", boom)
    with pytest.raises(RuntimeError):
        compute_next_dagrun(dag, None, NOW)
    assert _time.utcnow is original


def test_the_end_date_stops_runs() -> None:
    dag = serialized("@daily", catchup=True, end_date=pendulum.datetime(2024, 1, 5, tz="UTC"))
    last = (dt.datetime(2024, 1, 5, tzinfo=UTC), dt.datetime(2024, 1, 5, tzinfo=UTC))
    assert compute_next_dagrun(dag, last, NOW) is None
    assert time_restriction(dag).latest == dt.datetime(2024, 1, 5, tzinfo=UTC)


@pytest.mark.parametrize("schedule", [None, [Asset("s3://b/k")]], ids=["none", "assets"])
def test_unscheduled_dags_have_no_next_run(schedule: Any) -> None:
    assert compute_next_dagrun(serialized(schedule), None, NOW) is None


def test_once_runs_once() -> None:
    dag = serialized("@once")
    info = compute_next_dagrun(dag, None, NOW)
    assert info is not None and info.logical_date == dt.datetime(2024, 1, 1, tzinfo=UTC)
    assert compute_next_dagrun(dag, (info.data_interval.start, info.data_interval.end), NOW) is None

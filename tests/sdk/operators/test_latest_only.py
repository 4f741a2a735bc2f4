"""LatestOnlyOperator: downstream runs only in the latest scheduled interval (and manual runs)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pendulum
import pytest

from slipstream.sdk import DAG
from slipstream.sdk.operators.empty import EmptyOperator
from slipstream.sdk.operators.latest_only import LatestOnlyOperator
from slipstream.timetables import CronDataIntervalTimetable, CronTriggerTimetable

START = pendulum.datetime(2020, 1, 1, tz="UTC")


def build(schedule: Any) -> LatestOnlyOperator:
    with DAG(f"latest_{id(schedule)}", schedule=schedule, start_date=START):
        latest = LatestOnlyOperator(task_id="latest")
        a, b, c = (EmptyOperator(task_id=t) for t in "abc")
        latest >> [a, b]
        a >> c
    return latest


def run(op: LatestOnlyOperator, make_context: Any, make_ti: Any, make_dag_run: Any, **run: Any):
    ti = make_ti(op, dag_run=make_dag_run(**run))
    result = op.execute(make_context(op, ti))
    return ti.followed, result


def interval_run(start: Any, end: Any, run_type: str = "scheduled") -> dict[str, Any]:
    return {
        "run_type": run_type,
        "logical_date": start,
        "data_interval_start": start,
        "data_interval_end": end,
        "run_after": end,
    }


@pytest.fixture
def today() -> pendulum.DateTime:
    return pendulum.now("UTC").start_of("day")


def test_latest_data_interval_run_proceeds(
    make_context: Any, make_ti: Any, make_dag_run: Any, today: pendulum.DateTime
) -> None:
    op = build(CronDataIntervalTimetable("0 0 * * *"))
    followed, result = run(
        op, make_context, make_ti, make_dag_run, **interval_run(today - timedelta(days=1), today)
    )
    assert followed == ["a", "b"]
    assert result == ["a", "b"]


def test_old_data_interval_run_skips_direct_downstream(
    make_context: Any, make_ti: Any, make_dag_run: Any, today: pendulum.DateTime
) -> None:
    op = build(CronDataIntervalTimetable("0 0 * * *"))
    followed, _ = run(
        op,
        make_context,
        make_ti,
        make_dag_run,
        **interval_run(today - timedelta(days=5), today - timedelta(days=4)),
    )
    assert followed == []  # follow nothing: the runner skips a and b (c follows its rule)


def test_trigger_timetable_latest_and_old(
    make_context: Any, make_ti: Any, make_dag_run: Any, today: pendulum.DateTime
) -> None:
    op = build(CronTriggerTimetable("0 0 * * *"))
    followed, _ = run(op, make_context, make_ti, make_dag_run, **interval_run(today, today))
    assert followed == ["a", "b"]
    old = today - timedelta(days=3)
    followed, _ = run(op, make_context, make_ti, make_dag_run, **interval_run(old, old))
    assert followed == []


def test_manual_runs_never_skip(
    make_context: Any, make_ti: Any, make_dag_run: Any, today: pendulum.DateTime
) -> None:
    op = build(CronDataIntervalTimetable("0 0 * * *"))
    old = today - timedelta(days=30)
    followed, _ = run(
        op, make_context, make_ti, make_dag_run, **interval_run(old, old, run_type="manual")
    )
    assert followed == ["a", "b"]


def test_no_next_run_proceeds(
    make_context: Any, make_ti: Any, make_dag_run: Any, today: pendulum.DateTime
) -> None:
    op = build(None)
    old = today - timedelta(days=30)
    followed, _ = run(op, make_context, make_ti, make_dag_run, **interval_run(old, old))
    assert followed == ["a", "b"]

"""BranchDateTimeOperator, BranchDayOfWeekOperator and WeekDay."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pendulum
import pytest

from slipstream.core.exceptions import AirflowException
from slipstream.sdk import DAG
from slipstream.sdk.operators.datetime import BranchDateTimeOperator
from slipstream.sdk.operators.empty import EmptyOperator
from slipstream.sdk.operators.weekday import BranchDayOfWeekOperator
from slipstream.sdk.weekday import WeekDay


def with_branches(make_op: Any, tz: str = "UTC") -> Any:
    with DAG(
        f"branch_{id(make_op)}", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz=tz)
    ):
        op = make_op()
        op >> [EmptyOperator(task_id="yes"), EmptyOperator(task_id="no")]
    return op


def branch_at(op: Any, when: Any, make_context: Any, make_ti: Any, make_dag_run: Any) -> Any:
    ti = make_ti(op, dag_run=make_dag_run(logical_date=when))
    op.execute(make_context(op, ti))
    return ti.followed


@pytest.mark.parametrize(
    ("hour", "expected"), [(9, ["no"]), (10, ["yes"]), (13, ["yes"]), (17, ["no"])]
)
def test_branch_datetime_window_of_times(
    make_context: Any, make_ti: Any, make_dag_run: Any, hour: int, expected: list[str]
) -> None:
    op = with_branches(
        lambda: BranchDateTimeOperator(
            task_id="window",
            follow_task_ids_if_true="yes",
            follow_task_ids_if_false="no",
            target_lower=dt.time(10),
            target_upper=dt.time(16),
            use_task_logical_date=True,
        )
    )
    when = pendulum.datetime(2024, 3, 5, hour, tz="UTC")
    assert branch_at(op, when, make_context, make_ti, make_dag_run) == expected


def test_branch_datetime_reads_times_in_the_dag_timezone(
    make_context: Any, make_ti: Any, make_dag_run: Any
) -> None:
    op = with_branches(
        lambda: BranchDateTimeOperator(
            task_id="tz",
            follow_task_ids_if_true="yes",
            follow_task_ids_if_false="no",
            target_lower=dt.time(10),
            target_upper=None,
            use_task_logical_date=True,
        ),
        tz="Asia/Tokyo",
    )
    # 02:00 UTC is 11:00 in Tokyo: after the lower bound.
    when = pendulum.datetime(2024, 3, 5, 2, tz="UTC")
    assert branch_at(op, when, make_context, make_ti, make_dag_run) == ["yes"]


def test_branch_datetime_window_over_midnight_and_datetimes(
    make_context: Any, make_ti: Any, make_dag_run: Any
) -> None:
    op = with_branches(
        lambda: BranchDateTimeOperator(
            task_id="night",
            follow_task_ids_if_true=["yes"],
            follow_task_ids_if_false=["no"],
            target_lower=dt.time(22),
            target_upper=dt.time(2),
            use_task_logical_date=True,
        )
    )
    assert branch_at(
        op, pendulum.datetime(2024, 3, 5, 23, tz="UTC"), make_context, make_ti, make_dag_run
    ) == ["yes"]
    dates = with_branches(
        lambda: BranchDateTimeOperator(
            task_id="dates",
            follow_task_ids_if_true="yes",
            follow_task_ids_if_false="no",
            target_lower=dt.datetime(2024, 1, 1),
            target_upper=dt.datetime(2024, 2, 1),
            use_task_logical_date=True,
        )
    )
    assert branch_at(
        dates, pendulum.datetime(2024, 1, 15, tz="UTC"), make_context, make_ti, make_dag_run
    ) == ["yes"]


def test_branch_datetime_needs_a_bound() -> None:
    with pytest.raises(AirflowException, match="'nobound'"):
        BranchDateTimeOperator(
            task_id="nobound",
            follow_task_ids_if_true="a",
            follow_task_ids_if_false="b",
            target_lower=None,
            target_upper=None,
        )


def test_branch_day_of_week(make_context: Any, make_ti: Any, make_dag_run: Any) -> None:
    op = with_branches(
        lambda: BranchDayOfWeekOperator(
            task_id="weekend",
            follow_task_ids_if_true="yes",
            follow_task_ids_if_false="no",
            week_day={WeekDay.SATURDAY, WeekDay.SUNDAY},
            use_task_logical_date=True,
        )
    )
    saturday = pendulum.datetime(2024, 3, 9, tz="UTC")
    tuesday = pendulum.datetime(2024, 3, 5, tz="UTC")
    assert branch_at(op, saturday, make_context, make_ti, make_dag_run) == ["yes"]
    assert branch_at(op, tuesday, make_context, make_ti, make_dag_run) == ["no"]


def test_weekday_parsing() -> None:
    assert WeekDay.validate_week_day("monday") == {1}
    assert WeekDay.validate_week_day(["Saturday", "SUNDAY"]) == {6, 7}
    assert WeekDay.validate_week_day(WeekDay.FRIDAY) == {5}
    assert WeekDay.convert("tuesday") is WeekDay.TUESDAY
    with pytest.raises(AttributeError, match="Invalid Week Day"):
        WeekDay.validate_week_day("funday")
    with pytest.raises(TypeError):
        WeekDay.validate_week_day(3)

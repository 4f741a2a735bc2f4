"""deserialize_schedule reads a DAG's schedule as deserialize_dag does, without the rest."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pendulum
import pytest

from slipstream.sdk import DAG
from slipstream.sdk.operators.empty import EmptyOperator
from slipstream.serialization import (
    SerializationError,
    deserialize_dag,
    deserialize_schedule,
    serialize_dag,
)
from slipstream.timetables.next_run import compute_next_dagrun

from . import samples

NOW = dt.datetime(2024, 3, 10, 12, 30, tzinfo=dt.UTC)


def dated_tasks_dag() -> DAG:
    with DAG(
        "dated",
        schedule="0 6 * * *",
        start_date=pendulum.datetime(2024, 2, 1, tz="Europe/Paris"),
        end_date=pendulum.datetime(2024, 6, 1, tz="Europe/Paris"),
        catchup=True,
    ) as dag:
        EmptyOperator(task_id="early", start_date=pendulum.datetime(2024, 1, 15, tz="UTC"))
        EmptyOperator(task_id="late", end_date=pendulum.datetime(2024, 7, 1, tz="UTC"))
    return dag


BUILDERS: dict[str, Any] = {**samples.ALL_BUILDERS, "dated": dated_tasks_dag}


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_the_schedule_matches_the_full_dag(name: str) -> None:
    data = serialize_dag(BUILDERS[name]())
    full = deserialize_dag(data)
    schedule = deserialize_schedule(data)
    assert schedule.dag_id == full.dag_id
    assert type(schedule.timetable) is type(full.timetable)
    assert schedule.timetable.summary == full.timetable.summary
    assert (schedule.start_date, schedule.end_date) == (full.start_date, full.end_date)
    assert schedule.catchup == full.catchup
    assert {k: (t.start_date, t.end_date) for k, t in schedule.task_dict.items()} == {
        k: (t.start_date, t.end_date) for k, t in full.task_dict.items()
    }
    for last in (None, (NOW - dt.timedelta(days=3), NOW - dt.timedelta(days=2))):
        assert compute_next_dagrun(schedule, last, NOW) == compute_next_dagrun(full, last, NOW)


def test_unreadable_data_is_a_serialization_error() -> None:
    data = serialize_dag(samples.cron_dag())
    with pytest.raises(SerializationError):
        deserialize_schedule({**data, "__version": 99})
    with pytest.raises(SerializationError):
        deserialize_schedule({"dag": {"dag_id": "x"}, "__version": data["__version"]})
    with pytest.raises(SerializationError):
        deserialize_schedule({"nothing": 1})

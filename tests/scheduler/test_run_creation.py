"""Runs come from timetables (catchup, end dates), from asset updates and by hand, within limits."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from slipstream.core.clock import FakeClock
from slipstream.core.exceptions import DagNotFound, ParamValidationError
from slipstream.db.engine import Database
from slipstream.db.models import AssetDagRunQueue, DagModel, DagRunAssetEvent
from slipstream.sdk import DAG, Asset, Param
from slipstream.sdk.operators.empty import EmptyOperator
from slipstream.sdk.operators.trigger_dagrun import DagRunAlreadyExists

from .helpers import START, Harness

NOON_DAY_4 = START + dt.timedelta(days=3, hours=12)  # 2024-01-04T12:00Z


def daily(dag_id: str, **kwargs: object) -> DAG:
    with DAG(dag_id, schedule="@daily", start_date=START, **kwargs) as dag:  # type: ignore[arg-type]
        EmptyOperator(task_id="a") >> EmptyOperator(task_id="b")
    return dag


def logical_dates(h: Harness, dag_id: str) -> list[str]:
    return [r.logical_date.date().isoformat() for r in h.runs(dag_id)]  # type: ignore[union-attr]


def dag_row(h: Harness, dag_id: str) -> DagModel:
    with h.db.session() as session:
        row = session.get(DagModel, dag_id)
        assert row is not None
        return row


def test_catchup_creates_every_missed_run(any_db: Database) -> None:
    h = Harness(any_db, clock=FakeClock(NOON_DAY_4))
    h.add_dag(daily("caught_up", catchup=True))
    h.tick()
    assert logical_dates(h, "caught_up") == [
        "2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04",
    ]  # fmt: skip
    runs = h.runs("caught_up")
    assert {r.run_type for r in runs} == {"scheduled"}
    assert runs[0].run_id == "scheduled__2024-01-01T00:00:00+00:00"
    row = dag_row(h, "caught_up")
    assert row.next_dagrun == START + dt.timedelta(days=4)
    assert row.next_dagrun_create_after == START + dt.timedelta(days=4)

    h.clock.set(START + dt.timedelta(days=4, minutes=1))
    h.tick()
    assert logical_dates(h, "caught_up")[-1] == "2024-01-05"


def test_without_catchup_only_the_latest_interval_runs(any_db: Database) -> None:
    h = Harness(any_db, clock=FakeClock(NOON_DAY_4))
    h.add_dag(daily("latest_only", catchup=False))
    h.tick(3)
    assert logical_dates(h, "latest_only") == ["2024-01-04"]


def test_end_date_stops_the_runs(any_db: Database) -> None:
    h = Harness(any_db, clock=FakeClock(NOON_DAY_4))
    h.add_dag(daily("ending", catchup=True, end_date=START + dt.timedelta(days=1)))
    h.tick(2)
    assert logical_dates(h, "ending") == ["2024-01-01", "2024-01-02"]
    row = dag_row(h, "ending")
    assert row.next_dagrun is None and row.next_dagrun_create_after is None


def test_runs_wait_for_their_time(any_db: Database) -> None:
    h = Harness(any_db, clock=FakeClock(START - dt.timedelta(hours=1)))
    h.add_dag(daily("future", catchup=True))
    h.tick()
    assert h.runs("future") == []
    h.clock.advance(dt.timedelta(hours=1))
    h.tick()
    assert logical_dates(h, "future") == ["2024-01-01"]


def test_scheduled_runs_respect_max_active_runs(any_db: Database) -> None:
    h = Harness(any_db, clock=FakeClock(NOON_DAY_4))
    h.add_dag(daily("limited", catchup=True, max_active_runs=2))

    def at_most_two_active(h: Harness) -> None:
        states = [r.state for r in h.runs("limited")]
        assert states.count("running") <= 2
        assert states.count("running") + states.count("queued") <= 2

    h.tick()
    assert logical_dates(h, "limited") == ["2024-01-01", "2024-01-02"]
    assert dag_row(h, "limited").next_dagrun_create_after is None  # held, not lost
    h.run_to_end(check=at_most_two_active)
    assert logical_dates(h, "limited") == [
        "2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04",
    ]  # fmt: skip
    assert {r.state for r in h.runs("limited")} == {"success"}


def test_manual_runs_queue_behind_max_active_runs(harness: Harness) -> None:
    with DAG("one_at_a_time", schedule=None, start_date=START, max_active_runs=1) as dag:
        EmptyOperator(task_id="a") >> EmptyOperator(task_id="b")
    harness.add_dag(dag)
    for day in range(3):
        harness.trigger("one_at_a_time", logical_date=START + dt.timedelta(days=day))
    harness.tick()
    assert [r.state for r in harness.runs("one_at_a_time")] == ["running", "queued", "queued"]

    def one_running(h: Harness) -> None:
        assert [r.state for r in h.runs("one_at_a_time")].count("running") <= 1

    played = harness.run_to_end(check=one_running)
    assert played == ["a", "b"] * 3
    assert {r.state for r in harness.runs("one_at_a_time")} == {"success"}


def test_paused_dag_gets_no_scheduled_runs(any_db: Database) -> None:
    h = Harness(any_db, clock=FakeClock(NOON_DAY_4))
    h.add_dag(daily("paused", catchup=False), paused=True)
    h.tick(2)
    assert h.runs("paused") == []
    h.set_paused("paused", False)
    h.tick()
    assert logical_dates(h, "paused") == ["2024-01-04"]


def test_pausing_stops_queueing_but_running_tries_finish(harness: Harness) -> None:
    with DAG("pausable", schedule=None, start_date=START) as dag:
        EmptyOperator(task_id="a") >> EmptyOperator(task_id="b")
    harness.add_dag(dag)
    run_id = harness.trigger("pausable")
    harness.tick()
    a = harness.executor.workloads[0]
    assert harness.claim(a)
    harness.set_paused("pausable", True)
    harness.finish(a)  # the running try ends normally
    harness.tick(2)
    assert harness.states(run_id) == {"a": "success", "b": "scheduled"}
    assert harness.executor.pending == {}
    harness.set_paused("pausable", False)
    harness.tick()
    assert harness.executor.pending_tasks() == ["b"]


def test_manual_run_of_a_paused_dag_waits(harness: Harness) -> None:
    with DAG("paused_manual", schedule=None, start_date=START) as dag:
        EmptyOperator(task_id="a")
    harness.add_dag(dag, paused=True)
    run_id = harness.trigger("paused_manual")
    harness.tick()
    assert harness.run(run_id).state == "queued"
    harness.set_paused("paused_manual", False)
    harness.run_to_end()
    assert harness.run(run_id).state == "success"


def test_trigger_validates_conf_against_params(harness: Harness) -> None:
    with DAG(
        "with_params",
        schedule=None,
        start_date=START,
        params={"count": Param(1, type="integer", minimum=0)},
    ) as dag:
        EmptyOperator(task_id="a")
    harness.add_dag(dag)
    with pytest.raises(ParamValidationError, match="count"):
        harness.trigger("with_params", conf={"count": "many"})
    assert harness.runs("with_params") == []
    run_id = harness.trigger("with_params", conf={"count": 3, "extra": True})
    assert harness.run(run_id).conf == {"count": 3, "extra": True}


def test_trigger_refuses_unknown_dags_and_duplicates(harness: Harness) -> None:
    with pytest.raises(DagNotFound):
        harness.trigger("missing")
    with DAG("dup", schedule=None, start_date=START) as dag:
        EmptyOperator(task_id="a")
    harness.add_dag(dag)
    harness.trigger("dup", run_id="mine")
    with pytest.raises(DagRunAlreadyExists):
        harness.trigger("dup", run_id="mine")
    when = START + dt.timedelta(days=2)
    harness.trigger("dup", logical_date=when)
    with pytest.raises(DagRunAlreadyExists):
        harness.trigger("dup", logical_date=when)


def test_asset_update_triggers_the_consumer(harness: Harness) -> None:
    data = Asset("s3://bucket/data")
    with DAG("producer", schedule=None, start_date=START) as producer:
        EmptyOperator(task_id="make", outlets=[data])
    with DAG("consumer", schedule=[data], start_date=START) as consumer:
        EmptyOperator(task_id="use")
    harness.add_dag(producer)
    harness.add_dag(consumer)
    harness.trigger("producer")
    harness.tick()
    assert harness.runs("consumer") == []
    harness.play("make", outlets=[data])
    harness.tick()
    runs = harness.runs("consumer")
    assert [(r.run_type, r.triggered_by) for r in runs] == [("asset_triggered", "asset")]
    assert runs[0].run_id.startswith("asset_triggered__")
    with harness.db.session() as session:
        links = session.scalars(select(DagRunAssetEvent.dag_run_id)).all()
        queued = session.scalars(select(AssetDagRunQueue.target_dag_id)).all()
    assert links == [runs[0].id]
    assert queued == []
    harness.run_to_end()
    assert harness.run(runs[0].run_id, "consumer").state == "success"


def test_asset_condition_waits_for_every_asset(harness: Harness) -> None:
    first, second = Asset("s3://a"), Asset("s3://b")
    with DAG("two_producers", schedule=None, start_date=START) as producer:
        EmptyOperator(task_id="make_a", outlets=[first])
        EmptyOperator(task_id="make_b", outlets=[second])
    with DAG("needs_both", schedule=[first, second], start_date=START) as consumer:
        EmptyOperator(task_id="use")
    harness.add_dag(producer)
    harness.add_dag(consumer)
    harness.trigger("two_producers")
    harness.tick()
    harness.play("make_a", outlets=[first])
    harness.tick()
    assert harness.runs("needs_both") == []
    harness.play("make_b", outlets=[second])
    harness.tick()
    assert [r.run_type for r in harness.runs("needs_both")] == ["asset_triggered"]

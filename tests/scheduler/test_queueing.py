"""Queueing obeys pools, per-run and per-task limits, parallelism and priority."""

from __future__ import annotations

import datetime as dt

from slipstream.core.trigger_rule import WeightRule
from slipstream.db.engine import Database
from slipstream.db.store import pools
from slipstream.sdk import DAG
from slipstream.sdk.operators.empty import EmptyOperator

from .helpers import START, FakeExecutor, Harness


def fan_out(dag_id: str, width: int, **task_kwargs: object) -> DAG:
    with DAG(dag_id, schedule=None, start_date=START) as dag:
        start = EmptyOperator(task_id="start")
        for i in range(width):
            start >> EmptyOperator(task_id=f"t{i}", **task_kwargs)  # type: ignore[arg-type]
    return dag


def active(h: Harness) -> list[str]:
    """Tasks queued or running now."""
    with h.db.session() as session:
        from slipstream.db.models import TaskInstance

        rows = session.query(TaskInstance.task_id).filter(
            TaskInstance.state.in_(("queued", "running"))
        )
        return sorted(r[0] for r in rows)


def test_pools_are_never_exceeded(harness: Harness) -> None:
    with harness.db.begin() as session:
        pools.set_pool(session, "small", 2)
    harness.add_dag(fan_out("pooled", 5, pool="small"))
    run_id = harness.trigger("pooled")

    def within_pool(h: Harness) -> None:
        assert len([t for t in active(h) if t.startswith("t")]) <= 2

    harness.tick()
    harness.play("start")
    harness.tick()
    assert len(harness.executor.pending) == 2
    harness.run_to_end(check=within_pool)
    assert harness.run(run_id).state == "success"


def test_pool_slots_count(harness: Harness) -> None:
    with harness.db.begin() as session:
        pools.set_pool(session, "wide", 3)
    harness.add_dag(fan_out("heavy", 3, pool="wide", pool_slots=2))
    harness.trigger("heavy")
    harness.tick()
    harness.play("start")
    harness.tick()
    assert len(harness.executor.pending) == 1  # 2 slots each, 3 in the pool


def test_unknown_pool_queues_nothing(harness: Harness) -> None:
    harness.add_dag(fan_out("lost", 1, pool="nowhere"))
    run_id = harness.trigger("lost")
    harness.tick()
    harness.play("start")
    harness.tick(2)
    assert harness.states(run_id)["t0"] == "scheduled"
    assert harness.executor.pending == {}


def test_parallelism_is_the_executors_open_slots(any_db: Database) -> None:
    h = Harness(any_db, executor=FakeExecutor(parallelism=3))
    h.add_dag(fan_out("wide", 10))
    h.trigger("wide")

    def within_parallelism(h: Harness) -> None:
        assert len(h.executor.pending) <= 3

    h.tick()
    h.play("start")
    h.tick()
    assert len(h.executor.pending) == 3
    h.run_to_end(check=within_parallelism)


def test_priority_weight_orders_queueing(any_db: Database) -> None:
    h = Harness(any_db, executor=FakeExecutor(parallelism=1))
    with DAG("prioritized", schedule=None, start_date=START) as dag:
        start = EmptyOperator(task_id="start")
        for name, weight in (("low", 1), ("high", 10), ("mid", 5)):
            start >> EmptyOperator(
                task_id=name, priority_weight=weight, weight_rule=WeightRule.ABSOLUTE
            )
    h.add_dag(dag)
    h.trigger("prioritized")
    assert h.run_to_end() == ["start", "high", "mid", "low"]


def test_downstream_weight_rule_prefers_long_branches(any_db: Database) -> None:
    h = Harness(any_db, executor=FakeExecutor(parallelism=1))
    with DAG("weights", schedule=None, start_date=START) as dag:
        start = EmptyOperator(task_id="start")
        start >> EmptyOperator(task_id="short")
        start >> EmptyOperator(task_id="long") >> EmptyOperator(task_id="long2")
    h.add_dag(dag)
    h.trigger("weights")
    with h.db.session() as session:
        from slipstream.db.models import TaskInstance

        weights = dict(session.query(TaskInstance.task_id, TaskInstance.priority_weight))
    assert weights == {"start": 4, "short": 1, "long": 2, "long2": 1}
    assert h.run_to_end()[:2] == ["start", "long"]


def test_max_active_tasks_is_per_run(harness: Harness) -> None:
    with DAG("narrow", schedule=None, start_date=START, max_active_tasks=2) as dag:
        for i in range(4):
            EmptyOperator(task_id=f"t{i}")
    harness.add_dag(dag)
    first = harness.trigger("narrow", run_id="first", logical_date=START)
    harness.trigger("narrow", run_id="second", logical_date=START + dt.timedelta(days=1))
    harness.tick(2)
    per_run: dict[str, int] = {}
    for w in harness.executor.pending.values():
        per_run[w.run_id] = per_run.get(w.run_id, 0) + 1
    assert per_run == {"first": 2, "second": 2}
    harness.run_to_end()
    assert harness.run(first).state == "success"


def test_max_active_tis_per_dag_and_per_dagrun(harness: Harness) -> None:
    with DAG("per_task", schedule=None, start_date=START) as dag:
        EmptyOperator.partial(task_id="per_dag", max_active_tis_per_dag=1).expand(
            doc=["a", "b", "c"]
        )
        EmptyOperator.partial(task_id="per_run", max_active_tis_per_dagrun=2).expand(
            doc=["a", "b", "c"]
        )
    harness.add_dag(dag)
    harness.trigger("per_task", run_id="one", logical_date=START)
    harness.trigger("per_task", run_id="two", logical_date=START + dt.timedelta(days=1))
    harness.tick(2)
    pending = list(harness.executor.pending.values())
    assert len([w for w in pending if w.task_id == "per_dag"]) == 1
    for run_id in ("one", "two"):
        assert len([w for w in pending if w.task_id == "per_run" and w.run_id == run_id]) == 2
    harness.run_to_end()
    assert {r.state for r in harness.runs("per_task")} == {"success"}

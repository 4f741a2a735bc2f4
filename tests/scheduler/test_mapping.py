"""Mapped tasks expand when their upstream is done: from literals, from XComs, or not at all."""

from __future__ import annotations

import logging

import pytest

from slipstream.db.engine import Database
from slipstream.scheduler import SchedulerSettings
from slipstream.sdk import DAG, task
from slipstream.sdk.operators.empty import EmptyOperator
from slipstream.sdk.operators.python import PythonOperator

from .helpers import START, Harness


def _noop(**kwargs: object) -> None:
    pass


def test_literal_expansion(harness: Harness) -> None:
    with DAG("literal", schedule=None, start_date=START) as dag:
        mapped = PythonOperator.partial(task_id="m", python_callable=_noop).expand(
            op_kwargs=[{"x": 1}, {"x": 2}, {"x": 3}]
        )
        mapped >> EmptyOperator(task_id="after")
    harness.add_dag(dag)
    run_id = harness.trigger("literal")
    harness.tick()
    assert sorted(harness.executor.pending_tasks()) == ["m[0]", "m[1]", "m[2]"]
    harness.run_to_end()
    assert harness.states(run_id) == {
        "m[0]": "success", "m[1]": "success", "m[2]": "success", "after": "success",
    }  # fmt: skip


def test_cross_product_of_literals(harness: Harness) -> None:
    with DAG("product", schedule=None, start_date=START) as dag:
        EmptyOperator.partial(task_id="m").expand(doc=["a", "b"], doc_md=["x", "y", "z"])
    harness.add_dag(dag)
    run_id = harness.trigger("product")
    harness.run_to_end()
    assert len(harness.states(run_id)) == 6


def xcom_dag(dag_id: str = "from_xcom") -> DAG:
    with DAG(dag_id, schedule=None, start_date=START) as dag:

        @task
        def make() -> list[int]:
            return [1, 2]

        @task
        def use(x: int) -> int:
            return x

        @task
        def total(values: list[int]) -> None:
            pass

        total(use.expand(x=make()))
    return dag


def test_expansion_from_an_upstream_xcom(harness: Harness) -> None:
    harness.add_dag(xcom_dag())
    run_id = harness.trigger("from_xcom")
    harness.tick()
    harness.play("make", xcom=[10, 20, 30])
    harness.tick()
    assert sorted(harness.executor.pending_tasks()) == ["use[0]", "use[1]", "use[2]"]
    harness.run_to_end()
    assert harness.states(run_id)["total"] == "success"
    assert harness.run(run_id).state == "success"


def test_empty_input_skips_the_mapped_task_and_its_downstream(harness: Harness) -> None:
    harness.add_dag(xcom_dag())
    run_id = harness.trigger("from_xcom")
    harness.tick()
    harness.play("make", xcom=[])
    harness.tick()
    assert harness.states(run_id) == {"make": "success", "use": "skipped", "total": "skipped"}
    assert harness.run(run_id).state == "success"


def test_mapping_over_a_mapped_task_uses_its_count(harness: Harness) -> None:
    with DAG("chained_maps", schedule=None, start_date=START) as dag:

        @task
        def double(x: int) -> int:
            return 2 * x

        @task
        def show(y: int) -> None:
            pass

        show.expand(y=double.expand(x=[1, 2, 3, 4]))
    harness.add_dag(dag)
    run_id = harness.trigger("chained_maps")
    harness.run_to_end({"double": lambda h, w: h.finish(w, xcom=w.map_index * 2)})
    states = harness.states(run_id)
    assert sorted(k for k in states if k.startswith("show")) == [f"show[{i}]" for i in range(4)]


def test_non_list_xcom_fails_the_mapped_task(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    harness.add_dag(xcom_dag())
    run_id = harness.trigger("from_xcom")
    harness.tick()
    harness.play("make", xcom=42)
    with caplog.at_level(logging.ERROR, "slipstream.scheduler"):
        harness.tick()
    assert harness.states(run_id) == {
        "make": "success",
        "use": "failed",
        "total": "upstream_failed",
    }
    assert "not a list or dict" in caplog.text


def test_max_map_length_fails_the_task_naming_the_limit(
    any_db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    h = Harness(any_db, settings=SchedulerSettings(max_map_length=2))
    h.add_dag(xcom_dag())
    run_id = h.trigger("from_xcom")
    h.tick()
    h.play("make", xcom=[1, 2, 3])
    with caplog.at_level(logging.ERROR, "slipstream.scheduler"):
        h.tick()
    assert h.states(run_id)["use"] == "failed"
    assert "core.max_map_length (2)" in caplog.text
    assert h.run(run_id).state == "failed"


def test_a_task_failing_to_expand_stops_a_fail_fast_run(harness: Harness) -> None:
    """The failure the scheduler itself settles (no worker reported it) acts on `fail_fast`
    in the same pass: the task still running is failed, the one not started is skipped."""
    with DAG("fast", schedule=None, start_date=START, fail_fast=True) as dag:

        @task
        def make() -> list[int]:
            return [1]

        @task
        def use(x: int) -> int:
            return x

        use.expand(x=make())
        EmptyOperator(task_id="slow") >> EmptyOperator(task_id="after_slow")
    harness.add_dag(dag)
    run_id = harness.trigger("fast")
    harness.tick()
    slow = next(w for w in harness.executor.pending.values() if w.task_id == "slow")
    assert harness.claim(slow)
    harness.play("make", xcom=42)
    harness.tick()
    assert harness.states(run_id) == {
        "make": "success",
        "use": "failed",
        "slow": "failed",
        "after_slow": "skipped",
    }
    assert harness.run(run_id).state == "failed"

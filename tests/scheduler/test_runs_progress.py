"""Runs move through their task instances: order, trigger rules, skips, branches, retries."""

from __future__ import annotations

import datetime as dt

import pytest

from slipstream.core.trigger_rule import TriggerRule
from slipstream.db.engine import Database
from slipstream.executors.base import BaseExecutor, CallbackWorkload
from slipstream.sdk import DAG
from slipstream.sdk.operators.empty import EmptyOperator

from .helpers import START, FakeExecutor, Harness


def chain_dag(dag_id: str = "chain", **kwargs: object) -> DAG:
    with DAG(dag_id, schedule=None, start_date=START, **kwargs) as dag:  # type: ignore[arg-type]
        EmptyOperator(task_id="a") >> EmptyOperator(task_id="b") >> EmptyOperator(task_id="c")
    return dag


def test_chain_runs_in_order(harness: Harness) -> None:
    harness.add_dag(chain_dag())
    run_id = harness.trigger("chain")
    assert run_id.startswith("manual__")
    assert harness.run(run_id).state == "queued"

    harness.tick()
    assert harness.run(run_id).state == "running"
    assert harness.states(run_id) == {"a": "queued", "b": None, "c": None}
    assert harness.executor.pending_tasks() == ["a"]

    played = harness.run_to_end()
    assert played == ["a", "b", "c"]
    run = harness.run(run_id)
    assert run.state == "success"
    assert run.end_date is not None
    assert harness.states(run_id) == {"a": "success", "b": "success", "c": "success"}
    assert [w.try_number for w in harness.executor.workloads] == [1, 1, 1]


def test_ti_lifecycle_none_scheduled_queued_running(harness: Harness) -> None:
    harness.add_dag(chain_dag())
    run_id = harness.trigger("chain")
    harness.tick()
    workload = harness.executor.workloads[0]
    ti = harness.ti(workload.ti_id)
    assert (ti.state, ti.try_number, ti.queue_token) == ("queued", 1, workload.queue_token)
    assert harness.claim(workload)
    assert harness.ti(workload.ti_id).state == "running"
    harness.tick()  # nothing to do while a runs
    assert harness.states(run_id) == {"a": "running", "b": None, "c": None}


def test_failure_fails_downstream_and_all_done_runs(harness: Harness) -> None:
    with DAG("rules", schedule=None, start_date=START) as dag:
        work = EmptyOperator(task_id="work")
        after = EmptyOperator(task_id="after")
        cleanup = EmptyOperator(task_id="cleanup", trigger_rule=TriggerRule.ALL_DONE)
        work >> after >> cleanup
    harness.add_dag(dag)
    run_id = harness.trigger("rules")
    harness.run_to_end({"work": "failed"})
    assert harness.states(run_id) == {
        "work": "failed",
        "after": "upstream_failed",
        "cleanup": "success",
    }
    # the only leaf succeeded, so the run succeeds (Airflow: a non-leaf failure does not count)
    assert harness.run(run_id).state == "success"


def test_branch_skips_the_other_path_and_join_runs(harness: Harness) -> None:
    with DAG("branching", schedule=None, start_date=START) as dag:
        pick = EmptyOperator(task_id="pick")
        left = EmptyOperator(task_id="left")
        right = EmptyOperator(task_id="right")
        right_next = EmptyOperator(task_id="right_next")
        join = EmptyOperator(task_id="join", trigger_rule=TriggerRule.NONE_FAILED_MIN_ONE_SUCCESS)
        pick >> [left, right]
        right >> right_next
        [left, right_next] >> join
    harness.add_dag(dag)
    run_id = harness.trigger("branching")

    def choose_left(h: Harness, workload: object) -> None:
        h.finish(workload, skip=["right"])  # type: ignore[arg-type]

    played = harness.run_to_end({"pick": choose_left})
    assert played == ["pick", "left", "join"]
    assert harness.states(run_id) == {
        "pick": "success",
        "left": "success",
        "right": "skipped",
        "right_next": "skipped",
        "join": "success",
    }
    assert harness.run(run_id).state == "success"


def test_leaf_failure_fails_the_run(harness: Harness) -> None:
    harness.add_dag(chain_dag())
    run_id = harness.trigger("chain")
    harness.run_to_end({"c": "failed"})
    assert harness.run(run_id).state == "failed"


def test_retries_wait_for_their_delay(harness: Harness) -> None:
    with DAG("retrying", schedule=None, start_date=START) as dag:
        EmptyOperator(task_id="flaky", retries=2, retry_delay=dt.timedelta(seconds=60))
    harness.add_dag(dag)
    run_id = harness.trigger("retrying")
    harness.tick()
    assert harness.play("flaky", "failed")
    harness.tick()
    ti = harness.ti(harness.executor.workloads[0].ti_id)
    assert ti.state == "up_for_retry"
    assert ti.next_try_at == harness.clock.now() + dt.timedelta(seconds=60)

    harness.clock.advance(30)
    harness.tick()
    assert harness.executor.pending == {}
    harness.clock.advance(31)
    harness.tick()
    assert harness.executor.pending_tasks() == ["flaky"]
    second = harness.executor.workloads[-1]
    assert second.try_number == 2
    assert second.queue_token != harness.executor.workloads[0].queue_token

    harness.fail(second)
    harness.clock.advance(61)
    harness.tick()
    third = harness.executor.workloads[-1]
    assert third.try_number == 3
    assert harness.fail(third) == "failed"
    harness.tick()
    assert harness.run(run_id).state == "failed"


def test_reschedule_keeps_the_try_number(harness: Harness) -> None:
    with DAG("sensing", schedule=None, start_date=START) as dag:
        EmptyOperator(task_id="sensor")
    harness.add_dag(dag)
    run_id = harness.trigger("sensing")
    harness.tick()
    first = harness.executor.workloads[0]
    harness.finish(first, "up_for_reschedule", next_try_at=harness.clock.now() + dt.timedelta(10))
    harness.tick()
    assert harness.executor.pending == {}
    harness.clock.advance(dt.timedelta(10))
    harness.tick()
    second = harness.executor.workloads[-1]
    assert second.try_number == first.try_number == 1
    harness.finish(second)
    harness.tick()
    assert harness.run(run_id).state == "success"


def test_dag_callbacks_are_handed_to_the_executor(harness: Harness) -> None:
    def notify(context: object) -> None:
        pass

    harness.add_dag(chain_dag("with_callback", on_failure_callback=notify))
    harness.add_dag(chain_dag("with_success_callback", on_success_callback=notify))
    failing = harness.trigger("with_callback")
    passing = harness.trigger("with_success_callback")

    def fail_one(h: Harness, workload: object) -> None:
        if workload.dag_id == "with_callback":  # type: ignore[attr-defined]
            h.fail(workload)  # type: ignore[arg-type]
        else:
            h.finish(workload)  # type: ignore[arg-type]

    harness.run_to_end({"a": fail_one})
    kinds = {(c.dag_id, c.run_id, c.kind, c.reason) for c in harness.executor.callbacks}
    assert kinds == {
        ("with_callback", failing, "on_failure_callback", "task_failure"),
        ("with_success_callback", passing, "on_success_callback", "success"),
    }


def test_an_executor_without_dag_callbacks_breaks_nothing(
    sqlite_db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    class NoCallbacks(FakeExecutor):
        def queue_callback(self, workload: CallbackWorkload) -> None:
            BaseExecutor.queue_callback(self, workload)  # raises NotImplementedError

    def notify(context: object) -> None:
        pass

    harness = Harness(sqlite_db, executor=NoCallbacks())
    harness.add_dag(chain_dag("with_callback", on_success_callback=notify))
    first = harness.trigger("with_callback")
    harness.run_to_end()
    second = harness.trigger("with_callback", logical_date=START + dt.timedelta(days=1))
    harness.run_to_end()
    assert [harness.run(r).state for r in (first, second)] == ["success", "success"]
    refused = [r for r in caplog.records if "Could not hand over" in r.getMessage()]
    assert len(refused) == 2 and refused[0].exc_info is not None


def test_no_callback_when_the_dag_has_none(harness: Harness) -> None:
    harness.add_dag(chain_dag())
    harness.trigger("chain")
    harness.run_to_end()
    assert harness.executor.callbacks == []

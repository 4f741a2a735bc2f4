"""The scheduling rules give the same answers on a deserialized DAG as on the live one."""

from __future__ import annotations

import datetime as dt
import json
import random
from typing import Any

import pytest

from slipstream.core.states import TaskInstanceState
from slipstream.orchestration import (
    DagGraph,
    TaskNode,
    branch_skip_set,
    dag_run_state,
    decide,
    decide_pending,
    effective_leaves,
    is_deadlocked,
    next_state_after_failure,
    priority_weights,
    retry_delay_for,
    short_circuit_skip_set,
    topological_order,
)
from slipstream.sdk import DAG, TaskGroup, setup, task, teardown
from slipstream.sdk.operators.empty import EmptyOperator
from slipstream.serialization import SerializedTask, deserialize_dag, serialize_dag

from . import samples

STATES: list[Any] = [
    None,
    TaskInstanceState.SUCCESS,
    TaskInstanceState.FAILED,
    TaskInstanceState.SKIPPED,
    TaskInstanceState.UPSTREAM_FAILED,
    TaskInstanceState.RUNNING,
    TaskInstanceState.UP_FOR_RETRY,
    TaskInstanceState.REMOVED,
]


def rules_dag() -> DAG:
    """Many trigger rules, weight rules, setups and teardowns in one graph."""
    with DAG("rules", schedule=None, start_date=samples.START) as d:

        @setup
        def make() -> None:
            pass

        @teardown
        def drop() -> None:
            pass

        @task(retries=3, retry_exponential_backoff=2.5, max_retry_delay=dt.timedelta(minutes=3))
        def flaky() -> None:
            pass

        start = EmptyOperator(task_id="start", priority_weight=3, weight_rule="upstream")
        made = make()
        with TaskGroup("body"):
            work = flaky()
            rules = [
                EmptyOperator(task_id=rule, trigger_rule=rule, priority_weight=i)
                for i, rule in enumerate(
                    ["one_success", "one_failed", "none_failed", "all_done", "none_skipped"]
                )
            ]
        join = EmptyOperator(task_id="join", trigger_rule="none_failed_min_one_success")
        final = EmptyOperator(task_id="final", weight_rule="absolute", priority_weight=7)
        start >> made >> work >> rules >> join >> final
        with drop().as_teardown(setups=made) as dropped:
            final >> dropped
        EmptyOperator(task_id="loner", depends_on_past=True)
    return d


BUILDERS = {"rules": rules_dag, **samples.ALL_BUILDERS}


def both(name: str) -> tuple[dict[str, Any], dict[str, SerializedTask]]:
    live = BUILDERS[name]()
    stored = deserialize_dag(json.dumps(serialize_dag(live)))
    return live.task_dict, stored.task_dict


def random_states(task_ids: list[str], rng: random.Random) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for task_id in task_ids:
        if rng.random() < 0.2:
            continue  # no TI yet
        out[task_id] = [rng.choice(STATES) for _ in range(rng.choice((1, 1, 2, 3)))]
    return out


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_decisions_and_run_states_match(name: str) -> None:
    live, stored = both(name)
    live_graph, stored_graph = DagGraph(live), DagGraph(stored)
    assert topological_order(live_graph) == topological_order(stored_graph)
    assert effective_leaves(live_graph) == effective_leaves(stored_graph)
    rng = random.Random(f"serialization-{name}")
    ids = list(live)
    for _ in range(150):
        states = random_states(ids, rng)
        for task_id in ids:
            assert decide(live_graph, task_id, states) == decide(stored_graph, task_id, states)
        assert decide_pending(live_graph, states) == decide_pending(stored_graph, states)
        assert dag_run_state(live_graph, states) == dag_run_state(stored_graph, states)
        assert is_deadlocked(live_graph, states) == is_deadlocked(stored_graph, states)


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_priorities_skips_and_retries_match(name: str) -> None:
    live, stored = both(name)
    assert priority_weights(live) == priority_weights(stored)
    for task_id in live:
        assert short_circuit_skip_set(live, task_id) == short_circuit_skip_set(stored, task_id)
        downstream = sorted(live[task_id].downstream_task_ids)
        followed = downstream[:1]
        assert branch_skip_set(live, task_id, followed) == branch_skip_set(
            stored, task_id, followed
        )
        for try_number in (1, 2, 3, 4, 6):
            assert retry_delay_for(live[task_id], try_number) == retry_delay_for(
                stored[task_id], try_number
            )
            assert next_state_after_failure(live[task_id], try_number) == next_state_after_failure(
                stored[task_id], try_number
            )


def test_the_rules_dag_exercises_backoff_and_weights() -> None:
    _, stored = both("rules")
    flaky = stored["body.flaky"]
    assert flaky.retry_exponential_backoff == 2.5
    assert retry_delay_for(flaky, 4) == dt.timedelta(minutes=3)
    weights = priority_weights(stored)
    assert weights["final"] == 7 and weights["start"] == 3
    assert stored["loner"].depends_on_past is True


def test_serialized_task_is_a_task_node() -> None:
    _, stored = both("labels")
    node: TaskNode = stored["good"]  # checked by type checkers; read every attribute here
    for name in (
        "task_id", "trigger_rule", "upstream_task_ids", "downstream_task_ids", "is_setup",
        "is_teardown", "on_failure_fail_dagrun", "retries", "retry_delay",
        "retry_exponential_backoff", "max_retry_delay", "priority_weight", "weight_rule",
        "pool", "pool_slots", "queue", "is_mapped", "max_active_tis_per_dag",
        "max_active_tis_per_dagrun", "depends_on_past",
    ):  # fmt: skip
        getattr(node, name)
    assert isinstance(node.retry_delay, dt.timedelta)

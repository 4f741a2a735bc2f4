"""Graph-aware task decisions: propagation, setup constraints and teardown scope (Airflow 3.3.2)."""

from __future__ import annotations

import pytest

from slipstream.core.exceptions import TaskNotFound
from slipstream.core.states import TaskInstanceState
from slipstream.orchestration import (
    DagGraph,
    Decision,
    decide,
    decide_pending,
    upstream_summary,
)

from .helpers import build

S, K, F, U = "success", "skipped", "failed", "upstream_failed"
RUNNING = "running"
RUN, WAIT, SKIP, UF = Decision.RUN, Decision.WAIT, Decision.SKIP, Decision.UPSTREAM_FAILED

SETUP = {"is_setup": True}
TEARDOWN = {"is_teardown": True, "trigger_rule": "all_done_setup_success"}


def test_failure_propagates_transitively_in_one_call() -> None:
    # §4.2: all_success and none_failed downstream of a failure are upstream_failed, transitively;
    # one_failed and all_done run.
    tasks = build(
        "a >> b >> c >> d",
        "b >> on_fail",
        "c >> cleanup",
        c={"trigger_rule": "none_failed"},
        on_fail={"trigger_rule": "one_failed"},
        cleanup={"trigger_rule": "all_done"},
    )
    decisions = decide_pending(tasks, {"a": [F]})
    assert decisions == {"b": UF, "c": UF, "d": UF, "on_fail": RUN, "cleanup": RUN}


def test_skip_propagates_through_all_success_only() -> None:
    # §4.2: all_success below a skipped task is skipped; none_failed / one_success-with-a-success run.
    tasks = build(
        "branch >> skipped >> default >> after",
        "branch >> followed >> join",
        "skipped >> join",
        "skipped >> nf",
        join={"trigger_rule": "none_failed_min_one_success"},
        nf={"trigger_rule": "none_failed"},
    )
    states = {"branch": [S], "skipped": [K], "followed": [S]}
    decisions = decide_pending(tasks, states)
    assert decisions == {"default": SKIP, "after": SKIP, "join": RUN, "nf": RUN}


def test_run_decisions_are_not_assumed_to_run() -> None:
    tasks = build("a >> b >> c")
    assert decide_pending(tasks, {}) == {"a": RUN, "b": WAIT, "c": WAIT}


def test_only_tasks_with_unset_tis_are_decided() -> None:
    tasks = build("m >> after")
    decisions = decide_pending(tasks, {"m": [S, None, RUNNING], "after": [None]})
    assert decisions == {"m": RUN, "after": WAIT}


def test_mapped_upstream_counts_each_ti() -> None:
    tasks = build("m >> one >> two", one={"trigger_rule": "one_failed"})
    states = {"m": [S, S, F, RUNNING]}
    assert upstream_summary(tasks, "one", states).total == 4
    assert decide(tasks, "one", states) is RUN


def test_missing_ti_states_count_as_unset() -> None:
    tasks = build("a >> b")
    assert upstream_summary(tasks, "b", {}).total == 1
    assert decide(tasks, "b", {}) is WAIT


def test_unknown_task_raises() -> None:
    with pytest.raises(TaskNotFound):
        decide(build("a"), "nope", {})


def test_always_runs_without_waiting() -> None:
    tasks = build("a >> b", b={"trigger_rule": "always"})
    assert decide(tasks, "b", {"a": [None]}) is RUN


def _setup_work_teardown():
    # `with teardown(setup()): work` wires setup >> work >> teardown and setup >> teardown (§4.8).
    return build("setup >> work >> teardown", "setup >> teardown", setup=SETUP, teardown=TEARDOWN)


def test_teardown_runs_after_failed_work() -> None:
    tasks = _setup_work_teardown()
    assert decide(tasks, "teardown", {"setup": [S], "work": [F]}) is RUN


def test_teardown_upstream_failed_when_setup_failed() -> None:
    tasks = _setup_work_teardown()
    states = {"setup": [F]}
    assert decide_pending(tasks, states) == {"work": UF, "teardown": UF}


def test_teardown_skipped_when_setup_skipped() -> None:
    tasks = _setup_work_teardown()
    assert decide_pending(tasks, {"setup": [K]}) == {"work": SKIP, "teardown": SKIP}


def test_indirect_setup_failure_settles_task() -> None:
    # s >> a >> b with a setup s that has no teardown: s is relevant to b though not its upstream.
    tasks = build("s >> a >> b", s=SETUP, a={"trigger_rule": "all_done"})
    graph = DagGraph(tasks)
    assert graph.indirect_setups("b") == {"s"}
    assert graph.indirect_setups("a") == frozenset()  # direct upstream, not indirect
    assert decide(graph, "b", {"s": [F], "a": [S]}) is UF
    assert decide(graph, "b", {"s": [K], "a": [S]}) is SKIP
    assert decide(graph, "b", {"s": [S], "a": [S]}) is RUN


def test_indirect_setup_failure_beats_direct_rule() -> None:
    # b's own rule (all_done) is met, but its indirect setup failed.
    tasks = build(
        "s >> a >> b", s=SETUP, a={"trigger_rule": "all_done"}, b={"trigger_rule": "all_done"}
    )
    assert decide(tasks, "b", {"s": [F], "a": [S]}) is UF


def test_indirect_setup_still_running_makes_task_wait() -> None:
    tasks = build("s >> a >> b", "s >> c", s=SETUP, a={"trigger_rule": "always"})
    assert decide(tasks, "b", {"s": [RUNNING], "a": [S]}) is WAIT
    # ...but a settled direct rule does not wait for the setup.
    assert decide(tasks, "b", {"s": [RUNNING], "a": [F]}) is UF


def test_setup_only_relevant_up_to_its_teardown() -> None:
    # s's teardown t is downstream of a and b but not of x, so s gates b (indirectly), not x.
    tasks = build(
        "s >> a >> b >> t",
        "s >> t",
        "a >> x",
        s=SETUP,
        t=TEARDOWN,
    )
    graph = DagGraph(tasks)
    assert graph.indirect_setups("b") == {"s"}
    assert graph.indirect_setups("x") == frozenset()
    assert graph.indirect_setups("t") == frozenset()  # teardowns have no indirect setups


def test_teardown_waits_for_tasks_between_setup_and_itself() -> None:
    # c (one_success) may finish while b still runs; the teardown waits for b too.
    tasks = build(
        "s >> a >> c >> t",
        "s >> b >> c",
        "s >> t",
        s=SETUP,
        t=TEARDOWN,
        c={"trigger_rule": "one_success"},
    )
    graph = DagGraph(tasks)
    assert graph.teardown_scope("t") == {"a", "b"}
    states = {"s": [S], "a": [S], "b": [RUNNING], "c": [S]}
    assert decide(graph, "t", states) is WAIT
    states["b"] = [TaskInstanceState.FAILED]
    assert decide(graph, "t", states) is RUN
    assert graph.teardown_scope("a") == frozenset()

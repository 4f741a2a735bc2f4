"""DAG-run state from TI states, effective leaves and deadlock (Airflow 3.3.2 DagRun.update_state)."""

from __future__ import annotations

from slipstream.core.states import DagRunState, TaskInstanceState
from slipstream.orchestration import dag_run_state, effective_leaves, is_deadlocked

from .helpers import build

T = TaskInstanceState
SUCCESS, FAILED = DagRunState.SUCCESS, DagRunState.FAILED
SETUP = {"is_setup": True}
TEARDOWN = {"is_teardown": True, "trigger_rule": "all_done_setup_success"}


def test_running_while_any_ti_unfinished() -> None:
    tasks = build("a >> b")
    assert dag_run_state(tasks, {"a": [T.SUCCESS], "b": [T.RUNNING]}) is None
    assert dag_run_state(tasks, {"a": [T.SUCCESS], "b": [T.UP_FOR_RETRY]}) is None
    assert dag_run_state(tasks, {"a": [T.SUCCESS]}) is None  # b has no TI state yet


def test_success_when_leaves_succeed_or_skip() -> None:
    tasks = build("a >> b", "a >> c")
    assert dag_run_state(tasks, {"a": [T.SUCCESS], "b": [T.SUCCESS], "c": [T.SKIPPED]}) is SUCCESS


def test_failed_non_leaf_does_not_fail_the_run() -> None:
    # §4.1: a fails, its all_done downstream leaf succeeds -> the run succeeds.
    tasks = build("a >> b", b={"trigger_rule": "all_done"})
    assert dag_run_state(tasks, {"a": [T.FAILED], "b": [T.SUCCESS]}) is SUCCESS


def test_upstream_failed_leaf_fails_the_run() -> None:
    tasks = build("a >> b")
    assert dag_run_state(tasks, {"a": [T.FAILED], "b": [T.UPSTREAM_FAILED]}) is FAILED


def test_one_failed_mapped_leaf_index_fails_the_run() -> None:
    tasks = build("a >> m")
    assert dag_run_state(tasks, {"a": [T.SUCCESS], "m": [T.SUCCESS, T.FAILED]}) is FAILED


def test_removed_leaf_tis_are_ignored() -> None:
    tasks = build("a >> b", "a >> c")
    states = {"a": [T.SUCCESS], "b": [T.REMOVED], "c": [T.SUCCESS]}
    assert dag_run_state(tasks, states) is SUCCESS


def test_teardown_does_not_mask_a_failure() -> None:
    # §4.8: setup >> work >> teardown; work fails, teardown runs and succeeds: the run failed.
    tasks = build("setup >> work >> teardown", "setup >> teardown", setup=SETUP, teardown=TEARDOWN)
    assert effective_leaves(tasks) == {"work"}
    states = {"setup": [T.SUCCESS], "work": [T.FAILED], "teardown": [T.SUCCESS]}
    assert dag_run_state(tasks, states) is FAILED


def test_failed_teardown_does_not_fail_the_run() -> None:
    tasks = build("setup >> work >> teardown", "setup >> teardown", setup=SETUP, teardown=TEARDOWN)
    states = {"setup": [T.SUCCESS], "work": [T.SUCCESS], "teardown": [T.FAILED]}
    assert dag_run_state(tasks, states) is SUCCESS


def test_teardown_with_on_failure_fail_dagrun_is_the_leaf() -> None:
    # Airflow's is_effective_leaf: a task above a teardown with on_failure_fail_dagrun is no leaf,
    # so then the teardown alone decides (a failed work task with a successful teardown succeeds).
    teardown = {**TEARDOWN, "on_failure_fail_dagrun": True}
    tasks = build("setup >> work >> teardown", "setup >> teardown", setup=SETUP, teardown=teardown)
    assert effective_leaves(tasks) == {"teardown"}
    states = {"setup": [T.SUCCESS], "work": [T.SUCCESS], "teardown": [T.FAILED]}
    assert dag_run_state(tasks, states) is FAILED
    states = {"setup": [T.SUCCESS], "work": [T.FAILED], "teardown": [T.SUCCESS]}
    assert dag_run_state(tasks, states) is SUCCESS


def test_work_after_teardown_stays_a_leaf() -> None:
    tasks = build(
        "setup >> work >> teardown >> report", "setup >> teardown", setup=SETUP, teardown=TEARDOWN
    )
    assert effective_leaves(tasks) == {"work", "report"}


def test_teardown_only_dag_falls_back_to_plain_leaves() -> None:
    tasks = build("t1 >> t2", t1={"is_teardown": True}, t2={"is_teardown": True})
    assert effective_leaves(tasks) == {"t2"}
    assert dag_run_state(tasks, {"t1": [T.SUCCESS], "t2": [T.FAILED]}) is FAILED


def test_empty_dag_succeeds() -> None:
    assert dag_run_state({}, {}) is SUCCESS


def test_deadlock_fails_the_run() -> None:
    # all_skipped never settles on a removed upstream (3.3.2), so nothing can ever move.
    tasks = build("a >> b", b={"trigger_rule": "all_skipped"})
    states = {"a": [T.REMOVED], "b": [None]}
    assert is_deadlocked(tasks, states)
    assert dag_run_state(tasks, states) is FAILED


def test_no_deadlock_while_something_is_active_or_runnable() -> None:
    tasks = build("a >> b")
    assert not is_deadlocked(tasks, {"a": [T.RUNNING], "b": [None]})
    assert not is_deadlocked(tasks, {"a": [T.UP_FOR_RETRY], "b": [None]})
    assert not is_deadlocked(tasks, {"a": [None], "b": [None]})  # a can run
    # b would be settled (upstream_failed): the caller has not applied it yet, not a deadlock
    assert not is_deadlocked(tasks, {"a": [T.FAILED], "b": [None]})
    assert dag_run_state(tasks, {"a": [T.FAILED], "b": [None]}) is None


def test_depends_on_past_runs_are_never_deadlocked() -> None:
    tasks = build("a >> b", b={"trigger_rule": "all_skipped"})
    tasks["b"].depends_on_past = True  # type: ignore[attr-defined]
    states = {"a": [T.REMOVED], "b": [None]}
    assert not is_deadlocked(tasks, states)
    assert dag_run_state(tasks, states) is None

"""`TaskStates`: a task's TI states with counts kept up to date, read by the rules."""

from __future__ import annotations

from collections import Counter

from slipstream.orchestration import DagGraph, Decision, decide_pending
from slipstream.orchestration.run_state import dag_run_state
from slipstream.orchestration.task_states import TaskStates, all_finished, state_counts

from .helpers import build


def test_counts_follow_every_change_and_feed_the_run_totals() -> None:
    totals: Counter[str | None] = Counter()
    a = TaskStates([None, None, "running"], totals)
    b = TaskStates(["success"], totals)
    a[0] = "scheduled"
    a[2] = "success"
    a[2] = "success"  # no change, no count moves
    assert list(a) == ["scheduled", None, "success"]
    assert +a.counts == {"scheduled": 1, None: 1, "success": 1}
    assert +totals == {"scheduled": 1, None: 1, "success": 2}
    assert None in a and "running" not in a
    assert len(a) == 3 and a[1] is None and a[0:2] == ["scheduled", None]
    b.detach()
    assert +totals == {"scheduled": 1, None: 1, "success": 1}


def test_state_counts_and_all_finished_take_plain_sequences_too() -> None:
    assert state_counts(["a", "a", None]) == {"a": 2, None: 1}
    assert all_finished(["success", "skipped"])
    assert not all_finished(["success", "running"])
    states = TaskStates(["running"])
    assert not all_finished(states)
    states[0] = "failed"
    assert all_finished(states)  # the count of running is now zero, not gone


def test_rules_give_the_same_answers_on_task_states_as_on_lists() -> None:
    tasks = build("a >> c", "b >> c", "c >> d", c={"trigger_rule": "one_failed"})
    lists = {"a": ["success", "failed"], "b": ["running"], "c": [None], "d": [None]}
    counted = {task_id: TaskStates(states) for task_id, states in lists.items()}
    assert decide_pending(tasks, counted) == decide_pending(tasks, lists)
    assert decide_pending(tasks, counted) == {"c": Decision.RUN, "d": Decision.WAIT}
    done = {t: TaskStates(["success"]) for t in "abcd"}
    assert dag_run_state(tasks, done) == dag_run_state(tasks, {t: ["success"] for t in "abcd"})


def test_decide_pending_only_visits_given_tasks_and_what_their_settling_reaches() -> None:
    tasks = build("a >> b >> c", "x >> y")
    states = {"a": ["failed"], "b": [None], "c": [None], "x": ["failed"], "y": [None]}
    everything = decide_pending(tasks, states)
    assert everything == {"b": Decision.UPSTREAM_FAILED, "c": Decision.UPSTREAM_FAILED,
                          "y": Decision.UPSTREAM_FAILED}  # fmt: skip
    # Only b is named: c is reached because b settled; y is not looked at.
    assert decide_pending(tasks, states, only={"b"}) == {
        "b": Decision.UPSTREAM_FAILED,
        "c": Decision.UPSTREAM_FAILED,
    }
    assert decide_pending(tasks, states, only=set()) == {}


def test_dependents_cover_downstream_indirect_setups_and_teardown_scopes() -> None:
    setup = {"is_setup": True}
    teardown = {"is_teardown": True, "trigger_rule": "all_done_setup_success"}
    graph = DagGraph(build("s >> work >> more >> t", "s >> t", "other", s=setup, t=teardown))
    assert graph.dependents("s") == {"work", "t", "more"}  # more: s is its indirect setup
    assert graph.dependents("work") == {"more", "t"}  # t waits for work: its scope
    assert graph.dependents("more") == {"t"}
    assert graph.dependents("other") == frozenset()

"""Branch, short-circuit and fail-fast skip sets (Airflow 3.3.2 SkipMixin / ShortCircuitOperator)."""

from __future__ import annotations

import pytest

from slipstream.core.exceptions import AirflowException, TaskNotFound
from slipstream.core.states import TaskInstanceState
from slipstream.orchestration import (
    Decision,
    branch_skip_set,
    decide_pending,
    fail_fast_transitions,
    may_skip,
    short_circuit_skip_set,
)

from .helpers import build

T = TaskInstanceState


def _branching():
    return build("branch >> t1 >> join", "branch >> t2 >> join", "branch >> join", "t2 >> t3")


def test_branch_skips_direct_downstream_not_followed() -> None:
    assert branch_skip_set(_branching(), "branch", {"t1"}) == {"t2"}


def test_branch_join_reachable_from_followed_task_is_not_skipped() -> None:
    # branch >> join directly, and t1 >> join: following t1 keeps join (the "empty branch" case).
    assert "join" not in branch_skip_set(_branching(), "branch", ["t1"])


def test_branch_following_the_join_directly() -> None:
    assert branch_skip_set(_branching(), "branch", ["join"]) == {"t1", "t2"}


def test_branch_none_skips_every_direct_downstream() -> None:
    assert branch_skip_set(_branching(), "branch", None) == {"t1", "t2", "join"}
    assert branch_skip_set(_branching(), "branch", []) == {"t1", "t2", "join"}


def test_branch_invalid_ids_raise() -> None:
    with pytest.raises(AirflowException, match="nope"):
        branch_skip_set(_branching(), "branch", ["t1", "nope"])
    with pytest.raises(TaskNotFound):
        branch_skip_set(_branching(), "missing", ["t1"])


def test_branch_does_not_spare_teardowns() -> None:
    tasks = build("branch >> a", "branch >> td", td={"is_teardown": True})
    assert branch_skip_set(tasks, "branch", ["a"]) == {"td"}


def _short_circuit():
    # §4.3: sc >> direct >> soft_default, direct >> soft_all_done (all_done), plus a teardown.
    return build(
        "sc >> direct >> soft_default",
        "direct >> soft_all_done",
        "direct >> td",
        soft_all_done={"trigger_rule": "all_done"},
        td={"is_teardown": True, "trigger_rule": "all_done_setup_success"},
    )


def test_short_circuit_ignoring_trigger_rules_skips_everything_downstream() -> None:
    skipped = short_circuit_skip_set(_short_circuit(), "sc", ignore_downstream_trigger_rules=True)
    assert skipped == {"direct", "soft_default", "soft_all_done"}  # never the teardown


def test_short_circuit_respecting_trigger_rules_skips_direct_only() -> None:
    tasks = _short_circuit()
    skipped = short_circuit_skip_set(tasks, "sc", ignore_downstream_trigger_rules=False)
    assert skipped == {"direct"}
    # §4.3: then soft_all_done ran and soft_default was skipped.
    states = {"sc": [T.SUCCESS], **{t: [T.SKIPPED] for t in skipped}}
    decisions = decide_pending(tasks, states)
    assert decisions["soft_all_done"] is Decision.RUN
    assert decisions["soft_default"] is Decision.SKIP


def test_short_circuit_default_ignores_trigger_rules() -> None:
    assert short_circuit_skip_set(_short_circuit(), "sc") == {
        "direct",
        "soft_default",
        "soft_all_done",
    }


def test_short_circuit_without_downstream() -> None:
    assert short_circuit_skip_set(build("a"), "a") == set()


@pytest.mark.parametrize(
    ("state", "allowed"),
    [
        (None, True),
        (T.QUEUED, True),
        (T.UP_FOR_RETRY, True),
        (T.SKIPPED, True),
        ("running", False),
        (T.SUCCESS, False),
        (T.FAILED, False),
    ],
)
def test_may_skip(state: TaskInstanceState | str | None, allowed: bool) -> None:
    assert may_skip(state) is allowed


def test_fail_fast_stops_other_non_teardown_tis() -> None:
    tasks = build("a >> b", "c", "d", "e", "f", "g", td={"is_teardown": True})
    states = {
        "a": [T.FAILED, T.RUNNING],  # the failed task's own TIs are left alone
        "b": [None],
        "c": [T.RUNNING],
        "d": [T.SUCCESS, T.UP_FOR_RETRY],
        "e": [T.UPSTREAM_FAILED],
        "f": [T.SKIPPED],
        "td": [None],
    }
    assert fail_fast_transitions(tasks, states, "a") == {
        ("b", 0): T.SKIPPED,
        ("c", 0): T.FAILED,
        ("d", 1): T.SKIPPED,
        ("e", 0): T.SKIPPED,
        ("g", 0): T.SKIPPED,  # no TI state recorded yet: one unset TI
    }

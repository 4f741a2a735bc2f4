"""Which tasks a branch, a short-circuit or a fail-fast failure skips: pure functions of the graph.

They follow Airflow 3.3 (`SkipMixin.skip_all_except`, `ShortCircuitOperator.execute`,
`_stop_remaining_tasks`). The caller applies the result to the run's TIs; per Airflow's execution
API a skip never overwrites a TI that is running, succeeded or failed (`may_skip`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from slipstream.core.exceptions import AirflowException
from slipstream.core.states import TaskInstanceState

from .graph import Tasks, as_graph
from .trigger_rules import StateLike

SKIP_PROTECTED_STATES = frozenset(
    {TaskInstanceState.RUNNING, TaskInstanceState.SUCCESS, TaskInstanceState.FAILED}
)
"""TI states that a branch or short-circuit skip leaves alone."""


_FAIL_FAST_KEEP = frozenset(
    {TaskInstanceState.SUCCESS, TaskInstanceState.FAILED, TaskInstanceState.SKIPPED}
)


def may_skip(state: StateLike) -> bool:
    """Whether a skip from a branch or short-circuit may overwrite a TI in `state`."""
    return state not in SKIP_PROTECTED_STATES


def branch_skip_set(tasks: Tasks, branch_task_id: str, followed: Iterable[str] | None) -> set[str]:
    """Direct downstream tasks of a branch task that the branch skips.

    `followed` holds task ids (task-group ids must already be expanded to the group's roots);
    None or empty skips every direct downstream task. A direct downstream task that is also
    downstream of a followed task is followed too (the "empty branch to a join" case). Teardowns
    get no special treatment, as in Airflow. Unknown ids raise AirflowException.
    """
    graph = as_graph(tasks)
    graph.require(branch_task_id)
    chosen = set(followed or ())
    invalid = chosen - graph.position.keys()
    if invalid:
        raise AirflowException(
            f"The branch task {branch_task_id!r} chose ids that are not tasks of the DAG: "
            f"{sorted(invalid)}"
        )
    chosen |= graph.walk(graph.downstream, chosen)
    return {t for t in graph.downstream[branch_task_id] if t not in chosen}


def short_circuit_skip_set(
    tasks: Tasks, task_id: str, ignore_downstream_trigger_rules: bool = True
) -> set[str]:
    """Tasks a short-circuit skips when its condition is falsy; teardowns are never skipped.

    With `ignore_downstream_trigger_rules` (Airflow's default) every transitive downstream task is
    skipped, whatever its trigger rule; without it only the direct downstream tasks, and the rest
    follow their own trigger rules.
    """
    graph = as_graph(tasks)
    graph.require(task_id)
    if ignore_downstream_trigger_rules:
        below: Iterable[str] = graph.walk(graph.downstream, (task_id,)) - {task_id}
    else:
        below = graph.downstream[task_id]
    return {t for t in below if t not in graph.teardowns}


def fail_fast_transitions(
    tasks: Tasks, ti_states: Mapping[str, Sequence[StateLike]], failed_task_id: str
) -> dict[tuple[str, int], TaskInstanceState]:
    """New states for the other TIs of a `fail_fast` run once `failed_task_id` has failed for good.

    Keys are `(task_id, index in ti_states[task_id])`; a task missing from `ti_states` counts as
    one unset TI. As in Airflow: TIs of the failed task itself, of teardown tasks, and TIs already
    succeeded or failed stay as they are; running TIs become failed; every other TI (unset, queued,
    up_for_retry, upstream_failed, ...) becomes skipped.
    """
    graph = as_graph(tasks)
    changes: dict[tuple[str, int], TaskInstanceState] = {}
    for task_id in graph.position:
        if task_id == failed_task_id or task_id in graph.teardowns:
            continue
        for index, state in enumerate(ti_states.get(task_id, (None,))):
            if state in _FAIL_FAST_KEEP:
                continue
            if state == TaskInstanceState.RUNNING:
                changes[(task_id, index)] = TaskInstanceState.FAILED
            else:
                changes[(task_id, index)] = TaskInstanceState.SKIPPED
    return changes

"""The state of a DAG run, derived from its TIs as Airflow 3.3's `DagRun.update_state` does.

A run ends when every TI has finished. It then failed if any TI of an *effective leaf* failed or is
upstream_failed, and succeeded otherwise, so a failed task that is not a leaf does not fail the run
when every leaf succeeded or was skipped. Teardowns are not effective leaves (unless
`on_failure_fail_dagrun`), so a teardown that runs after a failure does not mask it.

A run with unfinished TIs is also over, failed, when it is deadlocked: no TI is active and no unset
TI can ever start (every one of them WAITs). Callers must apply SKIP/UPSTREAM_FAILED decisions
before asking, as the scheduler does within one pass.
"""

from __future__ import annotations

from slipstream.core.states import FINISHED_TI_STATES, DagRunState, State

from .decisions import TIStates, decide
from .graph import DagGraph, Tasks, as_graph
from .task_states import all_finished, state_counts
from .trigger_rules import Decision

_UNSET = (None,)
_TI_LIMITS = ("max_active_tis_per_dag", "max_active_tis_per_dagrun")


def effective_leaves(tasks: Tasks) -> set[str]:
    """Tasks whose TIs decide a finished run's state.

    A task is an effective leaf when it is not an ignorable teardown and every direct downstream
    task is one, where a teardown is ignorable unless `on_failure_fail_dagrun` is set. When no task
    qualifies (a DAG of teardowns only), the tasks without downstream tasks are the leaves.
    """
    graph = as_graph(tasks)
    ignorable = {t for t in graph.teardowns if not _fails_dagrun(graph, t)}
    leaves = {
        task_id
        for task_id in graph.position
        if task_id not in ignorable and all(d in ignorable for d in graph.downstream[task_id])
    }
    return leaves or {task_id for task_id, down in graph.downstream.items() if not down}


def dag_run_state(tasks: Tasks, ti_states: TIStates) -> DagRunState | None:
    """SUCCESS or FAILED once the run is over (see the module docs), None while it is running."""
    graph = as_graph(tasks)
    if not all(all_finished(ti_states.get(t, _UNSET)) for t in graph.position):
        return DagRunState.FAILED if is_deadlocked(graph, ti_states) else None
    for task_id in effective_leaves(graph):
        counts = state_counts(ti_states.get(task_id, _UNSET))
        if any(n and state in State.failed_states for state, n in counts.items()):
            return DagRunState.FAILED
    return DagRunState.SUCCESS


def is_deadlocked(tasks: Tasks, ti_states: TIStates) -> bool:
    """Whether unfinished TIs remain that can never move on.

    True when no TI is active (scheduled, queued, running, up_for_retry, ...) and every task with an
    unset TI would WAIT. Like Airflow, runs holding a task with `depends_on_past` or a per-task TI
    limit (`max_active_tis_per_dag[run]`) are never called deadlocked: the rules here cannot see the
    other runs those wait for.
    """
    graph = as_graph(tasks)
    pending = []
    for task_id in graph.position:
        counts = state_counts(ti_states.get(task_id, _UNSET))
        for state, n in counts.items():
            if n and state is not None and state not in FINISHED_TI_STATES:
                return False
        if counts.get(None):
            pending.append(task_id)
    if not pending or any(_waits_on_other_runs(graph, t) for t in pending):
        return False
    return all(decide(graph, task_id, ti_states) is Decision.WAIT for task_id in pending)


def _fails_dagrun(graph: DagGraph, task_id: str) -> bool:
    return bool(getattr(graph.tasks[task_id], "on_failure_fail_dagrun", False))


def _waits_on_other_runs(graph: DagGraph, task_id: str) -> bool:
    task = graph.tasks[task_id]
    if getattr(task, "depends_on_past", False):
        return True
    return any(getattr(task, limit, None) is not None for limit in _TI_LIMITS)

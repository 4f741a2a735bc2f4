"""Why a task instance is not queued yet: the scheduler's conditions that it does not meet, with
the names Airflow gives its dependencies ("Dag Not Paused", "Dagrun Running", "Trigger Rule",
"Previous Dagrun State", "Pool Slots Available").

Only a task instance waiting to be queued (no state, or scheduled) can be blocked; for any other
the answer is empty, as in Airflow. The trigger rule is judged by the same rules the scheduler
applies (`orchestration.decisions.decide`) on the run's DAG version.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from slipstream.core.states import DagRunState, TaskInstanceState
from slipstream.db.models import DagModel, DagRun, TaskInstance
from slipstream.db.store import task_instances as ti_store
from slipstream.db.store import ti_queueing
from slipstream.db.store.runs import get_run, previous_run_id
from slipstream.db.store.serialized_dags import serialized_dag_by_id
from slipstream.orchestration.decisions import Decision, decide, upstream_summary

__all__ = ["blocking"]

S = TaskInstanceState
_WAITING = (None, S.SCHEDULED.value)
_PAST_OK = (S.SUCCESS.value, S.SKIPPED.value)


def blocking(
    session: Session, dag_id: str, run_id: str, task_id: str, map_index: int
) -> list[tuple[str, str]] | None:
    """`(name, reason)` of each condition keeping the task instance from being queued, by name;
    None when there is no such task instance."""
    ti = ti_store.get_ti(session, dag_id, run_id, task_id, map_index)
    if ti is None:
        return None
    if ti.state not in _WAITING:
        return []
    run = get_run(session, dag_id, run_id)
    assert run is not None  # a task instance belongs to a run
    found = _dag_and_run(session, run)
    version_id = run.serialized_dag_id
    dag = None if version_id is None else serialized_dag_by_id(session, version_id)
    task = None if dag is None else dag.task_dict.get(task_id)
    if task is not None:
        found += _trigger_rule(session, dag, run, task_id, ti)
        found += _past(session, run, task, ti)
    found += _pool(session, ti)
    return sorted(found)


def _dag_and_run(session: Session, run: DagRun) -> list[tuple[str, str]]:
    found = []
    paused = session.scalar(select(DagModel.is_paused).where(DagModel.dag_id == run.dag_id))
    if paused:
        found.append(("Dag Not Paused", f"Task's DAG '{run.dag_id}' is paused."))
    if run.state != DagRunState.RUNNING.value:
        found.append(
            (
                "Dagrun Running",
                "Task instance's dagrun was not in the 'running' state but in the state "
                f"'{run.state}'.",
            )
        )
    return found


def _trigger_rule(
    session: Session, dag: Any, run: DagRun, task_id: str, ti: TaskInstance
) -> list[tuple[str, str]]:
    if ti.state is not None:  # scheduled: the rule was met
        return []
    tasks = dag.task_dict
    upstream = set(tasks[task_id].upstream_task_ids)
    states: dict[str, list[str | None]] = {}
    for (upstream_id, _), state in ti_store.states_by_task(session, run.id, upstream).items():
        states.setdefault(upstream_id, []).append(state)
    if decide(tasks, task_id, states) is not Decision.WAIT:
        return []
    summary = upstream_summary(tasks, task_id, states)
    waiting = sorted(t for t in upstream if any(s not in _FINISHED for s in states.get(t, [None])))
    rule = tasks[task_id].trigger_rule
    return [
        (
            "Trigger Rule",
            f"Task's trigger rule '{rule}' is not met yet: {summary.done} of {summary.total} "
            f"upstream task instances are done (success: {summary.success}, failed: "
            f"{summary.failed}, skipped: {summary.skipped}, upstream_failed: "
            f"{summary.upstream_failed}); waiting for: {', '.join(waiting) or 'none'}.",
        )
    ]


_FINISHED = (
    S.SUCCESS.value,
    S.FAILED.value,
    S.SKIPPED.value,
    S.UPSTREAM_FAILED.value,
    S.REMOVED.value,
)


def _past(session: Session, run: DagRun, task: Any, ti: TaskInstance) -> list[tuple[str, str]]:
    if not task.depends_on_past:
        return []
    previous = previous_run_id(session, run)
    if previous is None:
        return []
    states = ti_store.states_by_task(session, previous, [task.task_id])
    bad = sorted({str(state) for state in states.values() if state not in _PAST_OK})
    if not bad:
        return []
    return [
        (
            "Previous Dagrun State",
            "depends_on_past is true for this task, but the previous task instance has state "
            f"{', '.join(bad)}, which is not success or skipped.",
        )
    ]


def _pool(session: Session, ti: TaskInstance) -> list[tuple[str, str]]:
    slots = ti_queueing.pool_slots(session)
    if ti.pool not in slots:
        return [("Pool Slots Available", f"Task's pool '{ti.pool}' does not exist.")]
    total = slots[ti.pool]
    if total < 0:
        return []
    free = total - ti_queueing.occupied_pool_slots(session).get(ti.pool, 0)
    if free >= ti.pool_slots:
        return []
    return [
        (
            "Pool Slots Available",
            f"Not scheduling since there are {free} open slots in pool {ti.pool} and the task "
            f"needs {ti.pool_slots}.",
        )
    ]

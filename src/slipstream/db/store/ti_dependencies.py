"""Why a task instance is not queued yet: the scheduler's conditions that it does not meet, with
the names Airflow gives its dependencies ("Dag Not Paused", "Dagrun Running", "Trigger Rule",
"Previous Dagrun State", "Pool Slots Available", "Task Instance Slots Available" for the DAG's
`max_active_tasks` in the run, "Task Concurrency" for a task's `max_active_tis_per_dag` and
`max_active_tis_per_dagrun`).

A task instance waiting to be queued (no state, or scheduled) can be blocked by any of them; one
waiting for its retry delay or its next poke (up_for_retry, up_for_reschedule) by that wait
("Not In Retry Period", "Ready To Reschedule", as Airflow's dependencies of those names say). For
any other state the answer is empty, as in Airflow. The trigger rule is judged by the same rules
the scheduler applies (`orchestration.decisions.decide`) on the run's DAG version, the limits by
the rules of `scheduler.queueing`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
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
_DELAYED = (S.UP_FOR_RETRY.value, S.UP_FOR_RESCHEDULE.value)
_PAST_OK = (S.SUCCESS.value, S.SKIPPED.value)


def blocking(
    session: Session,
    dag_id: str,
    run_id: str,
    task_id: str,
    map_index: int,
    *,
    now: dt.datetime | None = None,
) -> list[tuple[str, str]] | None:
    """`(name, reason)` of each condition keeping the task instance from being queued, by name;
    None when there is no such task instance. `now` (default: the current time) decides whether
    a retry delay or a reschedule date has passed."""
    ti = ti_store.get_ti(session, dag_id, run_id, task_id, map_index)
    if ti is None:
        return None
    if ti.state in _DELAYED:
        return _delay(ti, now or dt.datetime.now(dt.UTC))
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
        found += _concurrency(session, dag, run, task)
    found += _pool(session, ti)
    return sorted(found)


def _delay(ti: TaskInstance, now: dt.datetime) -> list[tuple[str, str]]:
    """The retry delay or reschedule date a task instance waits for, unless it has passed."""
    due = ti.next_try_at
    if due is None:
        return []
    due = due if due.tzinfo else due.replace(tzinfo=dt.UTC)
    if due <= now:
        return []
    if ti.state == S.UP_FOR_RETRY.value:
        return [
            (
                "Not In Retry Period",
                f"Waiting for its retry delay: the next try may start at {due.isoformat()} "
                f"(now {now.isoformat()}); the scheduler retries it by itself.",
            )
        ]
    return [
        (
            "Ready To Reschedule",
            f"Waiting for its next poke: the sensor is rescheduled at {due.isoformat()} "
            f"(now {now.isoformat()}); the scheduler reschedules it by itself.",
        )
    ]


def _concurrency(session: Session, dag: Any, run: DagRun, task: Any) -> list[tuple[str, str]]:
    """The DAG's and the task's limits on running task instances that are reached."""
    found = []
    limit = dag.max_active_tasks
    if limit is not None and _active(session, TaskInstance.dag_run_id == run.id) >= limit:
        found.append(
            (
                "Task Instance Slots Available",
                f"The maximum number of running tasks ({limit}) for this task's DAG "
                f"'{run.dag_id}' has been reached.",
            )
        )
    same_task = TaskInstance.task_id == task.task_id
    per_run = task.max_active_tis_per_dagrun
    per_dag = task.max_active_tis_per_dag
    if per_run is not None and (
        _active(session, TaskInstance.dag_run_id == run.id, same_task) >= per_run
    ):
        found.append(("Task Concurrency", "The max task concurrency per run has been reached."))
    elif per_dag is not None and (
        _active(session, TaskInstance.dag_id == run.dag_id, same_task) >= per_dag
    ):
        found.append(("Task Concurrency", "The max task concurrency has been reached."))
    return found


def _active(session: Session, *where: Any) -> int:
    """How many task instances matching `where` are queued or running."""
    statement = select(func.count()).where(
        TaskInstance.state.in_(ti_queueing.ACTIVE_STATES), *where
    )
    return int(session.scalar(statement) or 0)


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

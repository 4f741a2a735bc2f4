"""Task instances in the metadata database: creating them, reading them, and moving them in bulk
as the scheduler decides.

Every state change here is one statement for many task instances (never one per TI), guarded
by the state it expects, so two writers racing on a row cannot both win. Functions take the
caller's session and never commit; times come from the caller's clock. The statements of every
scheduler tick are built once per process, with bound (and expanding) parameters.

Queueing them lives in `ti_queueing`, a try's life in `execution`, clearing in `ti_clearing`,
marking by hand in `ti_marking`, and the REST API's reads in `ti_listing`.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, case, func, insert, or_, select, update
from sqlalchemy.orm import Session

from slipstream.core.states import DagRunState, TaskInstanceState
from slipstream.db.models import DagRun, TaskInstance
from slipstream.db.store._sql import chunks, nosync_update, rowcount, state_in, unindexed

if TYPE_CHECKING:
    from slipstream.serialization import SerializedDAG

S = TaskInstanceState
TI = TaskInstance
_TI: Any = TaskInstance.__table__
FINISHED_STATES = (
    S.SUCCESS.value,
    S.FAILED.value,
    S.SKIPPED.value,
    S.UPSTREAM_FAILED.value,
    S.REMOVED.value,
)
UNFINISHED_STATES = (
    S.SCHEDULED.value,
    S.QUEUED.value,
    S.RUNNING.value,
    S.UP_FOR_RETRY.value,
    S.UP_FOR_RESCHEDULE.value,
    S.RESTARTING.value,
    S.DEFERRED.value,
)


# --- creating ---------------------------------------------------------------------------------


def create_for_run(
    session: Session,
    run: DagRun,
    dag: SerializedDAG,
    weights: Mapping[str, int],
    *,
    now: dt.datetime,
) -> None:
    """One TI per task of `dag` for `run` (map index -1, no state), in one bulk insert."""
    rows = [
        {
            "dag_run_id": run.id,
            "dag_id": run.dag_id,
            "run_id": run.run_id,
            "task_id": task.task_id,
            "map_index": -1,
            "state": None,
            "try_number": 0,
            "max_tries": task.retries,
            "queue": task.queue,
            "pool": task.pool,
            "pool_slots": task.pool_slots,
            "priority_weight": weights.get(task.task_id, 1),
            "run_after": run.run_after,
            "operator": task.task_type,
            "custom_operator_name": task.operator_name,
            "updated_at": now,
        }
        for task in dag.task_dict.values()
    ]
    if rows:
        session.execute(insert(TI), rows)


def expand_mapped(
    session: Session, placeholder_id: int, length: int, *, now: dt.datetime
) -> list[int]:
    """Turn a mapped task's placeholder (map index -1) into `length` scheduled TIs, 0..n-1.

    The placeholder becomes index 0, as in Airflow; the others copy its settings. Each starts
    its first try (`try_number` 1). Returns the ids of all of them in map index order (none when
    the placeholder was not waiting to expand). Like `schedule`, only the scheduler calls it.
    """
    ti = session.get(TI, placeholder_id)
    if ti is None or ti.map_index != -1 or ti.state is not None:
        return []
    ti.map_index = 0
    ti.state = S.SCHEDULED.value
    ti.try_number += 1
    ti.scheduled_dttm = now
    ti.updated_at = now
    ti.changed = False
    session.flush()
    copy = {
        "dag_run_id": ti.dag_run_id,
        "dag_id": ti.dag_id,
        "run_id": ti.run_id,
        "task_id": ti.task_id,
        "state": S.SCHEDULED.value,
        "try_number": ti.try_number,
        "max_tries": ti.max_tries,
        "queue": ti.queue,
        "pool": ti.pool,
        "pool_slots": ti.pool_slots,
        "priority_weight": ti.priority_weight,
        "run_after": ti.run_after,
        "operator": ti.operator,
        "custom_operator_name": ti.custom_operator_name,
        "scheduled_dttm": now,
        "updated_at": now,
        "changed": False,
    }
    if length > 1:
        session.execute(insert(TI), [{**copy, "map_index": i} for i in range(1, length)])
    ids = session.scalars(
        select(TI.id)
        .where(TI.dag_run_id == ti.dag_run_id, TI.task_id == ti.task_id)
        .order_by(TI.map_index)
    )
    return list(ids)


# --- reading ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TIState:
    """What the scheduler needs of one TI to decide what happens next."""

    id: int
    dag_run_id: int
    task_id: str
    map_index: int
    state: str | None
    try_number: int


def states_for_runs(session: Session, run_ids: Collection[int]) -> list[TIState]:
    """The TIs of these runs (one query per 500 runs)."""
    out: list[TIState] = []
    for chunk in chunks(sorted(run_ids)):
        rows = session.execute(_states_statement(), {"b_runs": chunk})
        out.extend(TIState(*row) for row in rows)
    return out


@functools.cache
def _states_statement() -> Any:
    c = _TI.c
    return select(c.id, c.dag_run_id, c.task_id, c.map_index, c.state, c.try_number).where(
        c.dag_run_id.in_(bindparam("b_runs", expanding=True))
    )


def states_by_task(
    session: Session, dag_run_id: int, task_ids: Collection[str]
) -> dict[tuple[str, int], str | None]:
    """`(task_id, map_index) -> state` for some tasks of one run."""
    if not task_ids:
        return {}
    rows = session.execute(
        select(TI.task_id, TI.map_index, TI.state).where(
            TI.dag_run_id == dag_run_id, TI.task_id.in_(list(task_ids))
        )
    )
    return {(r[0], r[1]): r[2] for r in rows}


def tis_for_run(session: Session, dag_id: str, run_id: str) -> list[TaskInstance]:
    """The TIs of one run, by task and map index (`tasks states-for-dag-run`)."""
    return list(
        session.scalars(
            select(TI)
            .where(TI.dag_id == dag_id, TI.run_id == run_id)
            .order_by(TI.task_id, TI.map_index)
        )
    )


def get_ti(
    session: Session, dag_id: str, run_id: str, task_id: str, map_index: int = -1
) -> TaskInstance | None:
    return session.scalars(
        select(TI).where(
            TI.dag_id == dag_id,
            TI.run_id == run_id,
            TI.task_id == task_id,
            TI.map_index == map_index,
        )
    ).one_or_none()


def ti_to_dict(ti: TaskInstance) -> dict[str, Any]:
    """A TI with the field names of Airflow's `TaskInstance` API object."""
    return {
        "dag_id": ti.dag_id,
        "dag_run_id": ti.run_id,
        "run_id": ti.run_id,
        "task_id": ti.task_id,
        "map_index": ti.map_index,
        "state": ti.state,
        "try_number": ti.try_number,
        "max_tries": ti.max_tries,
        "start_date": _iso(ti.start_date),
        "end_date": _iso(ti.end_date),
        "duration": ti.duration,
        "hostname": ti.hostname,
        "pid": ti.pid,
        "pool": ti.pool,
        "pool_slots": ti.pool_slots,
        "queue": ti.queue,
        "priority_weight": ti.priority_weight,
        "run_after": ti.run_after,
        "operator": ti.operator,
        "scheduled_when": _iso(ti.scheduled_dttm),
        "queued_when": _iso(ti.queued_dttm),
        "executor": ti.executor,
        "rendered_map_index": ti.rendered_map_index,
        "note": ti.note,
    }


# --- bulk state changes -----------------------------------------------------------------------


def schedule(session: Session, ti_ids: Collection[int], *, now: dt.datetime) -> int:
    """TIs without a state start a new try: state scheduled, `try_number` + 1.

    Only the scheduler calls this (and `settle`); it keeps the new states in its memory of the
    run, so the rows are not flagged as changed (`store.ti_changes`)."""
    count = 0
    for chunk in chunks(sorted(ti_ids)):
        result = session.execute(_schedule_statement(), {"b_ids": chunk, "b_now": now})
        count += rowcount(result)
    return count


@functools.cache
def _schedule_statement() -> Any:
    c = _TI.c
    now: Any = bindparam("b_now")
    return (
        update(_TI)
        .where(c.id.in_(bindparam("b_ids", expanding=True)), unindexed(c.state).is_(None))
        .values(
            state=S.SCHEDULED.value,
            try_number=c.try_number + 1,
            scheduled_dttm=now,
            updated_at=now,
            changed=False,
        )
    )


def settle(session: Session, ti_ids: Collection[int], state: str, *, now: dt.datetime) -> int:
    """TIs without a state end as `state` (skipped, upstream_failed, failed) without running."""
    return update_many(
        session,
        ti_ids,
        unindexed(_TI.c.state).is_(None),
        state=state,
        start_date=func.coalesce(TI.start_date, now),
        end_date=now,
        duration=0.0,
        updated_at=now,
        changed=False,
    )


def set_state(
    session: Session,
    ti_ids: Collection[int],
    state: str,
    *,
    now: dt.datetime,
    from_states: Collection[str | None] | None = None,
    flag_change: bool = True,
) -> int:
    """Set `state` on these TIs (only those in `from_states`, when given); returns the count.

    A finished state gets an end date; any other clears the TI's queue token. The scheduler,
    which keeps the states it writes in memory, passes `flag_change=False`.
    """
    values: dict[str, Any] = {"state": state, "updated_at": now, "changed": flag_change}
    if state in FINISHED_STATES:
        values.update(end_date=now, start_date=func.coalesce(TI.start_date, now))
    else:
        values["queue_token"] = None
    guard = None if from_states is None else state_in(unindexed(_TI.c.state), from_states)
    return update_many(session, ti_ids, guard, **values)


def retries_due(session: Session, *, now: dt.datetime) -> int:
    """Retries whose delay passed and reschedules whose date came go back to scheduled.

    A retry starts a new try (`try_number` + 1); a reschedule continues the same one.
    """
    retry = TI.state == S.UP_FOR_RETRY.value
    result = session.execute(
        nosync_update(TI)
        .where(
            TI.state.in_((S.UP_FOR_RETRY.value, S.UP_FOR_RESCHEDULE.value)),
            TI.next_try_at <= now,
        )
        .values(
            state=S.SCHEDULED.value,
            try_number=case((retry, TI.try_number + 1), else_=TI.try_number),
            next_try_at=None,
            scheduled_dttm=now,
            updated_at=now,
        )
    )
    return rowcount(result)


def next_try_due(session: Session) -> dt.datetime | None:
    """The earliest time a retry or reschedule becomes due."""
    result: dt.datetime | None = session.scalar(
        select(func.min(TI.next_try_at)).where(
            TI.state.in_((S.UP_FOR_RETRY.value, S.UP_FOR_RESCHEDULE.value))
        )
    )
    return result


def settle_unfinished(
    session: Session, dag_run_id: int, state: str, *, now: dt.datetime
) -> list[int]:
    """Mark a run's unfinished TIs: `success` all of them; `failed` running ones failed, the
    rest skipped. Returns the changed ids."""
    rows = session.execute(
        select(TI.id, TI.state).where(
            TI.dag_run_id == dag_run_id, or_(TI.state.is_(None), TI.state.in_(UNFINISHED_STATES))
        )
    ).all()
    if state == DagRunState.SUCCESS.value:
        set_state(session, [r[0] for r in rows], S.SUCCESS.value, now=now)
    else:
        running = [r[0] for r in rows if r[1] == S.RUNNING.value]
        set_state(session, running, S.FAILED.value, now=now)
        others = [r[0] for r in rows if r[1] != S.RUNNING.value]
        set_state(session, others, S.SKIPPED.value, now=now)
    return [r[0] for r in rows]


def release_restarting(
    session: Session, *, heartbeat_before: dt.datetime, now: dt.datetime
) -> list[int]:
    """Cleared-while-running TIs whose try has stopped heartbeating get no state (run again).

    Returns the ids of their runs.
    """
    stopped = or_(TI.last_heartbeat_at.is_(None), TI.last_heartbeat_at < heartbeat_before)
    rows = session.execute(
        nosync_update(TI)
        .where(TI.state == S.RESTARTING.value, stopped)
        .values(state=None, queue_token=None, updated_at=now)
        .returning(TI.dag_run_id)
    )
    return sorted({row[0] for row in rows})


# --- helpers ----------------------------------------------------------------------------------


def update_many(session: Session, ti_ids: Collection[int], guard: Any, **values: Any) -> int:
    """Set `values` on these TIs (only those meeting `guard`, unless None); returns how many
    changed. One statement per 500 ids."""
    count = 0
    for chunk in chunks(sorted(ti_ids)):
        query = nosync_update(TI).where(TI.id.in_(chunk))
        if guard is not None:
            query = query.where(guard)
        count += rowcount(session.execute(query.values(**values)))
    return count


def _iso(value: dt.datetime | None) -> str | None:
    return None if value is None else value.isoformat()

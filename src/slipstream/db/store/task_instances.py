"""Task instances in the metadata database: creating, reading and moving them in bulk.

Every state change here is one statement for many task instances (never one per TI), guarded
by the state it expects, so two writers racing on a row cannot both win. Functions take the
caller's session and never commit; times come from the caller's clock. The statements of every
scheduler tick are built once per process, with bound (and expanding) parameters.
"""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, case, func, insert, literal, or_, select, update
from sqlalchemy.orm import Session

from slipstream.core.states import DagRunState, TaskInstanceState
from slipstream.db.models import (
    DagModel,
    DagRun,
    Pool,
    SerializedDagModel,
    TaskInstance,
)

if TYPE_CHECKING:
    from slipstream.serialization import SerializedDAG

S = TaskInstanceState
TI = TaskInstance
_TI: Any = TaskInstance.__table__
ACTIVE_STATES = (S.QUEUED.value, S.RUNNING.value)
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
CHUNK = 500


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
    its first try (`try_number` 1). Returns the ids of all of them.
    """
    ti = session.get(TI, placeholder_id)
    if ti is None or ti.map_index != -1 or ti.state is not None:
        return []
    ti.map_index = 0
    ti.state = S.SCHEDULED.value
    ti.try_number += 1
    ti.scheduled_dttm = now
    ti.updated_at = now
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
        "operator": ti.operator,
        "custom_operator_name": ti.custom_operator_name,
        "scheduled_dttm": now,
        "updated_at": now,
    }
    if length > 1:
        session.execute(insert(TI), [{**copy, "map_index": i} for i in range(1, length)])
    ids = session.scalars(
        select(TI.id).where(TI.dag_run_id == ti.dag_run_id, TI.task_id == ti.task_id)
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
    for chunk in _chunks(sorted(run_ids)):
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
        "operator": ti.operator,
        "scheduled_when": _iso(ti.scheduled_dttm),
        "queued_when": _iso(ti.queued_dttm),
        "executor": ti.executor,
        "rendered_map_index": ti.rendered_map_index,
        "note": ti.note,
    }


# --- bulk state changes -----------------------------------------------------------------------


def schedule(session: Session, ti_ids: Collection[int], *, now: dt.datetime) -> int:
    """TIs without a state start a new try: state scheduled, `try_number` + 1."""
    count = 0
    for chunk in _chunks(sorted(ti_ids)):
        result = session.execute(_schedule_statement(), {"b_ids": chunk, "b_now": now})
        count += _rowcount(result)
    return count


@functools.cache
def _schedule_statement() -> Any:
    c = _TI.c
    now: Any = bindparam("b_now")
    return (
        update(_TI)
        .where(c.id.in_(bindparam("b_ids", expanding=True)), c.state.is_(None))
        .values(
            state=S.SCHEDULED.value, try_number=c.try_number + 1, scheduled_dttm=now, updated_at=now
        )
    )


def settle(session: Session, ti_ids: Collection[int], state: str, *, now: dt.datetime) -> int:
    """TIs without a state end as `state` (skipped, upstream_failed, failed) without running."""
    return _update(
        session,
        ti_ids,
        TI.state.is_(None),
        state=state,
        start_date=func.coalesce(TI.start_date, now),
        end_date=now,
        duration=0.0,
        updated_at=now,
    )


def set_state(
    session: Session,
    ti_ids: Collection[int],
    state: str,
    *,
    now: dt.datetime,
    from_states: Collection[str | None] | None = None,
) -> int:
    """Set `state` on these TIs (only those in `from_states`, when given); returns the count.

    A finished state gets an end date; any other clears the TI's queue token.
    """
    values: dict[str, Any] = {"state": state, "updated_at": now}
    if state in FINISHED_STATES:
        values.update(end_date=now, start_date=func.coalesce(TI.start_date, now))
    else:
        values["queue_token"] = None
    return _update(session, ti_ids, _state_in(from_states), **values)


def retries_due(session: Session, *, now: dt.datetime) -> int:
    """Retries whose delay passed and reschedules whose date came go back to scheduled.

    A retry starts a new try (`try_number` + 1); a reschedule continues the same one.
    """
    retry = TI.state == S.UP_FOR_RETRY.value
    result = session.execute(
        _nosync(TI)
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
    return _rowcount(result)


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


# --- queueing ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Candidate:
    """A scheduled TI that may be queued, with what the limits and the workload need."""

    id: int
    dag_id: str
    run_id: str
    task_id: str
    map_index: int
    try_number: int
    pool: str
    pool_slots: int
    queue: str
    priority_weight: int
    dag_run_id: int
    serialized_dag_id: int | None
    fileloc: str


def scheduled_candidates(session: Session, *, limit: int) -> list[Candidate]:
    """Scheduled TIs of running runs of unpaused DAGs, highest priority first, then oldest run."""
    rows = session.execute(_candidates_statement(), {"b_limit": limit})
    return [Candidate(*row) for row in rows]


@functools.cache
def _candidates_statement() -> Any:
    return (
        select(
            TI.id,
            TI.dag_id,
            TI.run_id,
            TI.task_id,
            TI.map_index,
            TI.try_number,
            TI.pool,
            TI.pool_slots,
            TI.queue,
            TI.priority_weight,
            TI.dag_run_id,
            DagRun.serialized_dag_id,
            func.coalesce(SerializedDagModel.fileloc, DagModel.fileloc, literal("")).label(
                "fileloc"
            ),
        )
        .join(DagRun, DagRun.id == TI.dag_run_id)
        .join(DagModel, DagModel.dag_id == TI.dag_id)
        .outerjoin(SerializedDagModel, SerializedDagModel.id == DagRun.serialized_dag_id)
        .where(
            TI.state == S.SCHEDULED.value,
            DagRun.state == DagRunState.RUNNING.value,
            DagModel.is_paused.is_(False),
        )
        .order_by(TI.priority_weight.desc(), DagRun.run_after, TI.map_index, TI.id)
        .limit(bindparam("b_limit"))
    )


def pool_slots(session: Session) -> dict[str, int]:
    """Slots per pool (-1: unlimited)."""
    return {row[0]: int(row[1]) for row in session.execute(_pool_slots_statement())}


@functools.cache
def _pool_slots_statement() -> Any:
    pools: Any = Pool.__table__
    return select(pools.c.pool, pools.c.slots)


def occupied_pool_slots(session: Session) -> dict[str, int]:
    """Slots taken per pool by queued and running TIs."""
    rows = session.execute(_occupied_statement())
    return {row[0]: int(row[1] or 0) for row in rows}


@functools.cache
def _occupied_statement() -> Any:
    c = _TI.c
    return select(c.pool, func.sum(c.pool_slots)).where(c.state.in_(ACTIVE_STATES)).group_by(c.pool)


def active_by_run_task(session: Session, run_ids: Collection[int]) -> dict[tuple[int, str], int]:
    """Queued plus running TIs per `(dag_run_id, task_id)` in these runs."""
    out: dict[tuple[int, str], int] = {}
    for chunk in _chunks(sorted(run_ids)):
        rows = session.execute(_active_by_run_task_statement(), {"b_runs": chunk})
        out.update({(r[0], r[1]): int(r[2]) for r in rows})
    return out


@functools.cache
def _active_by_run_task_statement() -> Any:
    c = _TI.c
    return (
        select(c.dag_run_id, c.task_id, func.count())
        .where(c.dag_run_id.in_(bindparam("b_runs", expanding=True)), c.state.in_(ACTIVE_STATES))
        .group_by(c.dag_run_id, c.task_id)
    )


def active_by_dag_task(
    session: Session, pairs: Collection[tuple[str, str]]
) -> dict[tuple[str, str], int]:
    """Queued plus running TIs per `(dag_id, task_id)`, across all runs."""
    if not pairs:
        return {}
    dag_ids = sorted({p[0] for p in pairs})
    task_ids = sorted({p[1] for p in pairs})
    rows = session.execute(
        select(TI.dag_id, TI.task_id, func.count())
        .where(TI.dag_id.in_(dag_ids), TI.task_id.in_(task_ids), TI.state.in_(ACTIVE_STATES))
        .group_by(TI.dag_id, TI.task_id)
    )
    return {(r[0], r[1]): int(r[2]) for r in rows if (r[0], r[1]) in pairs}


def queue(session: Session, ti_ids: Collection[int], token: str, *, now: dt.datetime) -> set[int]:
    """Scheduled TIs become queued under `token`; returns the ids this call queued.

    The `state = 'scheduled'` guard makes a TI queued by a concurrent scheduler drop out here.
    """
    queued: set[int] = set()
    for chunk in _chunks(sorted(ti_ids)):
        params = {"b_ids": chunk, "b_token": token, "b_now": now}
        queued.update(row[0] for row in session.execute(_queue_statement(), params))
    return queued


@functools.cache
def _queue_statement() -> Any:
    c = _TI.c
    now: Any = bindparam("b_now")
    return (
        update(_TI)
        .where(c.id.in_(bindparam("b_ids", expanding=True)), c.state == S.SCHEDULED.value)
        .values(
            state=S.QUEUED.value, queue_token=bindparam("b_token"), queued_dttm=now, updated_at=now
        )
        .returning(c.id)
    )


def new_queue_token(owner: int | str) -> str:
    """A fresh token for one queueing, prefixed by the scheduler job that owns it."""
    return f"{owner}:{uuid.uuid4().hex}"


def requeue_stuck(
    session: Session, *, queued_before: dt.datetime, owner: int | str, now: dt.datetime
) -> int:
    """Queued TIs no worker claimed since `queued_before` go back to scheduled, new token."""
    result = session.execute(
        _nosync(TI)
        .where(TI.state == S.QUEUED.value, TI.queued_dttm < queued_before)
        .values(state=S.SCHEDULED.value, queue_token=new_queue_token(owner), updated_at=now)
    )
    return _rowcount(result)


def reset_orphaned_queued(
    session: Session, live_owners: Collection[int | str], *, owner: int | str, now: dt.datetime
) -> int:
    """Queued TIs whose token belongs to no live scheduler go back to scheduled, new token.

    Their workloads, should a worker still hold one, can no longer claim the try.
    """
    alive = [TI.queue_token.like(f"{o}:%") for o in live_owners]
    orphaned = or_(TI.queue_token.is_(None), ~or_(*alive)) if alive else literal(True)
    result = session.execute(
        _nosync(TI)
        .where(TI.state == S.QUEUED.value, orphaned)
        .values(state=S.SCHEDULED.value, queue_token=new_queue_token(owner), updated_at=now)
    )
    return _rowcount(result)


def release_restarting(
    session: Session, *, heartbeat_before: dt.datetime, now: dt.datetime
) -> list[int]:
    """Cleared-while-running TIs whose try has stopped heartbeating get no state (run again).

    Returns the ids of their runs.
    """
    stopped = or_(TI.last_heartbeat_at.is_(None), TI.last_heartbeat_at < heartbeat_before)
    rows = session.execute(
        _nosync(TI)
        .where(TI.state == S.RESTARTING.value, stopped)
        .values(state=None, queue_token=None, updated_at=now)
        .returning(TI.dag_run_id)
    )
    return sorted({row[0] for row in rows})


# --- clearing and marking ---------------------------------------------------------------------


@dataclass(frozen=True)
class Cleared:
    """One TI a clear reset: its identity and the state it had."""

    dag_id: str
    run_id: str
    task_id: str
    map_index: int
    state: str | None
    ti_id: int = -1


def clear(
    session: Session,
    dag_id: str,
    task_ids: Collection[str],
    *,
    now: dt.datetime,
    run_ids: Collection[str] | None = None,
    start_date: dt.datetime | None = None,
    end_date: dt.datetime | None = None,
    downstream: bool = False,
    upstream: bool = False,
    only_failed: bool = False,
    dry_run: bool = False,
) -> list[Cleared]:
    """Clear TIs so they run again, as Airflow's `tasks clear` does (see `ti_clearing`).

    Selects the tasks (plus, on request, everything downstream/upstream of them in each run's
    DAG version) in the given runs (all runs of the DAG when `run_ids` is None, optionally by
    logical date), only failed/upstream_failed ones with `only_failed`. Each cleared TI keeps
    its try in the history, loses its state (a running one becomes `restarting` until its try
    stops) and gets a fresh try budget: `max_tries = try_number + retries`. Finished runs go
    back to queued; running ones are marked for scheduling.
    """
    from slipstream.db.store.ti_clearing import ClearScope, clear_scope

    failed = (S.FAILED.value, S.UPSTREAM_FAILED.value)
    scope = ClearScope(
        task_ids=task_ids,
        run_ids=run_ids,
        start_date=start_date,
        end_date=end_date,
        upstream=upstream,
        downstream=downstream,
        states=failed if only_failed else None,
    )
    return clear_scope(session, dag_id, scope, now=now, dry_run=dry_run)


def mark_state(
    session: Session,
    dag_id: str,
    run_id: str,
    task_ids: Collection[str],
    state: str,
    *,
    now: dt.datetime,
    map_indexes: Collection[int] | None = None,
    downstream: bool = False,
    upstream: bool = False,
) -> list[int]:
    """Mark TIs success or failed by hand (with their downstream/upstream tasks on request).

    The run is marked for scheduling, and a finished run runs again so its state follows.
    Returns the ids of the TIs changed.
    """
    if state not in (S.SUCCESS.value, S.FAILED.value, S.SKIPPED.value):
        raise ValueError(f"task instances can be marked success, failed or skipped, not {state!r}")
    run = session.scalars(
        select(DagRun).where(DagRun.dag_id == dag_id, DagRun.run_id == run_id)
    ).one_or_none()
    if run is None:
        return []
    dag = _serialized(session, run.serialized_dag_id)
    wanted = _with_relatives(dag, task_ids, downstream=downstream, upstream=upstream)
    query = select(TI.id).where(
        TI.dag_run_id == run.id,
        TI.task_id.in_(sorted(wanted)),
        or_(TI.state.is_(None), TI.state != state),
    )
    if map_indexes is not None:
        query = query.where(TI.map_index.in_(list(map_indexes)))
    ids = list(session.scalars(query))
    set_state(session, ids, state, now=now)
    if ids:
        values: dict[str, Any] = {"needs_scheduling": True, "updated_at": now}
        if run.state != DagRunState.RUNNING.value:
            values.update(state=DagRunState.RUNNING.value, end_date=None)
        session.execute(_nosync(DagRun).where(DagRun.id == run.id).values(**values))
    return ids


def _with_relatives(
    dag: SerializedDAG | None, task_ids: Collection[str], *, downstream: bool, upstream: bool
) -> set[str]:
    wanted = set(task_ids)
    if dag is None or not (downstream or upstream):
        return wanted
    from slipstream.orchestration.graph import downstream_closure, upstream_closure

    for task_id in task_ids:
        if task_id not in dag.task_dict:
            continue
        if downstream:
            wanted |= downstream_closure(dag.task_dict, task_id)
        if upstream:
            wanted |= upstream_closure(dag.task_dict, task_id)
    return wanted


def _serialized(session: Session, serialized_id: int | None) -> SerializedDAG | None:
    if serialized_id is None:
        return None
    from slipstream.db.store.dags import serialized_dag_by_id

    result: SerializedDAG | None = serialized_dag_by_id(session, serialized_id)
    return result


# --- helpers ----------------------------------------------------------------------------------


def _update(session: Session, ti_ids: Collection[int], guard: Any, **values: Any) -> int:
    count = 0
    for chunk in _chunks(sorted(ti_ids)):
        query = _nosync(TI).where(TI.id.in_(chunk))
        if guard is not None:
            query = query.where(guard)
        count += _rowcount(session.execute(query.values(**values)))
    return count


def _state_in(states: Collection[str | None] | None) -> Any:
    if states is None:
        return None
    named = [s for s in states if s is not None]
    condition = TI.state.in_(named)
    return or_(condition, TI.state.is_(None)) if None in states else condition


def _rowcount(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def _chunks(ids: list[int], size: int = CHUNK) -> Iterable[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _iso(value: dt.datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _nosync(entity: Any) -> Any:
    """An UPDATE of `entity` that leaves the session's objects alone (faster; callers re-read)."""
    return update(entity).execution_options(synchronize_session=False)


# --- clearing by state (the CLI's `tasks clear --only-running`) -------------------------------


def clear_in_states(
    session: Session,
    dag_id: str,
    task_ids: Collection[str],
    states: Collection[str | None],
    *,
    now: dt.datetime,
    run_ids: Collection[str] | None = None,
    start_date: dt.datetime | None = None,
    end_date: dt.datetime | None = None,
    downstream: bool = False,
    upstream: bool = False,
    dry_run: bool = False,
) -> list[Cleared]:
    """`clear`, keeping only the TIs whose current state is one of `states` (None: no state).

    Selects like `clear` (tasks plus relatives in each run's DAG version, runs by id or logical
    date) and resets the chosen TIs the same way.
    """
    from slipstream.db.store.ti_clearing import ClearScope, clear_scope

    scope = ClearScope(
        task_ids=task_ids,
        run_ids=run_ids,
        start_date=start_date,
        end_date=end_date,
        upstream=upstream,
        downstream=downstream,
        states=states,
    )
    return clear_scope(session, dag_id, scope, now=now, dry_run=dry_run)

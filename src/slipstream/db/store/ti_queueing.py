"""Queueing task instances: the scheduled ones that may go, with what pools and concurrency limits
need to choose among them; handing the chosen ones to the executor under a queue token; and
giving back queued ones no worker took (a stuck queue, a scheduler gone).

The queue token ties a queued TI to the scheduler job that queued it (`<job id>:<uuid>`): only a
workload holding the TI's current token can claim its try (`execution.claim_try`). Statements of
every tick are built once per process, with bound (and expanding) parameters.
"""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from collections.abc import Collection
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import bindparam, func, literal, or_, select, update
from sqlalchemy.orm import Session

from slipstream.core.states import DagRunState, TaskInstanceState
from slipstream.db.models import DagModel, DagRun, Pool, TaskInstance
from slipstream.db.store._sql import chunks, nosync_update, rowcount, unindexed
from slipstream.db.store.serialized_dags import version_filelocs

__all__ = [
    "ACTIVE_STATES",
    "Candidate",
    "active_by_dag_task",
    "active_by_run_task",
    "new_queue_token",
    "occupied_pool_slots",
    "pool_slots",
    "queue",
    "requeue_stuck",
    "reset_orphaned_queued",
    "scheduled_candidates",
]

S = TaskInstanceState
TI = TaskInstance
_TI: Any = TaskInstance.__table__
ACTIVE_STATES = (S.QUEUED.value, S.RUNNING.value)
"""The states that hold pool slots and count against concurrency limits."""


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
    rows = session.execute(_candidates_statement(), {"b_limit": limit}).all()
    filelocs = version_filelocs(session, {row.serialized_dag_id for row in rows})
    candidates = [Candidate(*row) for row in rows]  # fileloc: the DAG's, if no version's
    return [
        replace(c, fileloc=filelocs[c.serialized_dag_id]) if c.serialized_dag_id in filelocs else c
        for c in candidates
    ]


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
            DagModel.fileloc,
        )
        .join(DagRun, DagRun.id == TI.dag_run_id)
        .join(DagModel, DagModel.dag_id == TI.dag_id)
        .where(
            TI.state == S.SCHEDULED.value,
            DagRun.state == DagRunState.RUNNING.value,
            DagModel.is_paused.is_(False),
        )
        # The order of `ix_task_instance_queueing_order`: read from the index, never sorted.
        .order_by(TI.priority_weight.desc(), TI.run_after, TI.map_index, TI.id)
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
    for chunk in chunks(sorted(run_ids)):
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
    for chunk in chunks(sorted(ti_ids)):
        params = {"b_ids": chunk, "b_token": token, "b_now": now}
        queued.update(row[0] for row in session.execute(_queue_statement(), params))
    return queued


@functools.cache
def _queue_statement() -> Any:
    c = _TI.c
    now: Any = bindparam("b_now")
    return (
        update(_TI)
        .where(
            c.id.in_(bindparam("b_ids", expanding=True)),
            unindexed(c.state) == S.SCHEDULED.value,
        )
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
        nosync_update(TI)
        .where(TI.state == S.QUEUED.value, TI.queued_dttm < queued_before)
        .values(state=S.SCHEDULED.value, queue_token=new_queue_token(owner), updated_at=now)
    )
    return rowcount(result)


def reset_orphaned_queued(
    session: Session, live_owners: Collection[int | str], *, owner: int | str, now: dt.datetime
) -> int:
    """Queued TIs whose token belongs to no live scheduler go back to scheduled, new token.

    Their workloads, should a worker still hold one, can no longer claim the try.
    """
    alive = [TI.queue_token.like(f"{o}:%") for o in live_owners]
    orphaned = or_(TI.queue_token.is_(None), ~or_(*alive)) if alive else literal(True)
    result = session.execute(
        nosync_update(TI)
        .where(TI.state == S.QUEUED.value, orphaned)
        .values(state=S.SCHEDULED.value, queue_token=new_queue_token(owner), updated_at=now)
    )
    return rowcount(result)

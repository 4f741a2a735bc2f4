"""What the scheduler may have to do, asked in one statement each tick.

Most ticks follow a finished try and only move its run forward, and an idle scheduler ticks
every second. Rather than run every step's queries each time, a tick first asks `pending_work`
whether scheduled runs are due, asset updates or queued runs wait, retries are due, runs are
marked for a look or task instances wait to be queued; it skips the steps with nothing to do
(and takes no write lock at all when nothing is). After its writes it asks `next_due` when the
next retry or scheduled run falls due, to know how long it may sleep. Both are single `SELECT`s
built once per process.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from slipstream.core.states import DagRunState, TaskInstanceState
from slipstream.db.models import AssetDagRunQueue, DagModel, DagRun, TaskInstance

_WAITING_TI_STATES = (
    TaskInstanceState.UP_FOR_RETRY.value,
    TaskInstanceState.UP_FOR_RESCHEDULE.value,
)


@dataclass(frozen=True)
class PendingWork:
    """Which of the steps that depend on time or on other writers have something to do."""

    dags_due: bool = True  # a scheduled run may be created
    assets_queued: bool = True  # asset updates wait for their DAGs
    runs_queued: bool = True  # queued runs wait to start
    retries_due: bool = True  # retries or reschedules fell due
    runs_dirty: bool = True  # running runs are marked for a look
    tis_scheduled: bool = True  # task instances wait to be queued
    runs_running: bool = True  # some run is running (its `dagrun_timeout` may pass)
    tis_running: bool = True  # some try is running or restarting (its heartbeat may stop)
    next_due: dt.datetime | None = None  # as `next_due` says, before this tick's writes

    def anything(self, *, open_slots: int) -> bool:
        """Whether any step has something to do (queueing only with a free slot)."""
        queue = self.tis_scheduled and open_slots > 0
        return queue or any(
            (self.dags_due, self.assets_queued, self.runs_queued, self.retries_due, self.runs_dirty)
        )


def pending_work(session: Session, *, now: dt.datetime) -> PendingWork:
    row = session.execute(_pending_statement(), {"b_now": now}).one()
    dags, assets, queued, retries, dirty, scheduled, running, tries, retry, run = row
    return PendingWork(
        dags_due=bool(dags),
        assets_queued=bool(assets),
        runs_queued=bool(queued),
        retries_due=bool(retries),
        runs_dirty=bool(dirty),
        tis_scheduled=bool(scheduled),
        runs_running=bool(running),
        tis_running=bool(tries),
        next_due=_earliest(retry, run),
    )


def next_due(session: Session) -> dt.datetime | None:
    """The earliest time a retry, a reschedule or a scheduled run of an unpaused DAG falls due."""
    return _earliest(*session.execute(_next_due_statement()).one())


def _earliest(*times: dt.datetime | None) -> dt.datetime | None:
    due = [_aware(t) for t in times if t is not None]
    return min(due) if due else None


@functools.cache
def _pending_statement() -> Any:
    now = bindparam("b_now", type_=DagModel.__table__.c.next_dagrun_create_after.type)
    dags = select(DagModel.dag_id).where(
        DagModel.next_dagrun_create_after <= now,
        DagModel.is_paused.is_(False),
        DagModel.is_stale.is_(False),
        DagModel.has_import_errors.is_(False),
    )
    assets = select(AssetDagRunQueue.asset_id)
    queued = select(DagRun.id).where(DagRun.state == DagRunState.QUEUED.value)
    retries = select(TaskInstance.id).where(
        TaskInstance.state.in_(_WAITING_TI_STATES), TaskInstance.next_try_at <= now
    )
    dirty = select(DagRun.id).where(
        DagRun.state == DagRunState.RUNNING.value, DagRun.needs_scheduling.is_(True)
    )
    scheduled = select(TaskInstance.id).where(
        TaskInstance.state == TaskInstanceState.SCHEDULED.value
    )
    running = select(DagRun.id).where(DagRun.state == DagRunState.RUNNING.value)
    tries = select(TaskInstance.id).where(
        TaskInstance.state.in_(
            (TaskInstanceState.RUNNING.value, TaskInstanceState.RESTARTING.value)
        )
    )
    looks = (dags, assets, queued, retries, dirty, scheduled, running, tries)
    return select(*(q.exists() for q in looks), *_next_due_columns())


@functools.cache
def _next_due_statement() -> Any:
    return select(*_next_due_columns())


def _next_due_columns() -> tuple[Any, Any]:
    retry = (
        select(func.min(TaskInstance.next_try_at))
        .where(TaskInstance.state.in_(_WAITING_TI_STATES))
        .scalar_subquery()
    )
    run = (
        select(func.min(DagModel.next_dagrun_create_after))
        .where(DagModel.is_paused.is_(False), DagModel.is_stale.is_(False))
        .scalar_subquery()
    )
    return retry, run


def _aware(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value

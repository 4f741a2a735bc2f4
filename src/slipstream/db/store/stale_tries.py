"""Running tries whose supervisor vanished: the scheduler fails them, or retries them by the
task's policy, once their heartbeat is too old (docs/engine-design.md).

Like every end of a try, the change is conditioned on the TI still running the same try, the
try is recorded in the history and its run is marked for scheduling.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import and_, bindparam, or_, select, update
from sqlalchemy.orm import Session

from slipstream.core.states import TaskInstanceState
from slipstream.db.models import DagRun, SerializedDagModel, TaskInstance
from slipstream.db.store.serialized_dags import serialized_dag_data
from slipstream.db.store.try_history import history_row, mark_runs, record_history

__all__ = ["reap_stale_running"]

S = TaskInstanceState
TI = TaskInstance
_TI = cast(Any, TaskInstance.__table__)


def reap_stale_running(
    session: Session, older_than: dt.datetime, *, now: dt.datetime | None = None
) -> list[int]:
    """Fail, or retry by policy, running TIs whose heartbeat is older than `older_than`.

    For each one the retry policy is the task's in the run's serialized DAG (`retries`,
    `retry_delay`, backoff) with the TI's `max_tries` when set: the TI becomes `up_for_retry`
    with `next_try_at`, or `failed`. The try is recorded in the history and the runs are marked
    for scheduling. Returns the ids moved, in id order. On PostgreSQL rows another scheduler is
    reaping are skipped (`FOR UPDATE SKIP LOCKED`).
    """
    now = now or dt.datetime.now(dt.UTC)
    stale = or_(
        TI.last_heartbeat_at < older_than,
        and_(
            TI.last_heartbeat_at.is_(None),
            or_(TI.start_date.is_(None), TI.start_date < older_than),
        ),
    )
    tis = list(
        session.execute(
            select(TI)
            .where(TI.state == S.RUNNING.value, stale)
            .order_by(TI.id)
            .with_for_update(skip_locked=True)
        ).scalars()
    )
    if not tis:
        return []
    policies = _retry_policies(session, tis)
    updates: list[dict[str, Any]] = []
    history: list[dict[str, Any]] = []
    for ti in tis:
        state, next_try_at = _state_after_lost_try(ti, policies.get(ti.id), now)
        duration = (now - ti.start_date).total_seconds() if ti.start_date else None
        updates.append(
            {
                "r_id": ti.id,
                "r_try": ti.try_number,
                "r_state": state.value,
                "r_next": next_try_at,
                "r_end": now,
                "r_duration": duration,
            }
        )
        history.append(history_row(ti, state, now, duration))
    session.execute(
        update(_TI)
        .where(
            _TI.c.id == bindparam("r_id"),
            _TI.c.try_number == bindparam("r_try"),
            _TI.c.state == S.RUNNING.value,
        )
        .values(
            state=bindparam("r_state"),
            next_try_at=bindparam("r_next"),
            end_date=bindparam("r_end"),
            duration=bindparam("r_duration"),
            updated_at=bindparam("r_end"),
        ),
        updates,
    )
    record_history(session, history)
    mark_runs(session, [ti.dag_run_id for ti in tis])
    return [ti.id for ti in tis]


def _retry_policies(session: Session, tis: Sequence[Any]) -> dict[int, Any]:
    """The serialized task of each TI (by TI id), read once per serialized DAG."""
    from slipstream.serialization import SerializationError, deserialize_dag

    run_ids = {ti.dag_run_id for ti in tis}
    runs: dict[int, int | None] = dict(
        session.execute(
            select(DagRun.id, DagRun.serialized_dag_id).where(DagRun.id.in_(run_ids))
        ).all()
    )
    wanted = {runs[ti.dag_run_id] for ti in tis if runs.get(ti.dag_run_id) is not None}
    data: dict[int, Any] = dict(
        session.execute(
            select(SerializedDagModel.id, SerializedDagModel.data).where(
                SerializedDagModel.id.in_(wanted)
            )
        ).all()
    )
    dags: dict[Any, Any] = {}
    policies: dict[int, Any] = {}
    for ti in tis:
        key = runs.get(ti.dag_run_id)
        if key not in dags:
            raw = data.get(key) if key is not None else None
            if raw is None:
                raw = serialized_dag_data(session, serialized_dag_id=None, dag_id=ti.dag_id)
            try:
                dags[key] = deserialize_dag(raw) if raw is not None else None
            except SerializationError:
                dags[key] = None
        dag = dags[key]
        if dag is not None and ti.task_id in dag.task_dict:
            policies[ti.id] = dag.task_dict[ti.task_id]
    return policies


def _state_after_lost_try(
    ti: Any, task: Any, now: dt.datetime
) -> tuple[TaskInstanceState, dt.datetime | None]:
    from slipstream.orchestration.retries import next_state_after_failure, retry_delay_for

    if task is None:
        return S.FAILED, None
    state = next_state_after_failure(task, ti.try_number, max_tries=ti.max_tries or None)
    if state is S.UP_FOR_RETRY:
        return state, now + retry_delay_for(task, ti.try_number)
    return state, None

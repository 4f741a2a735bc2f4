"""Marking task instances by hand, as the REST API does: a new state (success, failed, skipped)
for one task in a run, optionally with its upstream/downstream tasks and the same tasks in
earlier/later runs, a dry run of the same, and notes; and `mark_state`, a simpler marking of
one run's task instances that clears nothing.

As in Airflow, marking a task also clears the failed and upstream_failed task instances
downstream of it in the runs it touched (the marked ones excepted), so that a run blocked by a
failure goes on; the runs touched are reopened and marked for the scheduler's next look.
Functions take the caller's session and never commit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from slipstream.core.exceptions import AirflowBadRequest
from slipstream.core.states import DagRunState, TaskInstanceState
from slipstream.db.models import DagRun, TaskInstance
from slipstream.db.store._sql import chunks, nosync_update
from slipstream.db.store.serialized_dags import latest_serialized_dag, serialized_dag_by_id
from slipstream.db.store.task_instances import set_state
from slipstream.db.store.ti_clearing import reset_for_rerun, with_relatives
from slipstream.db.store.try_history import copy_to_history

__all__ = ["MARKABLE_STATES", "mark_state", "mark_task_instances", "set_notes"]

S = TaskInstanceState
TI = TaskInstance
MARKABLE_STATES = (S.SUCCESS.value, S.FAILED.value, S.SKIPPED.value)
_FAILED = (S.FAILED.value, S.UPSTREAM_FAILED.value)
_FINISHED_RUN = (DagRunState.SUCCESS.value, DagRunState.FAILED.value)


def mark_task_instances(
    session: Session,
    run: DagRun,
    task_ids: Collection[str],
    state: str,
    *,
    now: dt.datetime,
    map_indexes: Collection[int] | None = None,
    upstream: bool = False,
    downstream: bool = False,
    past: bool = False,
    future: bool = False,
    dry_run: bool = False,
) -> list[int]:
    """Set `state` on the TIs of `task_ids` in `run` (only `map_indexes`, when given), plus on
    request every TI of the tasks upstream/downstream of them (in the DAG's newest version),
    and the same in the DAG's runs with an earlier (`past`) or later (`future`) logical date.

    Returns the ids of the TIs whose state changes (those already in `state` do not). With
    `dry_run`, nothing is written. Raises `AirflowBadRequest` for a state other than success,
    failed or skipped, or for `past`/`future` on a run without a logical date.
    """
    if state not in MARKABLE_STATES:
        raise AirflowBadRequest(
            f"Task instances can be marked {', '.join(MARKABLE_STATES)}, not {state!r}"
        )
    latest = latest_serialized_dag(session, run.dag_id)
    dag = None if latest is None else latest[1]
    named = set(task_ids)
    relatives = with_relatives(dag, named, downstream=downstream, upstream=upstream) - named
    runs = _runs_around(session, run, past=past, future=future)
    own: Any = TI.task_id.in_(sorted(named))
    if map_indexes is not None:
        own = and_(own, TI.map_index.in_(list(map_indexes)))
    rows = session.execute(
        select(TI.id, TI.dag_run_id).where(
            TI.dag_run_id.in_([r.id for r in runs]),
            or_(own, TI.task_id.in_(sorted(relatives))),
            or_(TI.state.is_(None), TI.state != state),
        )
    ).all()
    ids = sorted(row[0] for row in rows)
    if dry_run or not ids:
        return ids
    set_state(session, ids, state, now=now)
    cleared_runs = _clear_failed_downstream(session, dag, named, runs, set(ids), now=now)
    _reopen_runs(session, {row[1] for row in rows} | cleared_runs, now=now)
    return ids


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
    """Mark TIs of one run by hand (with their downstream/upstream tasks in the run's DAG
    version, on request): success, failed or skipped.

    Unlike `mark_task_instances`, nothing downstream is cleared. The run is marked for
    scheduling, and a finished run runs again so its state follows. Returns the ids of the TIs
    changed.
    """
    if state not in (S.SUCCESS.value, S.FAILED.value, S.SKIPPED.value):
        raise ValueError(f"task instances can be marked success, failed or skipped, not {state!r}")
    run = session.scalars(
        select(DagRun).where(DagRun.dag_id == dag_id, DagRun.run_id == run_id)
    ).one_or_none()
    if run is None:
        return []
    version_id = run.serialized_dag_id
    dag = None if version_id is None else serialized_dag_by_id(session, version_id)
    wanted = with_relatives(dag, task_ids, downstream=downstream, upstream=upstream)
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
        session.execute(nosync_update(DagRun).where(DagRun.id == run.id).values(**values))
    return ids


def set_notes(session: Session, ti_ids: Collection[int], note: str | None) -> None:
    """Set (or, with None, remove) the note of these TIs."""
    for chunk in chunks(sorted(ti_ids)):
        session.execute(nosync_update(TI).where(TI.id.in_(chunk)).values(note=note))


def _runs_around(session: Session, run: DagRun, *, past: bool, future: bool) -> list[DagRun]:
    if not (past or future):
        return [run]
    if run.logical_date is None:
        raise AirflowBadRequest(
            f"Run '{run.run_id}' of DAG '{run.dag_id}' has no logical date (it was triggered "
            "by hand or by an asset): include_past and include_future cannot be used with it"
        )
    query = select(DagRun).where(DagRun.dag_id == run.dag_id)
    if not past:
        query = query.where(DagRun.logical_date >= run.logical_date)
    if not future:
        query = query.where(DagRun.logical_date <= run.logical_date)
    return list(session.scalars(query))


def _clear_failed_downstream(
    session: Session,
    dag: Any,
    task_ids: set[str],
    runs: list[DagRun],
    marked: set[int],
    *,
    now: dt.datetime,
) -> set[int]:
    """Clear the failed/upstream_failed TIs downstream of `task_ids` in `runs` that were not
    just marked; returns the ids of the runs they belong to."""
    downstream = with_relatives(dag, task_ids, downstream=True, upstream=False) - task_ids
    if not downstream:
        return set()
    rows = session.execute(
        select(TI.id, TI.task_id, TI.map_index, TI.state, TI.dag_run_id).where(
            TI.dag_run_id.in_([r.id for r in runs]),
            TI.task_id.in_(sorted(downstream)),
            TI.state.in_(_FAILED),
        )
    ).all()
    chosen = [
        (ti_id, task, index, ti_state, run_pk, _retries(dag, task))
        for ti_id, task, index, ti_state, run_pk in rows
        if ti_id not in marked
    ]
    if not chosen:
        return set()
    copy_to_history(session, [c[0] for c in chosen])
    reset_for_rerun(session, chosen, now=now)
    return {c[4] for c in chosen}


def _retries(dag: Any, task_id: str) -> int:
    task = None if dag is None else dag.task_dict.get(task_id)
    return 0 if task is None else int(task.retries)


def _reopen_runs(session: Session, run_pks: set[int], *, now: dt.datetime) -> None:
    """Finished runs run again (so their state follows the TIs); all are marked for a look."""
    if not run_pks:
        return
    pks = sorted(run_pks)
    session.execute(
        nosync_update(DagRun)
        .where(DagRun.id.in_(pks), DagRun.state.in_(_FINISHED_RUN))
        .values(state=DagRunState.RUNNING.value, end_date=None)
    )
    session.execute(
        nosync_update(DagRun)
        .where(DagRun.id.in_(pks))
        .values(needs_scheduling=True, updated_at=now)
    )

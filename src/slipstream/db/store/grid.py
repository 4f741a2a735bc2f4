"""What the web UI's grid of a DAG reads: a page of its newest runs, their task instances,
and the stored data of the older DAG versions some of them used.

A fixed handful of queries whatever the number of runs and tasks: the grid of 100 runs by 100
tasks reads 10,000 task instances in one statement, never one per run. The map indexes of a
mapped task are read one by one only for the tasks the UI shows expanded; for the others the
database counts them per state (`mapped_summaries`), so 100 runs of a task mapped over 5,000
items cost a few hundred rows, not 500,000.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping
from typing import Any, NamedTuple

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from slipstream.db.models import DagRun, SerializedDagModel, TaskInstance

__all__ = [
    "GridMapRow",
    "GridRunRow",
    "GridTIRow",
    "find_runs",
    "mapped_summaries",
    "task_instances_of",
    "version_data",
]


class GridRunRow(NamedTuple):
    """One run as the grid shows it (`id` is the row's key, for reading its task instances)."""

    id: int
    run_id: str
    state: str
    run_type: str
    run_after: dt.datetime
    logical_date: dt.datetime | None
    queued_at: dt.datetime | None
    start_date: dt.datetime | None
    end_date: dt.datetime | None
    serialized_dag_id: int | None


class GridTIRow(NamedTuple):
    """One task instance (or one map index of a mapped task) of a shown run."""

    dag_run_id: int
    task_id: str
    map_index: int
    state: str | None
    try_number: int
    start_date: dt.datetime | None
    end_date: dt.datetime | None
    duration: float | None


class GridMapRow(NamedTuple):
    """The map indexes of one mapped task in one run that share a state: how many, their
    highest try, earliest start and latest end."""

    dag_run_id: int
    task_id: str
    state: str | None
    indexes: int
    try_number: int
    start_date: dt.datetime | None
    end_date: dt.datetime | None


def find_runs(
    session: Session,
    dag_id: str,
    *,
    limit: int,
    offset: int = 0,
    run_after_lte: dt.datetime | None = None,
) -> tuple[list[GridRunRow], int]:
    """The DAG's runs, newest first (by `run_after`, then creation), from `offset` on, at most
    `limit`; only those due at or before `run_after_lte` when given. Also how many match in
    all, for the UI to say how far back the page reaches."""
    conditions = [DagRun.dag_id == dag_id]
    if run_after_lte is not None:
        conditions.append(DagRun.run_after <= run_after_lte)
    rows = session.execute(
        select(
            DagRun.id,
            DagRun.run_id,
            DagRun.state,
            DagRun.run_type,
            DagRun.run_after,
            DagRun.logical_date,
            DagRun.queued_at,
            DagRun.start_date,
            DagRun.end_date,
            DagRun.serialized_dag_id,
        )
        .where(*conditions)
        .order_by(DagRun.run_after.desc(), DagRun.id.desc())
        .limit(limit)
        .offset(offset)
    )
    runs = [GridRunRow._make(row) for row in rows]
    total = session.scalar(select(func.count()).select_from(DagRun).where(*conditions))
    return runs, int(total or 0)


def task_instances_of(
    session: Session, run_ids: Collection[int], expanded: Collection[str] = ()
) -> list[GridTIRow]:
    """The task instances of these runs (by row id), in one query: every unmapped one (and
    each mapped task's placeholder, index -1), and the map indexes of the `expanded` tasks."""
    if not run_ids:
        return []
    shown = TaskInstance.map_index < 0
    if expanded:
        shown = or_(shown, TaskInstance.task_id.in_(list(expanded)))
    rows = session.connection().execute(  # Core: no ORM row processing for 10,000 rows
        select(
            TaskInstance.dag_run_id,
            TaskInstance.task_id,
            TaskInstance.map_index,
            TaskInstance.state,
            TaskInstance.try_number,
            TaskInstance.start_date,
            TaskInstance.end_date,
            TaskInstance.duration,
        ).where(TaskInstance.dag_run_id.in_(list(run_ids)), shown)
    )
    return [GridTIRow._make(row) for row in rows]


def mapped_summaries(
    session: Session, run_ids: Collection[int], expanded: Collection[str] = ()
) -> list[GridMapRow]:
    """The map indexes of these runs' mapped tasks other than the `expanded` ones, counted per
    run, task and state, in one query."""
    if not run_ids:
        return []
    conditions = [TaskInstance.dag_run_id.in_(list(run_ids)), TaskInstance.map_index >= 0]
    if expanded:
        conditions.append(TaskInstance.task_id.not_in(list(expanded)))
    rows = session.connection().execute(
        select(
            TaskInstance.dag_run_id,
            TaskInstance.task_id,
            TaskInstance.state,
            func.count(),
            func.max(TaskInstance.try_number),
            func.min(TaskInstance.start_date),
            func.max(TaskInstance.end_date),
        )
        .where(*conditions)
        .group_by(TaskInstance.dag_run_id, TaskInstance.task_id, TaskInstance.state)
    )
    return [GridMapRow._make(row) for row in rows]


def version_data(session: Session, version_ids: Collection[int]) -> dict[int, Mapping[str, Any]]:
    """`id -> stored data` of these DAG versions, in one query (older versions whose tasks the
    newest one no longer has)."""
    if not version_ids:
        return {}
    rows = session.execute(
        select(SerializedDagModel.id, SerializedDagModel.data).where(
            SerializedDagModel.id.in_(list(version_ids))
        )
    )
    return {version_id: data for version_id, data in rows if isinstance(data, Mapping)}

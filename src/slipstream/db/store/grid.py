"""What the web UI's grid of a DAG reads: a page of its newest runs, every task instance of
those runs, and the stored data of the older DAG versions some of them used.

Three queries (four with the count of runs) whatever the number of runs and tasks: the grid
of 100 runs by 100 tasks reads 10,000 task instances in one statement, never one per run.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping
from typing import Any, NamedTuple

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from slipstream.db.models import DagRun, SerializedDagModel, TaskInstance

__all__ = ["GridRunRow", "GridTIRow", "find_runs", "task_instances_of", "version_data"]


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


def task_instances_of(session: Session, run_ids: Collection[int]) -> list[GridTIRow]:
    """Every task instance of these runs (by row id), in one query."""
    if not run_ids:
        return []
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
        ).where(TaskInstance.dag_run_id.in_(list(run_ids)))
    )
    return [GridTIRow._make(row) for row in rows]


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

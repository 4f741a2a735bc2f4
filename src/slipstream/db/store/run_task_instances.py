"""What the web UI's run page, Gantt chart and graph read of one DAG run: the run, and every
one of its task instances in one statement, however many map indexes it has."""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from slipstream.db.models import DagRun, TaskInstance

__all__ = ["RunRow", "RunTIRow", "find_run", "task_instances_of_run"]


class RunRow(NamedTuple):
    """The run (`id` is the row's key, for reading its task instances)."""

    id: int
    state: str
    serialized_dag_id: int | None


class RunTIRow(NamedTuple):
    """One task instance (or one map index of a mapped task) of the run."""

    task_id: str
    map_index: int
    rendered_map_index: str | None
    state: str | None
    try_number: int
    max_tries: int
    operator: str | None
    custom_operator_name: str | None
    queued_dttm: dt.datetime | None
    scheduled_dttm: dt.datetime | None
    start_date: dt.datetime | None
    end_date: dt.datetime | None
    duration: float | None


def find_run(session: Session, dag_id: str, run_id: str) -> RunRow | None:
    """The DAG's run of this id, or None."""
    row = session.execute(
        select(DagRun.id, DagRun.state, DagRun.serialized_dag_id).where(
            DagRun.dag_id == dag_id, DagRun.run_id == run_id
        )
    ).first()
    return None if row is None else RunRow._make(row)


def task_instances_of_run(session: Session, run_row_id: int) -> list[RunTIRow]:
    """Every task instance of the run (by its row id), in the order they were created (a
    mapped task's indexes in index order), in one query."""
    rows = session.connection().execute(  # Core: no ORM row processing for 10,000 rows
        select(
            TaskInstance.task_id,
            TaskInstance.map_index,
            TaskInstance.rendered_map_index,
            TaskInstance.state,
            TaskInstance.try_number,
            TaskInstance.max_tries,
            TaskInstance.operator,
            TaskInstance.custom_operator_name,
            TaskInstance.queued_dttm,
            TaskInstance.scheduled_dttm,
            TaskInstance.start_date,
            TaskInstance.end_date,
            TaskInstance.duration,
        )
        .where(TaskInstance.dag_run_id == run_row_id)
        .order_by(TaskInstance.id)
    )
    return [RunTIRow._make(row) for row in rows]

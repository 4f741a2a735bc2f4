"""DAGs in the metadata database: the `dag` row of each DAG id (what the DAG processor last saw,
and the pause flag users set), and the reads the scheduler, API and CLI make of them.

The DAG processor writes these rows (`dag_processing.collection`); users change only
`is_paused` (`set_paused`, `set_paused_many`) or delete a DAG's records (`delete_dag`); the
scheduler maintains `next_dagrun*` after the first computation (`store.runs.set_next_dagrun`).
Versions of a DAG's structure live in `serialized_dags` (`delete_dag` deletes them too); the two
functions that read them are re-exported here. The REST API's filtered listing is in `dag_listing`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Collection, Sequence

from sqlalchemy import Text, and_, cast, delete, func, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from slipstream.core.exceptions import AirflowException, AirflowNotFoundException
from slipstream.core.run_types import DagRunType
from slipstream.core.states import TaskInstanceState
from slipstream.db.models import (
    AssetDagRunQueue,
    DagModel,
    DagRun,
    DagScheduleAssetReference,
    SerializedDagModel,
    TaskInstance,
    TaskInstanceHistory,
    XCom,
)
from slipstream.db.store._sql import chunks, rowcount
from slipstream.db.store.serialized_dags import latest_serialized_dag, serialized_dag_by_id

__all__ = [
    "DagHasRunningTasks",
    "active_dag_files",
    "add_dag_model",
    "dags_due",
    "dags_with_scheduled_runs",
    "dags_in_files",
    "delete_dag",
    "get_dag_model",
    "get_dag_models",
    "has_tag",
    "latest_serialized_dag",
    "list_dags",
    "mark_stale",
    "serialized_dag_by_id",
    "set_import_error_flag",
    "set_paused",
    "set_paused_many",
]


class DagHasRunningTasks(AirflowException):
    """A DAG cannot be deleted while some of its task instances run."""


# --- reading --------------------------------------------------------------------------------


def get_dag_model(session: Session, dag_id: str) -> DagModel | None:
    return session.get(DagModel, dag_id)


def get_dag_models(session: Session, dag_ids: Collection[str]) -> dict[str, DagModel]:
    if not dag_ids:
        return {}
    rows = session.scalars(select(DagModel).where(DagModel.dag_id.in_(list(dag_ids))))
    return {row.dag_id: row for row in rows}


def list_dags(
    session: Session,
    *,
    paused: bool | None = None,
    stale: bool | None = False,
    tags: Sequence[str] | None = None,
    tags_match_mode: str = "any",
    pattern: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[DagModel], int]:
    """One page of DAGs by `dag_id`, and how many match in all.

    `paused` / `stale`: only DAGs with that flag (None: either). `tags`: DAGs with any (or, with
    `tags_match_mode="all"`, every) one of them. `pattern`: a case-insensitive substring of the
    DAG id, where `%` and `_` are SQL `LIKE` wildcards (as Airflow's `dag_id_pattern`).
    """
    conditions: list[ColumnElement[bool]] = []
    if paused is not None:
        conditions.append(DagModel.is_paused.is_(paused))
    if stale is not None:
        conditions.append(DagModel.is_stale.is_(stale))
    if tags:
        matches = [has_tag(tag) for tag in tags]
        conditions.append(and_(*matches) if tags_match_mode == "all" else or_(*matches))
    if pattern:
        conditions.append(DagModel.dag_id.ilike(f"%{pattern}%"))
    total = session.scalar(select(func.count()).select_from(DagModel).where(*conditions)) or 0
    rows = session.scalars(
        select(DagModel).where(*conditions).order_by(DagModel.dag_id).limit(limit).offset(offset)
    )
    return list(rows), int(total)


def has_tag(tag: str) -> ColumnElement[bool]:
    """The DAG has this tag (the whole tag: `team` does not match `team_a`)."""
    # Tags are stored as a JSON list; a tag appears in its text as its JSON string.
    needle = json.dumps(tag).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return cast(DagModel.tags, Text).like(f"%{needle}%", escape="\\")


def dags_due(session: Session, now: dt.datetime, limit: int) -> list[DagModel]:
    """DAGs whose next scheduled run may be created now, the longest waiting first.

    Only active DAGs count: not paused, not stale, their file without import errors.
    """
    return list(
        session.scalars(
            select(DagModel)
            .where(
                DagModel.next_dagrun_create_after <= now,
                DagModel.is_paused.is_(False),
                DagModel.is_stale.is_(False),
                DagModel.has_import_errors.is_(False),
            )
            .order_by(DagModel.next_dagrun_create_after, DagModel.dag_id)
            .limit(limit)
        )
    )


def dags_in_files(session: Session, filenames: Collection[str]) -> list[DagModel]:
    """The DAG rows whose `fileloc` is one of these files (stale or not)."""
    if not filenames:
        return []
    return list(session.scalars(select(DagModel).where(DagModel.fileloc.in_(list(filenames)))))


def active_dag_files(session: Session) -> list[tuple[str, str]]:
    """`(dag_id, fileloc)` of every DAG not marked stale."""
    rows = session.execute(
        select(DagModel.dag_id, DagModel.fileloc).where(DagModel.is_stale.is_(False))
    )
    return [(dag_id, fileloc) for dag_id, fileloc in rows]


def dags_with_scheduled_runs(session: Session, dag_ids: Collection[str]) -> set[str]:
    """Which of these DAGs have a scheduled run (whose interval their next run follows)."""
    found: set[str] = set()
    for chunk in chunks(sorted(set(dag_ids))):
        found.update(
            session.scalars(
                select(DagRun.dag_id)
                .where(DagRun.dag_id.in_(chunk), DagRun.run_type == DagRunType.SCHEDULED.value)
                .distinct()
            )
        )
    return found


# --- writing --------------------------------------------------------------------------------


def set_paused(session: Session, dag_id: str, paused: bool) -> bool:
    """Pause or unpause a DAG; False when there is no such DAG."""
    result = session.execute(
        update(DagModel).where(DagModel.dag_id == dag_id).values(is_paused=paused)
    )
    return bool(rowcount(result))


def set_paused_many(session: Session, dag_ids: Collection[str], paused: bool) -> list[str]:
    """Pause or unpause these DAGs in one statement; returns the ids whose flag changed."""
    if not dag_ids:
        return []
    changed = list(
        session.scalars(
            select(DagModel.dag_id).where(
                DagModel.dag_id.in_(list(dag_ids)), DagModel.is_paused.is_not(paused)
            )
        )
    )
    if changed:
        session.execute(
            update(DagModel)
            .where(DagModel.dag_id.in_(changed))
            .values(is_paused=paused)
            .execution_options(synchronize_session="fetch")
        )
    return sorted(changed)


def delete_dag(session: Session, dag_id: str) -> dict[str, int]:
    """Forget a DAG as Airflow's "delete DAG" does: its `dag` row, its stored versions, its runs
    with their task instances, tries, reschedules, XComs and triggering asset events, its asset
    references and queued asset updates. Returns how many rows of each kind went.

    The audit log keeps its events. If the DAG's file is still in the DAGs folder, the DAG
    processor adds the DAG again on its next parse, as a new DAG (paused or not as new DAGs
    are) whose versions start again at 1, as in Airflow. Version ids are never reused (see
    `SerializedDagModel`), so no process can mistake a new version for a deleted one it cached.

    Raises `AirflowNotFoundException` when there is no such DAG and `DagHasRunningTasks` while a
    task instance of it is running.
    """
    if get_dag_model(session, dag_id) is None:
        raise AirflowNotFoundException(f"DAG '{dag_id}' not found")
    running = session.scalar(
        select(func.count())
        .select_from(TaskInstance)
        .where(TaskInstance.dag_id == dag_id, TaskInstance.state == TaskInstanceState.RUNNING)
    )
    if running:
        raise DagHasRunningTasks(
            f"DAG '{dag_id}' cannot be deleted: {running} of its task instances are running"
        )
    counts: dict[str, int] = {}
    for name, table, column in (
        ("xcom", XCom, XCom.dag_id),
        ("task_instance_history", TaskInstanceHistory, TaskInstanceHistory.dag_id),
        ("task_instance", TaskInstance, TaskInstance.dag_id),
        ("dag_run", DagRun, DagRun.dag_id),
        ("serialized_dag", SerializedDagModel, SerializedDagModel.dag_id),
        ("asset_dag_run_queue", AssetDagRunQueue, AssetDagRunQueue.target_dag_id),
        (
            "dag_schedule_asset_reference",
            DagScheduleAssetReference,
            DagScheduleAssetReference.dag_id,
        ),
        ("dag", DagModel, DagModel.dag_id),
    ):
        result = session.execute(
            delete(table).where(column == dag_id).execution_options(synchronize_session=False)
        )
        counts[name] = rowcount(result)
    return counts


def add_dag_model(session: Session, dag_id: str, *, is_paused: bool) -> DagModel:
    """A new `dag` row (pending in the session; filled in by the caller)."""
    row = DagModel(
        dag_id=dag_id,
        is_paused=is_paused,
        is_stale=False,
        fileloc="",
        owners="",
        tags=[],
        max_active_tasks=16,
        max_consecutive_failed_dag_runs=0,
        has_import_errors=False,
    )
    session.add(row)
    return row


def mark_stale(session: Session, dag_ids: Collection[str]) -> int:
    """Mark these DAGs stale (their file, or their definition in it, is gone)."""
    if not dag_ids:
        return 0
    result = session.execute(
        update(DagModel)
        .where(DagModel.dag_id.in_(list(dag_ids)), DagModel.is_stale.is_(False))
        .values(is_stale=True)
    )
    return rowcount(result)


def set_import_error_flag(session: Session, filenames: Collection[str], flag: bool) -> None:
    """Set `has_import_errors` of every DAG defined in these files."""
    if not filenames:
        return
    session.execute(
        update(DagModel)
        .where(DagModel.fileloc.in_(list(filenames)), DagModel.has_import_errors.is_not(flag))
        .values(has_import_errors=flag)
    )

"""The tasks of a DAG (Airflow 3's "Task" routes), as its newest stored version describes them:
the API never imports DAG files."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import HTTPException, status
from sqlalchemy.orm import Session

from slipstream.api.deps import ReadSession
from slipstream.api.errors import documented
from slipstream.api.routes.dags import require_dag
from slipstream.api.routing import api_router
from slipstream.api.schemas.tasks import (
    SORT_FIELDS,
    TaskCollectionResponse,
    TaskResponse,
    task_response,
)
from slipstream.api.security import requires
from slipstream.core.exceptions import AirflowNotFoundException
from slipstream.db.store import dags as dag_store

if TYPE_CHECKING:
    from slipstream.serialization import SerializedDAG

router = api_router(tags=["Task"], dependencies=[requires("dag")])


@router.get("/dags/{dag_id}/tasks", responses=documented(400, 404))
def get_tasks(
    dag_id: str, session: ReadSession, order_by: str = "task_id"
) -> TaskCollectionResponse:
    """Every task of the DAG, sorted by one field (`-field` for descending)."""
    field = order_by.strip().removeprefix("-")
    if field not in SORT_FIELDS:
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST,
            f"Tasks cannot be sorted by {field!r}; choose from: {', '.join(sorted(SORT_FIELDS))}",
        )
    tasks = [task_response(task) for task in _dag(session, dag_id).tasks]
    descending = order_by.strip().startswith("-")
    tasks.sort(key=lambda task: _sort_key(getattr(task, field)), reverse=descending)
    return TaskCollectionResponse(tasks=tasks, total_entries=len(tasks))


@router.get("/dags/{dag_id}/tasks/{task_id}", responses=documented(400, 404))
def get_task(dag_id: str, task_id: str, session: ReadSession) -> TaskResponse:
    dag = _dag(session, dag_id)
    if not dag.has_task(task_id):
        raise AirflowNotFoundException(f"Task '{task_id}' not found in DAG '{dag_id}'")
    return task_response(dag.get_task(task_id))


def _dag(session: Session, dag_id: str) -> SerializedDAG:
    """The DAG's newest stored version; 404 when the DAG (or any version of it) is unknown."""
    require_dag(session, dag_id)
    found = dag_store.latest_serialized_dag(session, dag_id)
    if found is None:
        raise AirflowNotFoundException(
            f"DAG '{dag_id}' has no stored version yet (has the DAG processor parsed its file?)"
        )
    return found[1]


def _sort_key(value: Any) -> tuple[bool, Any]:
    """Missing values first, then the values themselves (durations by their length)."""
    if value is None:
        return (False, 0)
    if hasattr(value, "days") and hasattr(value, "microseconds"):
        return (True, (value.days, value.seconds, value.microseconds))
    return (True, value)

"""XCom entries of task instances (tag "XCom"): browse, read, create and change them.

`~` in place of the DAG, run or task id lists entries of every one. Entries made here are stored
as tasks store theirs (JSON), so a downstream task pulls the value the caller sent.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import HTTPException, Query, Request, status
from sqlalchemy.orm import Session

from slipstream.api import audit
from slipstream.api.deps import Db, ReadSession
from slipstream.api.errors import documented
from slipstream.api.pagination import LimitParam, OffsetParam, OrderByParam, page_of
from slipstream.api.params import INT64_MAX, IntQuery, now, range_query
from slipstream.api.routing import api_router
from slipstream.api.schemas.xcom import (
    XComCollectionResponse,
    XComCreateBody,
    XComResponse,
    XComResponseNative,
    XComResponseString,
    XComUpdateBody,
)
from slipstream.api.security import AuthenticatedUser, DagUser
from slipstream.db.models import DagRun
from slipstream.db.store import dags as dag_store
from slipstream.db.store import execution, xcom_entries
from slipstream.db.store import runs as run_store
from slipstream.db.store.ranges import Bounds
from slipstream.db.store.xcom_entries import XComEntry, XComFilter

router = api_router(
    prefix="/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/xcomEntries",
    tags=["XCom"],
)

Text = Annotated[str | None, Query()]
MapIndex = Annotated[int, Query(ge=-1, le=INT64_MAX)]

DEFAULT_ORDER = "dag_id,task_id,run_id,map_index,key"


@router.get("", response_model=XComCollectionResponse, responses=documented(400))
def get_xcom_entries(
    request: Request,
    session: ReadSession,
    user: DagUser,
    dag_id: str,
    dag_run_id: str,
    task_id: str,
    logical_date: Annotated[Bounds, range_query("logical_date")],
    run_after: Annotated[Bounds, range_query("run_after")],
    xcom_key: Text = None,
    map_index: Annotated[int | None, Query(ge=-1, le=INT64_MAX)] = None,
    limit: LimitParam = None,
    offset: OffsetParam = 0,
    order_by: OrderByParam = None,
    xcom_key_pattern: Text = None,
    xcom_key_prefix_pattern: Text = None,
    dag_display_name_pattern: Text = None,
    dag_display_name_prefix_pattern: Text = None,
    run_id_pattern: Text = None,
    run_id_prefix_pattern: Text = None,
    task_id_pattern: Text = None,
    task_id_prefix_pattern: Text = None,
    map_index_filter: IntQuery = None,
) -> XComCollectionResponse:
    """Entries of one task instance, or of many with `~` ids, without their values."""
    page = page_of(
        request,
        limit,
        offset,
        order_by,
        allowed=xcom_entries.XCOM_COLUMNS,
        default=DEFAULT_ORDER,
    )
    if map_index is not None and map_index_filter is not None and map_index != map_index_filter:
        return XComCollectionResponse(xcom_entries=[], total_entries=0)
    where = XComFilter(
        dag_id=dag_id,
        run_id=dag_run_id,
        task_id=task_id,
        key=xcom_key,
        map_index=map_index if map_index is not None else map_index_filter,
        patterns={
            "key": xcom_key_pattern,
            "dag_id": dag_display_name_pattern,
            "run_id": run_id_pattern,
            "task_id": task_id_pattern,
        },
        prefixes={
            "key": xcom_key_prefix_pattern,
            "dag_id": dag_display_name_prefix_pattern,
            "run_id": run_id_prefix_pattern,
            "task_id": task_id_prefix_pattern,
        },
        logical_date=logical_date if logical_date.is_set else None,
        run_after=run_after if run_after.is_set else None,
    )
    entries, total = xcom_entries.page_entries(session, where, page)
    return XComCollectionResponse(
        xcom_entries=[XComResponse.of(e) for e in entries], total_entries=total
    )


@router.get(
    "/{xcom_key}",
    response_model=XComResponseNative | XComResponseString,
    responses=documented(400, 404),
)
def get_xcom_entry(
    session: ReadSession,
    user: DagUser,
    dag_id: str,
    dag_run_id: str,
    task_id: str,
    xcom_key: str,
    map_index: MapIndex = -1,
    deserialize: bool = False,
    stringify: bool = False,
) -> XComResponseNative | XComResponseString:
    """One entry with its value: the stored JSON text, or with `deserialize` what it holds;
    `stringify` makes the value text."""
    entry = xcom_entries.get_entry(session, dag_id, dag_run_id, task_id, xcom_key, map_index)
    if entry is None:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND,
            f"XCom entry with key: `{xcom_key}` not found "
            f"({_task_instance(dag_id, dag_run_id, task_id, map_index)})",
        )
    if stringify:
        return XComResponseString.with_value(entry, deserialize=deserialize)
    return XComResponseNative.with_value(entry, deserialize=deserialize)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=XComResponseNative,
    responses=documented(400, 404, 409),
)
def create_xcom_entry(
    body: XComCreateBody,
    db: Db,
    user: DagUser,
    dag_id: str,
    dag_run_id: str,
    task_id: str,
) -> XComResponseNative:
    """Store a new entry for a task of an existing run; 409 when the key is taken."""
    with db.begin() as session:
        run = _run_with_task(session, dag_id, dag_run_id, task_id)
        taken = xcom_entries.get_entry(
            session, dag_id, dag_run_id, task_id, body.key, body.map_index
        )
        if taken is not None:
            raise HTTPException(
                status.HTTP_409_CONFLICT,
                f"The XCom with key: `{body.key}` with mentioned task instance already exists "
                f"({_task_instance(dag_id, dag_run_id, task_id, body.map_index)})",
            )
        entry = xcom_entries.create_entry(
            session, run, task_id, body.key, body.value, map_index=body.map_index, now=now()
        )
        _audit(session, user, "create_xcom_entry", entry, body.model_dump())
    return XComResponseNative.with_value(entry)


@router.patch("/{xcom_key}", response_model=XComResponseNative, responses=documented(400, 404))
def update_xcom_entry(
    body: XComUpdateBody,
    db: Db,
    user: DagUser,
    dag_id: str,
    dag_run_id: str,
    task_id: str,
    xcom_key: str,
) -> XComResponseNative:
    """Replace the value of an existing entry (`map_index` in the body picks the entry)."""
    with db.begin() as session:
        entry = xcom_entries.update_value(
            session, dag_id, dag_run_id, task_id, xcom_key, body.value, map_index=body.map_index
        )
        if entry is None:
            raise HTTPException(
                status.HTTP_404_NOT_FOUND,
                f"The XCom with key: `{xcom_key}` with mentioned task instance doesn't exist "
                f"({_task_instance(dag_id, dag_run_id, task_id, body.map_index)})",
            )
        _audit(session, user, "update_xcom_entry", entry, {"key": xcom_key, **body.model_dump()})
    return XComResponseNative.with_value(entry)


def _run_with_task(session: Session, dag_id: str, run_id: str, task_id: str) -> DagRun:
    """The run an entry is created for; 404 naming the DAG, run or task that does not exist."""
    if dag_store.get_dag_model(session, dag_id) is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"The Dag with ID: `{dag_id}` was not found")
    run = run_store.get_run(session, dag_id, run_id)
    if run is None:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND,
            f"Dag Run with ID: `{run_id}` not found for dag: `{dag_id}`",
        )
    if task_id not in execution.run_task_ids(session, dag_id, run_id):
        raise HTTPException(
            status.HTTP_404_NOT_FOUND,
            f"Task with ID: `{task_id}` not found in dag: `{dag_id}` (run `{run_id}`)",
        )
    return run


def _audit(
    session: Session,
    user: AuthenticatedUser,
    event: str,
    entry: XComEntry,
    extra: dict[str, Any],
) -> None:
    audit.record(
        session,
        user,
        event,
        dag_id=entry.dag_id,
        run_id=entry.run_id,
        task_id=entry.task_id,
        map_index=entry.map_index,
        logical_date=entry.logical_date,
        extra=extra,
    )


def _task_instance(dag_id: str, run_id: str, task_id: str, map_index: int) -> str:
    return f"task `{task_id}`, map index {map_index}, run `{run_id}`, dag `{dag_id}`"

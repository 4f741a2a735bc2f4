"""Task instances (`Task Instance` in Airflow's API): listing and reading them and their tries,
what keeps one from being queued, marking them by hand (`PATCH` of a task's instances or of a
task group's, with dry runs) and clearing them so they run again.

Clearing uses the store's `clear_scope`, the same selection and reset as `slipstream tasks
clear`: cleared task instances lose their state (running ones become `restarting` until their
try stops), finished runs go back to queued (unless `reset_dag_runs` is false), and the
schedulers on this host get a wake-up hint to run them at once. Every change is recorded in the
audit log, in the change's transaction; dry runs change nothing and record nothing.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import HTTPException, Query, Request, status
from sqlalchemy.orm import Session

from slipstream.api import audit
from slipstream.api.deps import Db, ReadSession
from slipstream.api.pagination import (
    CURSOR_TOTAL_LIMIT,
    LimitParam,
    OffsetParam,
    OrderByParam,
    cursor_fields,
    cursor_probe,
    page_of,
)
from slipstream.api.params import IntPath, IntQuery, MapIndexQuery, UpdateMask, now
from slipstream.api.routes._ti_patch import (
    PatchRequest,
    Target,
    dag_not_found,
    require_run,
    ti_not_found,
)
from slipstream.api.routing import api_router
from slipstream.api.schemas.task_instances import (
    ClearTaskInstancesBody,
    ListQuery,
    MappedListQuery,
    PatchTaskInstanceBody,
    TaskDependencyCollectionResponse,
    TaskInstanceCollectionResponse,
    TaskInstanceHistoryCollectionResponse,
    TaskInstanceHistoryResponse,
    TaskInstanceResponse,
    TaskInstancesBatchBody,
    batch_filters,
    collection,
    ti_response,
    try_response,
)
from slipstream.api.security import DagReader, DagUser
from slipstream.db.store import jobs, ti_clearing, ti_dependencies, ti_listing, ti_marking
from slipstream.db.store.paging import Page
from slipstream.db.store.ti_listing import ORDER_FIELDS, TIFilters

router = api_router(tags=["Task Instance"])

TIS = "/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances"
ANY = "~"
BATCH_ORDER = ("id", "state", "duration", "start_date", "end_date", "map_index")


# --- reading ----------------------------------------------------------------------------------


@router.get(TIS, response_model=TaskInstanceCollectionResponse)
def get_task_instances(
    request: Request,
    dag_id: str,
    dag_run_id: str,
    query: Annotated[ListQuery, Query()],
    session: ReadSession,
    user: DagUser,
    limit: LimitParam = None,
    offset: OffsetParam = 0,
    order_by: OrderByParam = None,
) -> TaskInstanceCollectionResponse:
    """Task instances of a run (`~` as the DAG id and/or run id: of every DAG and run)."""
    identity = _listing_identity(session, dag_id, dag_run_id, query)
    filters = query.filters(**identity)
    page = page_of(request, limit, offset, order_by, allowed=ORDER_FIELDS, default="map_index")
    if query.cursor is not None:
        return _cursor_page(session, filters, page, query.cursor)
    views, total = ti_listing.list_views(session, filters, page)
    return collection(views, total)


@router.post(TIS + "/list", response_model=TaskInstanceCollectionResponse)
def get_task_instances_batch(
    request: Request,
    dag_id: Literal["~"],
    dag_run_id: Literal["~"],
    body: TaskInstancesBatchBody,
    session: ReadSession,
    user: DagReader,
) -> TaskInstanceCollectionResponse:
    """Task instances of any DAGs and runs, filtered by the body."""
    order = [body.order_by] if body.order_by else None
    page = page_of(
        request, body.page_limit, body.page_offset, order, allowed=BATCH_ORDER, default="id"
    )
    views, total = ti_listing.list_views(session, batch_filters(body), page)
    return collection(views, total)


@router.get(TIS + "/{task_id}/listMapped", response_model=TaskInstanceCollectionResponse)
def get_mapped_task_instances(
    request: Request,
    dag_id: str,
    dag_run_id: str,
    task_id: str,
    query: Annotated[MappedListQuery, Query()],
    session: ReadSession,
    user: DagUser,
    limit: LimitParam = None,
    offset: OffsetParam = 0,
    order_by: OrderByParam = None,
) -> TaskInstanceCollectionResponse:
    """The task instances of a mapped task in a run (map index 0 and up)."""
    require_run(session, dag_id, dag_run_id)
    identity: dict[str, Any] = {
        "dag_ids": [dag_id],
        "run_ids": [dag_run_id],
        "task_ids": [task_id],
        "mapped_only": True,
    }
    page = page_of(request, limit, offset, order_by, allowed=ORDER_FIELDS, default="map_index")
    views, total = ti_listing.list_views(session, query.filters(**identity), page)
    if total == 0 and ti_listing.count_views(session, TIFilters(**identity), limit=1) == 0:
        _require_mapped_task(session, dag_id, dag_run_id, task_id)
    return collection(views, total)


@router.get(TIS + "/{task_id}/tries", response_model=TaskInstanceHistoryCollectionResponse)
def get_task_instance_tries(
    dag_id: str,
    dag_run_id: str,
    task_id: str,
    session: ReadSession,
    user: DagUser,
    map_index: MapIndexQuery = -1,
) -> TaskInstanceHistoryCollectionResponse:
    """Every try of a task instance, oldest first."""
    return _tries(session, dag_id, dag_run_id, task_id, map_index)


@router.get(TIS + "/{task_id}/tries/{task_try_number}", response_model=TaskInstanceHistoryResponse)
def get_task_instance_try_details(
    dag_id: str,
    dag_run_id: str,
    task_id: str,
    task_try_number: IntPath,
    session: ReadSession,
    user: DagUser,
    map_index: MapIndexQuery = -1,
) -> TaskInstanceHistoryResponse:
    """One try of a task instance."""
    return _try(session, dag_id, dag_run_id, task_id, map_index, task_try_number)


@router.get(TIS + "/{task_id}/dependencies", response_model=TaskDependencyCollectionResponse)
def get_task_instance_dependencies(
    dag_id: str,
    dag_run_id: str,
    task_id: str,
    session: ReadSession,
    user: DagUser,
    map_index: MapIndexQuery = -1,
) -> TaskDependencyCollectionResponse:
    """What keeps a task instance from being queued now (nothing, once it is past that)."""
    return _dependencies(session, dag_id, dag_run_id, task_id, map_index)


@router.get(TIS + "/{task_id}", response_model=TaskInstanceResponse)
def get_task_instance(
    dag_id: str, dag_run_id: str, task_id: str, session: ReadSession, user: DagUser
) -> TaskInstanceResponse:
    """One task instance of an unmapped task."""
    view = ti_listing.get_view(session, dag_id, dag_run_id, task_id, -1)
    if view is None:
        if ti_listing.mapped_indexes(session, dag_id, dag_run_id, task_id):
            raise HTTPException(
                status.HTTP_404_NOT_FOUND,
                f"Task instance '{task_id}' is mapped: add the map_index value to the URL",
            )
        raise ti_not_found(dag_id, dag_run_id, task_id)
    return ti_response(view)


@router.get(
    TIS + "/{task_id}/{map_index}/tries", response_model=TaskInstanceHistoryCollectionResponse
)
def get_mapped_task_instance_tries(
    dag_id: str,
    dag_run_id: str,
    task_id: str,
    map_index: IntPath,
    session: ReadSession,
    user: DagUser,
) -> TaskInstanceHistoryCollectionResponse:
    """Every try of one map index of a task, oldest first."""
    return _tries(session, dag_id, dag_run_id, task_id, map_index)


@router.get(
    TIS + "/{task_id}/{map_index}/tries/{task_try_number}",
    response_model=TaskInstanceHistoryResponse,
)
def get_mapped_task_instance_try_details(
    dag_id: str,
    dag_run_id: str,
    task_id: str,
    task_try_number: IntPath,
    map_index: IntPath,
    session: ReadSession,
    user: DagUser,
) -> TaskInstanceHistoryResponse:
    """One try of one map index of a task."""
    return _try(session, dag_id, dag_run_id, task_id, map_index, task_try_number)


@router.get(
    TIS + "/{task_id}/{map_index}/dependencies", response_model=TaskDependencyCollectionResponse
)
def get_task_instance_dependencies_by_map_index(
    dag_id: str,
    dag_run_id: str,
    task_id: str,
    map_index: IntPath,
    session: ReadSession,
    user: DagUser,
) -> TaskDependencyCollectionResponse:
    """What keeps one map index of a task from being queued now."""
    return _dependencies(session, dag_id, dag_run_id, task_id, map_index)


@router.get(TIS + "/{task_id}/{map_index}", response_model=TaskInstanceResponse)
def get_mapped_task_instance(
    dag_id: str,
    dag_run_id: str,
    task_id: str,
    map_index: IntPath,
    session: ReadSession,
    user: DagUser,
) -> TaskInstanceResponse:
    """One task instance, by map index (-1 for an unmapped task)."""
    view = ti_listing.get_view(session, dag_id, dag_run_id, task_id, map_index)
    if view is None:
        raise ti_not_found(dag_id, dag_run_id, task_id, map_index)
    return ti_response(view)


# --- marking ----------------------------------------------------------------------------------


@router.patch(TIS + "/{task_id}/dry_run", response_model=TaskInstanceCollectionResponse)
def patch_task_instance_dry_run(
    dag_id: str,
    dag_run_id: str,
    task_id: str,
    body: PatchTaskInstanceBody,
    session: ReadSession,
    user: DagUser,
    map_index: IntQuery = None,
    update_mask: UpdateMask = None,
) -> TaskInstanceCollectionResponse:
    """The task instances a `PATCH` with this body would change (nothing is written)."""
    change = PatchRequest(dag_id, dag_run_id, Target(task_id, map_index), body, update_mask)
    return change.preview(session)


@router.patch(TIS + "/{task_id}/{map_index}/dry_run", response_model=TaskInstanceCollectionResponse)
def patch_task_instance_dry_run_by_map_index(
    dag_id: str,
    dag_run_id: str,
    task_id: str,
    map_index: IntPath,
    body: PatchTaskInstanceBody,
    session: ReadSession,
    user: DagUser,
    update_mask: UpdateMask = None,
) -> TaskInstanceCollectionResponse:
    """The task instances a `PATCH` of this map index would change (nothing is written)."""
    change = PatchRequest(dag_id, dag_run_id, Target(task_id, map_index), body, update_mask)
    return change.preview(session)


@router.patch(TIS + "/{task_id}", response_model=TaskInstanceCollectionResponse)
def patch_task_instance(
    dag_id: str,
    dag_run_id: str,
    task_id: str,
    body: PatchTaskInstanceBody,
    db: Db,
    user: DagUser,
    map_index: IntQuery = None,
    update_mask: UpdateMask = None,
) -> TaskInstanceCollectionResponse:
    """Mark a task's instances in a run (all map indexes unless `map_index`), set their note."""
    change = PatchRequest(dag_id, dag_run_id, Target(task_id, map_index), body, update_mask)
    result: TaskInstanceCollectionResponse = db.run_write(change.apply, user)
    return result


@router.patch(TIS + "/{task_id}/{map_index}", response_model=TaskInstanceCollectionResponse)
def patch_task_instance_by_map_index(
    dag_id: str,
    dag_run_id: str,
    task_id: str,
    map_index: IntPath,
    body: PatchTaskInstanceBody,
    db: Db,
    user: DagUser,
    update_mask: UpdateMask = None,
) -> TaskInstanceCollectionResponse:
    """Mark one map index of a task in a run, or set its note."""
    change = PatchRequest(dag_id, dag_run_id, Target(task_id, map_index), body, update_mask)
    result: TaskInstanceCollectionResponse = db.run_write(change.apply, user)
    return result


@router.patch(
    "/dags/{dag_id}/dagRuns/{dag_run_id}/taskGroupInstances/{group_id}/dry_run",
    response_model=TaskInstanceCollectionResponse,
)
def patch_task_group_instances_dry_run(
    dag_id: str,
    dag_run_id: str,
    group_id: str,
    body: PatchTaskInstanceBody,
    session: ReadSession,
    user: DagUser,
) -> TaskInstanceCollectionResponse:
    """The task instances a `PATCH` of the task group would change (nothing is written)."""
    return PatchRequest(dag_id, dag_run_id, Target(group_id=group_id), body).preview(session)


@router.patch(
    "/dags/{dag_id}/dagRuns/{dag_run_id}/taskGroupInstances/{group_id}",
    response_model=TaskInstanceCollectionResponse,
)
def patch_task_group_instances(
    dag_id: str,
    dag_run_id: str,
    group_id: str,
    body: PatchTaskInstanceBody,
    db: Db,
    user: DagUser,
    update_mask: UpdateMask = None,
) -> TaskInstanceCollectionResponse:
    """Mark every task instance of a task group (and its subgroups) in a run, or set notes."""
    change = PatchRequest(dag_id, dag_run_id, Target(group_id=group_id), body, update_mask)
    result: TaskInstanceCollectionResponse = db.run_write(change.apply, user)
    return result


# --- clearing ---------------------------------------------------------------------------------


@router.post("/dags/{dag_id}/clearTaskInstances", response_model=TaskInstanceCollectionResponse)
def post_clear_task_instances(
    dag_id: str, body: ClearTaskInstancesBody, db: Db, user: DagUser
) -> TaskInstanceCollectionResponse:
    """Clear task instances of a DAG so they run again (`dry_run`, the default: only list them).

    Returns the task instances cleared (or, in a dry run, that would be), as they are after it.
    """

    def clear(session: Session) -> TaskInstanceCollectionResponse:
        if not ti_listing.dag_exists(session, dag_id):
            raise dag_not_found(dag_id)
        scope = _clear_scope(session, dag_id, body)
        try:
            cleared = ti_clearing.clear_scope(
                session,
                dag_id,
                scope,
                now=now(),
                dry_run=body.dry_run,
                reset_runs=body.reset_dag_runs,
                prevent_running=body.prevent_running_task,
            )
        except ti_clearing.ClearRunningTaskError as err:
            raise HTTPException(status.HTTP_409_CONFLICT, str(err)) from None
        ids = [c.ti_id for c in cleared]
        if not body.dry_run:
            if body.note is not None:
                ti_marking.set_notes(session, ids, body.note)
            extra = {**body.model_dump(mode="json", exclude_unset=True), "cleared": len(ids)}
            audit.record(
                session,
                user,
                "post_clear_task_instances",
                dag_id=dag_id,
                run_id=body.dag_run_id,
                extra=extra,
            )
        return collection(ti_listing.views_by_ids(session, ids))

    if body.dry_run:
        with db.session() as session:
            return clear(session)
    result: TaskInstanceCollectionResponse = db.run_write(clear)
    if result.task_instances:
        jobs.wake_schedulers(db)
    return result


def _clear_scope(
    session: Session, dag_id: str, body: ClearTaskInstancesBody
) -> ti_clearing.ClearScope:
    """What the body selects, as Airflow reads it: a run (with its earlier/later runs by logical
    date on request) or a range of logical dates; tasks by id or `[task_id, map_index]`."""
    start, end = body.start_date, body.end_date
    run_ids: list[str] | None = None
    past, future = body.include_past, body.include_future
    if body.dag_run_id is not None:
        run = require_run(session, dag_id, body.dag_run_id)
        if (past or future) and run.logical_date is None:
            raise HTTPException(
                status.HTTP_400_BAD_REQUEST,
                f"Run '{run.run_id}' has no logical date (it was triggered by hand or by an "
                "asset): include_past and include_future cannot be used with it",
            )
        start = end = run.logical_date
        if not (past or future):
            run_ids = [run.run_id]
    start = None if past else start
    end = None if future else end
    names = None if body.task_ids is None else [t for t in body.task_ids if isinstance(t, str)]
    pairs = [(t[0], t[1]) for t in body.task_ids or () if isinstance(t, tuple)]
    states = _FAILED if body.only_failed else ("running",) if body.only_running else None
    return ti_clearing.ClearScope(
        task_ids=names,
        task_map_indexes=pairs,
        run_ids=run_ids,
        start_date=start,
        end_date=end,
        upstream=body.include_upstream,
        downstream=body.include_downstream,
        states=states,
    )


_FAILED = ("failed", "upstream_failed")


# --- helpers ----------------------------------------------------------------------------------


def _listing_identity(
    session: Session, dag_id: str, run_id: str, query: ListQuery
) -> dict[str, Any]:
    """The DAG, run and task conditions of a listing, with 404s for a DAG or run not found."""
    identity: dict[str, Any] = {}
    if dag_id != ANY:
        if not ti_listing.dag_exists(session, dag_id):
            raise dag_not_found(dag_id)
        identity["dag_ids"] = [dag_id]
    if run_id != ANY:
        if dag_id != ANY:
            require_run(session, dag_id, run_id)
        elif not ti_listing.run_exists(session, run_id):
            raise HTTPException(
                status.HTTP_404_NOT_FOUND, f"No DAG has a run with run_id: `{run_id}`"
            )
        identity["run_ids"] = [run_id]
    tasks = _listing_tasks(session, dag_id, run_id, query)
    if tasks is not None:
        identity["task_ids"] = tasks
    return identity


def _listing_tasks(
    session: Session, dag_id: str, run_id: str, query: ListQuery
) -> list[str] | None:
    tasks = None if query.task_id is None else {query.task_id}
    if query.task_group_id is not None:
        if dag_id == ANY:
            raise HTTPException(
                status.HTTP_400_BAD_REQUEST, "task_group_id needs a DAG id in the path, not '~'"
            )
        run = None if run_id == ANY else run_id
        group = ti_listing.group_task_ids(session, dag_id, run, query.task_group_id) or []
        tasks = set(group) if tasks is None else tasks & set(group)
    return None if tasks is None else sorted(tasks)


def _cursor_page(
    session: Session, filters: TIFilters, page: Page, cursor: str
) -> TaskInstanceCollectionResponse:
    probe = cursor_probe(page, cursor)
    views, _ = ti_listing.list_views(session, filters, probe, count=False)
    total = ti_listing.count_views(session, filters, limit=CURSOR_TOTAL_LIMIT)
    return collection(views[: page.limit], total, **cursor_fields(page, probe, len(views)))


def _tries(
    session: Session, dag_id: str, run_id: str, task_id: str, map_index: int
) -> TaskInstanceHistoryCollectionResponse:
    tries = ti_listing.tries_of(session, dag_id, run_id, task_id, map_index)
    if tries is None:
        raise ti_not_found(dag_id, run_id, task_id, map_index)
    return TaskInstanceHistoryCollectionResponse(
        task_instances=[try_response(t) for t in tries], total_entries=len(tries)
    )


def _try(
    session: Session, dag_id: str, run_id: str, task_id: str, map_index: int, try_number: int
) -> TaskInstanceHistoryResponse:
    for found in ti_listing.tries_of(session, dag_id, run_id, task_id, map_index) or []:
        if found.try_number == try_number:
            return try_response(found)
    raise HTTPException(
        status.HTTP_404_NOT_FOUND,
        f"The Task Instance with dag_id: `{dag_id}`, run_id: `{run_id}`, task_id: `{task_id}`, "
        f"try_number: `{try_number}` and map_index: `{map_index}` was not found",
    )


def _dependencies(
    session: Session, dag_id: str, run_id: str, task_id: str, map_index: int
) -> TaskDependencyCollectionResponse:
    found = ti_dependencies.blocking(session, dag_id, run_id, task_id, map_index)
    if found is None:
        raise ti_not_found(dag_id, run_id, task_id, map_index)
    return TaskDependencyCollectionResponse.model_validate(
        {"dependencies": [{"name": name, "reason": reason} for name, reason in found]}
    )


def _require_mapped_task(session: Session, dag_id: str, run_id: str, task_id: str) -> None:
    kind = ti_listing.mapped_task_state(session, dag_id, run_id, task_id)
    if kind == "missing":
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, f"Task id {task_id} not found in DAG '{dag_id}'"
        )
    if kind == "unmapped":
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"Task id {task_id} is not mapped")

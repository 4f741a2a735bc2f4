"""DAGs, their source and their tags (Airflow 3's "DAG" and "DagSource" routes).

Everything shown comes from the `dag` rows the DAG processor keeps and the DAGs' stored
versions; the API never imports a DAG file (it only reads a file's text for `dagSources`).
Pausing goes through the store function `slipstream dags pause` uses, and every change is
recorded in the audit log in the change's transaction. Unpausing sends the schedulers on this
host a wake-up hint, so runs that are due start at once.
"""

from __future__ import annotations

import dataclasses
from typing import Annotated, Literal

from fastapi import Depends, Header, HTTPException, Query, Request, Response, status
from fastapi.responses import PlainTextResponse
from sqlalchemy.orm import Session

from slipstream.api import audit
from slipstream.api.deps import Db, ReadSession
from slipstream.api.errors import documented
from slipstream.api.pagination import LimitParam, OffsetParam, OrderByParam, page_of
from slipstream.api.params import StrListQuery, UpdateMask, range_query
from slipstream.api.routing import api_router
from slipstream.api.schemas.dags import (
    DAGCollectionResponse,
    DAGDetailsResponse,
    DAGPatchBody,
    DAGResponse,
    DAGSourceResponse,
    DAGTagCollectionResponse,
    dag_details_response,
    dag_response,
    source_response,
)
from slipstream.api.security import DagUser, requires
from slipstream.core.exceptions import AirflowNotFoundException
from slipstream.core.states import DagRunState
from slipstream.db.models import DagModel
from slipstream.db.store import dag_listing, jobs, runs, serialized_dags
from slipstream.db.store import dags as dag_store
from slipstream.db.store.dag_listing import DagFilter
from slipstream.db.store.ranges import Bounds

router = api_router()

MAX_SOURCE_BYTES = 10 * 1024 * 1024
PAUSE_FIELDS = ["is_paused"]


# --- query parameters -----------------------------------------------------------------------


def common_filter(
    tags: StrListQuery = None,
    tags_match_mode: Literal["any", "all"] | None = None,
    owners: StrListQuery = None,
    dag_id_pattern: str | None = None,
    dag_id_prefix_pattern: str | None = None,
    exclude_stale: bool = True,
    paused: bool | None = None,
) -> DagFilter:
    """The filters `GET /dags` and `PATCH /dags` share."""
    return DagFilter(
        exclude_stale=exclude_stale,
        paused=paused,
        tags=tuple(tags or ()),
        match_all_tags=tags_match_mode == "all",
        owners=tuple(owners or ()),
        dag_id_pattern=dag_id_pattern,
        dag_id_prefix=dag_id_prefix_pattern,
    )


def listing_filter(
    common: Annotated[DagFilter, Depends(common_filter)],
    last_run_start: Annotated[Bounds, range_query("dag_run_start_date")],
    last_run_end: Annotated[Bounds, range_query("dag_run_end_date")],
    dag_display_name_pattern: str | None = None,
    dag_display_name_prefix_pattern: str | None = None,
    has_import_errors: bool | None = None,
    last_dag_run_state: DagRunState | None = None,
    dag_run_state: Annotated[list[DagRunState] | None, Query()] = None,
    has_asset_schedule: bool | None = None,
    asset_dependency: str | None = None,
    bundle_name: str | None = None,
    bundle_version: str | None = None,
    is_favorite: bool | None = None,
    timetable_type: StrListQuery = None,
) -> DagFilter:
    """Every filter of `GET /dags`; the last run is each DAG's newest run that started."""
    _refuse_unsupported(
        bundle_name=bundle_name,
        bundle_version=bundle_version,
        is_favorite=is_favorite,
        timetable_type=timetable_type,
    )
    states = [[str(s) for s in dag_run_state]] if dag_run_state else []
    if last_dag_run_state is not None:
        states.append([str(last_dag_run_state)])
    return dataclasses.replace(
        common,
        display_name_pattern=dag_display_name_pattern,
        display_name_prefix=dag_display_name_prefix_pattern,
        has_import_errors=has_import_errors,
        has_asset_schedule=has_asset_schedule,
        asset_dependency=asset_dependency,
        last_run_states=states,
        last_run_start=last_run_start,
        last_run_end=last_run_end,
    )


_UNSUPPORTED = {
    "bundle_name": "Slipstream has no DAG bundles",
    "bundle_version": "Slipstream has no DAG bundles",
    "is_favorite": "Slipstream keeps no favourite DAGs",
    "timetable_type": "Slipstream cannot filter DAGs by timetable class",
}


def _refuse_unsupported(**values: object) -> None:
    """A 400 for a filter Slipstream cannot apply, rather than an answer that ignores it."""
    for name, value in values.items():
        if value is not None:
            raise HTTPException(
                status.HTTP_400_BAD_REQUEST,
                f"The {name!r} filter is not supported: {_UNSUPPORTED[name]}",
            )


# --- DAGs -----------------------------------------------------------------------------------


@router.get("/dags", tags=["DAG"], dependencies=[requires("dag")])
def get_dags(
    request: Request,
    session: ReadSession,
    dag_filter: Annotated[DagFilter, Depends(listing_filter)],
    limit: LimitParam = None,
    offset: OffsetParam = 0,
    order_by: OrderByParam = None,
) -> DAGCollectionResponse:
    """The DAGs passing the filters (stale DAGs left out unless `exclude_stale=false`)."""
    page = page_of(
        request, limit, offset, order_by, allowed=dag_listing.SORT_FIELDS, default="dag_id"
    )
    models, total = dag_listing.find_dags(session, dag_filter, page)
    return DAGCollectionResponse(dags=_responses(session, models), total_entries=total)


@router.patch("/dags", tags=["DAG"], responses=documented(400, 404))
def patch_dags(
    request: Request,
    body: DAGPatchBody,
    db: Db,
    user: DagUser,
    dag_filter: Annotated[DagFilter, Depends(common_filter)],
    update_mask: UpdateMask = None,
    limit: LimitParam = None,
    offset: OffsetParam = 0,
) -> DAGCollectionResponse:
    """Pause or unpause every DAG passing the filters; without `dag_id_pattern` or
    `dag_id_prefix_pattern` none passes (`dag_id_pattern=~` names them all). Returns one page of
    those DAGs, and how many there are."""
    _check_mask(update_mask)
    page = page_of(request, limit, offset, None, allowed={"dag_id"}, default="dag_id")
    named = dag_filter.dag_id_pattern or dag_filter.dag_id_prefix
    with db.begin() as session:
        matched = dag_listing.find_dag_ids(session, dag_filter) if named else []
        changed = dag_store.set_paused_many(session, matched, body.is_paused)
        for dag_id in changed:
            audit.record(session, user, "patch_dags", dag_id=dag_id, extra=body.model_dump())
        shown = matched[page.offset : page.offset + page.limit]
        models = dag_store.get_dag_models(session, shown)
        dags = _responses(session, [models[dag_id] for dag_id in shown if dag_id in models])
    if changed and not body.is_paused:
        jobs.wake_schedulers(db)
    return DAGCollectionResponse(dags=dags, total_entries=len(matched))


@router.get(
    "/dags/{dag_id}", tags=["DAG"], dependencies=[requires("dag")], responses=documented(404)
)
def get_dag(dag_id: str, session: ReadSession) -> DAGResponse:
    model = require_dag(session, dag_id)
    summary = serialized_dags.latest_summaries(session, [dag_id]).get(dag_id)
    return dag_response(model, summary)


@router.get(
    "/dags/{dag_id}/details",
    tags=["DAG"],
    dependencies=[requires("dag")],
    responses=documented(404),
)
def get_dag_details(dag_id: str, session: ReadSession) -> DAGDetailsResponse:
    """The DAG with what its newest stored version says (schedule, params, docs, ...)."""
    model = require_dag(session, dag_id)
    found = dag_store.latest_serialized_dag(session, dag_id)
    if found is None:
        raise AirflowNotFoundException(
            f"DAG '{dag_id}' has no stored version yet (has the DAG processor parsed its file?)"
        )
    summary = serialized_dags.latest_summaries(session, [dag_id]).get(dag_id)
    active = runs.active_counts(session, [dag_id]).get(dag_id, 0)
    return dag_details_response(model, found[1], summary, active_runs=active)


@router.patch("/dags/{dag_id}", tags=["DAG"], responses=documented(400, 404))
def patch_dag(
    dag_id: str, body: DAGPatchBody, db: Db, user: DagUser, update_mask: UpdateMask = None
) -> DAGResponse:
    """Pause or unpause the DAG (`is_paused` is the only field that may change)."""
    _check_mask(update_mask)
    with db.begin() as session:
        if not dag_store.set_paused(session, dag_id, body.is_paused):
            raise _not_found(dag_id)
        audit.record(session, user, "patch_dag", dag_id=dag_id, extra=body.model_dump())
        model = require_dag(session, dag_id)
        response = _responses(session, [model])[0]
    if not body.is_paused:
        jobs.wake_schedulers(db)
    return response


@router.delete(
    "/dags/{dag_id}",
    tags=["DAG"],
    status_code=status.HTTP_204_NO_CONTENT,
    responses=documented(404, 409),
)
def delete_dag(dag_id: str, db: Db, user: DagUser) -> Response:
    """Forget the DAG, its runs and everything recorded about them (see
    `store.dags.delete_dag`); 409 while one of its tasks runs."""
    with db.begin() as session:
        try:
            deleted = dag_store.delete_dag(session, dag_id)
        except dag_store.DagHasRunningTasks as err:
            raise HTTPException(status.HTTP_409_CONFLICT, str(err)) from None
        audit.record(session, user, "delete_dag", dag_id=dag_id, extra={"deleted": deleted})
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _check_mask(update_mask: list[str] | None) -> None:
    if update_mask is None:
        return
    fields = [part.strip() for item in update_mask for part in item.split(",") if part.strip()]
    if fields != PAUSE_FIELDS:
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST,
            f"Only the `is_paused` field of a DAG can be updated, not: {', '.join(fields)}",
        )


def _responses(session: Session, models: list[DagModel]) -> list[DAGResponse]:
    summaries = serialized_dags.latest_summaries(session, [m.dag_id for m in models])
    return [dag_response(model, summaries.get(model.dag_id)) for model in models]


def require_dag(session: Session, dag_id: str) -> DagModel:
    """The DAG's row; a 404 naming it when there is none (the DAG and task routes share it)."""
    model = dag_store.get_dag_model(session, dag_id)
    if model is None:
        raise _not_found(dag_id)
    return model


def _not_found(dag_id: str) -> AirflowNotFoundException:
    return AirflowNotFoundException(f"DAG '{dag_id}' not found")


# --- source and tags ------------------------------------------------------------------------


@router.get(
    "/dagSources/{dag_id}",
    tags=["DagSource"],
    dependencies=[requires("dag")],
    response_model=DAGSourceResponse,
    responses={
        200: {"content": {"text/plain": {"schema": {"type": "string"}}}},
        **documented(404, 406),
    },
)
def get_dag_source(
    dag_id: str,
    session: ReadSession,
    version_number: int | None = None,
    accept: Annotated[str, Header()] = "*/*",
) -> DAGSourceResponse | PlainTextResponse:
    """The text of the DAG's file, as JSON or (`Accept: text/plain`) as text.

    Slipstream keeps no copy of DAG files: the text is read from the file now, and only for
    the DAG's newest version; an older version's source shows as null.
    """
    as_text = _wants_text(accept)
    require_dag(session, dag_id)
    version = serialized_dags.get_version(session, dag_id, version_number)
    if version is None:
        raise AirflowNotFoundException(
            f"DAG '{dag_id}' has no version {version_number}"
            if version_number is not None
            else f"DAG '{dag_id}' has no stored version yet"
        )
    summary = serialized_dags.latest_summaries(session, [dag_id]).get(dag_id)
    newest = summary is not None and summary.version.id == version.id
    content = _read_source(version.fileloc) if newest else None
    if as_text:
        return PlainTextResponse(content or "")
    display_name = summary.display_name if summary else dag_id
    return source_response(dag_id, version, content, display_name)


@router.get("/dagTags", tags=["DAG"], dependencies=[requires("dag")])
def get_dag_tags(
    request: Request,
    session: ReadSession,
    limit: LimitParam = None,
    offset: OffsetParam = 0,
    order_by: OrderByParam = None,
    tag_name_pattern: str | None = None,
    tag_name_prefix_pattern: str | None = None,
) -> DAGTagCollectionResponse:
    """The distinct tags of all DAGs, by name."""
    page = page_of(
        request, limit, offset, order_by, allowed=dag_listing.TAG_SORT_FIELDS, default="name"
    )
    tags, total = dag_listing.dag_tags(
        session, page, pattern=tag_name_pattern, prefix=tag_name_prefix_pattern
    )
    return DAGTagCollectionResponse(tags=tags, total_entries=total)


def _wants_text(accept: str) -> bool:
    """Whether `Accept` asks for text rather than JSON; 406 when it allows neither."""
    for item in accept.split(","):
        media = item.split(";")[0].strip().lower()
        if media in ("", "*/*", "application/json", "application/*"):
            return False
        if media in ("text/plain", "text/*"):
            return True
    raise HTTPException(
        status.HTTP_406_NOT_ACCEPTABLE,
        f"Only application/json or text/plain can be returned, not {accept!r}",
    )


def _read_source(path: str) -> str | None:
    """The file's text (undecodable bytes replaced), or None when it cannot be read."""
    if not path:
        return None
    try:
        with open(path, "rb") as file:
            data = file.read(MAX_SOURCE_BYTES + 1)
    except OSError:
        return None
    if len(data) > MAX_SOURCE_BYTES:
        return None
    return data.decode("utf-8", errors="replace")

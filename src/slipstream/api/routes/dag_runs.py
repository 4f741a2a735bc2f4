"""DAG runs (`/dags/{dag_id}/dagRuns`): list, look up, trigger, mark, annotate, clear, delete,
and the asset events that triggered a run, as Airflow 3's REST API serves them.

`~` as the DAG id lists the runs of every DAG. Triggering validates the run's conf against the
DAG's params exactly as `slipstream dags trigger` does (the same store function), and every
change is recorded in the audit log in the change's transaction. After a change the scheduler
should act on (a new or re-queued run), the schedulers on this host get a wake-up hint.
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import replace
from typing import Annotated, Any, Literal

from fastapi import Depends, HTTPException, Query, Request, Response, status

from slipstream.api import audit
from slipstream.api.deps import Db, ReadSession
from slipstream.api.errors import documented
from slipstream.api.pagination import (
    CURSOR_TOTAL_LIMIT,
    LimitParam,
    OffsetParam,
    OrderByParam,
    Page,
    cursor_fields,
    cursor_probe,
    page_of,
)
from slipstream.api.params import StrListQuery, UpdateMask, now, range_query, utc
from slipstream.api.routes._dag_run_support import (
    check_version,
    fields_to_update,
    refuse_unsupported_clear,
    require_run,
    run_responses,
    ti_collection,
)
from slipstream.api.routes.dags import require_dag
from slipstream.api.routing import api_router
from slipstream.api.schemas.assets import AssetEventCollectionResponse, AssetEventResponse
from slipstream.api.schemas.dag_runs import (
    ClearTaskInstanceCollectionResponse,
    DAGRunClearBody,
    DAGRunCollectionResponse,
    DAGRunPatchBody,
    DAGRunResponse,
    DAGRunsBatchBody,
    TriggerDAGRunPostBody,
)
from slipstream.api.security import DagReader, DagUser
from slipstream.core.exceptions import DagNotFound, InvalidRunIdError, ParamValidationError
from slipstream.core.run_types import DagRunType
from slipstream.core.states import DagRunState
from slipstream.db.models import DagRun
from slipstream.db.store import dags as dag_store
from slipstream.db.store import jobs, run_listing, run_operations, runs
from slipstream.db.store.run_listing import Bounds, RunFilters

router = api_router(tags=["DagRun"])

RUNS = "/dags/{dag_id}/dagRuns"
RUN = RUNS + "/{dag_run_id}"
ALL_DAGS = "~"


# --- listing -----------------------------------------------------------------------------------


def _query_filters(
    run_after: Annotated[Bounds, range_query("run_after")],
    logical_date: Annotated[Bounds, range_query("logical_date")],
    start_date: Annotated[Bounds, range_query("start_date")],
    end_date: Annotated[Bounds, range_query("end_date")],
    updated_at: Annotated[Bounds, range_query("updated_at")],
    duration: Annotated[Bounds, range_query("duration", float)],
    run_type: StrListQuery = None,
    state: StrListQuery = None,
    dag_version: Annotated[list[int] | None, Query()] = None,
    conf_contains: str | None = None,
    run_id_pattern: str | None = None,
    run_id_prefix_pattern: str | None = None,
    dag_id_pattern: str | None = None,
    dag_id_prefix_pattern: str | None = None,
    consuming_asset_pattern: str | None = None,
    triggering_user_name_pattern: str | None = None,
    triggering_user_name_prefix_pattern: str | None = None,
    partition_key_pattern: str | None = None,
    partition_key_prefix_pattern: str | None = None,
    partition_date_gte: dt.date | None = None,
    partition_date_lte: dt.date | None = None,
    bundle_version: str | None = None,
) -> RunFilters:
    """The filters of `GET /dags/{dag_id}/dagRuns` (all but the DAG id)."""
    absent = {
        "triggering_user_name_pattern": _narrows(triggering_user_name_pattern),
        "triggering_user_name_prefix_pattern": _narrows(triggering_user_name_prefix_pattern),
        "partition_key_pattern": _narrows(partition_key_pattern),
        "partition_key_prefix_pattern": _narrows(partition_key_prefix_pattern),
        "partition_date_gte": partition_date_gte is not None,
        "partition_date_lte": partition_date_lte is not None,
        "bundle_version": bundle_version is not None,
    }
    return RunFilters(
        states=_states(state),
        run_types=_run_types(run_type),
        dag_versions=dag_version or None,
        run_after=run_after,
        logical_date=logical_date,
        start_date=start_date,
        end_date=end_date,
        updated_at=updated_at,
        duration=duration,
        conf_contains=conf_contains,
        run_id_pattern=run_id_pattern,
        run_id_prefix_pattern=run_id_prefix_pattern,
        dag_id_pattern=dag_id_pattern,
        dag_id_prefix_pattern=dag_id_prefix_pattern,
        consuming_asset_pattern=consuming_asset_pattern,
        absent_fields=tuple(name for name, given in absent.items() if given),
    )


def _narrows(pattern: str | None) -> bool:
    """Whether a pattern keeps only some values (`~`, empty and None keep all)."""
    if pattern is None:
        return False
    terms = [term for term in pattern.split("|") if term]
    return bool(terms) and "~" not in terms


def _states(values: list[str] | None) -> list[str | None] | None:
    if not values:
        return None
    names = [value for value in values if value not in ("none", "")]
    _refuse_invalid("state", names, [s.value for s in DagRunState])
    return [None if value in ("none", "") else value for value in values]


def _run_types(values: list[str] | None) -> list[str] | None:
    if not values:
        return None
    _refuse_invalid("run_type", values, [t.value for t in DagRunType])
    return values


def _refuse_invalid(name: str, values: Iterable[str], valid: list[str]) -> None:
    invalid = sorted(set(values) - set(valid))
    if invalid:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            f"Invalid value for {name}: {', '.join(invalid)}; valid values are {', '.join(valid)}",
        )


@router.get(RUNS, responses=documented(400, 404, 422))
def get_dag_runs(
    dag_id: str,
    request: Request,
    session: ReadSession,
    user: DagUser,
    filters: Annotated[RunFilters, Depends(_query_filters)],
    limit: LimitParam = None,
    offset: OffsetParam = 0,
    order_by: OrderByParam = None,
    cursor: str | None = None,
) -> DAGRunCollectionResponse:
    """Runs of a DAG, or of every DAG when `dag_id` is `~`.

    Offset paging (`limit`, `offset`) counts every match in `total_entries`; cursor paging
    (`cursor`: empty for the first page, then `next_cursor`) counts up to `total_entries_limit`.
    """
    if dag_id != ALL_DAGS:
        require_dag(session, dag_id)
        filters = replace(filters, dag_ids=[dag_id])
    page = _page(request, limit, offset, order_by)
    if cursor is None:
        return _offset_page(session, filters, page)
    return _cursor_page(session, filters, page, cursor)


@router.post(RUNS + "/list", responses=documented(404, 422))
def get_list_dag_runs_batch(
    dag_id: Literal["~"],
    body: DAGRunsBatchBody,
    request: Request,
    session: ReadSession,
    user: DagReader,
) -> DAGRunCollectionResponse:
    """Runs of any DAGs, filtered by the body (a listing sent as POST)."""
    filters = RunFilters(
        dag_ids=body.dag_ids or None,
        states=[s.value if s else None for s in body.states] if body.states else None,
        run_after=body.bounds("run_after"),
        logical_date=body.bounds("logical_date"),
        start_date=body.bounds("start_date"),
        end_date=body.bounds("end_date"),
        duration=body.bounds("duration"),
        conf_contains=body.conf_contains,
    )
    order_by = [body.order_by] if body.order_by else None
    page = _page(request, body.page_limit, body.page_offset, order_by)
    return _offset_page(session, filters, page)


def _page(request: Request, limit: int | None, offset: int, order_by: list[str] | None) -> Page:
    return page_of(request, limit, offset, order_by, allowed=run_listing.ORDER_FIELDS, default="id")


def _offset_page(session: Any, filters: RunFilters, page: Page) -> DAGRunCollectionResponse:
    found, total = run_listing.find_runs_page(session, filters, page)
    return DAGRunCollectionResponse(dag_runs=run_responses(session, found), total_entries=total)


def _cursor_page(
    session: Any, filters: RunFilters, page: Page, cursor: str
) -> DAGRunCollectionResponse:
    """The page at `cursor` (an opaque token naming where the page starts)."""
    probe = cursor_probe(page, cursor)
    found, total = run_listing.find_runs_page(
        session, filters, probe, count_limit=CURSOR_TOTAL_LIMIT
    )
    return DAGRunCollectionResponse(
        dag_runs=run_responses(session, found[: page.limit]),
        total_entries=total,
        **cursor_fields(page, probe, len(found)),
    )


def _response(session: Any, run: DagRun) -> DAGRunResponse:
    return run_responses(session, [run])[0]


# --- one run -----------------------------------------------------------------------------------


@router.get(RUN, responses=documented(404))
def get_dag_run(
    dag_id: str, dag_run_id: str, session: ReadSession, user: DagUser
) -> DAGRunResponse:
    return _response(session, require_run(session, dag_id, dag_run_id))


@router.get(RUN + "/upstreamAssetEvents", responses=documented(404))
def get_upstream_asset_events(
    dag_id: str, dag_run_id: str, session: ReadSession, user: DagUser
) -> AssetEventCollectionResponse:
    """The asset events that triggered the run (none for a run not triggered by assets)."""
    run = require_run(session, dag_id, dag_run_id)
    events = run_listing.consumed_asset_events(session, run.id)
    return AssetEventCollectionResponse(
        asset_events=[AssetEventResponse.of(event) for event in events],
        total_entries=len(events),
    )


# --- triggering --------------------------------------------------------------------------------


@router.post(RUNS, responses=documented(400, 404, 409, 422))
def trigger_dag_run(
    dag_id: str, body: TriggerDAGRunPostBody, db: Db, user: DagUser
) -> DAGRunResponse:
    """Create a queued manual run. Its conf is checked against the DAG's params (400 naming the
    param); a taken run id or logical date is a 409."""
    # Loads the SDK's operators, as the store's check of the run does: at the first trigger.
    from slipstream.sdk.operators.trigger_dagrun import DagRunAlreadyExists

    if body.partition_key is not None:
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST,
            f"DAG '{dag_id}' is not partitioned: a run of it cannot have partition_key "
            f"{body.partition_key!r}",
        )
    request = _manual_trigger(body)
    try:
        with db.begin() as session:
            _require_triggerable(session, dag_id)
            run = runs.trigger_manual_run(session, dag_id, request, now=now())
            audit.record(
                session,
                user,
                "trigger_dag_run",
                dag_id=dag_id,
                run_id=run.run_id,
                logical_date=run.logical_date,
                extra=body.model_dump(mode="json", exclude_unset=True),
            )
            response = _response(session, run)
    except DagNotFound:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, f"DAG '{dag_id}' has no parsed structure to run yet"
        ) from None
    except (ParamValidationError, InvalidRunIdError) as err:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(err)) from None
    except DagRunAlreadyExists as err:
        raise HTTPException(status.HTTP_409_CONFLICT, str(err)) from None
    jobs.wake_schedulers(db)
    return response


def _manual_trigger(body: TriggerDAGRunPostBody) -> runs.ManualTrigger:
    interval = None
    if body.data_interval_start is not None and body.data_interval_end is not None:
        interval = (body.data_interval_start, body.data_interval_end)
    return runs.ManualTrigger(
        logical_date=body.logical_date,
        run_after=utc(body.run_after),
        data_interval=interval,
        run_id=body.dag_run_id,
        conf=body.conf or {},
        triggered_by="rest_api",
        note=body.note,
    )


def _require_triggerable(session: Any, dag_id: str) -> None:
    model = dag_store.get_dag_model(session, dag_id)
    if model is None or model.is_stale:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"DAG '{dag_id}' not found")
    if model.has_import_errors:
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST,
            f"DAG '{dag_id}' cannot be triggered: its file has import errors",
        )


# --- changing a run ----------------------------------------------------------------------------


@router.patch(RUN, responses=documented(400, 404, 422))
def patch_dag_run(
    dag_id: str,
    dag_run_id: str,
    body: DAGRunPatchBody,
    db: Db,
    user: DagUser,
    update_mask: UpdateMask = None,
) -> DAGRunResponse:
    """Mark a run success, failed or queued (success and failed also settle its unfinished task
    instances), and/or replace its note. `update_mask` limits which body fields apply."""
    fields = fields_to_update(body.model_fields_set, update_mask)
    with db.begin() as session:
        run = require_run(session, dag_id, dag_run_id)
        when = now()
        if "state" in fields and body.state is not None:
            run_operations.mark_run_state(session, run, body.state, now=when)
        if "note" in fields:
            run_operations.set_run_note(session, run, body.note, now=when)
        extra = {**body.model_dump(mode="json", include=fields), "update_mask": update_mask}
        audit.record(session, user, "patch_dag_run", dag_id=dag_id, run_id=dag_run_id, extra=extra)
        session.refresh(run)
        response = _response(session, run)
    if "state" in fields and body.state == DagRunState.QUEUED.value:
        jobs.wake_schedulers(db)
    return response


@router.post(RUN + "/clear", responses=documented(400, 404, 422))
def clear_dag_run(
    dag_id: str, dag_run_id: str, body: DAGRunClearBody, db: Db, user: DagUser
) -> ClearTaskInstanceCollectionResponse | DAGRunResponse:
    """Clear the run's task instances so they run again (only failed ones with `only_failed`).
    With `dry_run` (the default) nothing changes: the response lists what would be cleared."""
    refuse_unsupported_clear(body)
    if body.dry_run:
        with db.session() as session:
            run = require_run(session, dag_id, dag_run_id)
            check_version(session, [run], body)
            cleared = run_operations.clear_run(
                session, run, now=now(), only_failed=body.only_failed, dry_run=True
            )
            return ti_collection(session, cleared)
    with db.begin() as session:
        run = require_run(session, dag_id, dag_run_id)
        check_version(session, [run], body)
        when = now()
        cleared = run_operations.clear_run(session, run, now=when, only_failed=body.only_failed)
        if body.note is not None:
            run_operations.set_run_note(session, run, body.note, now=when)
        extra = {**body.model_dump(mode="json", exclude_unset=True), "cleared": len(cleared)}
        audit.record(session, user, "clear_dag_run", dag_id=dag_id, run_id=dag_run_id, extra=extra)
        session.refresh(run)
        response = _response(session, run)
    jobs.wake_schedulers(db)
    return response


@router.delete(RUN, status_code=status.HTTP_204_NO_CONTENT, responses=documented(400, 404, 409))
def delete_dag_run(dag_id: str, dag_run_id: str, db: Db, user: DagUser) -> Response:
    """Delete a run with its task instances and their XComs; a running run is a 409 (mark it
    first)."""
    with db.begin() as session:
        run = require_run(session, dag_id, dag_run_id)
        if not run_operations.delete_run(session, run):
            raise HTTPException(
                status.HTTP_409_CONFLICT,
                f"DAG run '{dag_run_id}' of DAG '{dag_id}' is running and cannot be deleted; "
                "mark it success, failed or queued first",
            )
        audit.record(
            session,
            user,
            "delete_dag_run",
            dag_id=dag_id,
            run_id=dag_run_id,
            logical_date=run.logical_date,
        )
    return Response(status_code=status.HTTP_204_NO_CONTENT)

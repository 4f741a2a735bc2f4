"""Assets, their events, aliases and queued updates (tag "Asset").

Recording an asset event here is the same as a task's outlet event: the DAGs scheduled on the
asset get a run when the scheduler next looks, which a wake-up hint to the schedulers on this
host makes at once. Slipstream has no asset aliases yet, so the alias routes list none.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Annotated

from fastapi import HTTPException, Query, Request, Response, status

from slipstream.api import audit
from slipstream.api.deps import Db, ReadSession
from slipstream.api.errors import documented
from slipstream.api.pagination import LimitParam, OffsetParam, OrderByParam, page_of
from slipstream.api.params import IntPath, IntQuery, StrListQuery, now, range_query, utc
from slipstream.api.routing import api_router
from slipstream.api.schemas.assets import (
    AssetAliasCollectionResponse,
    AssetAliasResponse,
    AssetCollectionResponse,
    AssetEventCollectionResponse,
    AssetEventResponse,
    AssetResponse,
    CreateAssetEventsBody,
    QueuedEventCollectionResponse,
    QueuedEventResponse,
)
from slipstream.api.security import AuthenticatedUser, requires
from slipstream.db.store import asset_listing, asset_refs, jobs
from slipstream.db.store.asset_listing import AssetEventFilter, AssetFilter
from slipstream.db.store.ranges import Bounds

router = api_router(tags=["Asset"])

User = Annotated[AuthenticatedUser, requires("asset")]
Text = Annotated[str | None, Query()]
Before = Annotated[str | None, Query(description="Only updates queued before this time")]


# --- assets ------------------------------------------------------------------------------------


@router.get("/assets", response_model=AssetCollectionResponse, responses=documented(400))
def get_assets(
    request: Request,
    session: ReadSession,
    user: User,
    limit: LimitParam = None,
    offset: OffsetParam = 0,
    name_pattern: Text = None,
    name_prefix_pattern: Text = None,
    uri_pattern: Text = None,
    uri_prefix_pattern: Text = None,
    dag_ids: StrListQuery = None,
    only_active: bool = True,
    order_by: OrderByParam = None,
) -> AssetCollectionResponse:
    """Assets by `order_by` (default: id). `dag_ids` keeps assets those DAGs are scheduled on
    or recorded events of. `only_active` changes nothing: Slipstream never orphans an asset."""
    page = page_of(
        request, limit, offset, order_by, allowed=asset_listing.ASSET_COLUMNS, default="id"
    )
    where = AssetFilter(
        name_pattern=name_pattern,
        name_prefix_pattern=name_prefix_pattern,
        uri_pattern=uri_pattern,
        uri_prefix_pattern=uri_prefix_pattern,
        dag_ids=dag_ids,
    )
    assets, total = asset_listing.page_assets(session, where, page)
    return AssetCollectionResponse(
        assets=[AssetResponse.of(a) for a in assets], total_entries=total
    )


@router.get(
    "/assets/aliases", response_model=AssetAliasCollectionResponse, responses=documented(400)
)
def get_asset_aliases(
    request: Request,
    user: User,
    limit: LimitParam = None,
    offset: OffsetParam = 0,
    name_pattern: Text = None,
    name_prefix_pattern: Text = None,
    order_by: OrderByParam = None,
) -> AssetAliasCollectionResponse:
    """No aliases: Slipstream does not store asset aliases yet (the parameters are checked)."""
    page_of(request, limit, offset, order_by, allowed=("id", "name"), default="id")
    return AssetAliasCollectionResponse(asset_aliases=[], total_entries=0)


@router.get(
    "/assets/aliases/{asset_alias_id}", response_model=AssetAliasResponse, responses=documented(404)
)
def get_asset_alias(asset_alias_id: IntPath, user: User) -> AssetAliasResponse:
    raise HTTPException(
        status.HTTP_404_NOT_FOUND,
        f"The Asset Alias with ID: `{asset_alias_id}` was not found "
        "(Slipstream does not store asset aliases yet)",
    )


# --- asset events ------------------------------------------------------------------------------


@router.get(
    "/assets/events", response_model=AssetEventCollectionResponse, responses=documented(400)
)
def get_asset_events(
    request: Request,
    session: ReadSession,
    user: User,
    timestamp: Annotated[Bounds, range_query("timestamp")],
    limit: LimitParam = None,
    offset: OffsetParam = 0,
    order_by: OrderByParam = None,
    asset_id: IntQuery = None,
    source_dag_id: Text = None,
    source_task_id: Text = None,
    source_run_id: Text = None,
    source_map_index: IntQuery = None,
    name_pattern: Text = None,
    name_prefix_pattern: Text = None,
) -> AssetEventCollectionResponse:
    """Asset events with the runs they went into, by `order_by` (default: oldest first)."""
    page = page_of(
        request, limit, offset, order_by, allowed=asset_listing.EVENT_COLUMNS, default="timestamp"
    )
    where = AssetEventFilter(
        asset_id=asset_id,
        source_dag_id=source_dag_id,
        source_task_id=source_task_id,
        source_run_id=source_run_id,
        source_map_index=source_map_index,
        name_pattern=name_pattern,
        name_prefix_pattern=name_prefix_pattern,
        timestamp=dataclasses.asdict(timestamp),
    )
    events, total = asset_listing.page_events(session, where, page)
    return AssetEventCollectionResponse(
        asset_events=[AssetEventResponse.of(e) for e in events], total_entries=total
    )


@router.post("/assets/events", response_model=AssetEventResponse, responses=documented(400, 404))
def create_asset_event(body: CreateAssetEventsBody, db: Db, user: User) -> AssetEventResponse:
    """Record an update of an asset by hand (its `extra` marked `from_rest_api`); DAGs scheduled
    on the asset are queued for a run, as after a task's outlet event."""
    _refuse_unsupported(body)
    extra = {**body.extra, "from_rest_api": True}
    with db.begin() as session:
        event_id = asset_refs.record_manual_event(session, body.asset_id, extra, now=now())
        if event_id is None:
            raise HTTPException(
                status.HTTP_404_NOT_FOUND, f"Asset with ID: `{body.asset_id}` was not found"
            )
        audit.record(
            session,
            user,
            "create_asset_event",
            extra={"asset_id": body.asset_id, "extra": body.extra},
        )
        event = asset_listing.get_events(session, [event_id])[0]
    jobs.wake_schedulers(db)
    return AssetEventResponse.of(event)


def _refuse_unsupported(body: CreateAssetEventsBody) -> None:
    """Partitions and per-team access are not supported: refuse rather than ignore them."""
    if body.partition_key is not None:
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST,
            "partition_key is not supported: Slipstream has no partitioned assets",
        )
    control = body.access_control
    if control is not None and (control.consumer_teams or not control.allow_global):
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST,
            "access_control is not supported: Slipstream has no teams, every DAG may consume "
            "every asset event",
        )


# --- one asset, and queued updates -------------------------------------------------------------


@router.get("/assets/{asset_id}", response_model=AssetResponse, responses=documented(404))
def get_asset(asset_id: IntPath, session: ReadSession, user: User) -> AssetResponse:
    asset = asset_listing.get_asset(session, asset_id)
    if asset is None:
        raise _asset_not_found(asset_id)
    return AssetResponse.of(asset)


@router.get(
    "/assets/{asset_id}/queuedEvents",
    response_model=QueuedEventCollectionResponse,
    responses=documented(400),
)
def get_asset_queued_events(
    asset_id: IntPath, session: ReadSession, user: User, before: Before = None
) -> QueuedEventCollectionResponse:
    """Updates of the asset waiting to trigger runs, one per DAG."""
    queued = asset_listing.queued_events(session, asset_id=asset_id, before=_before(before))
    return _queued(queued)


@router.delete(
    "/assets/{asset_id}/queuedEvents",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=documented(400, 404),
)
def delete_asset_queued_events(
    asset_id: IntPath, db: Db, user: User, before: Before = None
) -> Response:
    with db.begin() as session:
        deleted = asset_refs.delete_queued_events(
            session, asset_id=asset_id, before=_before(before)
        )
        if not deleted:
            raise HTTPException(
                status.HTTP_404_NOT_FOUND, f"Queue event with asset_id: `{asset_id}` was not found"
            )
        audit.record(
            session,
            user,
            "delete_asset_queued_events",
            extra={"asset_id": asset_id, "before": before, "deleted": deleted},
        )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/dags/{dag_id}/assets/queuedEvents",
    response_model=QueuedEventCollectionResponse,
    responses=documented(400),
)
def get_dag_asset_queued_events(
    dag_id: str, session: ReadSession, user: User, before: Before = None
) -> QueuedEventCollectionResponse:
    """Asset updates waiting to trigger a run of the DAG, one per asset."""
    return _queued(asset_listing.queued_events(session, dag_id=dag_id, before=_before(before)))


@router.delete(
    "/dags/{dag_id}/assets/queuedEvents",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=documented(400, 404),
)
def delete_dag_asset_queued_events(
    dag_id: str, db: Db, user: User, before: Before = None
) -> Response:
    with db.begin() as session:
        deleted = asset_refs.delete_queued_events(session, dag_id=dag_id, before=_before(before))
        if not deleted:
            raise HTTPException(
                status.HTTP_404_NOT_FOUND, f"Queue event with dag_id: `{dag_id}` was not found"
            )
        audit.record(
            session,
            user,
            "delete_dag_asset_queued_events",
            dag_id=dag_id,
            extra={"before": before, "deleted": deleted},
        )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/dags/{dag_id}/assets/{asset_id}/queuedEvents",
    response_model=QueuedEventResponse,
    responses=documented(400, 404),
)
def get_dag_asset_queued_event(
    dag_id: str, asset_id: IntPath, session: ReadSession, user: User, before: Before = None
) -> QueuedEventResponse:
    queued = asset_listing.queued_events(
        session, dag_id=dag_id, asset_id=asset_id, before=_before(before)
    )
    if not queued:
        raise _queued_not_found(dag_id, asset_id)
    return QueuedEventResponse.of(queued[0])


@router.delete(
    "/dags/{dag_id}/assets/{asset_id}/queuedEvents",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=documented(400, 404),
)
def delete_dag_asset_queued_event(
    dag_id: str, asset_id: IntPath, db: Db, user: User, before: Before = None
) -> Response:
    with db.begin() as session:
        deleted = asset_refs.delete_queued_events(
            session, dag_id=dag_id, asset_id=asset_id, before=_before(before)
        )
        if not deleted:
            raise _queued_not_found(dag_id, asset_id)
        audit.record(
            session,
            user,
            "delete_dag_asset_queued_event",
            dag_id=dag_id,
            extra={"asset_id": asset_id, "before": before},
        )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# --- helpers -----------------------------------------------------------------------------------


def _queued(queued: list[asset_listing.QueuedEvent]) -> QueuedEventCollectionResponse:
    return QueuedEventCollectionResponse(
        queued_events=[QueuedEventResponse.of(q) for q in queued], total_entries=len(queued)
    )


def _asset_not_found(asset_id: int) -> HTTPException:
    return HTTPException(
        status.HTTP_404_NOT_FOUND, f"The Asset with ID: `{asset_id}` was not found"
    )


def _queued_not_found(dag_id: str, asset_id: int) -> HTTPException:
    return HTTPException(
        status.HTTP_404_NOT_FOUND,
        f"Queued event with dag_id: `{dag_id}` and asset_id: `{asset_id}` was not found",
    )


def _before(value: str | None) -> dt.datetime | None:
    """`before` as a time (ISO 8601; UTC when it names no zone); 400 when it is not one."""
    if not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST,
            f"Invalid datetime for before: `{value}` (use ISO 8601, e.g. 2024-01-01T00:00:00Z)",
        ) from None
    return utc(parsed)

"""Assets, their events and queued updates as people browse them (the REST API).

Reads only; every page costs a fixed number of queries whatever its size: the rows, their
count, then what each row shows beside it (the DAGs scheduled on an asset and its last event;
the runs an event went into), one query each for the whole page. A run's page shows the events
that triggered it the same way (`events_of_run`).

Slipstream stores no task inlet/outlet references yet, so an asset's producing and consuming
tasks are not known here, and every asset counts as active (none is ever orphaned).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from slipstream.db.models import (
    Asset,
    AssetDagRunQueue,
    AssetEvent,
    DagRun,
    DagRunAssetEvent,
    DagScheduleAssetReference,
)
from slipstream.db.store import text_patterns
from slipstream.db.store.asset_refs import queue_conditions
from slipstream.db.store.paging import Page, paged, total_of
from slipstream.db.store.ranges import Bounds

__all__ = [
    "ASSET_COLUMNS",
    "EVENT_COLUMNS",
    "AssetEventFilter",
    "AssetEventView",
    "AssetFilter",
    "AssetView",
    "EventRun",
    "QueuedEvent",
    "asset_exists",
    "events_of_run",
    "get_asset",
    "get_events",
    "page_assets",
    "page_events",
    "queued_events",
]

ASSET_COLUMNS: dict[str, Any] = {
    "id": Asset.id,
    "name": Asset.name,
    "uri": Asset.uri,
    "created_at": Asset.created_at,
    "updated_at": Asset.updated_at,
}
"""The fields the API may order assets by, with their columns."""

EVENT_COLUMNS: dict[str, Any] = {
    "source_task_id": AssetEvent.source_task_id,
    "source_dag_id": AssetEvent.source_dag_id,
    "source_run_id": AssetEvent.source_run_id,
    "source_map_index": AssetEvent.source_map_index,
    "timestamp": AssetEvent.timestamp,
}
"""The fields the API may order asset events by, with their columns."""


# --- assets ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AssetView:
    id: int
    name: str
    uri: str
    group: str
    extra: dict[str, Any]
    created_at: dt.datetime
    updated_at: dt.datetime | None
    scheduled_dag_ids: list[str]
    last_event_id: int | None
    last_event_at: dt.datetime | None


@dataclass(frozen=True)
class AssetFilter:
    """Name and URI patterns (`text_patterns`), and DAGs the asset relates to: DAGs scheduled
    on it, or whose tasks recorded its events."""

    name_pattern: str | None = None
    name_prefix_pattern: str | None = None
    uri_pattern: str | None = None
    uri_prefix_pattern: str | None = None
    dag_ids: Collection[str] | None = None


def page_assets(session: Session, where: AssetFilter, page: Page) -> tuple[list[AssetView], int]:
    """One page of the assets matching `where`, and how many match in all."""
    query: Select[Any] = select(Asset).where(*_asset_conditions(where))
    rows = list(session.scalars(paged(query, page, ASSET_COLUMNS, tiebreak=Asset.id)))
    return _asset_views(session, rows), total_of(query, session)


def get_asset(session: Session, asset_id: int) -> AssetView | None:
    row = session.get(Asset, asset_id)
    return None if row is None else _asset_views(session, [row])[0]


def asset_exists(session: Session, asset_id: int) -> bool:
    return session.scalar(select(Asset.id).where(Asset.id == asset_id)) is not None


def _asset_conditions(where: AssetFilter) -> list[Any]:
    conditions: list[Any] = [
        *text_patterns.conditions(Asset.name, where.name_pattern, where.name_prefix_pattern),
        *text_patterns.conditions(Asset.uri, where.uri_pattern, where.uri_prefix_pattern),
    ]
    if where.dag_ids:
        dag_ids = sorted(set(where.dag_ids))
        scheduled = select(DagScheduleAssetReference.asset_id).where(
            DagScheduleAssetReference.dag_id.in_(dag_ids)
        )
        produced = select(AssetEvent.asset_id).where(AssetEvent.source_dag_id.in_(dag_ids))
        conditions.append(or_(Asset.id.in_(scheduled), Asset.id.in_(produced)))
    return conditions


def _asset_views(session: Session, rows: list[Asset]) -> list[AssetView]:
    ids = [row.id for row in rows]
    scheduled = _scheduled_dags(session, ids)
    last = _last_events(session, ids)
    return [
        AssetView(
            id=row.id,
            name=row.name,
            uri=row.uri,
            group=row.group,
            extra=dict(row.extra or {}),
            created_at=row.created_at,
            updated_at=row.updated_at,
            scheduled_dag_ids=scheduled.get(row.id, []),
            last_event_id=last.get(row.id, (None, None))[0],
            last_event_at=last.get(row.id, (None, None))[1],
        )
        for row in rows
    ]


def _scheduled_dags(session: Session, asset_ids: list[int]) -> dict[int, list[str]]:
    if not asset_ids:
        return {}
    rows = session.execute(
        select(DagScheduleAssetReference.asset_id, DagScheduleAssetReference.dag_id)
        .where(DagScheduleAssetReference.asset_id.in_(asset_ids))
        .order_by(DagScheduleAssetReference.dag_id)
    )
    out: dict[int, list[str]] = {}
    for asset_id, dag_id in rows:
        out.setdefault(asset_id, []).append(dag_id)
    return out


def _last_events(session: Session, asset_ids: list[int]) -> dict[int, tuple[int, dt.datetime]]:
    """`{asset id: (event id, timestamp)}` of each asset's latest event (the highest id among
    those at the latest time)."""
    if not asset_ids:
        return {}
    latest = (
        select(AssetEvent.asset_id, func.max(AssetEvent.timestamp).label("at"))
        .where(AssetEvent.asset_id.in_(asset_ids))
        .group_by(AssetEvent.asset_id)
        .subquery()
    )
    rows = session.execute(
        select(AssetEvent.asset_id, func.max(AssetEvent.id), latest.c.at)
        .join(
            latest,
            (AssetEvent.asset_id == latest.c.asset_id) & (AssetEvent.timestamp == latest.c.at),
        )
        .group_by(AssetEvent.asset_id, latest.c.at)
    )
    return {asset_id: (event_id, at) for asset_id, event_id, at in rows}


# --- asset events ----------------------------------------------------------------------------


@dataclass(frozen=True)
class EventRun:
    """A run an asset event went into; `triggering` when it is the run's latest event."""

    dag_id: str
    run_id: str
    state: str
    logical_date: dt.datetime | None
    start_date: dt.datetime | None
    end_date: dt.datetime | None
    data_interval_start: dt.datetime | None
    data_interval_end: dt.datetime | None
    queued_at: dt.datetime | None
    run_after: dt.datetime
    triggering: bool


@dataclass(frozen=True)
class AssetEventView:
    id: int
    asset_id: int
    name: str
    uri: str
    group: str
    extra: dict[str, Any]
    source_dag_id: str | None
    source_task_id: str | None
    source_run_id: str | None
    source_map_index: int
    timestamp: dt.datetime
    created_dagruns: list[EventRun] = field(default_factory=list)


@dataclass(frozen=True)
class AssetEventFilter:
    """Exact source fields, the asset (by id, or name patterns) and a time range."""

    asset_id: int | None = None
    source_dag_id: str | None = None
    source_task_id: str | None = None
    source_run_id: str | None = None
    source_map_index: int | None = None
    name_pattern: str | None = None
    name_prefix_pattern: str | None = None
    timestamp: Mapping[str, dt.datetime | None] = field(default_factory=dict)
    """`{"gte"|"gt"|"lte"|"lt": bound}`."""


def page_events(
    session: Session, where: AssetEventFilter, page: Page
) -> tuple[list[AssetEventView], int]:
    """One page of the asset events matching `where`, and how many match in all."""
    query = _events().where(*_event_conditions(where))
    rows = session.execute(paged(query, page, EVENT_COLUMNS, tiebreak=AssetEvent.id)).all()
    return _event_views(session, rows), total_of(query, session)


def get_events(session: Session, event_ids: Collection[int]) -> list[AssetEventView]:
    """These events (with their assets and runs), by id."""
    query = _events().where(AssetEvent.id.in_(sorted(set(event_ids)))).order_by(AssetEvent.id)
    return _event_views(session, session.execute(query).all())


def events_of_run(session: Session, dag_run_pk: int) -> list[AssetEventView]:
    """The asset events the run with primary key `dag_run_pk` consumed (those that triggered
    it), oldest first, each with every run that consumed it (three queries in all)."""
    query = (
        _events()
        .join(DagRunAssetEvent, DagRunAssetEvent.event_id == AssetEvent.id)
        .where(DagRunAssetEvent.dag_run_id == dag_run_pk)
        .order_by(AssetEvent.timestamp, AssetEvent.id)
    )
    return _event_views(session, session.execute(query).all())


def _events() -> Select[*tuple[Any, ...]]:
    return select(AssetEvent, Asset.name, Asset.uri, Asset.group).join(
        Asset, Asset.id == AssetEvent.asset_id
    )


def _event_conditions(where: AssetEventFilter) -> list[Any]:
    conditions: list[Any] = [
        column == value
        for column, value in (
            (AssetEvent.asset_id, where.asset_id),
            (AssetEvent.source_dag_id, where.source_dag_id),
            (AssetEvent.source_task_id, where.source_task_id),
            (AssetEvent.source_run_id, where.source_run_id),
            (AssetEvent.source_map_index, where.source_map_index),
        )
        if value is not None
    ]
    conditions += text_patterns.conditions(
        Asset.name, where.name_pattern, where.name_prefix_pattern
    )
    conditions += Bounds(**where.timestamp).conditions(AssetEvent.timestamp)
    return conditions


def _event_views(session: Session, rows: Sequence[Any]) -> list[AssetEventView]:
    runs = _event_runs(session, [row[0].id for row in rows])
    return [
        AssetEventView(
            id=event.id,
            asset_id=event.asset_id,
            name=name,
            uri=uri,
            group=group,
            extra=dict(event.extra or {}),
            source_dag_id=event.source_dag_id,
            source_task_id=event.source_task_id,
            source_run_id=event.source_run_id,
            source_map_index=event.source_map_index,
            timestamp=event.timestamp,
            created_dagruns=runs.get(event.id, []),
        )
        for event, name, uri, group in rows
    ]


def _event_runs(session: Session, event_ids: list[int]) -> dict[int, list[EventRun]]:
    """The runs each event went into; a run's triggering event is its latest one."""
    if not event_ids:
        return {}
    links = session.execute(
        select(DagRunAssetEvent.event_id, DagRun)
        .join(DagRun, DagRun.id == DagRunAssetEvent.dag_run_id)
        .where(DagRunAssetEvent.event_id.in_(event_ids))
        .order_by(DagRun.run_after, DagRun.id)
    ).all()
    latest = _latest_event_of_runs(session, {run.id for _, run in links})
    out: dict[int, list[EventRun]] = {}
    for event_id, run in links:
        out.setdefault(event_id, []).append(_event_run(run, latest.get(run.id) == event_id))
    return out


def _latest_event_of_runs(session: Session, run_ids: Collection[int]) -> dict[int, int]:
    if not run_ids:
        return {}
    rows = session.execute(
        select(DagRunAssetEvent.dag_run_id, AssetEvent.id)
        .join(AssetEvent, AssetEvent.id == DagRunAssetEvent.event_id)
        .where(DagRunAssetEvent.dag_run_id.in_(sorted(run_ids)))
        .order_by(AssetEvent.timestamp, AssetEvent.id)
    )
    return {run_id: event_id for run_id, event_id in rows}


def _event_run(run: DagRun, triggering: bool) -> EventRun:
    return EventRun(
        dag_id=run.dag_id,
        run_id=run.run_id,
        state=run.state,
        logical_date=run.logical_date,
        start_date=run.start_date,
        end_date=run.end_date,
        data_interval_start=run.data_interval_start,
        data_interval_end=run.data_interval_end,
        queued_at=run.queued_at,
        run_after=run.run_after,
        triggering=triggering,
    )


# --- queued asset updates --------------------------------------------------------------------


@dataclass(frozen=True)
class QueuedEvent:
    """An asset update waiting to trigger a run of `dag_id`."""

    dag_id: str
    asset_id: int
    created_at: dt.datetime


def queued_events(
    session: Session,
    *,
    dag_id: str | None = None,
    asset_id: int | None = None,
    before: dt.datetime | None = None,
) -> list[QueuedEvent]:
    """Queued asset updates of a DAG and/or an asset, queued before `before` when given."""
    query = (
        select(
            AssetDagRunQueue.target_dag_id, AssetDagRunQueue.asset_id, AssetDagRunQueue.created_at
        )
        .where(*queue_conditions(dag_id=dag_id, asset_id=asset_id, before=before))
        .order_by(AssetDagRunQueue.target_dag_id, AssetDagRunQueue.asset_id)
    )
    return [QueuedEvent(*row) for row in session.execute(query)]

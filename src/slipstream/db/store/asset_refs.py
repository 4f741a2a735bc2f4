"""Assets that DAG files mention, and which DAGs an asset's update may trigger.

The DAG processor registers every asset a DAG's schedule or its tasks' inlets and outlets name
(`ensure_assets`) and, for a DAG scheduled on assets, the `dag_schedule_asset_reference` rows
(`set_schedule_references`) that tell whoever records an asset event which DAGs to queue.
Aliases have no table yet: a DAG scheduled on an alias keeps it in `dag.asset_expression`.

Users record asset updates by hand too (`record_manual_event`, the REST API) and drop updates
waiting to trigger runs (`delete_queued_events`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from slipstream.db.models import Asset, AssetDagRunQueue, AssetEvent, DagScheduleAssetReference
from slipstream.db.store._sql import chunks, rowcount, upsert

__all__ = [
    "AssetSpec",
    "dags_scheduled_on",
    "delete_queued_events",
    "ensure_assets",
    "queue_conditions",
    "record_manual_event",
    "schedule_references",
    "schedule_references_of",
    "set_schedule_references",
    "set_schedule_references_many",
]


@dataclass(frozen=True)
class AssetSpec:
    """An asset as a DAG file declares it; `(name, uri)` is its identity."""

    name: str
    uri: str
    group: str = "asset"
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def key(self) -> tuple[str, str]:
        return (self.name, self.uri)


def ensure_assets(
    session: Session, assets: Iterable[AssetSpec], *, now: dt.datetime
) -> dict[tuple[str, str], int]:
    """Make sure every asset has a row (updating its group and extra); `{(name, uri): id}`."""
    wanted = {spec.key: spec for spec in assets}
    if not wanted:
        return {}
    existing = _assets_by_key(session, wanted)
    for key, spec in wanted.items():
        row = existing.get(key)
        if row is None:
            upsert(
                session,
                Asset.__table__,  # type: ignore[arg-type]
                {
                    "name": spec.name,
                    "uri": spec.uri,
                    "group": spec.group,
                    "extra": spec.extra,
                    "created_at": now,
                },
                key=("name", "uri"),
                update=(),
            )
        elif row.group != spec.group or row.extra != spec.extra:
            row.group = spec.group
            row.extra = dict(spec.extra)
            row.updated_at = now
    missing = [key for key in wanted if key not in existing]
    if missing:
        existing.update(_assets_by_key(session, {key: wanted[key] for key in missing}))
    return {key: row.id for key, row in existing.items()}


def _assets_by_key(session: Session, wanted: dict[tuple[str, str], AssetSpec]) -> dict[Any, Asset]:
    uris = sorted({uri for _, uri in wanted})
    rows = session.scalars(select(Asset).where(Asset.uri.in_(uris)))
    return {(row.name, row.uri): row for row in rows if (row.name, row.uri) in wanted}


def set_schedule_references(session: Session, dag_id: str, asset_ids: Collection[int]) -> None:
    """Make these assets exactly the ones whose updates may trigger `dag_id`."""
    current = set(schedule_references(session, dag_id))
    wanted = set(asset_ids)
    gone = current - wanted
    if gone:
        session.execute(
            delete(DagScheduleAssetReference).where(
                DagScheduleAssetReference.dag_id == dag_id,
                DagScheduleAssetReference.asset_id.in_(sorted(gone)),
            )
        )
    new = sorted(wanted - current)
    if new:
        session.execute(
            insert(DagScheduleAssetReference),
            [{"dag_id": dag_id, "asset_id": asset_id} for asset_id in new],
        )


def schedule_references(session: Session, dag_id: str) -> list[int]:
    """Ids of the assets `dag_id` is scheduled on."""
    return list(
        session.scalars(
            select(DagScheduleAssetReference.asset_id)
            .where(DagScheduleAssetReference.dag_id == dag_id)
            .order_by(DagScheduleAssetReference.asset_id)
        )
    )


def schedule_references_of(session: Session, dag_ids: Collection[str]) -> dict[str, set[int]]:
    """`schedule_references` of many DAGs in one query (chunked): `{dag_id: asset ids}`, DAGs
    scheduled on no asset left out."""
    out: dict[str, set[int]] = {}
    for chunk in chunks(sorted(set(dag_ids))):
        rows = session.execute(
            select(DagScheduleAssetReference.dag_id, DagScheduleAssetReference.asset_id).where(
                DagScheduleAssetReference.dag_id.in_(chunk)
            )
        )
        for dag_id, asset_id in rows:
            out.setdefault(dag_id, set()).add(asset_id)
    return out


def set_schedule_references_many(
    session: Session,
    wanted: Mapping[str, Collection[int]],
    current: Mapping[str, Collection[int]],
) -> None:
    """`set_schedule_references` for many DAGs: `wanted[dag_id]` become its references, where
    `current` holds what `schedule_references_of` read of them. New rows in one statement."""
    new: list[dict[str, Any]] = []
    for dag_id, asset_ids in wanted.items():
        have = set(current.get(dag_id, ()))
        want = set(asset_ids)
        gone = have - want
        if gone:
            session.execute(
                delete(DagScheduleAssetReference).where(
                    DagScheduleAssetReference.dag_id == dag_id,
                    DagScheduleAssetReference.asset_id.in_(sorted(gone)),
                )
            )
        new.extend({"dag_id": dag_id, "asset_id": a} for a in sorted(want - have))
    if new:
        session.execute(insert(DagScheduleAssetReference), new)


def dags_scheduled_on(session: Session, asset_id: int) -> list[str]:
    """Ids of the DAGs whose schedule names this asset (paused and stale ones included)."""
    return list(
        session.scalars(
            select(DagScheduleAssetReference.dag_id)
            .where(DagScheduleAssetReference.asset_id == asset_id)
            .order_by(DagScheduleAssetReference.dag_id)
        )
    )


# --- updates recorded by users ----------------------------------------------------------------


@dataclass(frozen=True)
class _NoSource:
    """The source of an event no task emitted."""

    dag_id: None = None
    task_id: None = None
    run_id: None = None
    map_index: int = -1


def record_manual_event(
    session: Session, asset_id: int, extra: dict[str, Any], *, now: dt.datetime
) -> int | None:
    """Record an update of asset `asset_id` that no task emitted, exactly as a task's outlet
    event is recorded (`asset_events.record_asset_events`): the DAGs scheduled on the asset are
    queued for a run. Returns the event's id; None when there is no such asset."""
    from slipstream.db.store.asset_events import AssetEventRecord, record_asset_events

    asset = session.get(Asset, asset_id)
    if asset is None:
        return None
    event = AssetEventRecord(uri=asset.uri, name=asset.name, group=asset.group, extra=extra)
    record_asset_events(session, _NoSource(), [event], now)
    event_id: int | None = session.scalar(
        select(func.max(AssetEvent.id)).where(
            AssetEvent.asset_id == asset_id,
            AssetEvent.timestamp == now,
            AssetEvent.source_task_id.is_(None),
        )
    )
    return event_id


def delete_queued_events(
    session: Session,
    *,
    dag_id: str | None = None,
    asset_id: int | None = None,
    before: dt.datetime | None = None,
) -> int:
    """Drop asset updates waiting to trigger runs, of a DAG and/or an asset (queued before
    `before` when given); returns how many went."""
    query = delete(AssetDagRunQueue).where(
        *queue_conditions(dag_id=dag_id, asset_id=asset_id, before=before)
    )
    return rowcount(session.execute(query))


def queue_conditions(
    *, dag_id: str | None, asset_id: int | None, before: dt.datetime | None
) -> list[ColumnElement[bool]]:
    """Which queued asset updates a call means: of a DAG and/or an asset, queued before
    `before` (each when given)."""
    conditions: list[ColumnElement[bool]] = []
    if dag_id is not None:
        conditions.append(AssetDagRunQueue.target_dag_id == dag_id)
    if asset_id is not None:
        conditions.append(AssetDagRunQueue.asset_id == asset_id)
    if before is not None:
        conditions.append(AssetDagRunQueue.created_at < before)
    return conditions

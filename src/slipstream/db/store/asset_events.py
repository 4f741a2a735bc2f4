"""Asset events as tries emit them and tasks read them: recording the updates a successful try
(or a user, `asset_refs.record_manual_event`) makes, queueing the DAGs scheduled on those assets
for a run, and the recorded events of assets a task names as inlets.

People browsing events use `asset_listing`; the events that triggered a run, as its tasks see
them, are in `run_context`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from slipstream.db.models import Asset, AssetDagRunQueue, AssetEvent, DagModel
from slipstream.db.models import DagScheduleAssetReference as ScheduleRef
from slipstream.db.store._sql import insert_ignore

__all__ = ["AssetEventRecord", "asset_events_for", "event_fields", "record_asset_events"]


@dataclass(frozen=True)
class AssetEventRecord:
    """One asset update a successful try emits (`name` defaults to the URI, as in Airflow)."""

    uri: str
    name: str | None = None
    group: str = "asset"
    extra: dict[str, Any] = field(default_factory=dict)


def record_asset_events(
    session: Session, ti: Any, events: Sequence[AssetEventRecord], when: dt.datetime
) -> None:
    """Store asset events of `ti` (creating assets not seen before) and queue a run for every
    active, unpaused DAG scheduled on those assets."""
    keys = list(dict.fromkeys((e.name or e.uri, e.uri) for e in events))
    groups = {(e.name or e.uri, e.uri): e.group for e in events}
    insert_ignore(
        session,
        Asset.__table__,
        [
            {"name": n, "uri": u, "group": groups[(n, u)], "extra": {}, "created_at": when}
            for n, u in keys
        ],
        key=["name", "uri"],
    )
    rows = session.execute(
        select(Asset.id, Asset.name, Asset.uri).where(Asset.uri.in_({u for _, u in keys}))
    ).all()
    ids = {(name, uri): asset_id for asset_id, name, uri in rows}
    session.execute(
        insert(AssetEvent),
        [
            {
                "asset_id": ids[(e.name or e.uri, e.uri)],
                "extra": dict(e.extra),
                "source_dag_id": ti.dag_id,
                "source_task_id": ti.task_id,
                "source_run_id": ti.run_id,
                "source_map_index": ti.map_index,
                "timestamp": when,
            }
            for e in events
        ],
    )
    asset_ids = sorted({ids[key] for key in keys})
    targets = session.execute(
        select(ScheduleRef.asset_id, ScheduleRef.dag_id)
        .join(DagModel, DagModel.dag_id == ScheduleRef.dag_id)
        .where(ScheduleRef.asset_id.in_(asset_ids))
        .where(DagModel.is_paused.is_(False), DagModel.is_stale.is_(False))
    ).all()
    insert_ignore(
        session,
        AssetDagRunQueue.__table__,
        [{"asset_id": a, "target_dag_id": d, "created_at": when} for a, d in targets],
        key=["asset_id", "target_dag_id"],
    )


def asset_events_for(session: Session, uris: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
    """Recorded events of the assets with these URIs, oldest first (for `inlet_events`)."""
    wanted = sorted(set(uris))
    if not wanted:
        return {}
    rows = session.execute(
        select(Asset.uri, AssetEvent)
        .join(AssetEvent, AssetEvent.asset_id == Asset.id)
        .where(Asset.uri.in_(wanted))
        .order_by(AssetEvent.timestamp, AssetEvent.id)
    ).all()
    out: dict[str, list[dict[str, Any]]] = {}
    for uri, event in rows:
        out.setdefault(uri, []).append(event_fields(uri, event))
    return out


def event_fields(uri: str, event: AssetEvent) -> dict[str, Any]:
    """An event as a task sees it: its asset's URI, `extra`, where it came from and when."""
    return {
        "asset_uri": uri,
        "extra": dict(event.extra or {}),
        "source_dag_id": event.source_dag_id,
        "source_task_id": event.source_task_id,
        "source_run_id": event.source_run_id,
        "source_map_index": event.source_map_index,
        "timestamp": event.timestamp,
    }

"""Runs that asset updates trigger: the updates waiting per DAG (`asset_dag_run_queue`, filled
when a try or a user records an asset event, `asset_events`), and creating the run that consumes
them, linked to the events it consumed (`dagrun_asset_event`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from slipstream.core.run_types import DagRunType
from slipstream.db.models import (
    Asset,
    AssetDagRunQueue,
    AssetEvent,
    DagModel,
    DagRun,
    DagRunAssetEvent,
)
from slipstream.db.store.runs import NewRun, create_run

if TYPE_CHECKING:
    from slipstream.serialization import SerializedDAG

__all__ = ["QueuedAsset", "asset_queue", "create_asset_triggered_run"]


@dataclass(frozen=True)
class QueuedAsset:
    asset_id: int
    uri: str
    name: str
    created_at: dt.datetime


def asset_queue(session: Session) -> dict[str, list[QueuedAsset]]:
    """Asset updates waiting per unpaused target DAG (`asset_dag_run_queue`)."""
    rows = session.execute(
        select(
            AssetDagRunQueue.target_dag_id,
            Asset.id,
            Asset.uri,
            Asset.name,
            AssetDagRunQueue.created_at,
        )
        .join(Asset, Asset.id == AssetDagRunQueue.asset_id)
        .join(DagModel, DagModel.dag_id == AssetDagRunQueue.target_dag_id)
        .where(DagModel.is_paused.is_(False))
    )
    out: dict[str, list[QueuedAsset]] = {}
    for dag_id, asset_id, uri, name, created in rows:
        out.setdefault(dag_id, []).append(QueuedAsset(asset_id, uri, name, created))
    return out


def create_asset_triggered_run(
    session: Session,
    dag: SerializedDAG,
    serialized_dag_id: int,
    queued: list[QueuedAsset],
    *,
    now: dt.datetime,
) -> DagRun:
    """A run for the asset updates in `queued`, linked to their events; the queue rows go."""
    triggered_at = max(q.created_at for q in queued)
    asset_ids = sorted({q.asset_id for q in queued})
    import pendulum

    run_id = dag.timetable.generate_run_id(
        DagRunType.ASSET_TRIGGERED, None, run_after=pendulum.instance(triggered_at)
    )
    since = session.scalar(
        select(func.max(DagRun.run_after)).where(
            DagRun.dag_id == dag.dag_id, DagRun.run_type == DagRunType.ASSET_TRIGGERED.value
        )
    )
    events = select(AssetEvent.id).where(
        AssetEvent.asset_id.in_(asset_ids), AssetEvent.timestamp <= triggered_at
    )
    if since is not None:
        events = events.where(AssetEvent.timestamp > since)
    event_ids = list(session.scalars(events))
    new = NewRun(
        run_id=run_id,
        run_type=DagRunType.ASSET_TRIGGERED.value,
        run_after=triggered_at,
        triggered_by="asset",
    )
    run = create_run(session, dag, serialized_dag_id, new, now=now)
    if event_ids:
        session.execute(
            insert(DagRunAssetEvent), [{"dag_run_id": run.id, "event_id": e} for e in event_ids]
        )
    session.execute(
        delete(AssetDagRunQueue).where(
            AssetDagRunQueue.target_dag_id == dag.dag_id,
            AssetDagRunQueue.asset_id.in_(asset_ids),
            AssetDagRunQueue.created_at <= triggered_at,
        )
    )
    return run

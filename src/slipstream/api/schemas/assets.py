"""Assets, asset events, aliases and queued asset updates as Airflow's API shows them, and the
body that records an asset event by hand.

What the secret-looking keys of an asset's or event's `extra` hold is shown masked, as Airflow
does (`api.redaction`). The asset events that triggered a DAG run are shown with these models
too (`GET .../dagRuns/{dag_run_id}/upstreamAssetEvents`).
Slipstream keeps no task inlet/outlet references, aliases or watchers yet: those lists are empty.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from slipstream.api.params import DbInt
from slipstream.api.redaction import Redactor
from slipstream.db.store.asset_listing import AssetEventView, AssetView, EventRun, QueuedEvent

_REDACTOR = Redactor()


class DagScheduleAssetReference(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dag_id: str
    created_at: dt.datetime
    updated_at: dt.datetime


class TaskAssetReference(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dag_id: str
    task_id: str
    created_at: dt.datetime
    updated_at: dt.datetime


class AssetAliasResponse(BaseModel):
    id: int
    name: str
    group: str


class AssetAliasCollectionResponse(BaseModel):
    asset_aliases: list[AssetAliasResponse]
    total_entries: int


class LastAssetEventResponse(BaseModel):
    id: int | None = None
    timestamp: dt.datetime | None = None


class AssetResponse(BaseModel):
    id: int
    name: str
    uri: str
    group: str
    extra: dict[str, Any] | None = None
    created_at: dt.datetime
    updated_at: dt.datetime
    scheduled_dags: list[DagScheduleAssetReference]
    producing_tasks: list[TaskAssetReference]
    consuming_tasks: list[TaskAssetReference]
    aliases: list[AssetAliasResponse]
    watchers: list[dict[str, Any]]
    last_asset_event: LastAssetEventResponse | None = None

    @classmethod
    def of(cls, asset: AssetView) -> AssetResponse:
        """Schedule references carry the asset's own times: their own are not recorded."""
        updated = asset.updated_at or asset.created_at
        return cls(
            id=asset.id,
            name=asset.name,
            uri=asset.uri,
            group=asset.group,
            extra=_REDACTOR.json_value(asset.extra),
            created_at=asset.created_at,
            updated_at=updated,
            scheduled_dags=[
                DagScheduleAssetReference(
                    dag_id=dag_id, created_at=asset.created_at, updated_at=updated
                )
                for dag_id in asset.scheduled_dag_ids
            ],
            producing_tasks=[],
            consuming_tasks=[],
            aliases=[],
            watchers=[],
            last_asset_event=LastAssetEventResponse(
                id=asset.last_event_id, timestamp=asset.last_event_at
            ),
        )


class AssetCollectionResponse(BaseModel):
    assets: list[AssetResponse]
    total_entries: int


class DagRunAssetReference(BaseModel):
    model_config = ConfigDict(extra="forbid")

    run_id: str
    dag_id: str
    logical_date: dt.datetime | None
    start_date: dt.datetime
    end_date: dt.datetime | None
    state: str
    data_interval_start: dt.datetime | None
    data_interval_end: dt.datetime | None
    partition_key: str | None = None
    triggering: bool

    @classmethod
    def of(cls, run: EventRun) -> DagRunAssetReference:
        """A run that has not started shows when it was queued (or is due) as its start."""
        return cls(
            run_id=run.run_id,
            dag_id=run.dag_id,
            logical_date=run.logical_date,
            start_date=run.start_date or run.queued_at or run.run_after,
            end_date=run.end_date,
            state=run.state,
            data_interval_start=run.data_interval_start,
            data_interval_end=run.data_interval_end,
            triggering=run.triggering,
        )


class AssetEventResponse(BaseModel):
    id: int
    asset_id: int
    uri: str | None = None
    name: str | None = None
    group: str | None = None
    extra: dict[str, Any] | None = None
    source_task_id: str | None = None
    source_dag_id: str | None = None
    source_run_id: str | None = None
    source_map_index: int
    created_dagruns: list[DagRunAssetReference]
    timestamp: dt.datetime
    partition_key: str | None = None

    @classmethod
    def of(cls, event: AssetEventView) -> AssetEventResponse:
        return cls(
            id=event.id,
            asset_id=event.asset_id,
            uri=event.uri,
            name=event.name,
            group=event.group,
            extra=_REDACTOR.json_value(event.extra),
            source_task_id=event.source_task_id,
            source_dag_id=event.source_dag_id,
            source_run_id=event.source_run_id,
            source_map_index=event.source_map_index,
            created_dagruns=[DagRunAssetReference.of(run) for run in event.created_dagruns],
            timestamp=event.timestamp,
        )


class AssetEventCollectionResponse(BaseModel):
    asset_events: list[AssetEventResponse]
    total_entries: int


class AssetEventAccessControl(BaseModel):
    model_config = ConfigDict(extra="forbid")

    allow_global: bool = True
    consumer_teams: list[str] | None = None


class CreateAssetEventsBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    asset_id: DbInt
    extra: dict[str, Any] = Field(default_factory=dict)
    partition_key: str | None = Field(default=None, max_length=250, pattern=r"\S")
    access_control: AssetEventAccessControl | None = None


class QueuedEventResponse(BaseModel):
    dag_id: str
    asset_id: int
    created_at: dt.datetime
    dag_display_name: str

    @classmethod
    def of(cls, queued: QueuedEvent) -> QueuedEventResponse:
        return cls(
            dag_id=queued.dag_id,
            asset_id=queued.asset_id,
            created_at=queued.created_at,
            dag_display_name=queued.dag_id,
        )


class QueuedEventCollectionResponse(BaseModel):
    queued_events: list[QueuedEventResponse]
    total_entries: int

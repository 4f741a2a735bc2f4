"""Request and response bodies of the DAG run routes, with the names and shapes of Airflow 3's
`DAGRunResponse`, `TriggerDAGRunPostBody`, `DAGRunPatchBody`, `DAGRunClearBody`,
`DAGRunsBatchBody` and friends, and the functions building responses from store rows.

Slipstream's primary keys are integers where Airflow's DAG version ids are UUIDs; a version is
shown as the UUID holding its integer id (`uuid_of`, as task instances are).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, NonNegativeInt, model_validator

from slipstream.api.schemas.task_instances import TaskInstanceResponse, uuid_of
from slipstream.core.run_types import DagRunType
from slipstream.core.states import DagRunState
from slipstream.db.models import DagRun
from slipstream.db.store.run_listing import ConsumedEvent, ConsumingRun, RunVersion

DagRunMutableState = Literal["queued", "success", "failed"]
TriggeredBy = Literal["cli", "operator", "rest_api", "ui", "test", "timetable", "asset", "backfill"]
TRIGGERED_BY: frozenset[str] = frozenset(TriggeredBy.__args__)  # type: ignore[attr-defined]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- requests ----------------------------------------------------------------------------------


class TriggerDAGRunPostBody(_Body):
    """A manual run to create. Without `logical_date` the run has none (Airflow 3)."""

    dag_run_id: str | None = Field(None, min_length=1, max_length=250)
    data_interval_start: AwareDatetime | None = None
    data_interval_end: AwareDatetime | None = None
    logical_date: AwareDatetime | None = None
    run_after: dt.datetime | None = None
    conf: dict[str, Any] | None = None
    note: str | None = None
    partition_key: str | None = None

    @model_validator(mode="after")
    def _interval_has_both_ends(self) -> TriggerDAGRunPostBody:
        start, end = self.data_interval_start, self.data_interval_end
        if (start is None) != (end is None):
            raise ValueError(
                "data_interval_start and data_interval_end go together: give both or neither"
            )
        if start is not None and end is not None and start > end:
            raise ValueError("data_interval_start must not be after data_interval_end")
        return self


class DAGRunPatchBody(_Body):
    state: DagRunMutableState | None = None
    note: str | None = Field(None, max_length=1000)


class DAGRunClearBody(_Body):
    dry_run: bool = True
    only_failed: bool = False
    only_new: bool = False
    run_on_latest_version: bool | None = None
    note: str | None = Field(None, max_length=1000)

    @model_validator(mode="after")
    def _only_one_selection(self) -> DAGRunClearBody:
        if self.only_new and self.only_failed:
            raise ValueError("only_new and only_failed cannot be used together")
        return self


class BulkDAGRunBody(_Body):
    """One run of a bulk action (or of a bulk clear): its DAG defaults to the path's."""

    dag_run_id: str
    dag_id: str | None = None
    state: DagRunMutableState | None = None
    note: str | None = Field(None, max_length=1000)


class BulkDAGRunClearBody(DAGRunClearBody):
    """The runs to clear: `dag_runs`, or runs by partition key or partition date window."""

    dag_runs: list[BulkDAGRunBody] = Field(default_factory=list)
    partition_key: str | None = None
    partition_date_start: dt.datetime | None = None
    partition_date_end: dt.datetime | None = None

    @model_validator(mode="after")
    def _one_way_to_choose_runs(self) -> BulkDAGRunClearBody:
        window = self.partition_date_start is not None or self.partition_date_end is not None
        chosen = [bool(self.dag_runs), self.partition_key is not None, window]
        if sum(chosen) != 1:
            raise ValueError(
                "Choose the runs one way: a non-empty dag_runs, a partition_key, or a "
                "partition date window (partition_date_start / partition_date_end)"
            )
        start, end = self.partition_date_start, self.partition_date_end
        if start is not None and end is not None and start > end:
            raise ValueError("partition_date_start is after partition_date_end")
        return self

    @property
    def by_partition(self) -> bool:
        return not self.dag_runs


class DAGRunsBatchBody(_Body):
    """Filters of `POST /dags/~/dagRuns/list`."""

    order_by: str | None = None
    page_offset: NonNegativeInt = 0
    page_limit: NonNegativeInt = 100
    dag_ids: list[str] | None = None
    states: list[DagRunState | None] | None = None
    run_after_gte: AwareDatetime | None = None
    run_after_gt: AwareDatetime | None = None
    run_after_lte: AwareDatetime | None = None
    run_after_lt: AwareDatetime | None = None
    logical_date_gte: AwareDatetime | None = None
    logical_date_gt: AwareDatetime | None = None
    logical_date_lte: AwareDatetime | None = None
    logical_date_lt: AwareDatetime | None = None
    start_date_gte: AwareDatetime | None = None
    start_date_gt: AwareDatetime | None = None
    start_date_lte: AwareDatetime | None = None
    start_date_lt: AwareDatetime | None = None
    end_date_gte: AwareDatetime | None = None
    end_date_gt: AwareDatetime | None = None
    end_date_lte: AwareDatetime | None = None
    end_date_lt: AwareDatetime | None = None
    duration_gte: float | None = None
    duration_gt: float | None = None
    duration_lte: float | None = None
    duration_lt: float | None = None
    conf_contains: str | None = None


# --- DAG runs ----------------------------------------------------------------------------------


class DagVersionResponse(BaseModel):
    id: str
    version_number: int
    dag_id: str
    bundle_name: str | None = None
    bundle_version: str | None = None
    bundle_url: str | None = None
    created_at: dt.datetime
    dag_display_name: str


class DAGRunResponse(BaseModel):
    dag_run_id: str
    dag_id: str
    logical_date: dt.datetime | None
    queued_at: dt.datetime | None
    start_date: dt.datetime | None
    end_date: dt.datetime | None
    duration: float | None
    data_interval_start: dt.datetime | None
    data_interval_end: dt.datetime | None
    run_after: dt.datetime
    last_scheduling_decision: dt.datetime | None
    run_type: DagRunType
    state: DagRunState
    triggered_by: TriggeredBy | None
    triggering_user_name: str | None = None
    conf: dict[str, Any] | None
    note: str | None
    dag_versions: list[DagVersionResponse]
    bundle_version: str | None = None
    dag_display_name: str
    partition_key: str | None = None
    partition_date: dt.datetime | None = None


class DAGRunCollectionResponse(BaseModel):
    dag_runs: list[DAGRunResponse]
    total_entries: int | None
    next_cursor: str | None = None
    previous_cursor: str | None = None
    total_entries_limit: int | None = None


def version_response(version: RunVersion) -> DagVersionResponse:
    return DagVersionResponse(
        id=uuid_of(version.id),
        version_number=version.version_number,
        dag_id=version.dag_id,
        created_at=version.created_at,
        dag_display_name=version.dag_display_name,
    )


def run_response(run: DagRun, versions: dict[int, RunVersion]) -> DAGRunResponse:
    """A run as the API shows it; `versions` holds (at least) the version the run uses."""
    version = versions.get(run.serialized_dag_id) if run.serialized_dag_id is not None else None
    return DAGRunResponse(
        dag_run_id=run.run_id,
        dag_id=run.dag_id,
        logical_date=run.logical_date,
        queued_at=run.queued_at,
        start_date=run.start_date,
        end_date=run.end_date,
        duration=_seconds_between(run.start_date, run.end_date),
        data_interval_start=run.data_interval_start,
        data_interval_end=run.data_interval_end,
        run_after=run.run_after,
        last_scheduling_decision=run.last_scheduling_decision,
        run_type=DagRunType(run.run_type),
        state=DagRunState(run.state),
        triggered_by=run.triggered_by if run.triggered_by in TRIGGERED_BY else None,  # type: ignore[arg-type]
        conf=dict(run.conf or {}),
        note=run.note,
        dag_versions=[version_response(version)] if version else [],
        dag_display_name=version.dag_display_name if version else run.dag_id,
    )


def _seconds_between(start: dt.datetime | None, end: dt.datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return (end - start).total_seconds()


# --- clearing: the task instances a clear resets -------------------------------------------------


class ClearTaskInstanceCollectionResponse(BaseModel):
    """What a dry-run clear would reset (Airflow also lists tasks new in the latest DAG version
    here; Slipstream keeps a run on its version, so there are none)."""

    task_instances: list[TaskInstanceResponse]
    total_entries: int


# --- the asset events that triggered a run ------------------------------------------------------


class DagRunAssetReference(BaseModel):
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


class AssetEventResponse(BaseModel):
    id: int
    asset_id: int
    uri: str | None
    name: str | None
    group: str | None
    extra: dict[str, Any] | None
    source_task_id: str | None
    source_dag_id: str | None
    source_run_id: str | None
    source_map_index: int
    created_dagruns: list[DagRunAssetReference]
    timestamp: dt.datetime
    partition_key: str | None = None


class AssetEventCollectionResponse(BaseModel):
    asset_events: list[AssetEventResponse]
    total_entries: int


def asset_event_response(event: ConsumedEvent) -> AssetEventResponse:
    return AssetEventResponse(
        id=event.id,
        asset_id=event.asset_id,
        uri=event.uri,
        name=event.name,
        group=event.group,
        extra=event.extra,
        source_task_id=event.source_task_id,
        source_dag_id=event.source_dag_id,
        source_run_id=event.source_run_id,
        source_map_index=event.source_map_index,
        created_dagruns=[_run_reference(run) for run in event.created_dagruns],
        timestamp=event.timestamp,
    )


def _run_reference(run: ConsumingRun) -> DagRunAssetReference:
    # The API requires a start date; a run not started yet shows when it was queued.
    started = run.start_date or run.queued_at or run.run_after
    return DagRunAssetReference(
        run_id=run.run_id,
        dag_id=run.dag_id,
        logical_date=run.logical_date,
        start_date=started,
        end_date=run.end_date,
        state=run.state,
        data_interval_start=run.data_interval_start,
        data_interval_end=run.data_interval_end,
        triggering=run.triggering,
    )

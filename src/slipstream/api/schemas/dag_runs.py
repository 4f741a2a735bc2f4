"""Request and response bodies of the DAG run routes, with the names and shapes of Airflow 3's
`DAGRunResponse`, `TriggerDAGRunPostBody`, `DAGRunPatchBody`, `DAGRunClearBody`,
`DAGRunsBatchBody` and friends, and the functions building responses from store rows.

A run's DAG version is a `DagVersionResponse` (`schemas.dag_versions`); the asset events that
triggered it are `AssetEventResponse`s (`schemas.assets`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, NonNegativeInt, model_validator

from slipstream.api.schemas.batch_filters import RangeFilters
from slipstream.api.schemas.dag_versions import DagVersionResponse
from slipstream.api.schemas.task_instances import TaskInstanceResponse
from slipstream.core.run_types import DagRunType
from slipstream.core.states import DagRunState
from slipstream.db.models import DagRun
from slipstream.db.store.run_listing import RunVersion

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


class DAGRunsBatchBody(RangeFilters):
    """Filters of `POST /dags/~/dagRuns/list`."""

    order_by: str | None = None
    page_offset: NonNegativeInt = 0
    page_limit: NonNegativeInt = 100
    dag_ids: list[str] | None = None
    states: list[DagRunState | None] | None = None
    conf_contains: str | None = None


# --- DAG runs ----------------------------------------------------------------------------------


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
        dag_versions=[DagVersionResponse.of(version, version.dag_display_name)] if version else [],
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

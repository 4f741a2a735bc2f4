"""Task instances as Airflow 3's REST API shows them, and the bodies that list, mark and clear them.

Where Slipstream keeps nothing that matches a field of Airflow's objects, the field is filled
as follows (and documented here, since clients see it):

- `id`: Slipstream numbers task instances with integers; the API shows the UUID whose 128-bit
  value is that integer (`UUID(int=id)`, e.g. `00000000-0000-0000-0000-00000000002a` for 42).
  It is stable for the life of the task instance and reversible (`ti_id_of`), as a DAG
  version's `id` is (`schemas.dag_versions`).
- `trigger`, `triggerer_job`: null (Slipstream has no triggerer; deferral is not supported).
- `unixname`: null (the OS user of a try is not recorded).
- `executor_config`: `"{}"` (Slipstream has no per-task executor config).
- `rendered_fields`: the template fields rendered by the last try, `{}` before any.
- `dag_display_name` / `task_display_name`: from the DAG version the run uses; the ids when the
  DAG or task sets none.
- History rows (`TaskInstanceHistoryResponse`) keep no pool slots, retry budget, queued or
  scheduled time of their own: `pool_slots` and `max_tries` are the task instance's, the times
  null.

Listings: `task_display_name_pattern` and `task_display_name_prefix_pattern` match the task id
(task instances do not store display names); `cursor` pages as `api.pagination` says.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    NonNegativeInt,
    field_validator,
    model_validator,
)

from slipstream.api.params import INT64_MAX, DbInt, utc
from slipstream.api.schemas.batch_filters import RANGE_FIELDS, RangeFilters
from slipstream.api.schemas.dag_versions import DagVersionResponse
from slipstream.db.store.ti_listing import DagVersionInfo, Range, TIFilters, TIView, TryView

TaskInstanceStateName = Literal[
    "removed",
    "scheduled",
    "queued",
    "running",
    "success",
    "restarting",
    "failed",
    "up_for_retry",
    "up_for_reschedule",
    "upstream_failed",
    "skipped",
    "deferred",
    "awaiting_input",
]
STATE_NAMES: tuple[str, ...] = get_args(TaskInstanceStateName)
MARKABLE = ("success", "failed", "skipped")
EXECUTOR_CONFIG = "{}"


def uuid_of(number: int) -> str:
    """The UUID the API shows for an integer id (see the module docstring)."""
    return str(uuid.UUID(int=number))


def ti_id_of(value: str) -> int | None:
    """The integer id behind a task instance UUID (`uuid_of`), or None if it is not one."""
    try:
        return uuid.UUID(value).int
    except ValueError:
        return None


# --- responses --------------------------------------------------------------------------------


class TriggerResponse(BaseModel):
    id: int
    classpath: str
    kwargs: str
    created_date: dt.datetime
    triggerer_id: int | None = None
    queue: str | None = None


class JobResponse(BaseModel):
    id: int
    dag_id: str | None = None
    state: str | None = None
    job_type: str | None = None
    start_date: dt.datetime | None = None
    end_date: dt.datetime | None = None
    latest_heartbeat: dt.datetime | None = None
    executor_class: str | None = None
    hostname: str | None = None
    unixname: str | None = None
    dag_display_name: str | None = None


class TaskInstanceResponse(BaseModel):
    id: str
    task_id: str
    dag_id: str
    dag_run_id: str
    map_index: int
    logical_date: dt.datetime | None
    run_after: dt.datetime
    start_date: dt.datetime | None
    end_date: dt.datetime | None
    duration: float | None
    state: TaskInstanceStateName | None
    try_number: int
    max_tries: int
    task_display_name: str
    dag_display_name: str
    hostname: str | None
    unixname: str | None
    pool: str
    pool_slots: int
    queue: str | None
    priority_weight: int | None
    operator: str | None
    operator_name: str | None
    queued_when: dt.datetime | None
    scheduled_when: dt.datetime | None
    pid: int | None
    executor: str | None
    executor_config: str
    note: str | None
    rendered_map_index: str | None
    rendered_fields: dict[str, Any] = Field(default_factory=dict)
    trigger: TriggerResponse | None
    triggerer_job: JobResponse | None
    dag_version: DagVersionResponse | None


class TaskInstanceCollectionResponse(BaseModel):
    task_instances: list[TaskInstanceResponse]
    total_entries: int | None = None
    next_cursor: str | None = None
    previous_cursor: str | None = None
    total_entries_limit: int | None = None


class TaskInstanceHistoryResponse(BaseModel):
    task_id: str
    dag_id: str
    dag_run_id: str
    map_index: int
    start_date: dt.datetime | None
    end_date: dt.datetime | None
    duration: float | None
    state: TaskInstanceStateName | None
    try_number: int
    max_tries: int
    task_display_name: str
    dag_display_name: str
    hostname: str | None
    unixname: str | None
    pool: str
    pool_slots: int
    queue: str | None
    priority_weight: int | None
    operator: str | None
    operator_name: str | None
    queued_when: dt.datetime | None
    scheduled_when: dt.datetime | None
    pid: int | None
    executor: str | None
    executor_config: str
    dag_version: DagVersionResponse | None


class TaskInstanceHistoryCollectionResponse(BaseModel):
    task_instances: list[TaskInstanceHistoryResponse]
    total_entries: int


class TaskDependencyResponse(BaseModel):
    name: str
    reason: str


class TaskDependencyCollectionResponse(BaseModel):
    dependencies: list[TaskDependencyResponse]


def dag_version_response(info: DagVersionInfo | None) -> DagVersionResponse | None:
    return None if info is None else DagVersionResponse.of(info, info.dag_display_name)


def ti_response(view: TIView) -> TaskInstanceResponse:
    ti = view.ti
    return TaskInstanceResponse(
        id=uuid_of(ti.id),
        task_id=ti.task_id,
        dag_id=ti.dag_id,
        dag_run_id=ti.run_id,
        map_index=ti.map_index,
        logical_date=view.logical_date,
        run_after=view.run_after,
        start_date=ti.start_date,
        end_date=ti.end_date,
        duration=ti.duration,
        state=ti.state,  # type: ignore[arg-type]
        try_number=ti.try_number,
        max_tries=ti.max_tries,
        task_display_name=view.task_display_name,
        dag_display_name=view.dag_display_name,
        hostname=ti.hostname,
        unixname=None,
        pool=ti.pool,
        pool_slots=ti.pool_slots,
        queue=ti.queue,
        priority_weight=ti.priority_weight,
        operator=ti.operator,
        operator_name=ti.custom_operator_name or ti.operator,
        queued_when=ti.queued_dttm,
        scheduled_when=ti.scheduled_dttm,
        pid=ti.pid,
        executor=ti.executor,
        executor_config=EXECUTOR_CONFIG,
        note=ti.note,
        rendered_map_index=ti.rendered_map_index,
        rendered_fields=ti.rendered_fields or {},
        trigger=None,
        triggerer_job=None,
        dag_version=dag_version_response(view.version),
    )


def collection(
    views: list[TIView], total: int | None = None, **cursors: Any
) -> TaskInstanceCollectionResponse:
    """A collection of these task instances (`total_entries`: their number unless given)."""
    return TaskInstanceCollectionResponse(
        task_instances=[ti_response(view) for view in views],
        total_entries=len(views) if total is None else total,
        **cursors,
    )


def try_response(view: TryView) -> TaskInstanceHistoryResponse:
    return TaskInstanceHistoryResponse(
        task_id=view.task_id,
        dag_id=view.dag_id,
        dag_run_id=view.run_id,
        map_index=view.map_index,
        start_date=view.start_date,
        end_date=view.end_date,
        duration=view.duration,
        state=view.state,  # type: ignore[arg-type]
        try_number=view.try_number,
        max_tries=view.max_tries,
        task_display_name=view.task_display_name,
        dag_display_name=view.dag_display_name,
        hostname=view.hostname,
        unixname=None,
        pool=view.pool,
        pool_slots=view.pool_slots,
        queue=view.queue,
        priority_weight=view.priority_weight,
        operator=view.operator,
        operator_name=view.operator_name,
        queued_when=view.queued_dttm,
        scheduled_when=view.scheduled_dttm,
        pid=view.pid,
        executor=view.executor,
        executor_config=EXECUTOR_CONFIG,
        dag_version=dag_version_response(view.version),
    )


# --- request bodies ---------------------------------------------------------------------------


class PatchTaskInstanceBody(BaseModel):
    """A new state and/or note for task instances (`new_state`: success, failed or skipped)."""

    model_config = ConfigDict(extra="forbid")

    new_state: TaskInstanceStateName | None = None
    note: str | None = Field(default=None, max_length=1000)
    include_upstream: bool = False
    include_downstream: bool = False
    include_future: bool = False
    include_past: bool = False

    @field_validator("new_state", mode="before")
    @classmethod
    def _markable(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("'new_state' should not be empty")
        if not isinstance(value, str) or value.lower() not in MARKABLE:
            raise ValueError(f"{value!r} is not one of {list(MARKABLE)}")
        return value.lower()


class ClearTaskInstancesBody(BaseModel):
    """Which task instances to clear, as Airflow's `ClearTaskInstancesBody`.

    `run_on_latest_version` is accepted and has no effect: a cleared run keeps the DAG version
    it started with.
    """

    model_config = ConfigDict(extra="forbid")

    dry_run: bool = True
    start_date: AwareDatetime | None = None
    end_date: AwareDatetime | None = None
    only_failed: bool = True
    only_running: bool = False
    reset_dag_runs: bool = True
    task_ids: list[str | tuple[str, DbInt]] | None = None
    dag_run_id: str | None = None
    include_upstream: bool = False
    include_downstream: bool = False
    include_future: bool = False
    include_past: bool = False
    run_on_latest_version: bool | None = None
    prevent_running_task: bool = False
    note: str | None = Field(default=None, max_length=1000)

    @model_validator(mode="after")
    def _consistent(self) -> ClearTaskInstancesBody:
        if self.only_failed and self.only_running:
            raise ValueError("only_failed and only_running cannot both be true")
        if self.start_date and self.end_date and self.start_date > self.end_date:
            raise ValueError("end_date is earlier than start_date")
        if self.dag_run_id is not None and (self.start_date or self.end_date):
            raise ValueError("give either dag_run_id or start_date/end_date, not both")
        if self.task_ids is not None and not self.task_ids:
            raise ValueError("task_ids, when given, must name at least one task")
        return self


class TaskInstancesBatchBody(RangeFilters):
    """Filters of `POST .../taskInstances/list` (every one optional)."""

    dag_ids: list[str] | None = None
    dag_run_ids: list[str] | None = None
    task_ids: list[str] | None = None
    state: list[TaskInstanceStateName | None] | None = None
    pool: list[str] | None = None
    queue: list[str] | None = None
    executor: list[str] | None = None
    page_offset: Annotated[NonNegativeInt, Field(le=INT64_MAX)] = 0
    page_limit: Annotated[NonNegativeInt, Field(le=INT64_MAX)] = 100
    order_by: str | None = None


# --- list filters (query parameters) ----------------------------------------------------------

_RANGE_FIELDS = ("run_after", "logical_date", "start_date", "end_date", "updated_at", "duration")
_BOUNDS = ("gte", "gt", "lte", "lt")


class MappedListQuery(BaseModel):
    """The filters of `GET .../taskInstances/{task_id}/listMapped` (and of the full listing).

    Dates without a time zone are taken as UTC. `state` takes state names, and `none` for task
    instances without a state.
    """

    run_after_gte: dt.datetime | None = None
    run_after_gt: dt.datetime | None = None
    run_after_lte: dt.datetime | None = None
    run_after_lt: dt.datetime | None = None
    logical_date_gte: dt.datetime | None = None
    logical_date_gt: dt.datetime | None = None
    logical_date_lte: dt.datetime | None = None
    logical_date_lt: dt.datetime | None = None
    start_date_gte: dt.datetime | None = None
    start_date_gt: dt.datetime | None = None
    start_date_lte: dt.datetime | None = None
    start_date_lt: dt.datetime | None = None
    end_date_gte: dt.datetime | None = None
    end_date_gt: dt.datetime | None = None
    end_date_lte: dt.datetime | None = None
    end_date_lt: dt.datetime | None = None
    updated_at_gte: dt.datetime | None = None
    updated_at_gt: dt.datetime | None = None
    updated_at_lte: dt.datetime | None = None
    updated_at_lt: dt.datetime | None = None
    duration_gte: float | None = None
    duration_gt: float | None = None
    duration_lte: float | None = None
    duration_lt: float | None = None
    state: list[str] = []
    pool: list[str] = []
    pool_name_pattern: str | None = None
    pool_name_prefix_pattern: str | None = None
    queue: list[str] = []
    queue_name_pattern: str | None = None
    queue_name_prefix_pattern: str | None = None
    executor: list[str] = []
    version_number: list[DbInt] = []
    try_number: list[DbInt] = []
    operator: list[str] = []
    operator_name_pattern: str | None = None
    operator_name_prefix_pattern: str | None = None
    map_index: list[DbInt] = []
    rendered_map_index_pattern: str | None = None
    rendered_map_index_prefix_pattern: str | None = None

    @field_validator("state")
    @classmethod
    def _known_states(cls, values: list[str]) -> list[str]:
        for value in values:
            if value not in (*STATE_NAMES, "none"):
                raise ValueError(
                    f"Invalid value for state: {value!r}. Valid values are "
                    f"{', '.join((*STATE_NAMES, 'none'))}"
                )
        return values

    def filters(self, **identity: Any) -> TIFilters:
        """The store's filters for this query, plus `identity` (dag_ids, run_ids, ...)."""
        return TIFilters(
            states=[None if s == "none" else s for s in self.state] or None,
            pools=self.pool or None,
            queues=self.queue or None,
            executors=self.executor or None,
            operators=self.operator or None,
            try_numbers=self.try_number or None,
            version_numbers=self.version_number or None,
            map_indexes=self.map_index or None,
            ranges=self._ranges(),
            patterns=self._texts("pattern"),
            prefixes=self._texts("prefix_pattern"),
            **identity,
        )

    def _ranges(self) -> dict[str, Range]:
        out = {}
        for name in _RANGE_FIELDS:
            bounds = {b: utc(getattr(self, f"{name}_{b}", None)) for b in _BOUNDS}
            if any(value is not None for value in bounds.values()):
                out[name] = Range(**bounds)
        return out

    def _texts(self, suffix: str) -> dict[str, str]:
        out = {}
        for name, field_name in _TEXT_PARAMS.items():
            value = getattr(self, f"{field_name}_{suffix}", None)
            if value:
                out[name] = value
        return out


class ListQuery(MappedListQuery):
    """The filters of `GET .../taskInstances` (`~` as DAG id or run id: every one)."""

    task_id: str | None = None
    task_display_name_pattern: str | None = None
    task_display_name_prefix_pattern: str | None = None
    task_group_id: str | None = None
    dag_id_pattern: str | None = None
    dag_id_prefix_pattern: str | None = None
    run_id_pattern: str | None = None
    run_id_prefix_pattern: str | None = None
    cursor: str | None = None


# store text field -> the query parameter's stem (`<stem>_pattern`, `<stem>_prefix_pattern`)
_TEXT_PARAMS = {
    "dag_id": "dag_id",
    "run_id": "run_id",
    "task_display_name": "task_display_name",
    "pool": "pool_name",
    "queue": "queue_name",
    "operator": "operator_name",
    "rendered_map_index": "rendered_map_index",
}


def batch_filters(body: TaskInstancesBatchBody) -> TIFilters:
    """The store's filters for a `POST .../taskInstances/list` body."""
    ranges = {name: body.bounds(name) for name in RANGE_FIELDS}
    return TIFilters(
        dag_ids=body.dag_ids,
        run_ids=body.dag_run_ids,
        task_ids=body.task_ids,
        states=body.state,
        pools=body.pool,
        queues=body.queue,
        executors=body.executor,
        ranges={name: bounds for name, bounds in ranges.items() if bounds.is_set},
    )

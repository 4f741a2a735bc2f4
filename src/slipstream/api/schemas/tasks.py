"""Bodies of the task routes, with the names and shapes of Airflow 3's `TaskResponse` and
`TaskCollectionResponse`, built from a task of the DAG's newest stored version (the API never
imports DAG files).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from slipstream.orchestration.retries import backoff_multiplier

if TYPE_CHECKING:
    from slipstream.serialization import SerializedTask

__all__ = ["SORT_FIELDS", "TaskCollectionResponse", "TaskResponse", "TimeDelta", "task_response"]


class TimeDelta(BaseModel):
    """A duration as Airflow's API shows one: days, seconds and microseconds."""

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    type: str = Field(default="TimeDelta", alias="__type")
    days: int
    seconds: int
    microseconds: int

    @classmethod
    def of(cls, value: dt.timedelta | None) -> TimeDelta | None:
        if value is None:
            return None
        return cls(days=value.days, seconds=value.seconds, microseconds=value.microseconds)


class TaskResponse(BaseModel):
    task_id: str | None
    task_display_name: str | None
    owner: str | None
    start_date: dt.datetime | None
    end_date: dt.datetime | None
    trigger_rule: str | None
    depends_on_past: bool
    wait_for_downstream: bool
    retries: float | None
    queue: str | None
    pool: str | None
    pool_slots: float | None
    execution_timeout: TimeDelta | None
    retry_delay: TimeDelta | None
    retry_exponential_backoff: float
    priority_weight: float | None
    weight_rule: str | None
    ui_color: str | None
    ui_fgcolor: str | None
    template_fields: list[str] | None
    downstream_task_ids: list[str] | None
    doc_md: str | None
    operator_name: str | None
    params: dict[str, Any] | None
    class_ref: dict[str, Any] | None
    is_mapped: bool | None
    extra_links: list[str]


class TaskCollectionResponse(BaseModel):
    tasks: list[TaskResponse]
    total_entries: int


SORT_FIELDS = frozenset(
    {
        "task_id",
        "task_display_name",
        "owner",
        "start_date",
        "end_date",
        "trigger_rule",
        "depends_on_past",
        "wait_for_downstream",
        "retries",
        "queue",
        "pool",
        "pool_slots",
        "execution_timeout",
        "retry_delay",
        "retry_exponential_backoff",
        "priority_weight",
        "weight_rule",
        "ui_color",
        "ui_fgcolor",
        "operator_name",
        "is_mapped",
        "doc_md",
    }
)
"""The fields `GET /dags/{dag_id}/tasks` may sort by (fields holding one comparable value)."""


def task_response(task: SerializedTask) -> TaskResponse:
    data = task.data
    return TaskResponse(
        task_id=task.task_id,
        task_display_name=_text(data.get("task_display_name")) or task.task_id,
        owner=task.owner,
        start_date=task.start_date,
        end_date=task.end_date,
        trigger_rule=str(task.trigger_rule),
        depends_on_past=task.depends_on_past,
        wait_for_downstream=task.wait_for_downstream,
        retries=task.retries,
        queue=task.queue,
        pool=task.pool,
        pool_slots=task.pool_slots,
        execution_timeout=TimeDelta.of(task.execution_timeout),
        retry_delay=TimeDelta.of(task.retry_delay),
        retry_exponential_backoff=backoff_multiplier(task.retry_exponential_backoff),
        priority_weight=task.priority_weight,
        weight_rule=str(task.weight_rule),
        ui_color=_text(data.get("ui_color")),
        ui_fgcolor=_text(data.get("ui_fgcolor")),
        template_fields=list(task.template_fields),
        downstream_task_ids=sorted(task.downstream_task_ids),
        doc_md=_text(data.get("doc_md")),
        operator_name=task.operator_name,
        params={key: param.dump() for key, param in task.params.items()},
        class_ref={"module_path": _text(data.get("task_module")), "class_name": task.task_type},
        is_mapped=task.is_mapped,
        extra_links=[],
    )


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None

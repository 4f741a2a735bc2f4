"""Serialized DAGs read back: light, read-only objects with the attributes the rules need.

`SerializedTask` satisfies `slipstream.orchestration.graph.TaskNode`, so the scheduling rules run
on a `SerializedDAG.task_dict` exactly as on a live DAG's; durations are `timedelta`s again, dates
timezone-aware datetimes, `params` a `ParamsDict`, `timetable` a working `Timetable`. Every other
field of the stored record reads as an attribute too, as stored (`task.doc_md`, `task.sensor`,
`dag.default_args`), and `data` is the whole record.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from slipstream.core.exceptions import TaskNotFound
from slipstream.core.trigger_rule import TriggerRule, WeightRule
from slipstream.serialization.dag import SERIALIZATION_VERSION
from slipstream.serialization.errors import SerializationError


@dataclass(frozen=True, eq=False, slots=True)
class SerializedTask:
    """One task of a serialized DAG. `data` is its full record; common fields are attributes."""

    task_id: str
    task_type: str
    operator_name: str
    label: str
    task_group_id: str | None
    trigger_rule: TriggerRule
    upstream_task_ids: frozenset[str]
    downstream_task_ids: frozenset[str]
    is_setup: bool
    is_teardown: bool
    on_failure_fail_dagrun: bool
    retries: int
    retry_delay: dt.timedelta
    retry_exponential_backoff: bool | float
    max_retry_delay: dt.timedelta | None
    execution_timeout: dt.timedelta | None
    depends_on_past: bool
    wait_for_downstream: bool
    priority_weight: int
    weight_rule: WeightRule
    pool: str
    pool_slots: int
    queue: str
    owner: str
    max_active_tis_per_dag: int | None
    max_active_tis_per_dagrun: int | None
    start_date: dt.datetime | None
    end_date: dt.datetime | None
    is_mapped: bool
    do_xcom_push: bool
    multiple_outputs: bool
    inherits_from_empty_operator: bool
    outlets: tuple[Any, ...]
    inlets: tuple[Any, ...]
    template_fields: tuple[str, ...]
    params: Any
    data: Mapping[str, Any] = field(repr=False)

    @property
    def node_id(self) -> str:
        return self.task_id

    def __getattr__(self, name: str) -> Any:
        return _stored_field(self, name)

    @property
    def expand_input(self) -> Mapping[str, Any] | None:
        """`{"type", "keys", "value"}` of a mapped task; None for a plain one."""
        return self.data.get("expand_input")

    def __repr__(self) -> str:
        return f"<SerializedTask({self.task_type}): {self.task_id}>"


@dataclass(frozen=True, eq=False, slots=True)
class SerializedTaskGroup:
    """A task group: `children` are `("task" | "group", id)` pairs in the order they were added."""

    group_id: str | None
    label: str | None
    parent_group_id: str | None
    prefix_group_id: bool
    tooltip: str
    ui_color: str
    ui_fgcolor: str
    children: tuple[tuple[str, str], ...]
    upstream_group_ids: frozenset[str]
    downstream_group_ids: frozenset[str]

    @property
    def is_root(self) -> bool:
        return self.group_id is None

    @property
    def child_task_ids(self) -> list[str]:
        return [child_id for kind, child_id in self.children if kind == "task"]

    @property
    def child_group_ids(self) -> list[str]:
        return [child_id for kind, child_id in self.children if kind == "group"]


@dataclass(frozen=True, eq=False)
class SerializedDAG:
    """A DAG as the scheduler and the API see it. `data` is the whole stored `dag` record."""

    dag_id: str
    fileloc: str
    relative_fileloc: str | None
    description: str | None
    tags: tuple[str, ...]
    owner: str
    timetable: Any
    timezone: str
    start_date: dt.datetime | None
    end_date: dt.datetime | None
    catchup: bool
    max_active_runs: int
    max_active_tasks: int
    max_consecutive_failed_dag_runs: int
    dagrun_timeout: dt.timedelta | None
    is_paused_upon_creation: bool | None
    fail_fast: bool
    has_on_success_callback: bool
    has_on_failure_callback: bool
    params: Any
    task_dict: dict[str, SerializedTask]
    task_group_dict: dict[str | None, SerializedTaskGroup]
    edge_info: dict[tuple[str, str], dict[str, Any]]
    data: Mapping[str, Any] = field(repr=False)

    def __getattr__(self, name: str) -> Any:
        return _stored_field(self, name)

    @property
    def task_group(self) -> SerializedTaskGroup:
        """The root task group."""
        return self.task_group_dict[None]

    @property
    def tasks(self) -> list[SerializedTask]:
        return list(self.task_dict.values())

    @property
    def task_ids(self) -> list[str]:
        return list(self.task_dict)

    @property
    def task_count(self) -> int:
        return len(self.task_dict)

    @property
    def timetable_summary(self) -> str:
        return str(self.data.get("timetable_summary", ""))

    @property
    def roots(self) -> list[SerializedTask]:
        return [t for t in self.task_dict.values() if not t.upstream_task_ids]

    @property
    def leaves(self) -> list[SerializedTask]:
        return [t for t in self.task_dict.values() if not t.downstream_task_ids]

    def has_task(self, task_id: str) -> bool:
        return task_id in self.task_dict

    def get_task(self, task_id: str) -> SerializedTask:
        try:
            return self.task_dict[task_id]
        except KeyError:
            raise TaskNotFound(f"Task {task_id} not found in DAG {self.dag_id}") from None

    def get_edge_info(self, upstream_id: str, downstream_id: str) -> dict[str, Any]:
        return self.edge_info.get((upstream_id, downstream_id), {})

    def iter_group_tasks(self, group_id: str | None) -> Iterator[SerializedTask]:
        """Every task in the group and its subgroups, in the order they were added."""
        for kind, child_id in self.task_group_dict[group_id].children:
            if kind == "group":
                yield from self.iter_group_tasks(child_id)
            else:
                yield self.task_dict[child_id]

    def __repr__(self) -> str:
        return f"<SerializedDAG: {self.dag_id}>"


def _stored_field(obj: SerializedTask | SerializedDAG, name: str) -> Any:
    """A field of the stored record not mirrored as an attribute (called for unknown names)."""
    if not name.startswith("__") and name != "data":
        data = object.__getattribute__(obj, "data")
        if name in data:
            return data[name]
    raise AttributeError(f"{type(obj).__name__!r} object has no attribute {name!r}")


def deserialize_dag(data: Mapping[str, Any] | str | bytes) -> SerializedDAG:
    """Read `serialize_dag` output (the dict or its JSON text) back.

    Raises `SerializationError` for data of another format version or with a broken structure.
    """
    if isinstance(data, str | bytes):
        data = json.loads(data)
    if not isinstance(data, Mapping) or "dag" not in data:
        raise SerializationError("not a serialized DAG: expected {'__version': ..., 'dag': {...}}")
    version = data.get("__version")
    if version != SERIALIZATION_VERSION:
        raise SerializationError(
            f"serialized DAG format version {version!r} is not supported "
            f"(this Slipstream reads version {SERIALIZATION_VERSION})"
        )
    record = data["dag"]
    dag_id = record.get("dag_id", "?")
    try:
        return _build_dag(record)
    except SerializationError:
        raise
    except (KeyError, TypeError, ValueError) as err:
        raise SerializationError(
            f"serialized DAG '{dag_id}' is malformed: {type(err).__name__}: {err}"
        ) from err


@dataclass(frozen=True, slots=True)
class TaskDates:
    """A task's own start and end dates: all the schedule needs of a task."""

    start_date: dt.datetime | None
    end_date: dt.datetime | None


@dataclass(frozen=True, slots=True)
class DagSchedule:
    """What deciding a DAG's next run needs of it (`timetables.next_run.ScheduledDag`), read
    without building its tasks, params and groups: the DAG processor computes the first
    `next_dagrun` of every new or changed DAG from this."""

    dag_id: str
    timetable: Any
    start_date: dt.datetime | None
    end_date: dt.datetime | None
    catchup: bool
    task_dict: dict[str, TaskDates]


def deserialize_schedule(data: Mapping[str, Any]) -> DagSchedule:
    """The schedule of `serialize_dag` output, read as `deserialize_dag` reads it.

    Raises `SerializationError` for data of another format version or a malformed schedule.
    """
    if not isinstance(data, Mapping) or not isinstance(data.get("dag"), Mapping):
        raise SerializationError("not a serialized DAG: expected {'__version': ..., 'dag': {...}}")
    if data.get("__version") != SERIALIZATION_VERSION:
        raise SerializationError(
            f"serialized DAG format version {data.get('__version')!r} is not supported "
            f"(this Slipstream reads version {SERIALIZATION_VERSION})"
        )
    from slipstream.timetables import deserialize_timetable

    record = data["dag"]
    dag_id = record.get("dag_id", "?")
    try:
        tz = record.get("timezone") or "UTC"
        return DagSchedule(
            dag_id=dag_id,
            timetable=deserialize_timetable(dict(record["timetable"])),
            start_date=_datetime(record.get("start_date"), tz),
            end_date=_datetime(record.get("end_date"), tz),
            catchup=bool(record.get("catchup", False)),
            task_dict={
                item["task_id"]: TaskDates(
                    _datetime(item.get("start_date"), tz), _datetime(item.get("end_date"), tz)
                )
                for item in record["tasks"]
            },
        )
    except SerializationError:
        raise
    except (KeyError, TypeError, ValueError) as err:
        raise SerializationError(
            f"serialized DAG '{dag_id}' is malformed: {type(err).__name__}: {err}"
        ) from err


def _build_dag(record: Mapping[str, Any]) -> SerializedDAG:
    from slipstream.sdk.params import ParamsDict
    from slipstream.timetables import deserialize_timetable

    dag_id = record["dag_id"]
    tz = record.get("timezone") or "UTC"
    params = ParamsDict.deserialize(record.get("params") or {})
    tasks: dict[str, SerializedTask] = {}
    for item in record["tasks"]:
        task = _build_task(item, params, tz)
        if task.task_id in tasks:
            raise SerializationError(f"serialized DAG '{dag_id}' has task '{task.task_id}' twice")
        tasks[task.task_id] = task
    _check_edges(dag_id, tasks)
    return SerializedDAG(
        dag_id=dag_id,
        fileloc=record.get("fileloc", ""),
        relative_fileloc=record.get("relative_fileloc"),
        description=record.get("description"),
        tags=tuple(record.get("tags") or ()),
        owner=record.get("owner", "airflow"),
        timetable=deserialize_timetable(dict(record["timetable"])),
        timezone=tz,
        start_date=_datetime(record.get("start_date"), tz),
        end_date=_datetime(record.get("end_date"), tz),
        catchup=bool(record.get("catchup", False)),
        max_active_runs=record.get("max_active_runs", 16),
        max_active_tasks=record.get("max_active_tasks", 16),
        max_consecutive_failed_dag_runs=record.get("max_consecutive_failed_dag_runs", 0),
        dagrun_timeout=_timedelta(record.get("dagrun_timeout")),
        is_paused_upon_creation=record.get("is_paused_upon_creation"),
        fail_fast=bool(record.get("fail_fast", False)),
        has_on_success_callback=bool(record.get("has_on_success_callback", False)),
        has_on_failure_callback=bool(record.get("has_on_failure_callback", False)),
        params=params,
        task_dict=tasks,
        task_group_dict=_build_groups(dag_id, record.get("task_groups") or (), tasks),
        edge_info={
            (up, down): dict(info)
            for up, downs in (record.get("edge_info") or {}).items()
            for down, info in downs.items()
        },
        data=record,
    )


def _build_task(item: Mapping[str, Any], dag_params: Any, tz: str) -> SerializedTask:
    params = dag_params
    if item.get("params"):
        params = type(dag_params)(dag_params)  # shares the DAG's Param objects, adds the task's
        params.update(type(dag_params).deserialize(item["params"]))
    return SerializedTask(
        task_id=item["task_id"],
        task_type=item["task_type"],
        operator_name=item.get("operator_name") or item["task_type"],
        label=item.get("label") or item["task_id"],
        task_group_id=item.get("task_group"),
        trigger_rule=TriggerRule(item.get("trigger_rule", TriggerRule.ALL_SUCCESS)),
        upstream_task_ids=frozenset(item.get("upstream_task_ids") or ()),
        downstream_task_ids=frozenset(item.get("downstream_task_ids") or ()),
        is_setup=bool(item.get("is_setup", False)),
        is_teardown=bool(item.get("is_teardown", False)),
        on_failure_fail_dagrun=bool(item.get("on_failure_fail_dagrun", False)),
        retries=int(item.get("retries") or 0),
        retry_delay=_timedelta(item.get("retry_delay", 300.0)) or dt.timedelta(0),
        retry_exponential_backoff=item.get("retry_exponential_backoff", False),
        max_retry_delay=_timedelta(item.get("max_retry_delay")),
        execution_timeout=_timedelta(item.get("execution_timeout")),
        depends_on_past=bool(item.get("depends_on_past", False)),
        wait_for_downstream=bool(item.get("wait_for_downstream", False)),
        priority_weight=int(item.get("priority_weight", 1)),
        weight_rule=WeightRule(item.get("weight_rule", WeightRule.DOWNSTREAM)),
        pool=item.get("pool") or "default_pool",
        pool_slots=int(item.get("pool_slots", 1)),
        queue=item.get("queue") or "default",
        owner=item.get("owner") or "airflow",
        max_active_tis_per_dag=item.get("max_active_tis_per_dag"),
        max_active_tis_per_dagrun=item.get("max_active_tis_per_dagrun"),
        start_date=_datetime(item.get("start_date"), tz),
        end_date=_datetime(item.get("end_date"), tz),
        is_mapped=bool(item.get("is_mapped", False)),
        do_xcom_push=bool(item.get("do_xcom_push", True)),
        multiple_outputs=bool(item.get("multiple_outputs", False)),
        inherits_from_empty_operator=bool(item.get("inherits_from_empty_operator", False)),
        outlets=tuple(item.get("outlets") or ()),
        inlets=tuple(item.get("inlets") or ()),
        template_fields=tuple(item.get("template_fields") or ()),
        params=params,
        data=item,
    )


def _build_groups(
    dag_id: str, items: Any, tasks: Mapping[str, SerializedTask]
) -> dict[str | None, SerializedTaskGroup]:
    groups: dict[str | None, SerializedTaskGroup] = {}
    for item in items:
        children = tuple((str(kind), str(child)) for kind, child in item.get("children") or ())
        for kind, child in children:
            if kind == "task" and child not in tasks:
                raise SerializationError(
                    f"serialized DAG '{dag_id}': task group '{item.get('group_id')}' holds "
                    f"task '{child}', which is not in the DAG"
                )
        group = SerializedTaskGroup(
            group_id=item.get("group_id"),
            label=item.get("label"),
            parent_group_id=item.get("parent_group_id"),
            prefix_group_id=bool(item.get("prefix_group_id", True)),
            tooltip=item.get("tooltip") or "",
            ui_color=item.get("ui_color") or "CornflowerBlue",
            ui_fgcolor=item.get("ui_fgcolor") or "#000",
            children=children,
            upstream_group_ids=frozenset(item.get("upstream_group_ids") or ()),
            downstream_group_ids=frozenset(item.get("downstream_group_ids") or ()),
        )
        groups[group.group_id] = group
    if None not in groups:  # data without a group tree: every task in the root group
        groups[None] = SerializedTaskGroup(
            None, None, None, True, "", "CornflowerBlue", "#000",
            tuple(("task", t) for t in tasks), frozenset(), frozenset(),
        )  # fmt: skip
    return groups


def _check_edges(dag_id: str, tasks: Mapping[str, SerializedTask]) -> None:
    for task in tasks.values():
        for other in (*task.upstream_task_ids, *task.downstream_task_ids):
            if other not in tasks:
                raise SerializationError(
                    f"serialized DAG '{dag_id}': task '{task.task_id}' has an edge to "
                    f"'{other}', which is not in the DAG"
                )


def _timedelta(value: Any) -> dt.timedelta | None:
    if value is None:
        return None
    if isinstance(value, Mapping):  # {"__type": "timedelta", "seconds": ...}
        value = value.get("seconds")
    return dt.timedelta(seconds=float(value))


def _datetime(value: Any, tz: str) -> dt.datetime | None:
    if value is None:
        return None
    import pendulum

    parsed = pendulum.instance(dt.datetime.fromisoformat(str(value)))
    try:
        return parsed.in_timezone(tz)
    except Exception:  # an offset-only or unknown zone name: keep the stored offset
        return parsed

"""A DAG as versioned JSON: what the scheduler and the API know of a DAG file without importing it.

`serialize_dag(dag)` gives `{"__version": 1, "dag": {...}}`: the DAG's attributes, its schedule
(`timetable`, as `slipstream.timetables` serializes it), params, edge labels, the task group tree
and one record per task (see `tasks.py`). `dag_hash` is the SHA-256 of its canonical JSON text and
is the same in every process for the same DAG file; the metadata store versions DAGs by it.
`deserialize_dag` (in `model.py`) reads the JSON back into light read-only objects.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from typing import Any

from slipstream.serialization.errors import SerializationError
from slipstream.serialization.tasks import iso, seconds, serialize_task
from slipstream.serialization.values import canonical_json, encode

SERIALIZATION_VERSION = 1


def serialize_dag(dag: Any, *, dags_folder: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """The JSON description of `dag` (plain dicts, lists, strings, numbers, booleans, None).

    `dags_folder` sets `relative_fileloc` (the DAG file's path inside it). Raises
    `SerializationError` naming the DAG and the task when the task graph itself is broken; a value
    that JSON cannot hold becomes a readable placeholder instead.
    """
    _check_structure(dag)
    params = _params(dag)
    tasks = []
    for task in dag.task_dict.values():
        try:
            tasks.append(serialize_task(task, params))
        except Exception as err:
            raise SerializationError(
                f"DAG '{dag.dag_id}': cannot serialize task '{task.task_id}': "
                f"{type(err).__name__}: {err}"
            ) from err
    data = {
        **_identity(dag, dags_folder),
        **_schedule(dag),
        **_limits(dag),
        "params": params,
        "default_args": {str(k): encode(v) for k, v in dag.default_args.items()},
        "edge_info": _edge_info(dag),
        "task_groups": _task_groups(dag),
        "tasks": tasks,
    }
    return {"__version": SERIALIZATION_VERSION, "dag": data}


def dag_hash(data: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of the canonical JSON text of `serialize_dag` output."""
    return hashlib.sha256(canonical_json(data).encode("utf-8")).hexdigest()


def _identity(dag: Any, dags_folder: str | os.PathLike[str] | None) -> dict[str, Any]:
    return {
        "dag_id": dag.dag_id,
        "dag_display_name": dag.dag_display_name,
        "fileloc": dag.fileloc,
        "relative_fileloc": _relative(dag.fileloc, dags_folder),
        "description": dag.description,
        "doc_md": dag.doc_md,
        "tags": [str(tag) for tag in dag.tags],
        "owner": dag.owner,
        "owner_links": encode(dag.owner_links),
        "access_control": encode(dag.access_control),
        "has_on_success_callback": _has(dag.on_success_callback),
        "has_on_failure_callback": _has(dag.on_failure_callback),
        "template_searchpath": encode(dag.template_searchpath),
        "render_template_as_native_obj": bool(dag.render_template_as_native_obj),
        "user_defined_macros": sorted(map(str, dag.user_defined_macros or {})),
        "user_defined_filters": sorted(map(str, dag.user_defined_filters or {})),
    }


def _schedule(dag: Any) -> dict[str, Any]:
    from slipstream.timetables import encode_timetable

    timetable = dag.timetable
    try:
        encoded = encode(encode_timetable(timetable))
    except Exception as err:
        raise SerializationError(
            f"DAG '{dag.dag_id}': cannot serialize its timetable "
            f"{type(timetable).__name__}: {type(err).__name__}: {err}"
        ) from err
    return {
        "timetable_summary": timetable.summary,
        "timetable_description": timetable.description,
        "timetable": encoded,
        "timezone": _timezone_name(dag.timezone),
        "start_date": iso(dag.start_date),
        "end_date": iso(dag.end_date),
        "catchup": bool(dag.catchup),
    }


def _limits(dag: Any) -> dict[str, Any]:
    return {
        "max_active_runs": dag.max_active_runs,
        "max_active_tasks": dag.max_active_tasks,
        "max_consecutive_failed_dag_runs": dag.max_consecutive_failed_dag_runs,
        "dagrun_timeout": seconds(dag.dagrun_timeout),
        "is_paused_upon_creation": dag.is_paused_upon_creation,
        "fail_fast": bool(dag.fail_fast),
        "disable_bundle_versioning": bool(dag.disable_bundle_versioning),
    }


def _params(dag: Any) -> dict[str, Any]:
    try:
        return encode(dag.params.serialize())
    except Exception:
        return {str(k): encode(v) for k, v in dag.params.items()}


def _edge_info(dag: Any) -> dict[str, dict[str, Any]]:
    """`{upstream_id: {downstream_id: {"label": ...}}}` for the edges that carry information."""
    out: dict[str, dict[str, Any]] = {}
    for (up, down), info in sorted(dag.edge_info.items()):
        out.setdefault(up, {})[down] = encode(info)
    return out


def _task_groups(dag: Any) -> list[dict[str, Any]]:
    """Every task group, parents before children; the root group (group_id None) comes first."""
    from slipstream.sdk.taskgroup import TaskGroup

    out: list[dict[str, Any]] = []
    stack = [dag.task_group]
    while stack:
        group = stack.pop()
        children = []
        for child_id, child in group.children.items():
            if isinstance(child, TaskGroup):
                children.append(["group", child.group_id])
            elif dag.task_dict.get(child.task_id) is child:
                children.append(["task", child.task_id])
            else:
                raise SerializationError(
                    f"DAG '{dag.dag_id}': task group '{group.group_id}' holds task "
                    f"'{child_id}', which is not in the DAG"
                )
        parent = group.parent_group
        out.append(
            {
                "group_id": group.group_id,
                "label": group.label,
                "parent_group_id": None if parent is None else parent.group_id,
                "prefix_group_id": bool(group.prefix_group_id),
                "tooltip": group.tooltip,
                "ui_color": group.ui_color,
                "ui_fgcolor": group.ui_fgcolor,
                "is_mapped": bool(group.is_mapped),
                "children": children,
                "upstream_group_ids": sorted(group.upstream_group_ids),
                "downstream_group_ids": sorted(group.downstream_group_ids),
            }
        )
        stack.extend(reversed([c for c in group.children.values() if isinstance(c, TaskGroup)]))
    return out


def _check_structure(dag: Any) -> None:
    """Registered ids match, every edge points at a task of the DAG, and there is no cycle."""
    tasks = dag.task_dict
    for task_id, task in tasks.items():
        if task.task_id != task_id:
            raise SerializationError(
                f"DAG '{dag.dag_id}': task '{task.task_id}' is registered as '{task_id}'"
            )
        for direction, ids in (
            ("upstream", task.upstream_task_ids),
            ("downstream", task.downstream_task_ids),
        ):
            missing = sorted(i for i in ids if i not in tasks)
            if missing:
                raise SerializationError(
                    f"DAG '{dag.dag_id}': task '{task_id}' has {direction} task(s) "
                    f"{', '.join(repr(m) for m in missing)} that are not in the DAG"
                )
    from slipstream.core.exceptions import AirflowDagCycleException

    try:
        dag.check_cycle()
    except AirflowDagCycleException as err:
        raise SerializationError(str(err)) from err


def _relative(fileloc: str, dags_folder: str | os.PathLike[str] | None) -> str | None:
    if dags_folder is None or not fileloc or fileloc.startswith("<"):
        return None
    folder = os.path.abspath(dags_folder)
    path = os.path.abspath(fileloc)
    if os.path.isfile(folder):
        folder = os.path.dirname(folder)
    try:
        relative = os.path.relpath(path, folder)
    except ValueError:  # another drive on Windows
        return None
    return None if relative.startswith("..") else relative


def _timezone_name(tz: Any) -> str:
    name = getattr(tz, "name", None)
    return name if isinstance(name, str) else str(tz)


def _has(callback: Any) -> bool:
    return callback is not None and bool(callback)

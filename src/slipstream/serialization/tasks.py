"""One task (a plain or a mapped operator) as the JSON record the scheduler and the UI read.

Every record has every field, so readers never guess defaults. Durations are seconds, dates ISO
8601 text, edges sorted lists of task ids; arguments the DAG file wrote go through
`values.encode`, so an unusual value becomes a readable placeholder instead of an error.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from slipstream.serialization.values import encode, module_name, qualified_name

CALLBACKS = ("execute", "failure", "success", "retry", "skipped")
SENSOR_FIELDS = ("mode", "poke_interval", "timeout", "soft_fail", "exponential_backoff", "max_wait")
MAPPED_VALUE: dict[str, Any] = {"__type": "mapped"}

# partial() arguments that are structure, not values: they are described elsewhere.
_PARTIAL_SKIP = frozenset({"task_id", "dag", "task_group", "default_args"})


def seconds(value: dt.timedelta | None) -> float | None:
    return None if value is None else value.total_seconds()


def iso(value: dt.datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def serialize_task(task: Any, dag_params: Mapping[str, Any]) -> dict[str, Any]:
    """The record of `task`; `dag_params` is the DAG's serialized params (only overrides kept)."""
    mapped = bool(getattr(task, "is_mapped", False))
    cls = task.operator_class if mapped else type(task)
    group = task.task_group
    data: dict[str, Any] = {
        "task_id": task.task_id,
        "label": task.label,
        "task_display_name": task.task_display_name,
        "task_type": task.task_type,
        "task_module": module_name(cls.__module__),
        "operator_name": task.operator_name,
        "task_group": None if group is None else group.group_id,
        "upstream_task_ids": sorted(task.upstream_task_ids),
        "downstream_task_ids": sorted(task.downstream_task_ids),
        "trigger_rule": str(task.trigger_rule),
        "is_setup": bool(task.is_setup),
        "is_teardown": bool(task.is_teardown),
        "on_failure_fail_dagrun": bool(task.on_failure_fail_dagrun),
        **_run_policy(task),
        **_display(task, cls, mapped),
        **{f"has_on_{name}_callback": _has(task, f"on_{name}_callback") for name in CALLBACKS},
        "do_xcom_push": bool(task.do_xcom_push),
        "multiple_outputs": bool(task.multiple_outputs),
        "inlets": [encode(item) for item in task.inlets],
        "outlets": [encode(item) for item in task.outlets],
        "params": _own_params(task, dag_params),
        "inherits_from_empty_operator": bool(getattr(cls, "inherits_from_empty_operator", False)),
        "python_callable": _callable_name(task, mapped),
        "sensor": _sensor(task),
        "is_mapped": mapped,
    }
    if mapped:
        data.update(_mapping(task))
    data["template_values"] = _template_values(task, mapped)
    return data


def _run_policy(task: Any) -> dict[str, Any]:
    """What the scheduler and the task runner obey: retries, limits, pools, dates."""
    backoff = task.retry_exponential_backoff
    return {
        "retries": int(task.retries),
        "retry_delay": seconds(task.retry_delay),
        "retry_exponential_backoff": backoff if isinstance(backoff, bool | int | float) else True,
        "max_retry_delay": seconds(task.max_retry_delay),
        "execution_timeout": seconds(task.execution_timeout),
        "depends_on_past": bool(task.depends_on_past),
        "ignore_first_depends_on_past": bool(task.ignore_first_depends_on_past),
        "wait_for_past_depends_before_skipping": bool(task.wait_for_past_depends_before_skipping),
        "wait_for_downstream": bool(task.wait_for_downstream),
        "pool": task.pool,
        "pool_slots": task.pool_slots,
        "priority_weight": task.priority_weight,
        "weight_rule": str(task.weight_rule),
        "queue": task.queue,
        "executor": task.executor,
        "executor_config": encode(task.executor_config),
        "run_as_user": task.run_as_user,
        "max_active_tis_per_dag": task.max_active_tis_per_dag,
        "max_active_tis_per_dagrun": task.max_active_tis_per_dagrun,
        "map_index_template": task.map_index_template,
        "start_date": iso(task.start_date),
        "end_date": iso(task.end_date),
        "owner": task.owner,
        "email": encode(task.email),
        "email_on_retry": bool(task.email_on_retry),
        "email_on_failure": bool(task.email_on_failure),
        "resources": encode(task.resources),
    }


def _display(task: Any, cls: type, mapped: bool) -> dict[str, Any]:
    """What only people read: docs, colours, which fields are templates."""
    return {
        "doc": task.doc,
        "doc_md": task.doc_md,
        "doc_json": task.doc_json,
        "doc_yaml": task.doc_yaml,
        "doc_rst": task.doc_rst,
        "ui_color": getattr(cls, "ui_color", "#fff"),
        "ui_fgcolor": getattr(cls, "ui_fgcolor", "#000"),
        "template_fields": list(task.template_fields),
        "template_ext": list(getattr(cls if mapped else task, "template_ext", ()) or ()),
        "template_fields_renderers": dict(getattr(cls, "template_fields_renderers", {}) or {}),
    }


def _has(task: Any, name: str) -> bool:
    value = getattr(task, name, None)
    return value is not None and bool(value)


def _own_params(task: Any, dag_params: Mapping[str, Any]) -> dict[str, Any]:
    """The task's params that differ from (or are missing in) the DAG's."""
    own: dict[str, Any] = {}
    params = getattr(task, "params", None)
    if not params:
        return own
    for key, data in params.serialize().items():
        if dag_params.get(key) != data:
            own[key] = encode(data)
    return own


def _callable_name(task: Any, mapped: bool) -> str | None:
    if mapped:
        func = task.partial_kwargs.get("python_callable")
    else:
        func = getattr(task, "python_callable", None)
    return qualified_name(func) if callable(func) else None


def _sensor(task: Any) -> dict[str, Any] | None:
    """Sensor settings the scheduler needs (reschedule mode, timeouts); None for other tasks."""
    if getattr(task, "is_mapped", False):
        source = {k: task.partial_kwargs[k] for k in SENSOR_FIELDS if k in task.partial_kwargs}
        if not hasattr(task.operator_class, "poke"):
            return None
    elif hasattr(task, "poke") and hasattr(task, "poke_interval"):
        source = {k: getattr(task, k, None) for k in SENSOR_FIELDS}
    else:
        return None
    out: dict[str, Any] = {}
    for name, value in source.items():
        out[name] = seconds(value) if isinstance(value, dt.timedelta) else encode(value)
    return out


def _read(task: Any, name: str) -> Any:
    """The encoded attribute; a property that raises becomes a placeholder naming the error."""
    try:
        value = getattr(task, name, None)
    except Exception as err:
        return f"<unreadable: {type(err).__name__}: {err}>"
    return encode(value)


def _mapped_keys(value: Any) -> list[str] | None:
    """The argument names a mapped task varies; None when they are known only at run time."""
    if isinstance(value, Mapping):
        return [str(k) for k in value]
    if isinstance(value, list | tuple) and all(isinstance(v, Mapping) for v in value):
        return sorted({str(k) for item in value for k in item})
    return None  # expand_kwargs over a task's output


def _mapping(task: Any) -> dict[str, Any]:
    """How a mapped task expands: the kind of input, its keys and its (encoded) value."""
    expand = task.expand_input
    partial = {k: encode(v) for k, v in task.partial_kwargs.items() if k not in _PARTIAL_SKIP}
    return {
        "expand_input": {
            "type": expand.serialize().get("type"),
            "keys": _mapped_keys(expand.value),
            "value": encode(expand.value),
        },
        "expand_target": task.expand_target,
        "partial_kwargs": partial,
    }


def _template_values(task: Any, mapped: bool) -> dict[str, Any]:
    """Each template field's unrendered value; mapped arguments show as `{"__type": "mapped"}`."""
    fields = list(task.template_fields)
    if not mapped:
        return {name: _read(task, name) for name in fields}
    kwargs = task.partial_kwargs
    values = {name: encode(kwargs.get(name)) for name in fields}
    keys = _mapped_keys(task.expand_input.value)
    target = task.expand_target
    if target is not None:
        if target in values:
            current = values[target] if isinstance(values[target], dict) else {}
            values[target] = (
                MAPPED_VALUE if keys is None else {**current, **dict.fromkeys(keys, MAPPED_VALUE)}
            )
        return values
    for name in fields:
        if (name in keys) if keys is not None else (name not in kwargs):
            values[name] = MAPPED_VALUE
    return values

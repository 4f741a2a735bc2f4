"""How many task instances a mapped task expands to, from its serialized `expand_input`.

The DAG file is never imported: literal inputs are in the serialized DAG; task outputs
(`XComArg`s, also through `.map`, `.zip` and `.concat`) are read from the `xcom` table of the
run, and an expanded upstream task counts its map indexes, as Airflow's task-map lengths do.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

RETURN_VALUE = "return_value"


class ExpansionError(Exception):
    """The mapped task cannot be expanded; the message says why (the task then fails)."""


@dataclass(frozen=True)
class Upstreams:
    """What expansion may read about the run: XComs, map counts and params."""

    xcom: Callable[[str, str], Any]
    """`(task_id, key)` -> the decoded value, or `MISSING` when nothing was pushed."""
    mapped_count: Callable[[str], int | None]
    """`task_id` -> its number of map indexes when it is an expanded mapped task, else None."""
    params: Mapping[str, Any]


MISSING: Any = object()


def mapped_length(task: Any, upstreams: Upstreams, *, max_length: int) -> int:
    """The number of task instances `task` expands to (0 means: skipped).

    Raises `ExpansionError` naming the task when an input is missing or not a list or dict, or
    when the length is over `max_length` (`core.max_map_length`).
    """
    expand = task.expand_input or {}
    value = expand.get("value")
    try:
        if expand.get("type") == "list-of-dicts":
            length = _length(value, upstreams)
        elif isinstance(value, Mapping):
            length = 1
            for item in value.values():
                length *= _length(item, upstreams)
        else:
            raise ExpansionError(f"unknown expand input {expand!r}")
    except ExpansionError as err:
        raise ExpansionError(f"Cannot expand mapped task '{task.task_id}': {err}") from None
    if length > max_length:
        raise ExpansionError(
            f"Mapped task '{task.task_id}' would expand to {length} task instances, more than "
            f"core.max_map_length ({max_length})"
        )
    return length


def _length(value: Any, upstreams: Upstreams) -> int:
    if isinstance(value, list):
        return len(value)
    if isinstance(value, Mapping):
        kind = value.get("__type")
        if kind is None:
            return len(value)
        measure = _MEASURES.get(kind)
        if measure is None:
            raise ExpansionError(f"cannot map over a {kind} value")
        return measure(value, upstreams)
    raise ExpansionError(f"cannot map over {value!r}: not a list or dict")


def _xcom_arg(value: Mapping[str, Any], upstreams: Upstreams) -> int:
    task_id = value["task_id"]
    key = value.get("key") or RETURN_VALUE
    count = upstreams.mapped_count(task_id)
    if count is not None and key == RETURN_VALUE:
        return count
    pushed = upstreams.xcom(task_id, key)
    if pushed is MISSING:
        raise ExpansionError(f"task '{task_id}' pushed no XCom '{key}' to map over")
    if isinstance(pushed, list | tuple | dict):
        return len(pushed)
    raise ExpansionError(
        f"XCom '{key}' of task '{task_id}' is a {type(pushed).__name__}, not a list or dict"
    )


def _zip(value: Mapping[str, Any], upstreams: Upstreams) -> int:
    lengths = [_length(arg, upstreams) for arg in value.get("args") or ()]
    if not lengths:
        return 0
    return min(lengths) if value.get("fillvalue") is None else max(lengths)


def _concat(value: Mapping[str, Any], upstreams: Upstreams) -> int:
    return sum(_length(arg, upstreams) for arg in value.get("args") or ())


def _dag_param(value: Mapping[str, Any], upstreams: Upstreams) -> int:
    name = value["name"]
    if name not in upstreams.params:
        raise ExpansionError(f"the run has no param '{name}' to map over")
    return _length(_plain(upstreams.params[name]), upstreams)


def _plain(value: Any) -> Any:
    """A param value as JSON-like data (tuples and sets count as lists)."""
    if isinstance(value, tuple | set | frozenset):
        return list(value)
    return value


_MEASURES: dict[str, Callable[[Mapping[str, Any], Upstreams], int]] = {
    "xcom_arg": _xcom_arg,
    "xcom_arg_map": lambda v, u: _length(v["arg"], u),
    "xcom_arg_zip": _zip,
    "xcom_arg_concat": _concat,
    "dag_param": _dag_param,
    "literal": lambda v, u: _length(v["value"], u),
}

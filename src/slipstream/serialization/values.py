"""Any Python value as stable, readable JSON: what the UI shows of arguments before run time.

DAG files put anything into default_args, template fields and operator arguments. `encode` turns
each value into JSON data that is the same in every process for the same DAG file, so DAG hashes
only change when the DAG does:

- JSON natives pass through; tuples become lists; sets become sorted lists; dict keys become text;
- dates, times and durations, task output references, callables and classes become small
  `{"__type": ...}` records (callables by qualified name, never by address);
- params and assets use their own `serialize()`;
- anything else becomes its `repr`, without memory addresses or the generated prefix of DAG-file
  module names, and cut when long.

Nothing here raises for a value: a value that cannot even be `repr`'d becomes a placeholder.
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
import inspect
import json
import math
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from slipstream.sdk.assets import BaseAsset
    from slipstream.sdk.params import Param, ParamsDict
    from slipstream.sdk.xcom_arg import ResolveMixin

MAX_DEPTH = 24
MAX_REPR_LENGTH = 2000

_ADDRESS = re.compile(r" (?:object )?at 0x[0-9A-Fa-f]+")
_BARE_ADDRESS = re.compile(r"\b0x[0-9A-Fa-f]{8,}\b")
# DAG files are imported as `unusual_prefix_<sha1 of the path>_<stem>` (see dagfiles).
_DAG_MODULE_PREFIX = re.compile(r"\bunusual_prefix_[0-9a-f]{40}_")


def encode(value: Any) -> Any:
    """`value` as JSON data (see the module docs); never raises."""
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:  # most values: as they are
        return value
    try:
        return _encode(value, 0, set())
    except Exception:  # e.g. a property that raises while we inspect the object
        return sanitized_repr(value)


def sanitized_repr(value: Any) -> str:
    """`repr(value)` without memory addresses and at most MAX_REPR_LENGTH characters."""
    try:
        text = repr(value)
    except Exception as err:  # a broken __repr__ must not break serialization
        return f"<unrepresentable {_type_name(value)}: {type(err).__name__}>"
    if not isinstance(text, str):
        return f"<unrepresentable {_type_name(value)}>"
    text = _BARE_ADDRESS.sub("0x…", _ADDRESS.sub("", text))
    text = _DAG_MODULE_PREFIX.sub("", text)
    if len(text) > MAX_REPR_LENGTH:
        text = text[:MAX_REPR_LENGTH] + "…"
    return text


def module_name(module: str) -> str:
    """A module's name, DAG-file modules by their file's stem (stable wherever the file lives)."""
    return _DAG_MODULE_PREFIX.sub("", module)


def qualified_name(obj: Any) -> str:
    """`module.qualname` of a function, method, class or partial; DAG-file modules by stem."""
    if isinstance(obj, functools.partial):
        return f"functools.partial({qualified_name(obj.func)})"
    target = getattr(obj, "__func__", obj)
    name = getattr(target, "__qualname__", None) or getattr(target, "__name__", None)
    if not isinstance(name, str):
        name = type(target).__qualname__
    module = getattr(target, "__module__", None)
    if not isinstance(module, str) or module == "builtins":
        return name
    return f"{module_name(module)}.{name}"


def canonical_json(data: Any) -> str:
    """The one text form of JSON data that hashes and comparisons use (sorted keys, compact)."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _type_name(value: Any) -> str:
    return type(value).__qualname__


_ROUTINE_TYPES = (
    type(len),  # builtin functions and methods
    type(qualified_name),  # plain functions and lambdas
    type(str.join),  # method descriptors
    functools.partial,
)


def _encode(value: Any, depth: int, active: set[int]) -> Any:
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return value
    if kind is float:
        return value if math.isfinite(value) else repr(value)
    if depth >= MAX_DEPTH:
        return "<nested too deep>"
    if isinstance(value, enum.Enum):
        return _encode(value.value, depth + 1, active)
    if isinstance(value, (list, tuple, set, frozenset, Mapping)):
        return _encode_container(value, depth, active)
    if isinstance(value, str):  # subclasses such as markupsafe.Markup
        return str.__str__(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return _encode(float(value), depth, active)
    return _encode_object(value, depth, active)


def _encode_container(value: Any, depth: int, active: set[int]) -> Any:
    key = id(value)
    if key in active:
        return "<recursive>"
    active.add(key)
    try:
        if isinstance(value, Mapping):
            return _encode_mapping(value, depth, active)
        items = [_encode(item, depth + 1, active) for item in value]
        if isinstance(value, (set, frozenset)):
            items.sort(key=canonical_json)
        return items
    except Exception:
        return sanitized_repr(value)
    finally:
        active.discard(key)


def _encode_mapping(value: Mapping[Any, Any], depth: int, active: set[int]) -> Any:
    special = _encode_sdk_value(value)
    if special is not _NOT_SDK:
        return special
    return {_key_text(k): _encode(v, depth + 1, active) for k, v in value.items()}


def _key_text(key: Any) -> str:
    if type(key) is str:
        return key
    if isinstance(key, enum.Enum):
        return _key_text(key.value)
    if isinstance(key, str):
        return str.__str__(key)
    if key is None or isinstance(key, bool | int | float):
        return json.dumps(key)
    return sanitized_repr(key)


def _encode_object(value: Any, depth: int, active: set[int]) -> Any:
    if isinstance(value, dt.datetime):
        return {"__type": "datetime", "value": value.isoformat()}
    if isinstance(value, dt.date):
        return {"__type": "date", "value": value.isoformat()}
    if isinstance(value, dt.time):
        return {"__type": "time", "value": value.isoformat()}
    if isinstance(value, dt.timedelta):
        return {"__type": "timedelta", "seconds": value.total_seconds()}
    special = _encode_sdk_value(value, depth, active)
    if special is not _NOT_SDK:
        return special
    if isinstance(value, type):
        return {"__type": "class", "name": qualified_name(value)}
    if isinstance(value, _ROUTINE_TYPES) or inspect.ismethod(value):
        return {"__type": "callable", "name": qualified_name(value)}
    return sanitized_repr(value)


_NOT_SDK = object()


@functools.cache
def _sdk_types() -> tuple[type[ParamsDict], type[Param], type[BaseAsset], type[ResolveMixin]]:
    """The SDK classes with their own JSON form, imported on first use."""
    from slipstream.sdk import assets, params, xcom_arg

    return params.ParamsDict, params.Param, assets.BaseAsset, xcom_arg.ResolveMixin


def _encode_sdk_value(value: Any, depth: int = 0, active: set[int] | None = None) -> Any:
    """SDK objects with a meaningful JSON form; `_NOT_SDK` for anything else."""
    params_dict, param, base_asset, resolve_mixin = _sdk_types()
    if isinstance(value, params_dict):
        return _safe_serialize(value)
    if isinstance(value, param):
        data = _safe_serialize(value)
        return {"__type": "param", **data} if isinstance(data, dict) else data
    if isinstance(value, base_asset):
        return _safe_serialize(value)
    if isinstance(value, resolve_mixin):
        return _encode_reference(value, depth, active if active is not None else set())
    return _NOT_SDK


def _safe_serialize(value: Any) -> Any:
    try:
        return encode(value.serialize())
    except Exception:
        return sanitized_repr(value)


def _encode_reference(value: Any, depth: int, active: set[int]) -> Any:
    """Run-time references: task outputs (and what is derived from them), DAG params, literals."""
    from slipstream.sdk import xcom_arg

    def inner(item: Any) -> Any:
        return _encode(item, depth + 1, active)

    if isinstance(value, xcom_arg.PlainXComArg):
        task_id = getattr(value.operator, "task_id", None)
        return {"__type": "xcom_arg", "task_id": task_id, "key": value.key}
    if isinstance(value, xcom_arg.MapXComArg):
        return {
            "__type": "xcom_arg_map",
            "arg": inner(value.arg),
            "callables": [qualified_name(f) for f in value.callables],
        }
    if isinstance(value, xcom_arg.ZipXComArg):
        return {
            "__type": "xcom_arg_zip",
            "args": [inner(a) for a in value.args],
            "fillvalue": inner(value.fillvalue),
        }
    if isinstance(value, xcom_arg.ConcatXComArg):
        return {"__type": "xcom_arg_concat", "args": [inner(a) for a in value.args]}
    if isinstance(value, xcom_arg.DagParam):
        return {"__type": "dag_param", "name": value.name}
    if isinstance(value, xcom_arg._Literal):
        return {"__type": "literal", "value": inner(value.value)}
    return sanitized_repr(value)

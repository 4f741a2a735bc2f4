"""XCom values: stored as JSON, so what a task pulls is what any executor would give it."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from slipstream.core.exceptions import XComNotJSONSerializable

RETURN_VALUE_KEY = "return_value"


def encode(value: Any, *, dag_id: str, task_id: str, key: str) -> str:
    """The stored form of an XCom value; names the task and key when it cannot be stored."""
    try:
        return json.dumps(value, default=_encode_extra)
    except (TypeError, ValueError) as err:
        raise XComNotJSONSerializable(
            f"XCom '{key}' of task '{task_id}' in DAG '{dag_id}' cannot be stored: "
            f"{type(value).__name__} value is not JSON serializable ({err})"
        ) from None


def decode(raw: str) -> Any:
    return json.loads(raw)


def _encode_extra(value: Any) -> Any:
    import datetime as dt

    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=repr)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


class LazyXComSequence(Sequence[Any]):
    """The values every map index of a mapped task returned, in map-index order."""

    def __init__(self, values: list[Any]) -> None:
        self._values = values

    def __len__(self) -> int:
        return len(self._values)

    def __getitem__(self, index: Any) -> Any:
        return self._values[index]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence):
            return list(self) == list(other)
        return NotImplemented

    def __repr__(self) -> str:
        return f"LazyXComSequence({self._values!r})"

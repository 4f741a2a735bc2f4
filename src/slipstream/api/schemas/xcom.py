"""XCom entries as Airflow's API shows them, and the bodies that create and change them.

An entry's `value` is shown three ways, as in Airflow: by default the stored JSON text itself;
with `deserialize` the value it holds (objects Slipstream stores as
`{"__classname__", "__version__", "__data__"}` records, such as tuples and datetimes, shown as
`classname@version=N(data)` text, without rebuilding them); with `stringify` as Python text.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from slipstream.api.params import INT64_MAX
from slipstream.db.store.xcom_entries import XComEntry

CLASSNAME, VERSION, DATA = "__classname__", "__version__", "__data__"


class XComResponse(BaseModel):
    key: str
    timestamp: dt.datetime
    logical_date: dt.datetime | None
    map_index: int
    task_id: str
    dag_id: str
    run_id: str
    dag_display_name: str
    task_display_name: str
    run_after: dt.datetime

    @classmethod
    def fields_of(cls, entry: XComEntry) -> dict[str, Any]:
        """Display names are the ids: Slipstream keeps no separate display names."""
        return {
            "key": entry.key,
            "timestamp": entry.timestamp,
            "logical_date": entry.logical_date,
            "map_index": entry.map_index,
            "task_id": entry.task_id,
            "dag_id": entry.dag_id,
            "run_id": entry.run_id,
            "dag_display_name": entry.dag_id,
            "task_display_name": entry.task_id,
            "run_after": entry.run_after,
        }

    @classmethod
    def of(cls, entry: XComEntry) -> XComResponse:
        return cls(**cls.fields_of(entry))


class XComResponseNative(XComResponse):
    value: Any

    @classmethod
    def with_value(cls, entry: XComEntry, *, deserialize: bool = False) -> XComResponseNative:
        value = readable_value(entry.value) if deserialize else entry.value
        return cls(**cls.fields_of(entry), value=value)


class XComResponseString(XComResponse):
    value: str | None

    @classmethod
    def with_value(cls, entry: XComEntry, *, deserialize: bool = False) -> XComResponseString:
        value = readable_value(entry.value) if deserialize else entry.value
        return cls(**cls.fields_of(entry), value=None if value is None else str(value))


class XComCollectionResponse(BaseModel):
    xcom_entries: list[XComResponse]
    total_entries: int


class XComCreateBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str
    value: Any
    map_index: int = Field(default=-1, ge=-1, le=INT64_MAX)


class XComUpdateBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    value: Any
    map_index: int = Field(default=-1, ge=-1, le=INT64_MAX)


def readable_value(stored: str | None) -> Any:
    """The value stored JSON text holds, records of Python objects shown as text; text that is
    not JSON is returned as it is."""
    if stored is None:
        return None
    try:
        return json.loads(stored, object_hook=_record_as_text)
    except ValueError:
        return stored


def _record_as_text(obj: dict[str, Any]) -> Any:
    if set(obj) != {CLASSNAME, VERSION, DATA}:
        return obj
    return f"{obj[CLASSNAME]}@version={obj[VERSION]}({_data_text(obj[DATA])})"


def _data_text(data: Any) -> str:
    if isinstance(data, list):
        return ",".join(_data_text(item) for item in data)
    if isinstance(data, dict):
        return ",".join(f"{k}={_data_text(v)}" for k, v in data.items())
    return str(data)

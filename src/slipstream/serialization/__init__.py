"""DAG ⇄ versioned JSON: the scheduler and the API work from this, never from user DAG files.

- `serialize_dag(dag)` → `{"__version": 1, "dag": {...}}`, plain JSON data;
- `dag_hash(data)` → a SHA-256 that is stable across processes (DAG versions are keyed by it);
- `deserialize_dag(data)` → `SerializedDAG`, read-only, whose `task_dict` the scheduling rules
  (`slipstream.orchestration`) accept as they accept a live DAG's.
"""

from __future__ import annotations

from slipstream.serialization.dag import SERIALIZATION_VERSION, dag_hash, serialize_dag
from slipstream.serialization.errors import SerializationError
from slipstream.serialization.model import (
    DagSchedule,
    SerializedDAG,
    SerializedTask,
    SerializedTaskGroup,
    deserialize_dag,
    deserialize_schedule,
)
from slipstream.serialization.values import encode

__all__ = [
    "SERIALIZATION_VERSION",
    "DagSchedule",
    "SerializationError",
    "SerializedDAG",
    "SerializedTask",
    "SerializedTaskGroup",
    "dag_hash",
    "deserialize_dag",
    "deserialize_schedule",
    "encode",
    "serialize_dag",
]

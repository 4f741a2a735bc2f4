"""DAG versions: every distinct structure a DAG has had, as serialized JSON.

A version row is immutable once written: the DAG processor adds a new one (version number + 1)
only when a DAG's `dag_hash` changes, and a run keeps pointing at the version it started with.
Because rows never change, `serialized_dag_by_id` keeps the deserialized DAGs it has read in a
small per-engine cache (a scheduler asks for the same few versions over and over).
"""

from __future__ import annotations

import datetime as dt
import threading
import weakref
from collections import OrderedDict
from collections.abc import Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from slipstream.db.models import SerializedDagModel

if TYPE_CHECKING:
    from slipstream.serialization import SerializedDAG

__all__ = [
    "CACHE_SIZE",
    "DagVersion",
    "add_version",
    "clear_cache",
    "latest_serialized_dag",
    "latest_versions",
    "serialized_dag_by_id",
]

CACHE_SIZE = 256


@dataclass(frozen=True)
class DagVersion:
    """The identity of one stored version (without its data)."""

    id: int
    dag_id: str
    version_number: int
    dag_hash: str


def latest_versions(session: Session, dag_ids: Collection[str]) -> dict[str, DagVersion]:
    """The newest version of each of these DAGs that has one."""
    if not dag_ids:
        return {}
    newest = (
        select(
            SerializedDagModel.dag_id.label("dag_id"),
            func.max(SerializedDagModel.version_number).label("version_number"),
        )
        .where(SerializedDagModel.dag_id.in_(list(dag_ids)))
        .group_by(SerializedDagModel.dag_id)
        .subquery()
    )
    rows = session.execute(
        select(
            SerializedDagModel.id,
            SerializedDagModel.dag_id,
            SerializedDagModel.version_number,
            SerializedDagModel.dag_hash,
        ).join(
            newest,
            (SerializedDagModel.dag_id == newest.c.dag_id)
            & (SerializedDagModel.version_number == newest.c.version_number),
        )
    )
    return {
        row.dag_id: DagVersion(row.id, row.dag_id, row.version_number, row.dag_hash) for row in rows
    }


def add_version(
    session: Session,
    *,
    dag_id: str,
    data: dict[str, Any],
    dag_hash: str,
    fileloc: str,
    version_number: int,
    now: dt.datetime,
) -> int:
    """Store a new version of `dag_id` and return its id."""
    result = session.execute(
        insert(SerializedDagModel)
        .values(
            dag_id=dag_id,
            version_number=version_number,
            dag_hash=dag_hash,
            data=data,
            fileloc=fileloc,
            created_at=now,
        )
        .returning(SerializedDagModel.id)
    )
    return int(result.scalar_one())


def latest_serialized_dag(session: Session, dag_id: str) -> tuple[int, SerializedDAG] | None:
    """`(version id, DAG)` of the newest version of `dag_id`, or None if it was never stored."""
    version_id = session.scalar(
        select(SerializedDagModel.id)
        .where(SerializedDagModel.dag_id == dag_id)
        .order_by(SerializedDagModel.version_number.desc())
        .limit(1)
    )
    if version_id is None:
        return None
    dag = serialized_dag_by_id(session, version_id)
    return None if dag is None else (version_id, dag)


def serialized_dag_by_id(session: Session, version_id: int) -> SerializedDAG | None:
    """The DAG of one stored version, deserialized once per process and engine, then cached.

    None when no such version exists. Raises `SerializationError` if its data cannot be read.
    """
    cache = _cache_for(session)
    found = cache.get(version_id)
    if found is not None:
        return found
    data = session.scalar(
        select(SerializedDagModel.data).where(SerializedDagModel.id == version_id)
    )
    if data is None:
        return None
    from slipstream.serialization import deserialize_dag

    dag = deserialize_dag(data)
    cache.put(version_id, dag)
    return dag


def clear_cache() -> None:
    """Forget every cached DAG (after `slipstream db reset`, in tests)."""
    with _CACHES_LOCK:
        _CACHES.clear()


class _LruCache:
    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[int, SerializedDAG] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: int) -> SerializedDAG | None:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: int, value: SerializedDAG) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)


# Version ids are only unique within one database: one cache per connection pool (an engine and
# the option-engines derived from it share theirs), gone with the pool.
_CACHES: weakref.WeakKeyDictionary[Any, _LruCache] = weakref.WeakKeyDictionary()
_CACHES_LOCK = threading.Lock()


def _cache_for(session: Session) -> _LruCache:
    key = session.get_bind().engine.pool
    with _CACHES_LOCK:
        cache = _CACHES.get(key)
        if cache is None:
            cache = _CACHES[key] = _LruCache(CACHE_SIZE)
        return cache

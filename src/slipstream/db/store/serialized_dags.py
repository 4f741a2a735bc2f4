"""DAG versions: every distinct structure a DAG has had, as serialized JSON.

A version row is immutable once written: the DAG processor adds a new one (version number + 1)
only when a DAG's `dag_hash` changes, and a run keeps pointing at the version it started with.
Because rows never change, `serialized_dag_by_id` keeps the deserialized DAGs it has read in a
per-engine cache bounded by their tasks in all (a scheduler asks for the versions of every
running run over and over: a thousand small DAGs fit, a few huge ones do not crowd it), and
`latest_summaries` keeps the few facts a DAG listing shows of each version (display name, kind
of schedule, task limits) in another, so listing a thousand DAGs never deserializes them all.
"""

from __future__ import annotations

import datetime as dt
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from sqlalchemy import JSON, Select, Text, bindparam, cast, func, insert, select
from sqlalchemy.orm import Session

from slipstream.db.models import SerializedDagModel
from slipstream.db.store._sql import chunks

if TYPE_CHECKING:
    from slipstream.serialization import SerializedDAG

Q = TypeVar("Q", bound=Select[*tuple[Any, ...]])

__all__ = [
    "CACHE_TASKS",
    "DagVersion",
    "NewVersion",
    "RunVersion",
    "StoredVersion",
    "VersionSummary",
    "add_version",
    "add_versions",
    "clear_cache",
    "get_version",
    "latest_serialized_dag",
    "latest_summaries",
    "latest_version_id",
    "latest_versions",
    "newest_display_names",
    "serialized_dag_by_id",
    "serialized_dag_data",
    "versions_by_id",
]

CACHE_TASKS = 50_000
"""The deserialized DAGs kept hold this many tasks in all (about 1 KB each)."""
SUMMARY_CACHE_SIZE = 8192


@dataclass(frozen=True)
class DagVersion:
    """The identity of one stored version (without its data)."""

    id: int
    dag_id: str
    version_number: int
    dag_hash: str


@dataclass(frozen=True)
class StoredVersion:
    """One stored version as the API shows it: its identity, where it came from, and when."""

    id: int
    dag_id: str
    version_number: int
    fileloc: str
    created_at: dt.datetime


@dataclass(frozen=True)
class RunVersion:
    """The DAG version a run uses, as the API shows it beside the run (with the DAG's display
    name)."""

    id: int
    dag_id: str
    version_number: int
    created_at: dt.datetime
    dag_display_name: str


@dataclass(frozen=True)
class VersionSummary:
    """What a DAG listing shows of a DAG's newest version, read from its data once."""

    version: StoredVersion
    display_name: str
    periodic: bool
    """Its timetable repeats (Airflow's `timetable.periodic`)."""
    schedulable: bool
    """The scheduler creates runs for it at all (`timetable.can_be_scheduled`)."""
    partitioned: bool
    has_task_concurrency_limits: bool
    """A task sets `max_active_tis_per_dag` or `max_active_tis_per_dagrun`."""

    @property
    def backfillable(self) -> bool:
        """Whether `dags backfill` accepts the DAG: a repeating time-based schedule."""
        return self.periodic and self.schedulable


def latest_versions(session: Session, dag_ids: Collection[str]) -> dict[str, DagVersion]:
    """The newest version of each of these DAGs that has one."""
    if not dag_ids:
        return {}
    rows = session.execute(
        _newest_of(
            dag_ids,
            SerializedDagModel.id,
            SerializedDagModel.dag_id,
            SerializedDagModel.version_number,
            SerializedDagModel.dag_hash,
        )
    )
    return {
        row.dag_id: DagVersion(row.id, row.dag_id, row.version_number, row.dag_hash) for row in rows
    }


def newest_display_names() -> Any:
    """A subquery of `(dag_id, display_name)`: each DAG's display name in its newest version,
    for listings to filter and sort by (NULL when the data names none)."""
    name = SerializedDagModel.data[("dag", "dag_display_name")].as_string()
    return _newest_of(None, SerializedDagModel.dag_id, name.label("display_name")).subquery()


def _newest_of(dag_ids: Collection[str] | None, *columns: Any) -> Any:
    """`columns` of the newest version of each DAG (of `dag_ids`, or of all)."""
    newest = select(
        SerializedDagModel.dag_id.label("dag_id"),
        func.max(SerializedDagModel.version_number).label("version_number"),
    )
    if dag_ids is not None:
        newest = newest.where(SerializedDagModel.dag_id.in_(list(dag_ids)))
    subquery = newest.group_by(SerializedDagModel.dag_id).subquery()
    return select(*columns).join(
        subquery,
        (SerializedDagModel.dag_id == subquery.c.dag_id)
        & (SerializedDagModel.version_number == subquery.c.version_number),
    )


def latest_version_id(session: Session, dag_id: str) -> int | None:
    """The id of the newest version of `dag_id`, or None if it was never stored."""
    return session.scalar(_newest(select(SerializedDagModel.id), dag_id))


def _newest(query: Q, dag_id: str) -> Q:
    """`query` narrowed to the newest version of `dag_id`."""
    return (
        query.where(SerializedDagModel.dag_id == dag_id)
        .order_by(SerializedDagModel.version_number.desc())
        .limit(1)
    )


def versions_by_id(session: Session, version_ids: Collection[int | None]) -> dict[int, RunVersion]:
    """`id -> RunVersion` of these versions (None among the ids is skipped), in one query."""
    ids = sorted({version_id for version_id in version_ids if version_id is not None})
    if not ids:
        return {}
    display_name = SerializedDagModel.data["dag"]["dag_display_name"].as_string()
    rows = session.execute(
        select(
            SerializedDagModel.id,
            SerializedDagModel.dag_id,
            SerializedDagModel.version_number,
            SerializedDagModel.created_at,
            display_name,
        ).where(SerializedDagModel.id.in_(ids))
    )
    return {row[0]: RunVersion(row[0], row[1], row[2], row[3], row[4] or row[1]) for row in rows}


def get_version(
    session: Session, dag_id: str, version_number: int | None = None
) -> StoredVersion | None:
    """Version `version_number` of `dag_id` (its newest when None), or None if there is none."""
    query = select(*_STORED_COLUMNS)
    if version_number is None:
        query = _newest(query, dag_id)
    else:
        query = query.where(
            SerializedDagModel.dag_id == dag_id, SerializedDagModel.version_number == version_number
        )
    row = session.execute(query).first()
    return None if row is None else StoredVersion(*row)


def latest_summaries(session: Session, dag_ids: Collection[str]) -> dict[str, VersionSummary]:
    """A summary of the newest version of each of these DAGs that has one.

    Two queries at most whatever the number of DAGs: the newest versions, then the data of
    those not summarized before (versions never change, so summaries are cached).
    """
    if not dag_ids:
        return {}
    versions = [
        StoredVersion(*row) for row in session.execute(_newest_of(dag_ids, *_STORED_COLUMNS))
    ]
    cache = _summary_cache_for(session)
    found = {v.id: s for v in versions if (s := cache.get(v.id)) is not None}
    missing = {v.id: v for v in versions if v.id not in found}
    if missing:
        rows = session.execute(
            select(SerializedDagModel.id, SerializedDagModel.data).where(
                SerializedDagModel.id.in_(list(missing))
            )
        )
        for version_id, data in rows:
            summary = _summarize(missing[version_id], data)
            cache.put(version_id, summary)
            found[version_id] = summary
    return {v.dag_id: found[v.id] for v in versions}


def _summarize(version: StoredVersion, data: Any) -> VersionSummary:
    record = data.get("dag") if isinstance(data, dict) else None
    record = record if isinstance(record, dict) else {}
    periodic, schedulable, partitioned = _schedule_kind(record.get("timetable"))
    tasks = [t for t in record.get("tasks") or () if isinstance(t, dict)]
    return VersionSummary(
        version=version,
        display_name=str(record.get("dag_display_name") or version.dag_id),
        periodic=periodic,
        schedulable=schedulable,
        partitioned=partitioned,
        has_task_concurrency_limits=any(
            t.get("max_active_tis_per_dag") is not None
            or t.get("max_active_tis_per_dagrun") is not None
            for t in tasks
        ),
    )


def _schedule_kind(encoded: Any) -> tuple[bool, bool, bool]:
    """(periodic, can be scheduled, partitioned) of a stored timetable; all False when the
    timetable cannot be read here (a custom class this process cannot import)."""
    from slipstream.timetables import deserialize_timetable

    try:
        timetable = deserialize_timetable(dict(encoded))
    except Exception:
        return False, False, False
    return (
        bool(getattr(timetable, "periodic", True)),
        bool(getattr(timetable, "can_be_scheduled", True)),
        bool(getattr(timetable, "partitioned", False)),
    )


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


@dataclass(frozen=True)
class NewVersion:
    """A version to store with `add_versions`; `data` may be given as JSON text already."""

    dag_id: str
    version_number: int
    dag_hash: str
    data: dict[str, Any] | str
    fileloc: str


def add_versions(session: Session, versions: Sequence[NewVersion], *, now: dt.datetime) -> None:
    """Store these new versions, a statement for all (the DAG processor stores a batch of files
    at once and needs no ids back).

    Data given as JSON text is stored as it is: the DAG processor receives it so from the
    parsing processes and would otherwise decode it only to have it encoded again.
    """
    encoded = [v for v in versions if isinstance(v.data, str)]
    plain = [v for v in versions if not isinstance(v.data, str)]
    if plain:
        session.execute(insert(SerializedDagModel), [_version_row(v, now) for v in plain])
    if encoded:
        text = bindparam("data_text", type_=Text())
        # The JSON type would encode the text as a JSON string: bind it as text (SQLite stores
        # JSON as text anyway), cast to JSON where the column has that type.
        value = text if session.get_bind().dialect.name == "sqlite" else cast(text, JSON)
        session.execute(
            insert(SerializedDagModel).values(data=value),
            [{**_version_row(v, now, data=False), "data_text": v.data} for v in encoded],
        )


def _version_row(version: NewVersion, now: dt.datetime, *, data: bool = True) -> dict[str, Any]:
    row = {
        "dag_id": version.dag_id,
        "version_number": version.version_number,
        "dag_hash": version.dag_hash,
        "fileloc": version.fileloc,
        "created_at": now,
    }
    if data:
        row["data"] = version.data
    return row


def latest_serialized_dag(session: Session, dag_id: str) -> tuple[int, SerializedDAG] | None:
    """`(version id, DAG)` of the newest version of `dag_id`, or None if it was never stored."""
    version_id = latest_version_id(session, dag_id)
    if version_id is None:
        return None
    dag = serialized_dag_by_id(session, version_id)
    return None if dag is None else (version_id, dag)


def serialized_dag_data(
    session: Session, *, serialized_dag_id: int | None, dag_id: str
) -> dict[str, Any] | None:
    """The stored data of the version a run uses, or of the DAG's newest when the run names
    none (one query); None when there is no such version."""
    query = select(SerializedDagModel.data)
    if serialized_dag_id is None:
        query = _newest(query, dag_id)
    else:
        query = query.where(SerializedDagModel.id == serialized_dag_id)
    return session.scalars(query).first()


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


def version_filelocs(session: Session, version_ids: Collection[int | None]) -> dict[int, str]:
    """The DAG file of each of these stored versions (cached: a version never changes).

    Asked apart from bigger queries because on SQLite, reaching `fileloc` walks past the row's
    whole serialized DAG: for a wide DAG that costs more than the rest of a query."""
    cache = _pool_cache(_FILELOC_CACHES, session, lambda: _LruCache(SUMMARY_CACHE_SIZE))
    wanted = {v for v in version_ids if v is not None}
    found = {v: f for v in wanted if (f := cache.get(v)) is not None}
    missing = sorted(wanted - found.keys())
    for chunk in chunks(missing):
        query = select(SerializedDagModel.id, SerializedDagModel.fileloc)
        for version_id, fileloc in session.execute(query.where(SerializedDagModel.id.in_(chunk))):
            cache.put(version_id, fileloc)
            found[version_id] = fileloc
    return found


def clear_cache() -> None:
    """Forget every cached DAG, summary and file (after `slipstream db reset`, in tests)."""
    with _CACHES_LOCK:
        _CACHES.clear()
        _SUMMARY_CACHES.clear()
        _FILELOC_CACHES.clear()


V = TypeVar("V")


class _LruCache(Generic[V]):
    """Least recently used values first out, once their weights (1 each unless `weigh` says
    otherwise) exceed `capacity`; the newest value stays, however heavy."""

    def __init__(self, capacity: int, weigh: Callable[[V], int] = lambda _: 1) -> None:
        self.capacity = capacity
        self._weigh = weigh
        self._items: OrderedDict[int, tuple[V, int]] = OrderedDict()
        self._weight = 0
        self._lock = threading.Lock()

    def get(self, key: int) -> V | None:
        with self._lock:
            found = self._items.get(key)
            if found is None:
                return None
            self._items.move_to_end(key)
            return found[0]

    def put(self, key: int, value: V) -> None:
        weight = max(1, self._weigh(value))
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._weight -= old[1]
            self._items[key] = (value, weight)
            self._weight += weight
            while self._weight > self.capacity and len(self._items) > 1:
                _, (_, dropped) = self._items.popitem(last=False)
                self._weight -= dropped


# Version ids are only unique within one database: one cache per connection pool (an engine and
# the option-engines derived from it share theirs), gone with the pool.
_CACHES: weakref.WeakKeyDictionary[Any, _LruCache[SerializedDAG]] = weakref.WeakKeyDictionary()
_SUMMARY_CACHES: weakref.WeakKeyDictionary[Any, _LruCache[VersionSummary]] = (
    weakref.WeakKeyDictionary()
)
_FILELOC_CACHES: weakref.WeakKeyDictionary[Any, _LruCache[str]] = weakref.WeakKeyDictionary()
_CACHES_LOCK = threading.Lock()


def _cache_for(session: Session) -> _LruCache[SerializedDAG]:
    return _pool_cache(_CACHES, session, lambda: _LruCache(CACHE_TASKS, _task_count))


def _task_count(dag: SerializedDAG) -> int:
    return len(dag.task_dict) + 1


def _summary_cache_for(session: Session) -> _LruCache[VersionSummary]:
    return _pool_cache(_SUMMARY_CACHES, session, lambda: _LruCache(SUMMARY_CACHE_SIZE))


def _pool_cache(
    caches: weakref.WeakKeyDictionary[Any, _LruCache[V]],
    session: Session,
    new: Callable[[], _LruCache[V]],
) -> _LruCache[V]:
    """The cache of `caches` for the session's connection pool (made by `new` when first
    asked)."""
    key = session.get_bind().engine.pool
    with _CACHES_LOCK:
        cache = caches.get(key)
        if cache is None:
            cache = caches[key] = new()
        return cache


_STORED_COLUMNS = (
    SerializedDagModel.id,
    SerializedDagModel.dag_id,
    SerializedDagModel.version_number,
    SerializedDagModel.fileloc,
    SerializedDagModel.created_at,
)

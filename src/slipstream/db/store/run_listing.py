"""Finding runs the way the REST API lists them: many filters, a page, the DAG versions they
use, and the asset events that triggered them. Every listing is a fixed number of queries,
whatever the page size (never one per run).

Pattern filters follow Airflow's API (`text_patterns`); `consuming_asset_pattern` is a literal
case-insensitive substring of a consumed asset's name or URI.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    ColumnElement,
    DateTime,
    Float,
    Select,
    Text,
    cast,
    false,
    func,
    null,
    or_,
    select,
    tuple_,
)
from sqlalchemy.orm import Session

from slipstream.db.models import (
    Asset,
    AssetEvent,
    DagRun,
    DagRunAssetEvent,
    SerializedDagModel,
    XCom,
)
from slipstream.db.store import text_patterns
from slipstream.db.store.paging import Page, paged, total_of

ORDER_FIELDS = frozenset(
    {
        "id",
        "state",
        "dag_id",
        "run_id",
        "dag_run_id",
        "logical_date",
        "partition_date",
        "run_after",
        "start_date",
        "end_date",
        "updated_at",
        "conf",
        "duration",
    }
)


@dataclass(frozen=True)
class Bounds:
    """A range filter: any of `>=`, `>`, `<=`, `<` (None: no bound)."""

    gte: Any = None
    gt: Any = None
    lte: Any = None
    lt: Any = None

    def conditions(self, column: Any) -> list[ColumnElement[bool]]:
        out = []
        if self.gte is not None:
            out.append(column >= self.gte)
        if self.gt is not None:
            out.append(column > self.gt)
        if self.lte is not None:
            out.append(column <= self.lte)
        if self.lt is not None:
            out.append(column < self.lt)
        return out


NO_BOUNDS = Bounds()


@dataclass(frozen=True)
class RunFilters:
    """What a run listing keeps; every filter left None (or unbounded) keeps all runs.

    Runs have no partition key, partition date, bundle version or triggering user name in
    Slipstream, so a filter on one of those keeps no run (as in Airflow, for runs without one).
    """

    dag_ids: Collection[str] | None = None
    states: Collection[str | None] | None = None
    run_types: Collection[str] | None = None
    dag_versions: Collection[int] | None = None
    run_after: Bounds = NO_BOUNDS
    logical_date: Bounds = NO_BOUNDS
    start_date: Bounds = NO_BOUNDS
    end_date: Bounds = NO_BOUNDS
    updated_at: Bounds = NO_BOUNDS
    duration: Bounds = NO_BOUNDS
    conf_contains: str | None = None
    run_id_pattern: str | None = None
    run_id_prefix_pattern: str | None = None
    dag_id_pattern: str | None = None
    dag_id_prefix_pattern: str | None = None
    consuming_asset_pattern: str | None = None
    absent_fields: tuple[str, ...] = field(default=())
    """Filters given on attributes Slipstream's runs never have (partition_key_pattern, …)."""


def find_runs_page(
    session: Session, filters: RunFilters, page: Page, *, count_limit: int | None = None
) -> tuple[list[DagRun], int]:
    """One page of the runs matching `filters`, ordered by the page's fields (then `id`), and
    how many match in all (counting stops at `count_limit` when given)."""
    duration = _duration(session)
    query: Any = select(DagRun).where(*_conditions(filters, duration))
    total = _count(session, query, count_limit)
    rows = session.scalars(paged(query, page, _order_columns(duration), tiebreak=DagRun.id))
    return list(rows), total


def _count(session: Session, query: Select[Any], limit: int | None) -> int:
    if limit is None:
        return total_of(query, session)
    capped = query.with_only_columns(DagRun.id).limit(limit).subquery()
    return int(session.scalar(select(func.count()).select_from(capped)) or 0)


def _conditions(filters: RunFilters, duration: Any) -> list[ColumnElement[bool]]:
    if filters.absent_fields:
        return [false()]
    out: list[ColumnElement[bool]] = []
    if filters.dag_ids is not None:
        out.append(DagRun.dag_id.in_(list(filters.dag_ids)))
    if filters.states is not None:
        out.append(_state_in(filters.states))
    if filters.run_types is not None:
        out.append(DagRun.run_type.in_(list(filters.run_types)))
    if filters.dag_versions is not None:
        versions = select(SerializedDagModel.id).where(
            SerializedDagModel.version_number.in_(list(filters.dag_versions))
        )
        out.append(DagRun.serialized_dag_id.in_(versions))
    out += filters.run_after.conditions(DagRun.run_after)
    out += filters.logical_date.conditions(DagRun.logical_date)
    out += filters.start_date.conditions(DagRun.start_date)
    out += filters.end_date.conditions(DagRun.end_date)
    out += filters.updated_at.conditions(DagRun.updated_at)
    out += filters.duration.conditions(duration)
    if filters.conf_contains:
        out.append(cast(DagRun.conf, Text).contains(filters.conf_contains, autoescape=True))
    out += _patterns(filters)
    return out


def _state_in(states: Collection[str | None]) -> ColumnElement[bool]:
    named = [s for s in states if s is not None]
    condition = DagRun.state.in_(named)
    return or_(condition, DagRun.state.is_(None)) if None in states else condition


def _patterns(filters: RunFilters) -> list[ColumnElement[bool]]:
    found = [
        text_patterns.contains(DagRun.run_id, filters.run_id_pattern),
        text_patterns.starts_with(DagRun.run_id, filters.run_id_prefix_pattern),
        text_patterns.contains(DagRun.dag_id, filters.dag_id_pattern),
        text_patterns.starts_with(DagRun.dag_id, filters.dag_id_prefix_pattern),
    ]
    out = [condition for condition in found if condition is not None]
    if filters.consuming_asset_pattern:
        out.append(_consumes_asset_like(filters.consuming_asset_pattern))
    return out


def _consumes_asset_like(pattern: str) -> ColumnElement[bool]:
    """Runs that consumed an event of an asset whose name or URI contains `pattern` (literal)."""
    consumed = (
        select(DagRunAssetEvent.dag_run_id)
        .join(AssetEvent, AssetEvent.id == DagRunAssetEvent.event_id)
        .join(Asset, Asset.id == AssetEvent.asset_id)
        .where(
            or_(
                func.lower(Asset.name).contains(pattern.lower(), autoescape=True),
                func.lower(Asset.uri).contains(pattern.lower(), autoescape=True),
            )
        )
    )
    return DagRun.id.in_(consumed)


def _duration(session: Session) -> Any:
    """A run's duration in seconds (end minus start; NULL until it has both), in SQL."""
    if session.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", DagRun.end_date - DagRun.start_date)
    days = func.julianday(DagRun.end_date) - func.julianday(DagRun.start_date)
    return cast(func.round(days * 86400.0, 3), Float)  # to the millisecond: julianday is a float


def _order_columns(duration: Any) -> dict[str, Any]:
    return {
        "id": DagRun.id,
        "state": DagRun.state,
        "dag_id": DagRun.dag_id,
        "run_id": DagRun.run_id,
        "dag_run_id": DagRun.run_id,
        "logical_date": DagRun.logical_date,
        "partition_date": cast(null(), DateTime),  # runs have none: the order falls to `id`
        "run_after": DagRun.run_after,
        "start_date": DagRun.start_date,
        "end_date": DagRun.end_date,
        "updated_at": DagRun.updated_at,
        "conf": cast(DagRun.conf, Text),
        "duration": duration,
    }


# --- the DAG versions runs use --------------------------------------------------------------


@dataclass(frozen=True)
class RunVersion:
    """The DAG version a run uses, as the API shows it (with the DAG's display name)."""

    id: int
    dag_id: str
    version_number: int
    created_at: dt.datetime
    dag_display_name: str


def versions_of(session: Session, runs: Iterable[DagRun]) -> dict[int, RunVersion]:
    """`serialized_dag_id -> RunVersion` for the versions these runs use (one query)."""
    ids = sorted({run.serialized_dag_id for run in runs if run.serialized_dag_id is not None})
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


# --- the asset events a run consumed ---------------------------------------------------------


@dataclass(frozen=True)
class ConsumingRun:
    """A run that consumed an asset event; `triggering` when it was the run's newest one."""

    dag_id: str
    run_id: str
    state: str
    start_date: dt.datetime | None
    end_date: dt.datetime | None
    logical_date: dt.datetime | None
    data_interval_start: dt.datetime | None
    data_interval_end: dt.datetime | None
    queued_at: dt.datetime | None
    run_after: dt.datetime
    triggering: bool


@dataclass(frozen=True)
class ConsumedEvent:
    """An asset event with its asset's name, URI and group, and every run that consumed it."""

    id: int
    asset_id: int
    name: str | None
    uri: str | None
    group: str | None
    extra: dict[str, Any]
    source_dag_id: str | None
    source_task_id: str | None
    source_run_id: str | None
    source_map_index: int
    timestamp: dt.datetime
    created_dagruns: list[ConsumingRun]


def consumed_asset_events(session: Session, dag_run_pk: int) -> list[ConsumedEvent]:
    """The asset events that triggered the run with primary key `dag_run_pk`, oldest first
    (three queries, whatever the number of events)."""
    rows = session.execute(
        select(AssetEvent, Asset.name, Asset.uri, Asset.group)
        .join(DagRunAssetEvent, DagRunAssetEvent.event_id == AssetEvent.id)
        .join(Asset, Asset.id == AssetEvent.asset_id)
        .where(DagRunAssetEvent.dag_run_id == dag_run_pk)
        .order_by(AssetEvent.timestamp, AssetEvent.id)
    ).all()
    consumers = _consumers(session, [row[0].id for row in rows])
    return [
        ConsumedEvent(
            id=event.id,
            asset_id=event.asset_id,
            name=name,
            uri=uri,
            group=group,
            extra=dict(event.extra or {}),
            source_dag_id=event.source_dag_id,
            source_task_id=event.source_task_id,
            source_run_id=event.source_run_id,
            source_map_index=event.source_map_index,
            timestamp=event.timestamp,
            created_dagruns=consumers.get(event.id, []),
        )
        for event, name, uri, group in rows
    ]


def _consumers(session: Session, event_ids: list[int]) -> dict[int, list[ConsumingRun]]:
    """Per event, the runs that consumed it; a run's newest consumed event is its trigger."""
    if not event_ids:
        return {}
    links = session.execute(
        select(DagRunAssetEvent.event_id, DagRun)
        .join(DagRun, DagRun.id == DagRunAssetEvent.dag_run_id)
        .where(DagRunAssetEvent.event_id.in_(event_ids))
        .order_by(DagRun.id)
    ).all()
    newest = _newest_event_per_run(session, {run.id for _, run in links})
    out: dict[int, list[ConsumingRun]] = {}
    for event_id, run in links:
        out.setdefault(event_id, []).append(_consuming(run, newest.get(run.id) == event_id))
    return out


def _newest_event_per_run(session: Session, run_pks: set[int]) -> dict[int, int]:
    rows = session.execute(
        select(DagRunAssetEvent.dag_run_id, AssetEvent.id, AssetEvent.timestamp)
        .join(AssetEvent, AssetEvent.id == DagRunAssetEvent.event_id)
        .where(DagRunAssetEvent.dag_run_id.in_(sorted(run_pks)))
        .order_by(AssetEvent.timestamp, AssetEvent.id)
    )
    return {run_pk: event_id for run_pk, event_id, _ in rows}


def _consuming(run: DagRun, triggering: bool) -> ConsumingRun:
    return ConsumingRun(
        dag_id=run.dag_id,
        run_id=run.run_id,
        state=run.state,
        start_date=run.start_date,
        end_date=run.end_date,
        logical_date=run.logical_date,
        data_interval_start=run.data_interval_start,
        data_interval_end=run.data_interval_end,
        queued_at=run.queued_at,
        run_after=run.run_after,
        triggering=triggering,
    )


# --- runs by key, and what a finished run returned ----------------------------------------------


def runs_by_keys(
    session: Session, keys: Collection[tuple[str, str]]
) -> dict[tuple[str, str], DagRun]:
    """The runs with these `(dag_id, run_id)` keys that exist (one query per 500 keys)."""
    ordered = sorted(set(keys))
    out: dict[tuple[str, str], DagRun] = {}
    for start in range(0, len(ordered), 500):
        chunk = ordered[start : start + 500]
        query = select(DagRun).where(tuple_(DagRun.dag_id, DagRun.run_id).in_(chunk))
        out.update({(run.dag_id, run.run_id): run for run in session.scalars(query)})
    return out


def return_values(
    session: Session, dag_run_pk: int, task_ids: Collection[str] | None = None
) -> dict[str, Any]:
    """`task_id -> value` of the run's `return_value` XComs (of these tasks, or all): a mapped
    task's values as a list by map index. Values are stored as JSON; text that is not JSON is
    returned as it is."""
    query = select(XCom.task_id, XCom.map_index, XCom.value).where(
        XCom.dag_run_id == dag_run_pk, XCom.key == "return_value"
    )
    if task_ids is not None:
        query = query.where(XCom.task_id.in_(list(task_ids)))
    grouped: dict[str, list[tuple[int, Any]]] = {}
    for task_id, map_index, value in session.execute(query.order_by(XCom.task_id, XCom.map_index)):
        grouped.setdefault(task_id, []).append((map_index, _json_or_text(value)))
    return {task_id: _unmapped_or_list(entries) for task_id, entries in grouped.items()}


def _unmapped_or_list(entries: list[tuple[int, Any]]) -> Any:
    if len(entries) == 1 and entries[0][0] < 0:
        return entries[0][1]
    return [value for _, value in entries]


def _json_or_text(value: str | None) -> Any:
    if value is None:
        return None
    try:
        return json.loads(value)
    except ValueError:
        return value

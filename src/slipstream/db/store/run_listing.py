"""Finding runs the way the REST API lists them: many filters, a page, and the DAG versions they
use. Every listing is a fixed number of queries, whatever the page size (never one per run).
What the API shows beside a run lives with its own entity and is re-exported here: the asset
events that triggered it (`asset_listing.events_of_run`) and what it returned
(`xcoms.return_values`).

Pattern filters follow Airflow's API (`text_patterns`); `consuming_asset_pattern` is a literal
case-insensitive substring of a consumed asset's name or URI.
"""

from __future__ import annotations

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

from slipstream.db.models import Asset, AssetEvent, DagRun, DagRunAssetEvent, SerializedDagModel
from slipstream.db.store import text_patterns
from slipstream.db.store._sql import chunks, state_in
from slipstream.db.store.asset_listing import AssetEventView as ConsumedEvent
from slipstream.db.store.asset_listing import EventRun as ConsumingRun
from slipstream.db.store.asset_listing import events_of_run as consumed_asset_events
from slipstream.db.store.paging import Page, paged, total_of
from slipstream.db.store.ranges import NO_BOUNDS, Bounds
from slipstream.db.store.serialized_dags import RunVersion, versions_by_id
from slipstream.db.store.xcoms import return_values

__all__ = [
    "NO_BOUNDS",
    "ORDER_FIELDS",
    "Bounds",
    "ConsumedEvent",
    "ConsumingRun",
    "RunFilters",
    "RunVersion",
    "consumed_asset_events",
    "find_runs_page",
    "return_values",
    "runs_by_keys",
    "versions_of",
]

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
        out.append(state_in(DagRun.state, filters.states))
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


def _patterns(filters: RunFilters) -> list[ColumnElement[bool]]:
    out = [
        *text_patterns.conditions(
            DagRun.run_id, filters.run_id_pattern, filters.run_id_prefix_pattern
        ),
        *text_patterns.conditions(
            DagRun.dag_id, filters.dag_id_pattern, filters.dag_id_prefix_pattern
        ),
    ]
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


def versions_of(session: Session, runs: Iterable[DagRun]) -> dict[int, RunVersion]:
    """`serialized_dag_id -> RunVersion` for the versions these runs use (one query)."""
    return versions_by_id(session, {run.serialized_dag_id for run in runs})


# --- runs by key ----------------------------------------------------------------------------


def runs_by_keys(
    session: Session, keys: Collection[tuple[str, str]]
) -> dict[tuple[str, str], DagRun]:
    """The runs with these `(dag_id, run_id)` keys that exist (one query per 500 keys)."""
    out: dict[tuple[str, str], DagRun] = {}
    for chunk in chunks(sorted(set(keys))):
        query = select(DagRun).where(tuple_(DagRun.dag_id, DagRun.run_id).in_(chunk))
        out.update({(run.dag_id, run.run_id): run for run in session.scalars(query)})
    return out

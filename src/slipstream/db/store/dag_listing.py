"""The DAG listing of the REST API (`GET /dags`, `PATCH /dags`, `GET /dagTags`): Airflow's filters,
sort orders and paging, answered in a fixed number of queries whatever the number of DAGs.

A DAG's "last run" is, as in Airflow, its newest run (highest id) that has started; the filters
on runs (`last_run_states`, the date ranges) keep only DAGs whose last run passes them. Display
names live in the DAGs' stored versions, so filtering or sorting by them joins each DAG's newest
version; other listings never touch the versions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, String, Text, and_, cast, func, literal, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from slipstream.db.models import Asset, DagModel, DagRun, DagScheduleAssetReference
from slipstream.db.store import text_patterns
from slipstream.db.store.dags import has_tag
from slipstream.db.store.paging import Page, paged, total_of
from slipstream.db.store.ranges import Bounds
from slipstream.db.store.serialized_dags import newest_display_names

__all__ = [
    "SORT_FIELDS",
    "TAG_SORT_FIELDS",
    "DagFilter",
    "DateRange",
    "dag_tags",
    "find_dag_ids",
    "find_dags",
]

SORT_FIELDS = frozenset(
    {
        "dag_id",
        "dag_display_name",
        "next_dagrun",
        "state",
        "start_date",
        "last_run_state",
        "last_run_start_date",
    }
)
TAG_SORT_FIELDS = frozenset({"name"})
_LAST_RUN_FIELDS = frozenset({"state", "start_date", "last_run_state", "last_run_start_date"})


DateRange = Bounds
"""Bounds on a timestamp (the name the DAG listing's callers use)."""


@dataclass(frozen=True)
class DagFilter:
    """Which DAGs a listing shows; fields left at their default do not filter.

    `*_pattern` and `*_prefix` follow Airflow's pattern parameters (see `text_patterns`). `owners`
    matches DAGs with any of these owners; `tags` DAGs with any (with `match_all_tags`, all) of
    these tags. `asset_dependency` is a case-insensitive part of the name or URI of an asset the
    DAG is scheduled on.
    """

    exclude_stale: bool = True
    paused: bool | None = None
    has_import_errors: bool | None = None
    tags: Sequence[str] = ()
    match_all_tags: bool = False
    owners: Sequence[str] = ()
    dag_id_pattern: str | None = None
    dag_id_prefix: str | None = None
    display_name_pattern: str | None = None
    display_name_prefix: str | None = None
    has_asset_schedule: bool | None = None
    asset_dependency: str | None = None
    last_run_states: Sequence[Sequence[str]] = ()
    """Each entry: the last run's state must be one of these (entries all apply)."""
    last_run_start: DateRange = field(default_factory=DateRange)
    last_run_end: DateRange = field(default_factory=DateRange)

    @property
    def uses_display_name(self) -> bool:
        return bool(self.display_name_pattern or self.display_name_prefix)

    @property
    def uses_last_run(self) -> bool:
        return bool(self.last_run_states) or self.last_run_start.is_set or self.last_run_end.is_set


def find_dags(session: Session, dag_filter: DagFilter, page: Page) -> tuple[list[DagModel], int]:
    """One page of the DAGs passing `dag_filter`, ordered by `page.order_by` (fields of
    `SORT_FIELDS`, then `dag_id`), and how many pass in all. Two queries."""
    sorted_by = {name for name, _ in page.order_by}
    query, columns = _dag_query(
        select(DagModel),
        dag_filter,
        with_names="dag_display_name" in sorted_by,
        with_last_run=bool(sorted_by & _LAST_RUN_FIELDS),
    )
    total = total_of(query, session)
    rows = session.scalars(paged(query, page, columns, tiebreak=DagModel.dag_id.asc()))
    return list(rows), total


def find_dag_ids(session: Session, dag_filter: DagFilter) -> list[str]:
    """The ids of every DAG passing `dag_filter`, sorted."""
    query, _ = _dag_query(select(DagModel.dag_id), dag_filter)
    return list(session.scalars(query.order_by(DagModel.dag_id)))


def dag_tags(
    session: Session, page: Page, *, pattern: str | None = None, prefix: str | None = None
) -> tuple[list[str], int]:
    """One page of the distinct tag names of all DAGs (matching the Airflow-style `pattern` and
    `prefix`), sorted by name, and how many there are in all."""
    names = {str(tag) for tags in session.scalars(select(DagModel.tags)) for tag in tags or ()}
    matching = sorted(name for name in names if text_patterns.matches(name, pattern, prefix))
    if page.order_by and page.order_by[0][1]:
        matching.reverse()
    return matching[page.offset : page.offset + page.limit], len(matching)


# --- building the query ---------------------------------------------------------------------


def _dag_query(
    query: Select[Any],
    dag_filter: DagFilter,
    *,
    with_names: bool = False,
    with_last_run: bool = False,
) -> tuple[Select[Any], dict[str, Any]]:
    """`query` over `dag` joined to what the filter and sort order need, filtered, and the
    sortable columns by field name."""
    columns: dict[str, Any] = {"dag_id": DagModel.dag_id, "next_dagrun": DagModel.next_dagrun}
    conditions = _dag_conditions(dag_filter)
    if with_names or dag_filter.uses_display_name:
        names = newest_display_names()
        query = query.outerjoin(names, names.c.dag_id == DagModel.dag_id)
        display_name = func.coalesce(names.c.display_name, DagModel.dag_id)
        columns["dag_display_name"] = func.lower(display_name)  # the same order on every database
        conditions += text_patterns.conditions(
            display_name, dag_filter.display_name_pattern, dag_filter.display_name_prefix
        )
    if with_last_run or dag_filter.uses_last_run:
        last = (
            select(DagRun.dag_id, func.max(DagRun.id).label("run_id"))
            .where(DagRun.start_date.is_not(None))
            .group_by(DagRun.dag_id)
            .subquery()
        )
        query = query.outerjoin(last, last.c.dag_id == DagModel.dag_id).outerjoin(
            DagRun, DagRun.id == last.c.run_id
        )
        columns.update(
            state=DagRun.state,
            last_run_state=DagRun.state,
            start_date=DagRun.start_date,
            last_run_start_date=DagRun.start_date,
        )
        conditions += _last_run_conditions(dag_filter)
    return query.where(*conditions), columns


def _dag_conditions(f: DagFilter) -> list[ColumnElement[bool]]:
    out: list[ColumnElement[bool]] = []
    if f.exclude_stale:
        out.append(DagModel.is_stale.is_(False))
    if f.paused is not None:
        out.append(DagModel.is_paused.is_(f.paused))
    if f.has_import_errors is not None:
        out.append(DagModel.has_import_errors.is_(f.has_import_errors))
    if f.tags:
        matches = [has_tag(tag) for tag in f.tags]
        out.append(and_(*matches) if f.match_all_tags else or_(*matches))
    if f.owners:
        out.append(or_(*(_has_owner(owner) for owner in f.owners)))
    out += text_patterns.conditions(DagModel.dag_id, f.dag_id_pattern, f.dag_id_prefix)
    if f.has_asset_schedule is not None:
        out.append(_asset_scheduled() if f.has_asset_schedule else ~_asset_scheduled())
    if f.asset_dependency:
        out.append(_depends_on_asset(f.asset_dependency))
    return out


def _last_run_conditions(f: DagFilter) -> list[ColumnElement[bool]]:
    out: list[ColumnElement[bool]] = [
        DagRun.state.in_(list(states)) for states in f.last_run_states
    ]
    out += f.last_run_start.conditions(DagRun.start_date)
    out += f.last_run_end.conditions(DagRun.end_date)
    return out


def _has_owner(owner: str) -> ColumnElement[bool]:
    """`owners` holds this owner: it is stored as `a, b`, matched as `,a,b,` contains `,a,`."""
    listed = literal(",", String) + func.replace(DagModel.owners, ", ", ",", type_=String) + ","
    return listed.contains(f",{owner.strip()},", autoescape=True)


def _asset_scheduled() -> ColumnElement[bool]:
    expression = DagModel.asset_expression
    return and_(expression.is_not(None), cast(expression, Text) != "null")


def _depends_on_asset(text: str) -> ColumnElement[bool]:
    needle = f"%{text}%"
    scheduled_on = (
        select(DagScheduleAssetReference.dag_id)
        .join(Asset, Asset.id == DagScheduleAssetReference.asset_id)
        .where(or_(Asset.name.ilike(needle), Asset.uri.ilike(needle)))
    )
    return DagModel.dag_id.in_(scheduled_on)

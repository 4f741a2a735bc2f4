"""XCom entries as people browse and edit them (the REST API), beside what tasks push and pull
(`xcoms.xcom_set` / `xcom_get`).

Values stay in their stored form, JSON text: tasks write it with `runtime.xcom.encode`, and an
entry created here is the JSON of the value the caller sent, so a task pulls back that value.
Each entry comes with its run's `logical_date` and `run_after`, read in the same query.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, null, select, update
from sqlalchemy.orm import Session

from slipstream.db.models import DagRun, XCom
from slipstream.db.store import text_patterns
from slipstream.db.store.paging import Page, paged, total_of
from slipstream.db.store.ranges import Bounds

__all__ = [
    "ANY",
    "TimeRange",
    "XCOM_COLUMNS",
    "XComEntry",
    "XComFilter",
    "create_entry",
    "get_entry",
    "page_entries",
    "update_value",
]

TimeRange = Bounds
"""Bounds on a run's logical date or `run_after` (the name the XCom listing's callers use)."""

ANY = "~"
"""In place of a DAG, run or task id: every one."""

XCOM_COLUMNS: dict[str, Any] = {
    "key": XCom.key,
    "dag_id": XCom.dag_id,
    "run_id": XCom.run_id,
    "task_id": XCom.task_id,
    "map_index": XCom.map_index,
    "timestamp": XCom.timestamp,
    "run_after": DagRun.run_after,
}
"""The fields the API may order entries by, with their columns."""


@dataclass(frozen=True)
class XComEntry:
    dag_id: str
    run_id: str
    task_id: str
    map_index: int
    key: str
    value: str | None
    """The stored JSON text."""
    timestamp: dt.datetime
    logical_date: dt.datetime | None
    run_after: dt.datetime


@dataclass(frozen=True)
class XComFilter:
    """What `GET .../xcomEntries` may filter on. Ids may be `ANY`; time ranges are
    `(lower, lower inclusive?, upper, upper inclusive?)` bounds, each optional."""

    dag_id: str = ANY
    run_id: str = ANY
    task_id: str = ANY
    key: str | None = None
    map_index: int | None = None
    patterns: Mapping[str, str | None] = field(default_factory=dict)
    """`{field: pattern}` for key, dag_id, run_id and task_id (substring, `text_patterns`)."""
    prefixes: Mapping[str, str | None] = field(default_factory=dict)
    """`{field: prefix pattern}` for the same fields."""
    logical_date: TimeRange | None = None
    run_after: TimeRange | None = None


_PATTERN_COLUMNS = {
    "key": XCom.key,
    "dag_id": XCom.dag_id,
    "run_id": XCom.run_id,
    "task_id": XCom.task_id,
}


def page_entries(session: Session, where: XComFilter, page: Page) -> tuple[list[XComEntry], int]:
    """One page of the entries matching `where` (without their values), and how many match."""
    query = _entries().where(*_conditions(where))
    rows = session.execute(paged(query, page, XCOM_COLUMNS, tiebreak=XCom.id))
    return [_entry(row) for row in rows], total_of(query, session)


def get_entry(
    session: Session, dag_id: str, run_id: str, task_id: str, key: str, map_index: int = -1
) -> XComEntry | None:
    """One entry with its value, or None."""
    row = session.execute(
        _entries(with_value=True).where(
            XCom.dag_id == dag_id,
            XCom.run_id == run_id,
            XCom.task_id == task_id,
            XCom.map_index == map_index,
            XCom.key == key,
        )
    ).one_or_none()
    return None if row is None else _entry(row)


def create_entry(
    session: Session,
    run: DagRun,
    task_id: str,
    key: str,
    value: Any,
    *,
    map_index: int = -1,
    now: dt.datetime,
) -> XComEntry:
    """Store a new entry holding `value` (any JSON value) for a task of `run`.

    A taken (run, task, map index, key) raises `IntegrityError` at the insert (a conflict).
    """
    row = XCom(
        dag_run_id=run.id,
        dag_id=run.dag_id,
        run_id=run.run_id,
        task_id=task_id,
        map_index=map_index,
        key=key,
        value=json.dumps(value),
        timestamp=now,
    )
    session.add(row)
    session.flush()
    found = get_entry(session, run.dag_id, run.run_id, task_id, key, map_index)
    assert found is not None
    return found


def update_value(
    session: Session,
    dag_id: str,
    run_id: str,
    task_id: str,
    key: str,
    value: Any,
    *,
    map_index: int = -1,
) -> XComEntry | None:
    """Replace the value of an existing entry (its timestamp stays, as in Airflow); None when
    there is no such entry."""
    changed = session.execute(
        update(XCom)
        .where(
            XCom.dag_id == dag_id,
            XCom.run_id == run_id,
            XCom.task_id == task_id,
            XCom.map_index == map_index,
            XCom.key == key,
        )
        .values(value=json.dumps(value))
        .returning(XCom.id)
    ).first()
    if changed is None:
        return None
    return get_entry(session, dag_id, run_id, task_id, key, map_index)


def _entries(*, with_value: bool = False) -> Select[*tuple[Any, ...]]:
    value = XCom.value if with_value else null().label("value")
    return select(
        XCom.dag_id,
        XCom.run_id,
        XCom.task_id,
        XCom.map_index,
        XCom.key,
        value,
        XCom.timestamp,
        DagRun.logical_date,
        DagRun.run_after,
    ).join(DagRun, DagRun.id == XCom.dag_run_id)


def _entry(row: Any) -> XComEntry:
    return XComEntry(
        dag_id=row.dag_id,
        run_id=row.run_id,
        task_id=row.task_id,
        map_index=row.map_index,
        key=row.key,
        value=row.value,
        timestamp=row.timestamp,
        logical_date=row.logical_date,
        run_after=row.run_after,
    )


def _conditions(where: XComFilter) -> list[Any]:
    conditions: list[Any] = [
        column == value
        for column, value in (
            (XCom.dag_id, where.dag_id),
            (XCom.run_id, where.run_id),
            (XCom.task_id, where.task_id),
        )
        if value != ANY
    ]
    if where.key is not None:
        conditions.append(XCom.key == where.key)
    if where.map_index is not None:
        conditions.append(XCom.map_index == where.map_index)
    conditions += text_patterns.field_conditions(_PATTERN_COLUMNS, where.patterns, where.prefixes)
    for column, bounds in (
        (DagRun.logical_date, where.logical_date),
        (DagRun.run_after, where.run_after),
    ):
        if bounds is not None:
            conditions += bounds.conditions(column)
    return conditions

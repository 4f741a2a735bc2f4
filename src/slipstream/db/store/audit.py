"""The audit log: who did what and when (Airflow's `log` table, its API's event logs).

Everything users change through the CLI or the API records an event here, in the same
transaction as the change, so a change and its record stand or fall together.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import Select, insert, select
from sqlalchemy.orm import Session

from slipstream.db.models import Log
from slipstream.db.store import text_patterns
from slipstream.db.store.paging import Page, paged, total_of

__all__ = ["AuditEvent", "EventFilter", "get_event", "list_events", "page_events", "record"]

EVENT_LENGTH = 60


@dataclass(frozen=True)
class AuditEvent:
    """One event, with the field names of Airflow's event log API object."""

    event_log_id: int
    when: dt.datetime
    event: str
    owner: str | None
    dag_id: str | None
    task_id: str | None
    run_id: str | None
    map_index: int | None
    try_number: int | None
    logical_date: dt.datetime | None
    extra: str | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def record(
    session: Session,
    event: str,
    *,
    owner: str | None = None,
    dag_id: str | None = None,
    task_id: str | None = None,
    run_id: str | None = None,
    map_index: int | None = None,
    try_number: int | None = None,
    logical_date: dt.datetime | None = None,
    extra: str | Mapping[str, Any] | None = None,
    when: dt.datetime | None = None,
) -> None:
    """Add an event. `extra` may be a string or a JSON-able mapping (stored as JSON);
    `when` defaults to now. Event names longer than 60 characters are refused."""
    if not event or len(event) > EVENT_LENGTH:
        raise ValueError(f"audit event name must have 1 to {EVENT_LENGTH} characters: {event!r}")
    if extra is not None and not isinstance(extra, str):
        extra = json.dumps(dict(extra), default=str, sort_keys=True)
    session.execute(
        insert(Log).values(
            dttm=when or dt.datetime.now(dt.UTC),
            event=event,
            owner=owner,
            dag_id=dag_id,
            task_id=task_id,
            run_id=run_id,
            map_index=map_index,
            try_number=try_number,
            logical_date=logical_date,
            extra=extra,
        )
    )


def list_events(
    session: Session,
    *,
    events: Sequence[str] | None = None,
    excluded_events: Sequence[str] | None = None,
    owner: str | None = None,
    dag_id: str | None = None,
    task_id: str | None = None,
    run_id: str | None = None,
    after: dt.datetime | None = None,
    before: dt.datetime | None = None,
    limit: int | None = 100,
    offset: int = 0,
    newest_first: bool = True,
) -> list[AuditEvent]:
    """Events matching every filter given, newest first unless `newest_first` is False.

    `events` keeps only those names, `excluded_events` drops those; `after`/`before` bound the
    time (inclusive/exclusive); `limit=None` returns all.
    """
    query = select(Log)
    if events is not None:
        query = query.where(Log.event.in_(list(events)))
    if excluded_events:
        query = query.where(Log.event.not_in(list(excluded_events)))
    for column, value in (
        (Log.owner, owner),
        (Log.dag_id, dag_id),
        (Log.task_id, task_id),
        (Log.run_id, run_id),
    ):
        if value is not None:
            query = query.where(column == value)
    if after is not None:
        query = query.where(Log.dttm >= after)
    if before is not None:
        query = query.where(Log.dttm < before)
    order = (Log.dttm.desc(), Log.id.desc()) if newest_first else (Log.dttm, Log.id)
    query = query.order_by(*order).offset(offset).limit(limit)
    return [_event(row) for row in session.scalars(query)]


def _event(row: Log) -> AuditEvent:
    return AuditEvent(
        event_log_id=row.id,
        when=row.dttm,
        event=row.event,
        owner=row.owner,
        dag_id=row.dag_id,
        task_id=row.task_id,
        run_id=row.run_id,
        map_index=row.map_index,
        try_number=row.try_number,
        logical_date=row.logical_date,
        extra=row.extra,
    )


# --- the API's event logs ----------------------------------------------------------------------


@dataclass(frozen=True)
class EventFilter:
    """What `GET /eventLogs` may filter on: exact values, event names kept or dropped, a time
    window (both bounds exclusive, as Airflow's `after`/`before`) and text patterns
    (`*_pattern` substrings, `*_prefix_pattern` prefixes; see `text_patterns`)."""

    dag_id: str | None = None
    task_id: str | None = None
    run_id: str | None = None
    map_index: int | None = None
    try_number: int | None = None
    owner: str | None = None
    event: str | None = None
    included_events: Sequence[str] | None = None
    excluded_events: Sequence[str] | None = None
    after: dt.datetime | None = None
    before: dt.datetime | None = None
    patterns: Mapping[str, str | None] = field(default_factory=dict)
    """`{field: pattern}` for dag_id, task_id, run_id, owner and event."""
    prefixes: Mapping[str, str | None] = field(default_factory=dict)
    """`{field: prefix pattern}` for the same fields."""


EVENT_COLUMNS: dict[str, Any] = {
    "id": Log.id,
    "event_log_id": Log.id,
    "dttm": Log.dttm,
    "when": Log.dttm,
    "dag_id": Log.dag_id,
    "task_id": Log.task_id,
    "run_id": Log.run_id,
    "event": Log.event,
    "logical_date": Log.logical_date,
    "owner": Log.owner,
    "owner_display_name": Log.owner_display_name,
    "extra": Log.extra,
}
"""The fields the API may order events by, with their columns."""

_PATTERN_COLUMNS = {
    "dag_id": Log.dag_id,
    "task_id": Log.task_id,
    "run_id": Log.run_id,
    "owner": Log.owner,
    "event": Log.event,
}


def page_events(session: Session, where: EventFilter, page: Page) -> tuple[list[AuditEvent], int]:
    """One page of the events matching `where`, and how many match in all."""
    query: Select[Any] = select(Log).where(*_conditions(where))
    rows = session.scalars(paged(query, page, EVENT_COLUMNS, tiebreak=Log.id))
    return [_event(row) for row in rows], total_of(query, session)


def get_event(session: Session, event_log_id: int) -> AuditEvent | None:
    row = session.get(Log, event_log_id)
    return None if row is None else _event(row)


def _conditions(where: EventFilter) -> list[Any]:
    conditions: list[Any] = [
        column == value
        for column, value in (
            (Log.dag_id, where.dag_id),
            (Log.task_id, where.task_id),
            (Log.run_id, where.run_id),
            (Log.map_index, where.map_index),
            (Log.try_number, where.try_number),
            (Log.owner, where.owner),
            (Log.event, where.event),
        )
        if value is not None
    ]
    if where.included_events is not None:
        conditions.append(Log.event.in_(list(where.included_events)))
    if where.excluded_events:
        conditions.append(Log.event.not_in(list(where.excluded_events)))
    if where.after is not None:
        conditions.append(Log.dttm > where.after)
    if where.before is not None:
        conditions.append(Log.dttm < where.before)
    conditions += text_patterns.field_conditions(_PATTERN_COLUMNS, where.patterns, where.prefixes)
    return conditions

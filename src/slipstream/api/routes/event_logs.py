"""`/eventLogs`: reading the audit log (tag "Event Log"). Every change made through the API or
the CLI is recorded there; these routes only read it."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import HTTPException, Query, Request, status

from slipstream.api.deps import ReadSession
from slipstream.api.errors import documented
from slipstream.api.pagination import LimitParam, OffsetParam, OrderByParam, page_of
from slipstream.api.params import IntPath, IntQuery, StrListQuery, utc
from slipstream.api.routing import api_router
from slipstream.api.schemas.event_logs import EventLogCollectionResponse, EventLogResponse
from slipstream.api.security import DagUser
from slipstream.db.store import audit

router = api_router(prefix="/eventLogs", tags=["Event Log"])

Text = Annotated[str | None, Query()]

PATTERN_FIELDS = ("dag_id", "task_id", "run_id", "owner", "event")


@router.get("", response_model=EventLogCollectionResponse, responses=documented(400))
def get_event_logs(
    request: Request,
    session: ReadSession,
    user: DagUser,
    limit: LimitParam = None,
    offset: OffsetParam = 0,
    order_by: OrderByParam = None,
    dag_id: Text = None,
    task_id: Text = None,
    run_id: Text = None,
    map_index: IntQuery = None,
    try_number: IntQuery = None,
    owner: Text = None,
    event: Text = None,
    excluded_events: StrListQuery = None,
    included_events: StrListQuery = None,
    before: Annotated[dt.datetime | None, Query()] = None,
    after: Annotated[dt.datetime | None, Query()] = None,
    dag_id_pattern: Text = None,
    task_id_pattern: Text = None,
    run_id_pattern: Text = None,
    owner_pattern: Text = None,
    event_pattern: Text = None,
    dag_id_prefix_pattern: Text = None,
    task_id_prefix_pattern: Text = None,
    run_id_prefix_pattern: Text = None,
    owner_prefix_pattern: Text = None,
    event_prefix_pattern: Text = None,
) -> EventLogCollectionResponse:
    """Audit events matching every filter given, by `order_by` (default: oldest first)."""
    page = page_of(request, limit, offset, order_by, allowed=audit.EVENT_COLUMNS, default="id")
    patterns = dict(
        zip(
            PATTERN_FIELDS,
            (dag_id_pattern, task_id_pattern, run_id_pattern, owner_pattern, event_pattern),
        )
    )
    prefixes = dict(
        zip(
            PATTERN_FIELDS,
            (
                dag_id_prefix_pattern,
                task_id_prefix_pattern,
                run_id_prefix_pattern,
                owner_prefix_pattern,
                event_prefix_pattern,
            ),
        )
    )
    where = audit.EventFilter(
        dag_id=dag_id,
        task_id=task_id,
        run_id=run_id,
        map_index=map_index,
        try_number=try_number,
        owner=owner,
        event=event,
        included_events=included_events,
        excluded_events=excluded_events,
        after=utc(after),
        before=utc(before),
        patterns=patterns,
        prefixes=prefixes,
    )
    events, total = audit.page_events(session, where, page)
    return EventLogCollectionResponse(
        event_logs=[EventLogResponse.of(e) for e in events], total_entries=total
    )


@router.get("/{event_log_id}", response_model=EventLogResponse, responses=documented(404))
def get_event_log(event_log_id: IntPath, session: ReadSession, user: DagUser) -> EventLogResponse:
    event = audit.get_event(session, event_log_id)
    if event is None:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, f"The Event Log with id: `{event_log_id}` not found"
        )
    return EventLogResponse.of(event)

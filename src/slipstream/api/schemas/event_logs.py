"""Event logs (the audit log) as Airflow's API shows them."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel

from slipstream.db.store.audit import AuditEvent


class EventLogResponse(BaseModel):
    event_log_id: int
    when: dt.datetime
    dag_id: str | None = None
    task_id: str | None = None
    run_id: str | None = None
    map_index: int | None = None
    try_number: int | None = None
    event: str
    logical_date: dt.datetime | None = None
    owner: str | None = None
    extra: str | None = None
    dag_display_name: str | None = None
    task_display_name: str | None = None

    @classmethod
    def of(cls, event: AuditEvent) -> EventLogResponse:
        """Display names are the ids: Slipstream keeps no separate display names."""
        return cls(
            **event.to_dict(), dag_display_name=event.dag_id, task_display_name=event.task_id
        )


class EventLogCollectionResponse(BaseModel):
    event_logs: list[EventLogResponse]
    total_entries: int

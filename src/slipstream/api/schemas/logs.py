"""Task logs as Airflow 3's API returns them: structured log messages, and a continuation token
while the try may still write."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict


class StructuredLogMessage(BaseModel):
    """One log message: `event` is its text; `timestamp`, `level` and others when known."""

    model_config = ConfigDict(extra="allow")

    timestamp: dt.datetime | None = None
    event: str


class TaskInstancesLogResponse(BaseModel):
    content: list[StructuredLogMessage] | list[str]
    continuation_token: str | None = None

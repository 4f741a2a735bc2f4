"""Shapes of `GET /api/v2/monitor/health` and `GET /api/v2/version` (Airflow's
`HealthInfoResponse` and `VersionInfo`)."""

from __future__ import annotations

from pydantic import BaseModel

HEALTHY = "healthy"
UNHEALTHY = "unhealthy"


class BaseInfoResponse(BaseModel):
    """A component's status: `healthy`, `unhealthy`, or null when none is deployed."""

    status: str | None = None


class SchedulerInfoResponse(BaseInfoResponse):
    latest_scheduler_heartbeat: str | None = None


class TriggererInfoResponse(BaseInfoResponse):
    latest_triggerer_heartbeat: str | None = None


class DagProcessorInfoResponse(BaseInfoResponse):
    latest_dag_processor_heartbeat: str | None = None


class HealthInfoResponse(BaseModel):
    metadatabase: BaseInfoResponse
    scheduler: SchedulerInfoResponse
    triggerer: TriggererInfoResponse
    dag_processor: DagProcessorInfoResponse | None = None


class VersionInfo(BaseModel):
    version: str
    git_version: str | None = None

"""`GET /api/v2/monitor/health`: whether the metadata database and the components that write
heartbeats (scheduler, DAG processor) are up. It needs no login, so load balancers and
monitoring can call it.

A component is healthy when one of its kind is running and its last heartbeat is at most
`[scheduler] scheduler_health_check_threshold` seconds old; its status is null when none was ever
started (Airflow's answer for an optional component that is not deployed). Slipstream has no
triggerer (it does not run deferrable tasks), so the triggerer is always reported that way.
The answer is 200 even when the database cannot be reached: the body says it is unhealthy.
"""

from __future__ import annotations

import datetime as dt
import logging

from fastapi import Request
from sqlalchemy.exc import SQLAlchemyError

from slipstream.api.deps import Db
from slipstream.api.routing import api_router
from slipstream.api.schemas.monitor import (
    HEALTHY,
    UNHEALTHY,
    BaseInfoResponse,
    DagProcessorInfoResponse,
    HealthInfoResponse,
    SchedulerInfoResponse,
    TriggererInfoResponse,
)
from slipstream.config import Config
from slipstream.core.exceptions import AirflowConfigException
from slipstream.db.store import jobs
from slipstream.db.store.jobs import JobInfo

log = logging.getLogger(__name__)

router = api_router(tags=["Monitor"])

DEFAULT_THRESHOLD = 30.0


@router.get("/monitor/health")
def get_health(request: Request, db: Db) -> HealthInfoResponse:
    """The health of the metadata database, the scheduler, the triggerer and the DAG
    processor, with their latest heartbeats."""
    threshold = _threshold(request.app.state.config)
    try:
        with db.session() as session:
            scheduler = jobs.most_recent(session, jobs.SCHEDULER_JOB_TYPE)
            processor = jobs.most_recent(session, jobs.DAG_PROCESSOR_JOB_TYPE)
    except SQLAlchemyError as err:
        log.warning("Health check: the metadata database cannot be read: %s", err)
        return _database_down()
    now = dt.datetime.now(dt.UTC)
    return HealthInfoResponse(
        metadatabase=BaseInfoResponse(status=HEALTHY),
        scheduler=SchedulerInfoResponse(
            status=_status(scheduler, threshold, now) or UNHEALTHY,
            latest_scheduler_heartbeat=_heartbeat(scheduler),
        ),
        triggerer=TriggererInfoResponse(status=None, latest_triggerer_heartbeat=None),
        dag_processor=DagProcessorInfoResponse(
            status=_status(processor, threshold, now),
            latest_dag_processor_heartbeat=_heartbeat(processor),
        ),
    )


def _threshold(config: Config) -> dt.timedelta:
    try:
        seconds = config.getfloat(
            "scheduler", "scheduler_health_check_threshold", fallback=DEFAULT_THRESHOLD
        )
    except (ValueError, AirflowConfigException):
        seconds = DEFAULT_THRESHOLD  # the scheduler reports a broken setting; health still answers
    return dt.timedelta(seconds=seconds)


def _status(job: JobInfo | None, threshold: dt.timedelta, now: dt.datetime) -> str | None:
    """healthy / unhealthy, or None when no such component ever ran."""
    if job is None:
        return None
    alive = job.state == jobs.RUNNING and now - job.latest_heartbeat <= threshold
    return HEALTHY if alive else UNHEALTHY


def _heartbeat(job: JobInfo | None) -> str | None:
    return None if job is None else job.latest_heartbeat.isoformat()


def _database_down() -> HealthInfoResponse:
    return HealthInfoResponse(
        metadatabase=BaseInfoResponse(status=UNHEALTHY),
        scheduler=SchedulerInfoResponse(status=UNHEALTHY),
        triggerer=TriggererInfoResponse(status=None),
        dag_processor=DagProcessorInfoResponse(status=UNHEALTHY),
    )

"""Component heartbeats: each scheduler, DAG processor or worker registers a job row and bumps
its heartbeat while it lives, so others (health checks, a scheduler adopting work) can tell
which components are alive.

A scheduler also records where it listens for wake-up hints (`wake_address`):
`wake_schedulers` sends the hint to the live ones on this machine after a change they should
act on at once (the CLI, the API and the scheduler meet only through the database).

Times default to now (UTC); pass `now` to test with a fixed clock.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from slipstream.core.wake import send_wakes
from slipstream.db.models import Job

if TYPE_CHECKING:
    from slipstream.db.engine import Database

__all__ = [
    "DAG_PROCESSOR_JOB_TYPE",
    "RUNNING",
    "SCHEDULER_JOB_TYPE",
    "JobInfo",
    "alive",
    "get_job",
    "heartbeat",
    "latest",
    "mark_ended",
    "most_recent",
    "register",
    "wake_addresses",
    "wake_schedulers",
]

log = logging.getLogger("slipstream.db")

RUNNING = "running"
ENDED_STATES = ("success", "failed", "killed")

SCHEDULER_JOB_TYPE = "scheduler"
DAG_PROCESSOR_JOB_TYPE = "DagProcessorJob"
WAKE_GRACE_SEC = 60.0
"""A scheduler whose heartbeat is older than this is not sent wake-ups."""


@dataclass(frozen=True)
class JobInfo:
    id: int
    job_type: str
    state: str
    hostname: str | None
    pid: int | None
    start_date: dt.datetime
    end_date: dt.datetime | None
    latest_heartbeat: dt.datetime
    wake_address: str | None = None


def register(
    session: Session,
    job_type: str,
    *,
    hostname: str | None = None,
    pid: int | None = None,
    now: dt.datetime | None = None,
    wake_address: str | None = None,
) -> int:
    """Record a running component of `job_type` and return its job id. The host name and pid
    default to this process's; `wake_address` is where it listens for "look now" hints."""
    now = now or _now()
    result = session.execute(
        insert(Job)
        .values(
            job_type=job_type,
            state=RUNNING,
            hostname=hostname if hostname is not None else socket.gethostname(),
            pid=pid if pid is not None else os.getpid(),
            start_date=now,
            latest_heartbeat=now,
            wake_address=wake_address,
        )
        .returning(Job.id)
    )
    return int(result.scalar_one())


def heartbeat(session: Session, job_id: int, *, now: dt.datetime | None = None) -> bool:
    """Bump the job's heartbeat. False when the job is no longer running (someone marked it
    ended), which tells the component to stop."""
    result = session.execute(
        update(Job)
        .where(Job.id == job_id, Job.state == RUNNING)
        .values(latest_heartbeat=now or _now())
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def mark_ended(
    session: Session, job_id: int, *, state: str = "success", now: dt.datetime | None = None
) -> None:
    """Mark the job ended with `state` (success, failed or killed)."""
    if state not in ENDED_STATES:
        raise ValueError(f"a job ends as one of {ENDED_STATES}, not {state!r}")
    session.execute(update(Job).where(Job.id == job_id).values(state=state, end_date=now or _now()))


def alive(
    session: Session,
    job_type: str,
    grace: dt.timedelta | float,
    *,
    now: dt.datetime | None = None,
) -> list[JobInfo]:
    """Running jobs of `job_type` whose last heartbeat is at most `grace` (seconds or a
    timedelta) old, newest heartbeat first."""
    if not isinstance(grace, dt.timedelta):
        grace = dt.timedelta(seconds=grace)
    since = (now or _now()) - grace
    query = (
        select(Job)
        .where(Job.job_type == job_type, Job.state == RUNNING, Job.latest_heartbeat >= since)
        .order_by(Job.latest_heartbeat.desc(), Job.id.desc())
    )
    return [_info(job) for job in session.scalars(query)]


def latest(session: Session, job_type: str) -> JobInfo | None:
    """The job of `job_type` with the newest heartbeat, running or not (health reports)."""
    query = (
        select(Job)
        .where(Job.job_type == job_type)
        .order_by(Job.latest_heartbeat.desc(), Job.id.desc())
        .limit(1)
    )
    job = session.scalars(query).first()
    return None if job is None else _info(job)


def most_recent(session: Session, job_type: str) -> JobInfo | None:
    """The job of `job_type` that tells best whether such a component is up: a running one
    with the newest heartbeat, else (none running) the one that ended last. For health reports:
    another component of the type that stopped cleanly must not hide a live one."""
    query = (
        select(Job)
        .where(Job.job_type == job_type)
        .order_by((Job.state == RUNNING).desc(), Job.latest_heartbeat.desc(), Job.id.desc())
        .limit(1)
    )
    job = session.scalars(query).first()
    return None if job is None else _info(job)


def wake_addresses(
    session: Session,
    job_type: str,
    grace: dt.timedelta | float,
    *,
    hostname: str | None = None,
    now: dt.datetime | None = None,
) -> list[str]:
    """Where the jobs of `job_type` on `hostname` (default: this host) that are `alive` listen
    for wake-ups, sorted, each once."""
    host = hostname if hostname is not None else socket.gethostname()
    live = alive(session, job_type, grace, now=now)
    return sorted({job.wake_address for job in live if job.wake_address and job.hostname == host})


def wake_schedulers(db: Database, *, grace: float = WAKE_GRACE_SEC) -> int:
    """After a commit, ask each scheduler on this host that heartbeated within `grace` seconds
    to look at the database now (`core.wake`); returns how many were reached. Never raises:
    waking is best effort."""
    try:
        with db.session() as session:
            addresses = wake_addresses(session, SCHEDULER_JOB_TYPE, grace)
    except Exception:
        log.debug("Could not look up schedulers to wake", exc_info=True)
        return 0
    return send_wakes(addresses)


def get_job(session: Session, job_id: int) -> JobInfo | None:
    job = session.get(Job, job_id)
    return None if job is None else _info(job)


def _info(job: Job) -> JobInfo:
    return JobInfo(
        id=job.id,
        job_type=job.job_type,
        state=job.state,
        hostname=job.hostname,
        pid=job.pid,
        start_date=job.start_date,
        end_date=job.end_date,
        latest_heartbeat=job.latest_heartbeat,
        wake_address=job.wake_address,
    )


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)

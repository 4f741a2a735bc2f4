"""Step 5 of a tick, and the scheduler's start: finding work that was lost and giving it back.

- On start, queued TIs whose queue token belongs to no live scheduler (a killed one) go back to
  scheduled with a new token, so a worker still holding the old workload can no longer claim
  it; running TIs are adopted as they are while their heartbeat is fresh.
- Running TIs whose heartbeat is older than `task_instance_heartbeat_timeout` are failed or
  retried by their policy (`store.stale_tries.reap_stale_running`).
- TIs queued longer than `task_queued_timeout` without a worker claiming them are queued again.
- Every `scheduler_health_check_threshold`, queued TIs of schedulers that stopped heartbeating
  meanwhile go back to scheduled, as on start: a scheduler restarted at once after a `kill -9`
  (when the dead one still counted as alive) takes its queued work over within that threshold,
  not only after `task_queued_timeout`.
- TIs cleared while running (`restarting`) run again once their old try stopped heartbeating.
- Runs past their `dagrun_timeout` are marked for a look (step 2 ends them), and, as a safety
  net for a lost wake-up, running runs not examined for a while are marked too.
- The scheduler's own job heartbeat, which tells other schedulers it is alive.
"""

from __future__ import annotations

import datetime as dt
import weakref
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from slipstream.db.store import jobs, stale_tries, ti_queueing
from slipstream.db.store import runs as run_store
from slipstream.db.store import task_instances as ti_store
from slipstream.db.store.dags import serialized_dag_by_id
from slipstream.scheduler.settings import SchedulerSettings

JOB_TYPE = jobs.SCHEDULER_JOB_TYPE


def adopt_orphans(session: Session, *, job_id: int, now: dt.datetime, grace: float) -> int:
    """Reset queued TIs of dead schedulers (see the module docs); returns how many."""
    live: set[int | str] = {job.id for job in jobs.alive(session, JOB_TYPE, grace, now=now)}
    live.add(job_id)
    return ti_queueing.reset_orphaned_queued(session, live, owner=job_id, now=now)


@dataclass
class HealthReport:
    reaped: list[int] = field(default_factory=list)
    requeued: int = 0
    released: int = 0
    marked_runs: int = 0


class HealthChecks:
    """The periodic checks, each at its own interval of the scheduler's clock."""

    def __init__(self, settings: SchedulerSettings, job_id: int) -> None:
        self.settings = settings
        self.job_id = job_id
        self._last: dict[str, dt.datetime] = {}

    def any_due(self, now: dt.datetime) -> bool:
        """Whether some check is due (else the tick skips this step's transaction)."""
        return bool(self.due(now))

    def due(self, now: dt.datetime) -> set[str]:
        """The names of the checks that are due."""
        s = self.settings
        intervals = {
            "heartbeat": s.heartbeat_sec,
            "ti_heartbeats": s.ti_heartbeat_check_interval,
            "queued": s.queued_timeout_check_interval,
            "orphans": s.health_check_threshold,
            "run_timeouts": s.run_timeout_check_interval,
            "sweep": s.dirty_sweep_interval,
        }
        return {name for name, interval in intervals.items() if self._is_due(name, interval, now)}

    def checked(self, name: str, now: dt.datetime) -> None:
        """Record that `name` ran now outside `run` (it found nothing to write)."""
        self._last[name] = now

    def run(self, session: Session, now: dt.datetime) -> HealthReport:
        s = self.settings
        report = HealthReport()
        if self._due("heartbeat", s.heartbeat_sec, now):
            jobs.heartbeat(session, self.job_id, now=now)
        if self._due("ti_heartbeats", s.ti_heartbeat_check_interval, now):
            older = now - dt.timedelta(seconds=s.ti_heartbeat_timeout)
            report.reaped = stale_tries.reap_stale_running(session, older, now=now)
            stopped = now - dt.timedelta(seconds=3 * s.ti_heartbeat_sec)
            runs = ti_store.release_restarting(session, heartbeat_before=stopped, now=now)
            run_store.mark_runs_dirty(session, runs)
            report.released = len(runs)
        if self._due("queued", s.queued_timeout_check_interval, now):
            before = now - dt.timedelta(seconds=s.queued_timeout)
            report.requeued = ti_queueing.requeue_stuck(
                session, queued_before=before, owner=self.job_id, now=now
            )
        if self._due("orphans", s.health_check_threshold, now):
            grace = s.health_check_threshold
            report.requeued += adopt_orphans(session, job_id=self.job_id, now=now, grace=grace)
        if self._due("run_timeouts", s.run_timeout_check_interval, now):
            report.marked_runs += _mark_timed_out_runs(session, now)
        if self._due("sweep", s.dirty_sweep_interval, now):
            before = now - dt.timedelta(seconds=s.dirty_sweep_interval)
            report.marked_runs += run_store.mark_stale_runs_dirty(session, before)
        return report

    def _is_due(self, name: str, interval: float, now: dt.datetime) -> bool:
        last = self._last.get(name)
        return last is None or (now - last).total_seconds() >= interval

    def _due(self, name: str, interval: float, now: dt.datetime) -> bool:
        if not self._is_due(name, interval, now):
            return False
        self._last[name] = now
        return True


def timed_out_runs(session: Session, now: dt.datetime) -> list[int]:
    """Running runs past their DAG's `dagrun_timeout` (a read: the scheduler looks every second
    and opens a write transaction only when one is found)."""
    due = []
    timeouts = _timeouts_of(session)
    for run_id, serialized_id, start in run_store.running_run_starts(session):
        if serialized_id is None or start is None:
            continue
        if serialized_id not in timeouts:  # once per DAG version: versions never change
            dag = serialized_dag_by_id(session, serialized_id)
            timeouts[serialized_id] = None if dag is None else dag.dagrun_timeout
        timeout = timeouts[serialized_id]
        if timeout and now - start > timeout:
            due.append(run_id)
    return due


# `dagrun_timeout` of each DAG version seen, per database engine. Without it, the every-second
# look deserialized the DAG of every running run, which with 1,000 running runs was most of
# the scheduler's time.
_TIMEOUTS: weakref.WeakKeyDictionary[Any, dict[int, dt.timedelta | None]] = (
    weakref.WeakKeyDictionary()
)


def _timeouts_of(session: Session) -> dict[int, dt.timedelta | None]:
    return _TIMEOUTS.setdefault(session.get_bind(), {})


def _mark_timed_out_runs(session: Session, now: dt.datetime) -> int:
    due = timed_out_runs(session, now)
    run_store.mark_runs_dirty(session, due)
    return len(due)

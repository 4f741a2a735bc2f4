"""The scheduler: a plain object whose `tick()` is one pass of docs/engine-design.md's steps.

    scheduler = Scheduler(db, executor, SystemClock(), config)
    result = scheduler.tick()

Each step is one short write transaction and works in bulk on what changed: runs marked
`needs_scheduling` (a TI of theirs changed), TIs that became due. A tick first asks in one
statement which steps have anything to do (`store.pending`), skips the others, and takes no
write lock when none has. Work handed to the executor
(task workloads, DAG callbacks) leaves only after the transaction that decided it committed, so
a crash in between loses nothing: the DB still says queued, and the next scheduler re-queues it
(see `health`). `loop.run_forever` calls `tick` and waits on the executor's events in between.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from slipstream.core.clock import Clock, SystemClock
from slipstream.core.states import DagRunState
from slipstream.db.engine import Database
from slipstream.db.store import jobs, pending, ti_queueing
from slipstream.db.store import runs as run_store
from slipstream.db.store import task_instances as ti_store
from slipstream.executors.base import BaseExecutor, CallbackWorkload, TaskWorkload
from slipstream.scheduler import health, queueing, run_creation, run_progress, run_views
from slipstream.scheduler.settings import SchedulerSettings, settings_from

log = logging.getLogger("slipstream.scheduler")


@dataclass
class TickResult:
    """What one tick did (counts), and whether another tick should follow at once."""

    events: int = 0
    runs_created: int = 0
    runs_started: int = 0
    runs_examined: int = 0
    runs_finished: int = 0
    tis_retried: int = 0
    tis_scheduled: int = 0
    tis_settled: int = 0
    tis_queued: int = 0
    tis_reset: int = 0
    callbacks: int = 0
    more_work: bool = False
    finished_runs: list[str] = field(default_factory=list)
    next_due: dt.datetime | None = None  # next retry or scheduled run, as of the tick's end
    next_due_known: bool = False

    @property
    def did_work(self) -> bool:
        return any(
            (
                self.runs_created,
                self.runs_started,
                self.runs_finished,
                self.tis_retried,
                self.tis_scheduled,
                self.tis_settled,
                self.tis_queued,
                self.tis_reset,
            )
        )


@dataclass
class _Pass:
    """What the writing steps of one tick decided (filled in step by step)."""

    now: dt.datetime
    open_slots: int
    token: str
    pending: pending.PendingWork = field(default_factory=pending.PendingWork)
    next_due: dt.datetime | None = None
    created: run_creation.Created = field(default_factory=run_creation.Created)
    retried: int = 0
    progress: run_progress.Progress = field(default_factory=run_progress.Progress)
    queued: list[ti_queueing.Candidate] = field(default_factory=list)


class Scheduler:
    """Creates runs, moves them forward and queues their tasks on `executor`.

    `config` is a `slipstream.config.Config`, `SchedulerSettings`, or None for the defaults.
    Nothing happens until `start()` (or the first `tick()`).
    """

    def __init__(
        self,
        db: Database,
        executor: BaseExecutor,
        clock: Clock | None = None,
        config: Any = None,
    ) -> None:
        self.db = db
        self.executor = executor
        self.clock: Clock = clock or SystemClock()
        self.settings: SchedulerSettings = settings_from(config)
        self.job_id: int | None = None
        self._health: health.HealthChecks | None = None
        self.run_views = run_views.RunViews()

    # --- lifecycle --------------------------------------------------------------------------

    def start(self) -> None:
        """Register this scheduler and take over what a dead one left (idempotent)."""
        if self.job_id is not None:
            return
        now = self.clock.now()
        grace = self.settings.health_check_threshold
        address = self.executor.wake_address

        def register(session: Session) -> tuple[int, int]:
            job_id = jobs.register(session, health.JOB_TYPE, now=now, wake_address=address)
            return job_id, health.adopt_orphans(session, job_id=job_id, now=now, grace=grace)

        self.job_id, reset = self.db.run_write(register)
        self._health = health.HealthChecks(self.settings, self.job_id)
        if reset:
            log.info("Queued %d task instance(s) again that a stopped scheduler had queued", reset)

    def stop(self) -> None:
        """Record that this scheduler ended (its queued TIs are then anyone's to reset)."""
        if self.job_id is None:
            return
        job_id, now = self.job_id, self.clock.now()
        self.db.run_write(lambda s: jobs.mark_ended(s, job_id, now=now))
        self.job_id = None
        self._health = None

    # --- one pass ---------------------------------------------------------------------------

    def tick(self) -> TickResult:
        """One pass: executor events, health (lost work given back), then run creation, run
        progress (retries due, decisions, expansion, run state) and queueing, after whose
        commit the queued workloads and DAG callbacks go to the executor."""
        self.start()
        result = TickResult()
        # An event only says "look now": whoever writes a try's outcome (`finish_try`, the
        # reaper, a skip) marks its run for scheduling in the same transaction.
        result.events = len(self.executor.drain_events())
        self.executor.heartbeat()
        # After events there is work for sure: the look then happens in the write transaction.
        look = None if result.events else self._look()
        if self._check_health(result, look or pending.PendingWork()):
            look = None  # the checks wrote: what is pending may have changed
        done = self._write_pass(look)
        self._report(done, result)
        for ti in done.queued:
            self._hand_over(_workload(ti, done.token))
        result.callbacks = self._send_callbacks(done.progress.finished)
        return result

    def _look(self) -> pending.PendingWork:
        """What the steps have to do, in one read (`store.pending`)."""
        with self.db.session() as session:
            return pending.pending_work(session, now=self.clock.now())

    def _write_pass(self, look: pending.PendingWork | None) -> _Pass:
        """The steps that write, each in its own transaction; on SQLite, where write
        transactions run one at a time anyway, all in one (one commit per tick). When the
        look found nothing to do, nothing is written; without a look, the first step looks."""
        now, open_slots = self.clock.now(), self.executor.open_slots
        token = ti_queueing.new_queue_token(self.job_id or 0)
        state = _Pass(now, open_slots, token, pending=look or pending.PendingWork())
        if look is not None and not look.anything(open_slots=open_slots):
            state.next_due = look.next_due
            return state
        steps = [self._step_create, self._step_progress, self._step_queue, self._step_next_due]
        if look is None:
            steps.insert(0, self._step_look)
        if self.db.is_sqlite:

            def all_steps(session: Session) -> _Pass:
                for step in steps:
                    step(session, state)
                return state

            done: _Pass = self.db.run_write(all_steps)
            return done
        for step in steps:
            self.db.run_write(step, state)
        return state

    def _step_look(self, session: Session, state: _Pass) -> None:
        state.pending = pending.pending_work(session, now=state.now)

    def _step_create(self, session: Session, state: _Pass) -> None:
        limit = self.settings.max_dagruns_to_create_per_loop
        state.created = run_creation.create_runs(
            session, now=state.now, limit=limit, pending=state.pending
        )

    def _step_next_due(self, session: Session, state: _Pass) -> None:
        created, progress = state.created, state.progress
        moved = created.scheduled or created.asset_triggered or state.retried or progress.finished
        # Only new runs, retries taken and finished runs (the next run released) move it.
        state.next_due = pending.next_due(session) if moved else state.pending.next_due

    def _step_progress(self, session: Session, state: _Pass) -> None:
        now = state.now
        if state.pending.retries_due:
            state.retried = ti_store.retries_due(session, now=now)
        runs = run_store.runs_to_examine(
            session, limit=self.settings.max_dagruns_per_loop_to_schedule, now=now
        )
        state.progress = run_progress.progress_runs(
            session,
            runs,
            now=now,
            max_map_length=self.settings.max_map_length,
            views=self.run_views,
        )
        finished = state.progress.finished
        if finished:
            run_creation.release_next_runs(session, {f.dag_id for f in finished}, now=now)

    def _step_queue(self, session: Session, state: _Pass) -> None:
        if state.open_slots <= 0:
            state.queued = []
            return
        state.queued = queueing.queue_scheduled(
            session,
            now=state.now,
            open_slots=state.open_slots,
            token=state.token,
            max_tis=self.settings.max_tis_per_query,
            default_pool_slots=self.settings.default_pool_slots,
        )

    def _report(self, done: _Pass, result: TickResult) -> None:
        created, progress = done.created, done.progress
        result.runs_created = len(created.scheduled) + len(created.asset_triggered)
        result.runs_started = len(created.started)
        result.tis_retried = done.retried
        result.runs_examined = progress.examined
        result.runs_finished = len(progress.finished)
        result.tis_scheduled = progress.scheduled
        result.tis_settled = progress.settled
        result.tis_queued = len(done.queued)
        result.finished_runs = [f.run_id for f in progress.finished]
        result.next_due, result.next_due_known = done.next_due, True
        result.more_work = (
            len(created.scheduled) >= self.settings.max_dagruns_to_create_per_loop
            or progress.examined >= self.settings.max_dagruns_per_loop_to_schedule
        )

    def _check_health(self, result: TickResult, look: pending.PendingWork) -> bool:
        """Run the checks that are due; True when they changed task instances or runs."""
        checks, now = self._health, self.clock.now()
        if checks is None:
            return False
        due = checks.due(now)
        # Checks with nothing to look at (no running run, no running try) are skipped.
        idle = {"run_timeouts": not look.runs_running, "ti_heartbeats": not look.tis_running}
        for name in [name for name in due if idle.get(name)]:
            checks.checked(name, now)
            due.discard(name)
        if not due:
            return False
        if due == {"run_timeouts"}:  # the every-second look: a write only for a timed-out run
            with self.db.session() as session:
                if not health.timed_out_runs(session, now):
                    checks.checked("run_timeouts", now)
                    return False
        report: health.HealthReport = self.db.run_write(lambda s: checks.run(s, now))
        result.tis_reset = len(report.reaped) + report.requeued + report.released
        if report.reaped:
            log.warning(
                "Task instance(s) %s stopped heartbeating: failed or retried", report.reaped
            )
        if report.requeued:
            log.warning("Queued %d task instance(s) again: no worker claimed them", report.requeued)
        return bool(report.reaped or report.requeued or report.released or report.marked_runs)

    # --- handing work to the executor -------------------------------------------------------

    def _hand_over(self, workload: TaskWorkload) -> None:
        try:
            self.executor.queue_workload(workload)
        except Exception:  # the TI stays queued; the queued timeout gives it back
            log.exception("The executor refused task instance %s", workload.ti_id)

    def _send_callbacks(self, finished: list[run_progress.FinishedRun]) -> int:
        sent = 0
        for run in finished:
            workload = _callback(run)
            if workload is None:
                continue
            try:
                self.executor.queue_callback(workload)
                sent += 1
            except Exception:
                log.exception("Could not hand over the %s of DAG %s", workload.kind, run.dag_id)
        return sent

    # --- waiting ----------------------------------------------------------------------------

    def idle_timeout(self, result: TickResult) -> float:
        """How long the loop may wait for an event before the next tick: 0 when work remains,
        else until the next retry or scheduled run is due, at most `scheduler_idle_sleep_time`."""
        if result.more_work:
            return 0.0
        idle = self.settings.idle_sleep
        if result.next_due_known:
            upcoming = [] if result.next_due is None else [result.next_due]
        else:
            with self.db.session() as session:
                due = [ti_store.next_try_due(session), run_store.next_creation_due(session)]
            upcoming = [d for d in due if d is not None]
        if not upcoming:
            return idle
        wait = (min(upcoming) - self.clock.now()).total_seconds()
        return max(0.0, min(idle, wait))


def _workload(ti: ti_queueing.Candidate, token: str) -> TaskWorkload:
    return TaskWorkload(
        ti_id=ti.id,
        dag_id=ti.dag_id,
        run_id=ti.run_id,
        task_id=ti.task_id,
        map_index=ti.map_index,
        try_number=ti.try_number,
        queue_token=token,
        fileloc=ti.fileloc,
        serialized_dag_id=ti.serialized_dag_id,
        pool=ti.pool,
        queue=ti.queue,
        priority_weight=ti.priority_weight,
    )


def _callback(run: run_progress.FinishedRun) -> CallbackWorkload | None:
    """The DAG-level callback of a finished run, if its DAG defines one."""
    dag = run.dag
    if dag is None:
        return None
    success = run.state is DagRunState.SUCCESS
    if not (dag.has_on_success_callback if success else dag.has_on_failure_callback):
        return None
    kind = "on_success_callback" if success else "on_failure_callback"
    return CallbackWorkload(run.dag_id, run.run_id, dag.fileloc, kind, run.reason)

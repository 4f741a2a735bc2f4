"""The SQL of running task tries: what a supervisor reads and writes for the try it runs (claim,
heartbeat, end, and what its task asks about the run), and what an executor checks of the tries
it handed out.

Every state write is conditioned, so a try starts and ends at most once (docs/engine-design.md):
`claim_try` moves a TI from `queued` to `running` only while it still holds the workload's try
number and queue token; `heartbeat` and `finish_try` (like `stale_tries.reap_stale_running`)
change it only while it is `running` with the same try number. Functions take a `Session` and
never commit: run the writes in `db.begin()` (or `db.run_write`), the reads anywhere.

A try's neighbours live in their own modules: its XComs (`xcoms`), the asset events it emits
(`asset_events`) and its record in the history (`try_history`).

Times are timezone-aware UTC datetimes; `now` defaults to the current time.

The statements of every try (claim, heartbeat, finish) are built once per process with bound
parameters (`_statements`): building SQLAlchemy expressions anew cost more CPU than running them.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import bindparam, delete, func, insert, or_, select, update
from sqlalchemy.orm import Session

from slipstream.core.states import TaskInstanceState
from slipstream.db.models import DagRun, TaskInstance, TaskReschedule, XCom
from slipstream.db.store._sql import rowcount
from slipstream.db.store.asset_events import AssetEventRecord, record_asset_events
from slipstream.db.store.try_history import history_row, mark_runs, record_history
from slipstream.db.store.xcoms import xcom_get, xcom_get_mapped, xcom_set

__all__ = [
    "AssetEventRecord", "ClaimRefused", "ClaimedTry", "InFlightStatus", "TryResult",
    "claim_try", "dag_run_state", "finish_try", "first_reschedule_date", "heartbeat",
    "in_flight_status", "run_task_ids", "skip_task_instances", "ti_state", "warm_up_reads",
    "warm_up_statements",
]  # fmt: skip

S = TaskInstanceState
TI = TaskInstance
_TI = cast(Any, TaskInstance.__table__)
_RUN = cast(Any, DagRun.__table__)
_TR = cast(Any, TaskReschedule.__table__)
_XCOM = cast(Any, XCom.__table__)


@dataclass(frozen=True)
class ClaimedTry:
    """A try this process now owns: the TI's identity and its run, as the task will see them."""

    ti_id: int
    dag_run_id: int
    dag_id: str
    run_id: str
    task_id: str
    map_index: int
    try_number: int
    max_tries: int
    start_date: dt.datetime
    serialized_dag_id: int | None
    run: dict[str, Any]
    first_reschedule_date: dt.datetime | None = None
    reschedule_count: int = 0


@dataclass(frozen=True)
class ClaimRefused:
    """Why a workload claimed nothing (its TI moved on, or another workload holds it)."""

    reason: str


@dataclass(frozen=True)
class TryResult:
    """The decided end of a running try: `state` is success, skipped, failed, up_for_retry or
    up_for_reschedule; `next_try_at` is when a retry or the next poke is due."""

    ti_id: int
    try_number: int
    state: TaskInstanceState
    end_date: dt.datetime
    next_try_at: dt.datetime | None = None
    asset_events: Sequence[AssetEventRecord] = ()
    rendered_fields: dict[str, Any] | None = None
    start_date: dt.datetime | None = None


@dataclass(frozen=True)
class InFlightStatus:
    """What the DB says of a TI an executor handed to a worker."""

    ti_id: int
    state: str | None
    try_number: int
    queue_token: str | None
    last_heartbeat_at: dt.datetime | None


# --- starting, heartbeating and ending a try ------------------------------------------------


def claim_try(
    session: Session,
    *,
    ti_id: int,
    try_number: int,
    queue_token: str,
    hostname: str,
    pid: int,
    now: dt.datetime | None = None,
) -> ClaimedTry | ClaimRefused:
    """Start the try: `queued` → `running` if the TI still holds `try_number` and `queue_token`.

    A retry also loses the XComs its earlier try left, as in Airflow. Returns the claimed try
    with its run, or why nothing was claimed. Two statements on the usual path.
    """
    now = now or _now()
    the_try = {"b_id": ti_id, "b_try": try_number}
    row = session.execute(
        _claim_statement(),
        {**the_try, "b_token": queue_token, "b_now": now, "b_host": hostname, "b_pid": pid},
    ).one_or_none()
    if row is None:
        return ClaimRefused(_refusal_reason(session, ti_id, try_number, queue_token))
    dag_run_id, dag_id, run_id, task_id, map_index, max_tries = row
    run = session.execute(_claimed_run_statement(), {**the_try, "b_run": dag_run_id}).one()._mapping
    if try_number > 1:
        x = _XCOM.c
        session.execute(
            delete(_XCOM).where(
                x.dag_run_id == dag_run_id, x.task_id == task_id, x.map_index == map_index
            )
        )
    return ClaimedTry(
        ti_id=ti_id,
        dag_run_id=dag_run_id,
        dag_id=dag_id,
        run_id=run_id,
        task_id=task_id,
        map_index=map_index,
        try_number=try_number,
        max_tries=max_tries,
        start_date=now,
        serialized_dag_id=run["serialized_dag_id"],
        run={name: run[name] for name in _RUN_FIELDS if name != "serialized_dag_id"}
        | {"conf": dict(run["conf"] or {})},
        first_reschedule_date=run["first"],
        reschedule_count=int(run["n"] or 0),
    )


_RUN_FIELDS = (
    "dag_id", "run_id", "logical_date", "data_interval_start", "data_interval_end", "run_after",
    "run_type", "triggered_by", "state", "start_date", "end_date", "conf", "serialized_dag_id",
)  # fmt: skip


@functools.cache
def _claim_statement() -> Any:
    c = _TI.c
    now: Any = bindparam("b_now")
    return (
        update(_TI)
        .where(
            c.id == bindparam("b_id"),
            c.state == S.QUEUED.value,
            c.try_number == bindparam("b_try"),
            c.queue_token == bindparam("b_token"),
        )
        .values(
            state=S.RUNNING.value,
            start_date=now,
            end_date=None,
            duration=None,
            hostname=bindparam("b_host"),
            pid=bindparam("b_pid"),
            last_heartbeat_at=now,
            next_try_at=None,
            updated_at=now,
        )
        .returning(c.dag_run_id, c.dag_id, c.run_id, c.task_id, c.map_index, c.max_tries)
    )


@functools.cache
def _claimed_run_statement() -> Any:
    """The claimed try's run, with its first reschedule date and reschedule count."""
    r = _TR.c
    rescheduled = (r.task_instance_id == bindparam("b_id"), r.try_number == bindparam("b_try"))
    first = select(func.min(r.start_date)).where(*rescheduled).scalar_subquery()
    count = select(func.count()).select_from(_TR).where(*rescheduled).scalar_subquery()
    return select(
        *(_RUN.c[name] for name in _RUN_FIELDS), first.label("first"), count.label("n")
    ).where(_RUN.c.id == bindparam("b_run"))


def _refusal_reason(session: Session, ti_id: int, try_number: int, queue_token: str) -> str:
    row = session.execute(
        select(TI.state, TI.try_number, TI.queue_token).where(TI.id == ti_id)
    ).one_or_none()
    if row is None:
        return f"task instance {ti_id} no longer exists"
    state, current_try, token = row
    if current_try != try_number:
        return f"the task instance is at try {current_try}, not {try_number}"
    if token != queue_token:
        return "the task instance was queued again with another queue token"
    return f"the task instance is {state or 'without state'}, not queued"


def heartbeat(
    session: Session, ti_id: int, try_number: int, *, now: dt.datetime | None = None
) -> bool:
    """Bump the running try's heartbeat; False when the TI is no longer this running try (it was
    cleared, marked or reaped), which tells the supervisor to stop the task."""
    params = {"b_id": ti_id, "b_try": try_number, "b_now": now or _now()}
    return bool(rowcount(session.execute(_heartbeat_statement(), params)))


@functools.cache
def _heartbeat_statement() -> Any:
    return (
        update(_TI)
        .where(
            _TI.c.id == bindparam("b_id"),
            _TI.c.try_number == bindparam("b_try"),
            _TI.c.state == S.RUNNING.value,
        )
        .values(last_heartbeat_at=bindparam("b_now"))
    )


def ti_state(session: Session, ti_id: int) -> tuple[str | None, int] | None:
    """`(state, try_number)` of a TI, or None when it is gone."""
    row = session.execute(select(TI.state, TI.try_number).where(TI.id == ti_id)).one_or_none()
    return None if row is None else (row[0], row[1])


def finish_try(session: Session, result: TryResult) -> bool:
    """Write the end of a running try in the caller's transaction; False (and nothing written)
    when the TI is no longer running this try.

    Sets the TI's state, end date, duration and `next_try_at`; records the try in
    `task_instance_history` (a retried try as `failed`, as Airflow does), or for a reschedule a
    `task_reschedule` row (the try goes on); records asset events of a success and queues the
    DAGs scheduled on those assets; marks the run for scheduling.
    """
    c = _TI.c
    start = result.start_date
    if start is None:
        start = session.scalar(
            select(c.start_date).where(
                c.id == result.ti_id, c.try_number == result.try_number, c.state == "running"
            )
        )
    start = start or result.end_date
    duration = max((result.end_date - start).total_seconds(), 0.0)
    params: dict[str, Any] = {
        "b_id": result.ti_id,
        "b_try": result.try_number,
        "b_state": result.state.value,
        "b_end": result.end_date,
        "b_duration": duration,
        "b_next": result.next_try_at,
    }
    rendered = result.rendered_fields is not None
    if rendered:
        params["b_rendered"] = result.rendered_fields
    ti = session.execute(_finish_statement(rendered), params).one_or_none()
    if ti is None:
        return False
    if result.state is S.UP_FOR_RESCHEDULE:
        session.execute(
            insert(_TR).values(
                task_instance_id=ti.id,
                try_number=result.try_number,
                start_date=start,
                end_date=result.end_date,
                reschedule_date=result.next_try_at or result.end_date,
            )
        )
    else:
        history = history_row(ti, result.state, result.end_date, duration)
        history["start_date"] = start
        record_history(session, [history])
    if result.state is S.SUCCESS and result.asset_events:
        record_asset_events(session, ti, result.asset_events, result.end_date)
    mark_runs(session, [ti.dag_run_id])
    return True


_HISTORY_FIELDS = (
    "dag_id", "run_id", "task_id", "map_index", "try_number", "start_date", "hostname", "pid",
    "queue", "pool", "priority_weight", "operator", "executor",
)  # fmt: skip


@functools.cache
def _finish_statement(rendered: bool) -> Any:
    """The running try's end: `UPDATE ... RETURNING` what its history row needs."""
    c = _TI.c
    values: dict[str, Any] = {
        "state": bindparam("b_state"),
        "end_date": bindparam("b_end"),
        "duration": bindparam("b_duration"),
        "next_try_at": bindparam("b_next"),
        "updated_at": bindparam("b_end"),
    }
    if rendered:
        values["rendered_fields"] = bindparam("b_rendered")
    return (
        update(_TI)
        .where(c.id == bindparam("b_id"), c.try_number == bindparam("b_try"), c.state == "running")
        .values(**values)
        .returning(*(c[name] for name in _HISTORY_FIELDS), c.id, c.dag_run_id)
    )


# --- what tasks ask about their run ---------------------------------------------------------


def skip_task_instances(
    session: Session,
    dag_run_id: int,
    task_ids: Iterable[str],
    *,
    now: dt.datetime | None = None,
) -> int:
    """Mark the run's TIs of these tasks skipped, except those a skip may not overwrite
    (running, success, failed: `orchestration.skips.may_skip`); returns how many changed."""
    from slipstream.orchestration.skips import SKIP_PROTECTED_STATES

    ids = sorted(set(task_ids))
    if not ids:
        return 0
    now = now or _now()
    protected = sorted(s.value for s in SKIP_PROTECTED_STATES)
    count = rowcount(
        session.execute(
            update(TI)
            .where(TI.dag_run_id == dag_run_id, TI.task_id.in_(ids))
            .where(or_(TI.state.is_(None), TI.state.not_in(protected)))
            .values(state=S.SKIPPED.value, end_date=now, updated_at=now, next_try_at=None)
            .execution_options(synchronize_session=False)
        )
    )
    mark_runs(session, [dag_run_id])
    return count


def first_reschedule_date(session: Session, ti_id: int, try_number: int) -> dt.datetime | None:
    """When this try of a rescheduling sensor first started (None before its first reschedule)."""
    return session.scalar(
        select(func.min(TaskReschedule.start_date)).where(
            TaskReschedule.task_instance_id == ti_id, TaskReschedule.try_number == try_number
        )
    )


def dag_run_state(session: Session, dag_id: str, run_id: str) -> str | None:
    return session.scalar(
        select(DagRun.state).where(DagRun.dag_id == dag_id, DagRun.run_id == run_id)
    )


def run_task_ids(session: Session, dag_id: str, run_id: str) -> list[str]:
    """The task ids of a run's TIs (empty when there is no such run)."""
    return list(
        session.scalars(
            select(TI.task_id)
            .where(TI.dag_id == dag_id, TI.run_id == run_id)
            .distinct()
            .order_by(TI.task_id)
        )
    )


# --- the executor's view -------------------------------------------------------------------


def in_flight_status(session: Session, ti_ids: Iterable[int]) -> dict[int, InFlightStatus]:
    """Where TIs handed to a worker stand, by id (ids that no longer exist are left out)."""
    ids = sorted(set(ti_ids))
    if not ids:
        return {}
    rows = session.execute(
        select(TI.id, TI.state, TI.try_number, TI.queue_token, TI.last_heartbeat_at).where(
            TI.id.in_(ids)
        )
    ).all()
    return {row[0]: InFlightStatus(*row) for row in rows}


def warm_up_statements(session: Session) -> None:
    """Run the statements of a try's usual life (claim, heartbeat, XCom, finish) on a throwaway
    run inside the caller's transaction, which the caller must roll back.

    A process that forks supervisors calls this once, so each fork starts with SQLAlchemy's
    mappers configured and its compiled-statement cache filled (saves ~20 ms per try).
    """
    now = _now()
    run = DagRun(
        dag_id="__warm_up__",
        run_id="__warm_up__",
        run_after=now,
        run_type="manual",
        state="running",
        conf={},
    )
    session.add(run)
    session.flush()
    ti = TI(dag_run_id=run.id, dag_id=run.dag_id, run_id=run.run_id, task_id="t", map_index=-1)
    ti.state, ti.try_number, ti.queue_token = S.QUEUED.value, 1, "warm"
    session.add(ti)
    session.flush()
    ti_id = ti.id
    session.expunge_all()
    claim_try(session, ti_id=ti_id, try_number=1, queue_token="warm", hostname="", pid=0, now=now)
    claim_try(session, ti_id=ti_id, try_number=1, queue_token="warm", hostname="", pid=0, now=now)
    heartbeat(session, ti_id, 1, now=now)
    xcom_set(
        session, dag_run_id=run.id, dag_id=run.dag_id, run_id=run.run_id, task_id="t",
        map_index=-1, key="return_value", value="1", now=now,
    )  # fmt: skip
    xcom_get(session, run.id, "t", -1, "return_value")
    xcom_get_mapped(session, run.id, "t", "return_value")
    finish_try(session, TryResult(ti_id, 1, S.SUCCESS, now))
    finish_try(session, TryResult(ti_id, 1, S.SUCCESS, now))


def warm_up_reads(session: Session) -> None:
    """Read-only statements of a try (they take no lock): opens the connection and touches the
    code that runs them, for a supervisor waiting for its workload."""
    ti_state(session, -1)
    xcom_get(session, -1, "", -1, "")
    in_flight_status(session, [-1])
    first_reschedule_date(session, -1, 1)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)

"""The SQL of running task tries: what a supervisor reads and writes for the try it runs, and
what the scheduler does with tries whose supervisor vanished.

Every state write is conditioned, so a try starts and ends at most once (docs/engine-design.md):
`claim_try` moves a TI from `queued` to `running` only while it still holds the workload's try
number and queue token; `heartbeat`, `finish_try` and `reap_stale_running` change it only while
it is `running` with the same try number. Functions take a `Session` and never commit: run the
writes in `db.begin()` (or `db.run_write`), the reads anywhere.

Times are timezone-aware UTC datetimes; `now` defaults to the current time.

The statements of every try (claim, heartbeat, finish) are built once per process with bound
parameters (`_statements`): building SQLAlchemy expressions anew cost more CPU than running them.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import and_, bindparam, delete, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from slipstream.core.states import TaskInstanceState
from slipstream.db.models import (
    Asset,
    AssetDagRunQueue,
    AssetEvent,
    DagModel,
    DagRun,
    DagScheduleAssetReference,
    SerializedDagModel,
    TaskInstance,
    TaskInstanceHistory,
    TaskReschedule,
    XCom,
)
from slipstream.db.store._sql import upsert

__all__ = [
    "AssetEventRecord", "ClaimRefused", "ClaimedTry", "InFlightStatus", "TryResult",
    "asset_events_for", "claim_try", "dag_run_state", "finish_try", "first_reschedule_date",
    "heartbeat", "in_flight_status", "reap_stale_running", "record_asset_events", "run_task_ids",
    "serialized_dag_data", "skip_task_instances", "ti_state", "warm_up_reads",
    "warm_up_statements", "xcom_get", "xcom_get_many", "xcom_get_mapped", "xcom_set",
]  # fmt: skip

S = TaskInstanceState
TI = TaskInstance
_TI = cast(Any, TaskInstance.__table__)
_TIH = cast(Any, TaskInstanceHistory.__table__)
_RUN = cast(Any, DagRun.__table__)
_TR = cast(Any, TaskReschedule.__table__)
_XCOM = cast(Any, XCom.__table__)
_HISTORY_KEY = ("dag_id", "run_id", "task_id", "map_index", "try_number")


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
class AssetEventRecord:
    """One asset update a successful try emits (`name` defaults to the URI, as in Airflow)."""

    uri: str
    name: str | None = None
    group: str = "asset"
    extra: dict[str, Any] = field(default_factory=dict)


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
    return bool(_rowcount(session.execute(_heartbeat_statement(), params)))


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
        history = _history_row(ti, result.state, result.end_date, duration)
        history["start_date"] = start
        _record_history(session, [history])
    if result.state is S.SUCCESS and result.asset_events:
        record_asset_events(session, ti, result.asset_events, result.end_date)
    _mark_runs(session, [ti.dag_run_id])
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


def _history_row(
    ti: Any, state: TaskInstanceState, end_date: dt.datetime, duration: float | None
) -> dict[str, Any]:
    finished = state in (S.SUCCESS, S.FAILED, S.SKIPPED, S.UPSTREAM_FAILED, S.REMOVED)
    return {
        "task_instance_id": ti.id,
        "dag_id": ti.dag_id,
        "run_id": ti.run_id,
        "task_id": ti.task_id,
        "map_index": ti.map_index,
        "try_number": ti.try_number,
        "state": state.value if finished else S.FAILED.value,
        "start_date": ti.start_date,
        "end_date": end_date,
        "duration": duration,
        "hostname": ti.hostname,
        "pid": ti.pid,
        "queue": ti.queue,
        "pool": ti.pool,
        "priority_weight": ti.priority_weight,
        "operator": ti.operator,
        "executor": ti.executor,
    }


def _record_history(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert history rows, replacing rows of the same tries (a try is recorded once)."""
    if not rows:
        return
    if len(rows) == 1:
        session.execute(_history_upsert(session.get_bind().dialect.name), rows[0])
        return
    session.execute(
        delete(_TIH).where(
            _TIH.c.task_instance_id == bindparam("h_ti"),
            _TIH.c.try_number == bindparam("h_try"),
        ),
        [{"h_ti": r["task_instance_id"], "h_try": r["try_number"]} for r in rows],
    )
    session.execute(insert(_TIH), rows)


@functools.cache
def _history_upsert(dialect: str) -> Any:
    """`INSERT ... ON CONFLICT (try) DO UPDATE` of one history row (its columns as parameters)."""
    build = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = build(_TIH)
    columns = [c.name for c in _TIH.c if c.name not in ("id", *_HISTORY_KEY)]
    return stmt.on_conflict_do_update(
        index_elements=list(_HISTORY_KEY), set_={name: stmt.excluded[name] for name in columns}
    )


@functools.cache
def _mark_run_statement() -> Any:
    return update(_RUN).where(_RUN.c.id == bindparam("b_run")).values(needs_scheduling=True)


def _mark_runs(session: Session, run_ids: Iterable[int]) -> None:
    ids = sorted(set(run_ids))
    if len(ids) == 1:
        session.execute(_mark_run_statement(), {"b_run": ids[0]})
    elif ids:
        session.execute(update(_RUN).where(_RUN.c.id.in_(ids)).values(needs_scheduling=True))


# --- assets ---------------------------------------------------------------------------------


def record_asset_events(
    session: Session, ti: Any, events: Sequence[AssetEventRecord], when: dt.datetime
) -> None:
    """Store asset events of `ti` (creating assets not seen before) and queue a run for every
    active, unpaused DAG scheduled on those assets."""
    keys = list(dict.fromkeys((e.name or e.uri, e.uri) for e in events))
    groups = {(e.name or e.uri, e.uri): e.group for e in events}
    _insert_ignore(
        session,
        Asset.__table__,
        [
            {"name": n, "uri": u, "group": groups[(n, u)], "extra": {}, "created_at": when}
            for n, u in keys
        ],
        key=["name", "uri"],
    )
    rows = session.execute(
        select(Asset.id, Asset.name, Asset.uri).where(Asset.uri.in_({u for _, u in keys}))
    ).all()
    ids = {(name, uri): asset_id for asset_id, name, uri in rows}
    session.execute(
        insert(AssetEvent),
        [
            {
                "asset_id": ids[(e.name or e.uri, e.uri)],
                "extra": dict(e.extra),
                "source_dag_id": ti.dag_id,
                "source_task_id": ti.task_id,
                "source_run_id": ti.run_id,
                "source_map_index": ti.map_index,
                "timestamp": when,
            }
            for e in events
        ],
    )
    asset_ids = sorted({ids[key] for key in keys})
    targets = session.execute(
        select(DagScheduleAssetReference.asset_id, DagScheduleAssetReference.dag_id)
        .join(DagModel, DagModel.dag_id == DagScheduleAssetReference.dag_id)
        .where(DagScheduleAssetReference.asset_id.in_(asset_ids))
        .where(DagModel.is_paused.is_(False), DagModel.is_stale.is_(False))
    ).all()
    _insert_ignore(
        session,
        AssetDagRunQueue.__table__,
        [{"asset_id": a, "target_dag_id": d, "created_at": when} for a, d in targets],
        key=["asset_id", "target_dag_id"],
    )


def asset_events_for(session: Session, uris: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
    """Recorded events of the assets with these URIs, oldest first (for `inlet_events`)."""
    wanted = sorted(set(uris))
    if not wanted:
        return {}
    rows = session.execute(
        select(Asset.uri, AssetEvent)
        .join(AssetEvent, AssetEvent.asset_id == Asset.id)
        .where(Asset.uri.in_(wanted))
        .order_by(AssetEvent.timestamp, AssetEvent.id)
    ).all()
    out: dict[str, list[dict[str, Any]]] = {}
    for uri, event in rows:
        out.setdefault(uri, []).append(
            {
                "asset_uri": uri,
                "extra": dict(event.extra or {}),
                "source_dag_id": event.source_dag_id,
                "source_task_id": event.source_task_id,
                "source_run_id": event.source_run_id,
                "source_map_index": event.source_map_index,
                "timestamp": event.timestamp,
            }
        )
    return out


def _insert_ignore(
    session: Session, table: Any, rows: list[dict[str, Any]], *, key: Sequence[str]
) -> None:
    """Insert rows, skipping those whose `key` exists (one statement, race-free)."""
    if not rows:
        return
    if len(rows) == 1:
        upsert(session, table, rows[0], key=key, update=[])
        return
    dialect = session.get_bind().dialect.name
    build = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = build(table).values(rows).on_conflict_do_nothing(index_elements=list(key))
    session.execute(stmt)


# --- XCom -----------------------------------------------------------------------------------


def xcom_set(
    session: Session,
    *,
    dag_run_id: int,
    dag_id: str,
    run_id: str,
    task_id: str,
    map_index: int,
    key: str,
    value: str,
    now: dt.datetime | None = None,
) -> None:
    """Store (or replace) one XCom; `value` is its stored JSON text."""
    upsert(
        session,
        XCom.__table__,  # type: ignore[arg-type]
        {
            "dag_run_id": dag_run_id,
            "dag_id": dag_id,
            "run_id": run_id,
            "task_id": task_id,
            "map_index": map_index,
            "key": key,
            "value": value,
            "timestamp": now or _now(),
        },
        key=["dag_run_id", "task_id", "map_index", "key"],
    )


def xcom_get(
    session: Session, dag_run_id: int, task_id: str, map_index: int, key: str
) -> str | None:
    """The stored JSON text of one XCom, or None."""
    x = _XCOM.c
    value: str | None = session.scalar(
        select(x.value).where(
            x.dag_run_id == dag_run_id,
            x.task_id == task_id,
            x.map_index == map_index,
            x.key == key,
        )
    )
    return value


def xcom_get_many(
    session: Session, dag_run_id: int, task_id: str, map_indexes: Sequence[int], key: str
) -> list[str | None]:
    """Stored XComs of these map indexes, in the order asked (None where there is none)."""
    if not map_indexes:
        return []
    rows = session.execute(
        select(XCom.map_index, XCom.value).where(
            XCom.dag_run_id == dag_run_id,
            XCom.task_id == task_id,
            XCom.key == key,
            XCom.map_index.in_(set(map_indexes)),
        )
    ).all()
    found = dict(rows)
    return [found.get(i) for i in map_indexes]


def xcom_get_mapped(
    session: Session, dag_run_id: int, task_id: str, key: str
) -> list[str | None] | None:
    """A mapped task's XComs over its expanded map indexes (None where a TI pushed nothing);
    None when the task is not expanded yet."""
    rows = session.execute(
        select(TI.map_index, XCom.value)
        .outerjoin(
            XCom,
            and_(
                XCom.dag_run_id == TI.dag_run_id,
                XCom.task_id == TI.task_id,
                XCom.map_index == TI.map_index,
                XCom.key == key,
            ),
        )
        .where(TI.dag_run_id == dag_run_id, TI.task_id == task_id, TI.map_index >= 0)
        .order_by(TI.map_index)
    ).all()
    return [value for _, value in rows] if rows else None


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
    count = _rowcount(
        session.execute(
            update(TI)
            .where(TI.dag_run_id == dag_run_id, TI.task_id.in_(ids))
            .where(or_(TI.state.is_(None), TI.state.not_in(protected)))
            .values(state=S.SKIPPED.value, end_date=now, updated_at=now, next_try_at=None)
            .execution_options(synchronize_session=False)
        )
    )
    _mark_runs(session, [dag_run_id])
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


def serialized_dag_data(
    session: Session, *, serialized_dag_id: int | None, dag_id: str
) -> dict[str, Any] | None:
    """The stored serialized DAG a run uses, or the DAG's newest when the run names none."""
    query = select(SerializedDagModel.data)
    if serialized_dag_id is not None:
        query = query.where(SerializedDagModel.id == serialized_dag_id)
    else:
        query = query.where(SerializedDagModel.dag_id == dag_id).order_by(
            SerializedDagModel.version_number.desc()
        )
    return session.scalars(query.limit(1)).first()


# --- the executor's and the scheduler's view ------------------------------------------------


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


def reap_stale_running(
    session: Session, older_than: dt.datetime, *, now: dt.datetime | None = None
) -> list[int]:
    """Fail, or retry by policy, running TIs whose heartbeat is older than `older_than`.

    For each one the retry policy is the task's in the run's serialized DAG (`retries`,
    `retry_delay`, backoff) with the TI's `max_tries` when set: the TI becomes `up_for_retry`
    with `next_try_at`, or `failed`. The try is recorded in the history and the runs are marked
    for scheduling. Returns the ids moved, in id order. On PostgreSQL rows another scheduler is
    reaping are skipped (`FOR UPDATE SKIP LOCKED`).
    """
    now = now or _now()
    stale = or_(
        TI.last_heartbeat_at < older_than,
        and_(
            TI.last_heartbeat_at.is_(None),
            or_(TI.start_date.is_(None), TI.start_date < older_than),
        ),
    )
    tis = list(
        session.execute(
            select(TI)
            .where(TI.state == S.RUNNING.value, stale)
            .order_by(TI.id)
            .with_for_update(skip_locked=True)
        ).scalars()
    )
    if not tis:
        return []
    policies = _retry_policies(session, tis)
    updates: list[dict[str, Any]] = []
    history: list[dict[str, Any]] = []
    for ti in tis:
        state, next_try_at = _state_after_lost_try(ti, policies.get(ti.id), now)
        duration = (now - ti.start_date).total_seconds() if ti.start_date else None
        updates.append(
            {
                "r_id": ti.id,
                "r_try": ti.try_number,
                "r_state": state.value,
                "r_next": next_try_at,
                "r_end": now,
                "r_duration": duration,
            }
        )
        history.append(_history_row(ti, state, now, duration))
    session.execute(
        update(_TI)
        .where(
            _TI.c.id == bindparam("r_id"),
            _TI.c.try_number == bindparam("r_try"),
            _TI.c.state == S.RUNNING.value,
        )
        .values(
            state=bindparam("r_state"),
            next_try_at=bindparam("r_next"),
            end_date=bindparam("r_end"),
            duration=bindparam("r_duration"),
            updated_at=bindparam("r_end"),
        ),
        updates,
    )
    _record_history(session, history)
    _mark_runs(session, [ti.dag_run_id for ti in tis])
    return [ti.id for ti in tis]


def _retry_policies(session: Session, tis: Sequence[Any]) -> dict[int, Any]:
    """The serialized task of each TI (by TI id), read once per serialized DAG."""
    from slipstream.serialization import SerializationError, deserialize_dag

    run_ids = {ti.dag_run_id for ti in tis}
    runs: dict[int, int | None] = dict(
        session.execute(
            select(DagRun.id, DagRun.serialized_dag_id).where(DagRun.id.in_(run_ids))
        ).all()
    )
    wanted = {runs[ti.dag_run_id] for ti in tis if runs.get(ti.dag_run_id) is not None}
    data: dict[int, Any] = dict(
        session.execute(
            select(SerializedDagModel.id, SerializedDagModel.data).where(
                SerializedDagModel.id.in_(wanted)
            )
        ).all()
    )
    dags: dict[Any, Any] = {}
    policies: dict[int, Any] = {}
    for ti in tis:
        key = runs.get(ti.dag_run_id)
        if key not in dags:
            raw = data.get(key) if key is not None else None
            if raw is None:
                raw = serialized_dag_data(session, serialized_dag_id=None, dag_id=ti.dag_id)
            try:
                dags[key] = deserialize_dag(raw) if raw is not None else None
            except SerializationError:
                dags[key] = None
        dag = dags[key]
        if dag is not None and ti.task_id in dag.task_dict:
            policies[ti.id] = dag.task_dict[ti.task_id]
    return policies


def _state_after_lost_try(
    ti: Any, task: Any, now: dt.datetime
) -> tuple[TaskInstanceState, dt.datetime | None]:
    from slipstream.orchestration.retries import next_state_after_failure, retry_delay_for

    if task is None:
        return S.FAILED, None
    state = next_state_after_failure(task, ti.try_number, max_tries=ti.max_tries or None)
    if state is S.UP_FOR_RETRY:
        return state, now + retry_delay_for(task, ti.try_number)
    return state, None


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


def _rowcount(result: Any) -> int:
    return int(cast(CursorResult[Any], result).rowcount)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)

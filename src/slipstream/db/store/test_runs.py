"""Runs that `slipstream dags test` ran in its own process, recorded as if the scheduler had run
them: the `dag_run`, its task instances with every try (`task_instance_history`, and
`task_reschedule` for sensor pokes), XComs, asset events (queueing runs of the DAGs scheduled on
those assets, as a deployment's tries do) and an audit log entry.

`record_run` writes one whole run with a handful of bulk statements, in the caller's transaction.
A recorded run replaces a finished run of its DAG with the same run id or logical date, as
Airflow's `dags test` does; `run_in_the_way` names a queued or running one, never touched.

Plain SQL on a `PlainConnection` (see `plain_sql`): on SQLite the command pays for no SQLAlchemy
import. Times are timezone-aware and come from the caller.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from slipstream.core.exceptions import AirflowException
from slipstream.db.store.plain_sql import PlainConnection, in_list

__all__ = [
    "RecordedAssetEvent",
    "RecordedRun",
    "RecordedTI",
    "RecordedTry",
    "RecordedXCom",
    "RunInTheWay",
    "ensure_dag_row",
    "latest_version_id",
    "record_audit",
    "record_run",
    "run_in_the_way",
    "schema_revision",
]

FINISHED_TI_STATES = ("success", "failed", "skipped", "upstream_failed", "removed")
ACTIVE_RUN_STATES = ("queued", "running")


class RunInTheWay(AirflowException):
    """A queued or running run holds the run id or logical date of the run to record."""


@dataclass(frozen=True)
class RecordedTry:
    """One try that ended (`up_for_reschedule`: a sensor poke, `next_try_at` its next poke)."""

    try_number: int
    state: str
    start_date: dt.datetime
    end_date: dt.datetime
    next_try_at: dt.datetime | None = None


@dataclass(frozen=True)
class RecordedTI:
    """A task instance as the run left it, with what the task says about where it runs."""

    task_id: str
    map_index: int
    state: str | None
    try_number: int
    max_tries: int
    start_date: dt.datetime | None
    end_date: dt.datetime | None
    queue: str = "default"
    pool: str = "default_pool"
    pool_slots: int = 1
    priority_weight: int = 1
    operator: str | None = None
    custom_operator_name: str | None = None
    first_reschedule_date: dt.datetime | None = None
    tries: Sequence[RecordedTry] = ()


@dataclass(frozen=True)
class RecordedXCom:
    task_id: str
    map_index: int
    key: str
    value: str
    """The stored JSON text."""
    timestamp: dt.datetime


@dataclass(frozen=True)
class RecordedAssetEvent:
    """An asset update a successful try emitted (`name` defaults to the URI, as in Airflow)."""

    uri: str
    task_id: str
    map_index: int
    timestamp: dt.datetime
    name: str | None = None
    group: str = "asset"
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RecordedRun:
    """A finished run: its identity, dates, state, and all it produced."""

    dag_id: str
    run_id: str
    state: str
    run_after: dt.datetime
    logical_date: dt.datetime | None
    data_interval_start: dt.datetime | None
    data_interval_end: dt.datetime | None
    start_date: dt.datetime | None
    end_date: dt.datetime | None
    conf: Mapping[str, Any] = field(default_factory=dict)
    run_type: str = "manual"
    triggered_by: str = "test"
    serialized_dag_id: int | None = None
    tis: Sequence[RecordedTI] = ()
    xcoms: Sequence[RecordedXCom] = ()
    asset_events: Sequence[RecordedAssetEvent] = ()


# --- before the run ---------------------------------------------------------------------------


def schema_revision(conn: PlainConnection) -> str | None:
    """The database's schema revision; None when it was never migrated."""
    if conn.dialect == "sqlite":
        found = conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
        )
    else:
        found = conn.execute("SELECT CAST(to_regclass('alembic_version') AS TEXT)")
        found = [row for row in found if row[0] is not None]
    if not found:
        return None
    rows = conn.execute("SELECT version_num FROM alembic_version")
    return str(rows[0][0]) if rows else None


def latest_version_id(conn: PlainConnection, dag_id: str) -> int | None:
    """The id of the DAG's newest stored version; None unless the DAG has a row and a version."""
    rows = conn.execute(
        "SELECT (SELECT max(s.id) FROM serialized_dag s WHERE s.dag_id = :dag_id) "
        "FROM dag WHERE dag_id = :dag_id",
        {"dag_id": dag_id},
    )
    return None if not rows or rows[0][0] is None else int(rows[0][0])


def ensure_dag_row(
    conn: PlainConnection, dag_id: str, *, fileloc: str, is_paused: bool, owners: str
) -> None:
    """A bare `dag` row for a DAG the metadata database does not know (one that cannot be
    serialized): its runs can be listed; the DAG processor fills the rest when it stores the
    DAG (it has no version, so it counts as new there)."""
    conn.execute(
        "INSERT INTO dag (dag_id, is_paused, is_stale, fileloc, owners, tags, max_active_tasks, "
        "max_consecutive_failed_dag_runs, has_import_errors) VALUES (:dag_id, :paused, FALSE, "
        ":fileloc, :owners, :tags, 16, 0, FALSE) ON CONFLICT (dag_id) DO NOTHING",
        {"dag_id": dag_id, "paused": is_paused, "fileloc": fileloc, "owners": owners, "tags": []},
    )


def run_in_the_way(
    conn: PlainConnection, dag_id: str, run_id: str, logical_date: dt.datetime | None
) -> str | None:
    """Why a run with this id and logical date cannot be recorded: a queued or running run of
    the DAG holds one of them. None when nothing (or only finished runs) stands in the way."""
    for other_id, state, _pk in _same_runs(conn, dag_id, run_id, logical_date):
        if state in ACTIVE_RUN_STATES:
            return (
                f"DAG '{dag_id}' has a {state} run '{other_id}' with this run id or logical "
                "date: wait until it ends, or test with another logical date"
            )
    return None


def _same_runs(
    conn: PlainConnection, dag_id: str, run_id: str, logical_date: dt.datetime | None
) -> list[tuple[Any, ...]]:
    return conn.execute(
        "SELECT run_id, state, id FROM dag_run WHERE dag_id = :dag_id "
        "AND (run_id = :run_id OR logical_date = :logical_date)",
        {"dag_id": dag_id, "run_id": run_id, "logical_date": logical_date},
    )


# --- recording --------------------------------------------------------------------------------


def record_run(
    conn: PlainConnection,
    run: RecordedRun,
    *,
    hostname: str,
    pid: int,
    now: dt.datetime,
) -> int:
    """Write `run` and everything it produced; returns its `dag_run.id`.

    Finished runs with the same run id or logical date are deleted first (with their task
    instances, XComs and history); raises `RunInTheWay` when a queued or running one is in the
    way (check `run_in_the_way` before running, to refuse early).
    """
    _replace_finished(conn, run)
    run_pk = _insert_run(conn, run, now)
    ti_ids = _insert_tis(conn, run, run_pk, hostname=hostname, pid=pid, now=now)
    _insert_tries(conn, run, ti_ids, hostname=hostname, pid=pid)
    _insert_xcoms(conn, run, run_pk)
    _insert_asset_events(conn, run)
    return run_pk


def record_audit(
    conn: PlainConnection,
    event: str,
    *,
    owner: str | None,
    dag_id: str,
    run_id: str,
    logical_date: dt.datetime | None,
    extra: Mapping[str, Any],
    now: dt.datetime,
) -> None:
    """An audit log entry (`log` table), as `store.audit.record` writes it."""
    conn.execute(
        "INSERT INTO log (dttm, event, owner, dag_id, run_id, logical_date, extra) "
        "VALUES (:dttm, :event, :owner, :dag_id, :run_id, :logical_date, :extra)",
        {
            "dttm": now,
            "event": event,
            "owner": owner,
            "dag_id": dag_id,
            "run_id": run_id,
            "logical_date": logical_date,
            "extra": json.dumps(dict(extra), default=str, sort_keys=True),
        },
    )


def _replace_finished(conn: PlainConnection, run: RecordedRun) -> None:
    reason = run_in_the_way(conn, run.dag_id, run.run_id, run.logical_date)
    if reason is not None:
        raise RunInTheWay(reason)
    ids = [row[2] for row in _same_runs(conn, run.dag_id, run.run_id, run.logical_date)]
    if ids:
        placeholders, params = in_list("r", ids)
        conn.execute(f"DELETE FROM dag_run WHERE id IN ({placeholders})", params)


RUN_COLUMNS = (
    "dag_id", "run_id", "logical_date", "data_interval_start", "data_interval_end", "run_after",
    "run_type", "triggered_by", "state", "start_date", "end_date", "conf", "serialized_dag_id",
    "clear_number", "needs_scheduling", "updated_at",
)  # fmt: skip


def _insert_run(conn: PlainConnection, run: RecordedRun, now: dt.datetime) -> int:
    values = {name: getattr(run, name, None) for name in RUN_COLUMNS}
    values.update(conf=dict(run.conf), clear_number=0, needs_scheduling=False, updated_at=now)
    rows = conn.execute(_insert_sql("dag_run", RUN_COLUMNS, returning="id"), values)
    return int(rows[0][0])


TI_COLUMNS = (
    "dag_run_id", "dag_id", "run_id", "task_id", "map_index", "state", "try_number", "max_tries",
    "start_date", "end_date", "duration", "hostname", "pid", "queue", "pool", "pool_slots",
    "priority_weight", "run_after", "operator", "custom_operator_name", "first_reschedule_date",
    "updated_at",
)  # fmt: skip


def _insert_tis(
    conn: PlainConnection,
    run: RecordedRun,
    run_pk: int,
    *,
    hostname: str,
    pid: int,
    now: dt.datetime,
) -> dict[tuple[str, int], int]:
    rows = []
    for ti in run.tis:
        ran = bool(ti.tries)
        rows.append(
            {
                "dag_run_id": run_pk,
                "dag_id": run.dag_id,
                "run_id": run.run_id,
                "task_id": ti.task_id,
                "map_index": ti.map_index,
                "state": ti.state,
                "try_number": ti.try_number,
                "max_tries": ti.max_tries,
                "start_date": ti.start_date,
                "end_date": ti.end_date,
                "duration": _duration(ti.start_date, ti.end_date),
                "hostname": hostname if ran else None,
                "pid": pid if ran else None,
                "queue": ti.queue,
                "pool": ti.pool,
                "pool_slots": ti.pool_slots,
                "priority_weight": ti.priority_weight,
                "run_after": run.run_after,
                "operator": ti.operator,
                "custom_operator_name": ti.custom_operator_name,
                "first_reschedule_date": ti.first_reschedule_date,
                "updated_at": now,
            }
        )
    conn.executemany(_insert_sql("task_instance", TI_COLUMNS), rows)
    found = conn.execute(
        "SELECT task_id, map_index, id FROM task_instance WHERE dag_run_id = :run_pk",
        {"run_pk": run_pk},
    )
    return {(task_id, map_index): ti_id for task_id, map_index, ti_id in found}


HISTORY_COLUMNS = (
    "task_instance_id", "dag_id", "run_id", "task_id", "map_index", "try_number", "state",
    "start_date", "end_date", "duration", "hostname", "pid", "queue", "pool", "priority_weight",
    "operator",
)  # fmt: skip
RESCHEDULE_COLUMNS = ("task_instance_id", "try_number", "start_date", "end_date", "reschedule_date")


def _insert_tries(
    conn: PlainConnection,
    run: RecordedRun,
    ti_ids: Mapping[tuple[str, int], int],
    *,
    hostname: str,
    pid: int,
) -> None:
    """A history row per try that ended (a retried try counts as failed, as in Airflow) and a
    `task_reschedule` row per sensor poke."""
    history, reschedules = [], []
    for ti in run.tis:
        ti_id = ti_ids[(ti.task_id, ti.map_index)]
        for attempt in ti.tries:
            if attempt.state == "up_for_reschedule":
                reschedules.append(
                    {
                        "task_instance_id": ti_id,
                        "try_number": attempt.try_number,
                        "start_date": attempt.start_date,
                        "end_date": attempt.end_date,
                        "reschedule_date": attempt.next_try_at or attempt.end_date,
                    }
                )
                continue
            finished = attempt.state in FINISHED_TI_STATES
            history.append(
                {
                    "task_instance_id": ti_id,
                    "dag_id": run.dag_id,
                    "run_id": run.run_id,
                    "task_id": ti.task_id,
                    "map_index": ti.map_index,
                    "try_number": attempt.try_number,
                    "state": attempt.state if finished else "failed",
                    "start_date": attempt.start_date,
                    "end_date": attempt.end_date,
                    "duration": _duration(attempt.start_date, attempt.end_date),
                    "hostname": hostname,
                    "pid": pid,
                    "queue": ti.queue,
                    "pool": ti.pool,
                    "priority_weight": ti.priority_weight,
                    "operator": ti.operator,
                }
            )
    conn.executemany(_insert_sql("task_instance_history", HISTORY_COLUMNS), history)
    conn.executemany(_insert_sql("task_reschedule", RESCHEDULE_COLUMNS), reschedules)


XCOM_COLUMNS = (
    "dag_run_id", "dag_id", "run_id", "task_id", "map_index", "key", "value", "timestamp",
)  # fmt: skip


def _insert_xcoms(conn: PlainConnection, run: RecordedRun, run_pk: int) -> None:
    rows = [
        {
            "dag_run_id": run_pk,
            "dag_id": run.dag_id,
            "run_id": run.run_id,
            "task_id": x.task_id,
            "map_index": x.map_index,
            "key": x.key,
            "value": x.value,
            "timestamp": x.timestamp,
        }
        for x in run.xcoms
    ]
    conn.executemany(_insert_sql("xcom", XCOM_COLUMNS), rows)


ASSET_COLUMNS = ("name", "uri", '"group"', "extra", "created_at")
ASSET_EVENT_COLUMNS = (
    "asset_id", "extra", "source_dag_id", "source_task_id", "source_run_id", "source_map_index",
    "timestamp",
)  # fmt: skip
QUEUE_COLUMNS = ("asset_id", "target_dag_id", "created_at")


def _insert_asset_events(conn: PlainConnection, run: RecordedRun) -> None:
    """Asset rows for assets not seen before, the events, and a queue entry for every active,
    unpaused DAG scheduled on those assets (what `store.asset_events.record_asset_events` does)."""
    events = run.asset_events
    if not events:
        return
    first: dict[tuple[str, str], RecordedAssetEvent] = {}
    for e in events:
        first.setdefault((e.name or e.uri, e.uri), e)
    conn.executemany(
        _insert_sql("asset", ASSET_COLUMNS, conflict="(name, uri)"),
        [
            {"name": n, "uri": u, "group": e.group, "extra": {}, "created_at": e.timestamp}
            for (n, u), e in first.items()
        ],
    )
    placeholders, params = in_list("u", sorted({u for _, u in first}))
    found = conn.execute(f"SELECT id, name, uri FROM asset WHERE uri IN ({placeholders})", params)
    ids = {(name, uri): asset_id for asset_id, name, uri in found}
    conn.executemany(
        _insert_sql("asset_event", ASSET_EVENT_COLUMNS),
        [
            {
                "asset_id": ids[(e.name or e.uri, e.uri)],
                "extra": dict(e.extra),
                "source_dag_id": run.dag_id,
                "source_task_id": e.task_id,
                "source_run_id": run.run_id,
                "source_map_index": e.map_index,
                "timestamp": e.timestamp,
            }
            for e in events
        ],
    )
    _queue_scheduled_dags(conn, sorted({ids[key] for key in first}), events[-1].timestamp)


def _queue_scheduled_dags(conn: PlainConnection, asset_ids: list[int], when: dt.datetime) -> None:
    placeholders, params = in_list("a", asset_ids)
    targets = conn.execute(
        "SELECT r.asset_id, r.dag_id FROM dag_schedule_asset_reference r "
        "JOIN dag d ON d.dag_id = r.dag_id "
        f"WHERE r.asset_id IN ({placeholders}) AND d.is_paused = FALSE AND d.is_stale = FALSE",
        params,
    )
    conn.executemany(
        _insert_sql("asset_dag_run_queue", QUEUE_COLUMNS, conflict="(asset_id, target_dag_id)"),
        [{"asset_id": a, "target_dag_id": d, "created_at": when} for a, d in targets],
    )


# --- helpers ----------------------------------------------------------------------------------


def _insert_sql(
    table: str, columns: Sequence[str], *, returning: str | None = None, conflict: str = ""
) -> str:
    names = ", ".join(columns)
    values = ", ".join(f":{c.strip(chr(34))}" for c in columns)
    sql = f"INSERT INTO {table} ({names}) VALUES ({values})"
    if conflict:
        sql += f" ON CONFLICT {conflict} DO NOTHING"
    if returning:
        sql += f" RETURNING {returning}"
    return sql


def _duration(start: dt.datetime | None, end: dt.datetime | None) -> float | None:
    if start is None or end is None:
        return None
    # datetime's own subtraction: pendulum's (the runner's dates) is many times slower
    return max(dt.datetime.__sub__(end, start).total_seconds(), 0.0)

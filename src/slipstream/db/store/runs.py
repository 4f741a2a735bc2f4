"""DAG runs in the metadata database: creating them (with their task instances), finding the ones
the scheduler must look at, and changing their state. Beside this module: runs that asset updates
trigger (`asset_runs`), the REST API's listing (`run_listing`) and what users do to a whole run
(`run_operations`).

Every function takes the caller's session and never commits: a write happens inside the caller's
`Database.begin()` transaction. Times come from the caller (its clock), never from the system.
"""

from __future__ import annotations

import datetime as dt
import functools
import weakref
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, func, select, text, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from slipstream.core.run_types import DagRunType
from slipstream.core.states import DagRunState
from slipstream.db.models import (
    DagModel,
    DagRun,
)
from slipstream.db.store import task_instances as tis
from slipstream.db.store._sql import chunks, nosync_update, rowcount

if TYPE_CHECKING:
    from slipstream.serialization import SerializedDAG

FINISHED_RUN_STATES = (DagRunState.SUCCESS.value, DagRunState.FAILED.value)
ACTIVE_RUN_STATES = (DagRunState.QUEUED.value, DagRunState.RUNNING.value)

_WEIGHTS: weakref.WeakKeyDictionary[Any, dict[str, int]] = weakref.WeakKeyDictionary()


# --- reading ---------------------------------------------------------------------------------


def get_run(session: Session, dag_id: str, run_id: str) -> DagRun | None:
    return session.scalars(
        select(DagRun).where(DagRun.dag_id == dag_id, DagRun.run_id == run_id)
    ).one_or_none()


def list_runs(
    session: Session,
    dag_id: str | None = None,
    *,
    states: Collection[str] | None = None,
    run_types: Collection[str] | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[DagRun]:
    """Runs, newest first (by `run_after`), optionally of one DAG, some states or run types."""
    query = select(DagRun).order_by(DagRun.run_after.desc(), DagRun.id.desc())
    if dag_id is not None:
        query = query.where(DagRun.dag_id == dag_id)
    if states:
        query = query.where(DagRun.state.in_(list(states)))
    if run_types:
        query = query.where(DagRun.run_type.in_(list(run_types)))
    return list(session.scalars(query.limit(limit).offset(offset)))


def run_to_dict(run: DagRun) -> dict[str, Any]:
    """A run with the field names of Airflow's `DAGRun` API object (dates as ISO 8601 text)."""
    return {
        "dag_id": run.dag_id,
        "run_id": run.run_id,
        "logical_date": _iso(run.logical_date),
        "queued_at": _iso(run.queued_at),
        "start_date": _iso(run.start_date),
        "end_date": _iso(run.end_date),
        "data_interval_start": _iso(run.data_interval_start),
        "data_interval_end": _iso(run.data_interval_end),
        "run_after": _iso(run.run_after),
        "last_scheduling_decision": _iso(run.last_scheduling_decision),
        "run_type": run.run_type,
        "state": run.state,
        "triggered_by": run.triggered_by,
        "conf": dict(run.conf or {}),
        "note": run.note,
    }


# --- creating ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewRun:
    """What identifies a run about to be created."""

    run_id: str
    run_type: str
    run_after: dt.datetime
    logical_date: dt.datetime | None = None
    data_interval_start: dt.datetime | None = None
    data_interval_end: dt.datetime | None = None
    conf: Mapping[str, Any] | None = None
    triggered_by: str | None = None
    note: str | None = None


def create_run(
    session: Session,
    dag: SerializedDAG,
    serialized_dag_id: int | None,
    new: NewRun,
    *,
    now: dt.datetime,
    state: str = DagRunState.QUEUED.value,
) -> DagRun:
    """Insert a run and one task instance (map index -1, no state) per task of `dag`.

    Each TI gets its task's pool, queue, retries (as `max_tries`) and effective priority weight;
    mapped tasks keep their single placeholder TI until the scheduler expands them.
    """
    run = DagRun(
        dag_id=dag.dag_id,
        run_id=new.run_id,
        run_type=new.run_type,
        run_after=new.run_after,
        logical_date=new.logical_date,
        data_interval_start=new.data_interval_start,
        data_interval_end=new.data_interval_end,
        conf=dict(new.conf or {}),
        triggered_by=new.triggered_by,
        note=new.note,
        state=state,
        queued_at=now if state == DagRunState.QUEUED.value else None,
        start_date=now if state == DagRunState.RUNNING.value else None,
        serialized_dag_id=serialized_dag_id,
        needs_scheduling=True,
        clear_number=0,
        updated_at=now,
    )
    session.add(run)
    session.flush()
    tis.create_for_run(session, run, dag, priority_weights_of(dag), now=now)
    return run


def priority_weights_of(dag: SerializedDAG) -> dict[str, int]:
    """Effective priority weights of `dag`'s tasks, computed once per deserialized DAG."""
    weights = _WEIGHTS.get(dag)
    if weights is None:
        from slipstream.orchestration.priority import priority_weights

        weights = priority_weights(dag.task_dict)
        _WEIGHTS[dag] = weights
    return weights


def trigger_run(
    session: Session,
    dag_id: str,
    *,
    now: dt.datetime,
    conf: Mapping[str, Any] | None = None,
    logical_date: dt.datetime | None = None,
    run_id: str | None = None,
    triggered_by: str = "cli",
    note: str | None = None,
) -> DagRun:
    """Create a manual run, queued at once (`manual__<logical date>` unless `run_id` is given).

    `conf` is validated against the DAG's params (`ParamValidationError` names the param). The
    logical date defaults to `now`; the data interval is the timetable's manual one. Raises
    `DagNotFound` for a DAG with no stored structure and `DagRunAlreadyExists` when the run id
    or the logical date is taken.
    """
    when = _aware(logical_date) if logical_date is not None else now
    request = ManualTrigger(
        logical_date=when,
        run_after=when,
        run_id=run_id or DagRunType.MANUAL.generate_run_id(when.astimezone(dt.UTC).isoformat()),
        conf=conf,
        triggered_by=triggered_by,
        note=note,
    )
    return trigger_manual_run(session, dag_id, request, now=now)


@dataclass(frozen=True)
class ManualTrigger:
    """What a user asks for when triggering a run (Airflow's trigger body).

    Without a logical date the run has none and no data interval (Airflow 3). With one, the data
    interval is `data_interval` or else the timetable's manual interval for that date.
    `run_after` defaults to `now`; `run_id` to the timetable's manual run id for `run_after`.
    """

    logical_date: dt.datetime | None = None
    run_after: dt.datetime | None = None
    data_interval: tuple[dt.datetime, dt.datetime] | None = None
    run_id: str | None = None
    conf: Mapping[str, Any] | None = None
    triggered_by: str = "cli"
    note: str | None = None


def trigger_manual_run(
    session: Session, dag_id: str, request: ManualTrigger, *, now: dt.datetime
) -> DagRun:
    """Create the queued manual run `request` describes, with one TI per task of the DAG's
    newest version.

    `conf` is validated against the DAG's params (`ParamValidationError` names the param), a
    run id given against `[scheduler] allowed_run_id_pattern` (`InvalidRunIdError`). Raises
    `DagNotFound` for a DAG with no stored structure and `DagRunAlreadyExists` when the run id
    or the logical date is taken.
    """
    from slipstream.core.exceptions import DagNotFound
    from slipstream.db.store.serialized_dags import latest_serialized_dag
    from slipstream.sdk.params import validate_conf

    if request.run_id is not None:
        check_run_id(request.run_id)
    found = latest_serialized_dag(session, dag_id)
    if found is None:
        raise DagNotFound(f"Dag id {dag_id} not found: it cannot be triggered")
    serialized_id, dag = found
    validate_conf(dag.params, request.conf)
    new = _manual_run(dag, request, now)
    _refuse_duplicate(session, dag_id, new)
    return create_run(session, dag, serialized_id, new, now=now)


def check_run_id(run_id: str) -> None:
    """Refuse a user's run id that `[scheduler] allowed_run_id_pattern` does not match: ids
    appear in URLs, log paths and shells, so by default only letters, digits and `_.~:+-`."""
    import re

    from slipstream.config import get_config
    from slipstream.core.exceptions import InvalidRunIdError

    pattern = get_config().get("scheduler", "allowed_run_id_pattern")
    if not re.match(pattern, run_id):
        raise InvalidRunIdError(
            f"The run id {run_id!r} does not match [scheduler] allowed_run_id_pattern "
            f"{pattern!r}: use letters, digits and _ . ~ : + - only"
        )


def _manual_run(dag: SerializedDAG, request: ManualTrigger, now: dt.datetime) -> NewRun:
    logical_date = None if request.logical_date is None else _aware(request.logical_date)
    run_after = _aware(request.run_after) if request.run_after is not None else now
    start = end = None
    if request.data_interval is not None:
        start, end = (_aware(when) for when in request.data_interval)
    elif logical_date is not None:
        interval = dag.timetable.infer_manual_data_interval(run_after=_pendulum(logical_date))
        start, end = interval.start, interval.end
    run_id = request.run_id or _manual_run_id(dag, run_after, start, end)
    return NewRun(
        run_id=run_id,
        run_type=DagRunType.MANUAL.value,
        run_after=run_after,
        logical_date=logical_date,
        data_interval_start=start if logical_date is not None else None,
        data_interval_end=end if logical_date is not None else None,
        conf=request.conf,
        triggered_by=request.triggered_by,
        note=request.note,
    )


def _manual_run_id(
    dag: SerializedDAG,
    run_after: dt.datetime,
    start: dt.datetime | None,
    end: dt.datetime | None,
) -> str:
    from slipstream.timetables.base import DataInterval

    interval = None
    if start is not None and end is not None:
        interval = DataInterval(_pendulum(start), _pendulum(end))
    return str(
        dag.timetable.generate_run_id(
            DagRunType.MANUAL, run_after=_pendulum(run_after), data_interval=interval
        )
    )


def _refuse_duplicate(session: Session, dag_id: str, new: NewRun) -> None:
    from slipstream.sdk.operators.trigger_dagrun import DagRunAlreadyExists

    if get_run(session, dag_id, new.run_id) is not None:
        raise DagRunAlreadyExists(f"A run {new.run_id} of DAG {dag_id} already exists")
    if new.logical_date is None:
        return
    taken = session.scalar(
        select(DagRun.run_id).where(
            DagRun.dag_id == dag_id, DagRun.logical_date == new.logical_date
        )
    )
    if taken is not None:
        raise DagRunAlreadyExists(
            f"DAG {dag_id} already has a run ({taken}) with logical date {_iso(new.logical_date)}"
        )


# --- the scheduler's view ---------------------------------------------------------------------


def lock_step(session: Session, name: str) -> None:
    """Serialize one scheduler step across schedulers until the transaction ends.

    PostgreSQL: a transaction-scoped advisory lock. SQLite needs nothing: write transactions
    (`BEGIN IMMEDIATE`) already run one at a time.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _lock_key(name)})


def _lock_key(name: str) -> int:
    import zlib

    return 0x51_1F_00_00 + zlib.crc32(name.encode())


def runs_to_examine(session: Session, *, limit: int, now: dt.datetime) -> list[DagRun]:
    """Running runs marked dirty, oldest decision first; marks them clean and locks them.

    Each one's `view_version` goes up by one; the returned objects keep the number from before.

    On PostgreSQL the rows are locked `FOR UPDATE SKIP LOCKED`, so another scheduler working
    at the same time takes other runs; a TI change committed later marks the run dirty again.
    """
    postgres = session.get_bind().dialect.name == "postgresql"
    runs = list(session.scalars(_dirty_runs_statement(postgres), {"b_limit": limit}))
    if runs:
        params = {"b_ids": [r.id for r in runs], "b_now": now}
        session.execute(_examined_statement(), params)
    return runs


@functools.cache
def _dirty_runs_statement(postgres: bool) -> Any:
    query = (
        select(DagRun)
        .where(DagRun.needs_scheduling.is_(True), DagRun.state == DagRunState.RUNNING.value)
        .order_by(DagRun.last_scheduling_decision.asc().nulls_first(), DagRun.id)
        .limit(bindparam("b_limit"))
    )
    return query.with_for_update(skip_locked=True, of=DagRun) if postgres else query


@functools.cache
def _examined_statement() -> Any:
    runs: Any = DagRun.__table__
    return (
        update(runs)
        .where(runs.c.id.in_(bindparam("b_ids", expanding=True)))
        .values(
            needs_scheduling=False,
            last_scheduling_decision=bindparam("b_now"),
            view_version=runs.c.view_version + 1,
        )
    )


def lock_runs(session: Session, run_ids: Collection[int]) -> list[DagRun]:
    """The given running runs, locked like `runs_to_examine` (skipping runs locked elsewhere)."""
    if not run_ids:
        return []
    query = select(DagRun).where(
        DagRun.id.in_(list(run_ids)), DagRun.state == DagRunState.RUNNING.value
    )
    return list(session.scalars(_skip_locked(session, query)))


def _skip_locked(session: Session, query: Any) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        return query.with_for_update(skip_locked=True, of=DagRun)
    return query


def running_run_starts(session: Session) -> list[tuple[int, int | None, dt.datetime | None]]:
    """`(id, serialized_dag_id, start_date)` of every running run (for `dagrun_timeout`)."""
    rows = session.execute(
        select(DagRun.id, DagRun.serialized_dag_id, DagRun.start_date).where(
            DagRun.state == DagRunState.RUNNING.value
        )
    )
    return [(r[0], r[1], r[2]) for r in rows]


def mark_runs_dirty(session: Session, run_ids: Iterable[int]) -> None:
    ids = sorted(set(run_ids))
    for chunk in chunks(ids):
        session.execute(
            nosync_update(DagRun).where(DagRun.id.in_(chunk)).values(needs_scheduling=True)
        )


def mark_runs_dirty_for_tis(session: Session, ti_ids: Iterable[int]) -> None:
    """Mark the runs of these task instances for the scheduler's next look (one statement)."""
    from slipstream.db.models import TaskInstance

    ids = sorted(set(ti_ids))
    for chunk in chunks(ids):
        owners = select(TaskInstance.dag_run_id).where(TaskInstance.id.in_(chunk))
        session.execute(
            nosync_update(DagRun)
            .where(DagRun.id.in_(owners), DagRun.state == DagRunState.RUNNING.value)
            .values(needs_scheduling=True)
        )


def mark_stale_runs_dirty(session: Session, before: dt.datetime) -> int:
    """Mark running runs not examined since `before` (a safety net for lost wake-ups)."""
    result = session.execute(
        nosync_update(DagRun)
        .where(
            DagRun.state == DagRunState.RUNNING.value,
            DagRun.needs_scheduling.is_(False),
            DagRun.last_scheduling_decision < before,
        )
        .values(needs_scheduling=True)
    )
    return rowcount(result)


def finish_run(session: Session, run_id: int, state: str, *, now: dt.datetime) -> None:
    session.execute(
        nosync_update(DagRun)
        .where(DagRun.id == run_id)
        .values(state=state, end_date=now, needs_scheduling=False, updated_at=now)
    )


def set_run_state(session: Session, run: DagRun, state: str, *, now: dt.datetime) -> None:
    """Set a run's state as a user does (`dags state`/API): finished states get an end date,
    `queued` clears the dates and waits for a slot, `running` marks the run for scheduling."""
    values: dict[str, Any] = {"state": state, "updated_at": now}
    if state in FINISHED_RUN_STATES:
        values.update(end_date=now, needs_scheduling=False)
    elif state == DagRunState.QUEUED.value:
        values.update(queued_at=now, start_date=None, end_date=None, needs_scheduling=True)
    else:
        values.update(end_date=None, needs_scheduling=True)
        if run.start_date is None:
            values["start_date"] = now
    session.execute(nosync_update(DagRun).where(DagRun.id == run.id).values(**values))
    for name, value in values.items():  # keep the caller's object current (not dirty)
        set_committed_value(run, name, value)


def mark_run(session: Session, run: DagRun, state: str, *, now: dt.datetime) -> list[int]:
    """Mark a whole run success or failed, as Airflow's "mark run as" does.

    Success sets every unfinished TI to success. Failed sets running TIs to failed and the other
    unfinished ones to skipped. Returns the ids of the TIs changed.
    """
    if state not in FINISHED_RUN_STATES:
        raise ValueError(f"a run can be marked success or failed, not {state!r}")
    changed = tis.settle_unfinished(session, run.id, state, now=now)
    set_run_state(session, run, state, now=now)
    return changed


# --- queued runs and max_active_runs ----------------------------------------------------------


@dataclass(frozen=True)
class QueuedRun:
    id: int
    dag_id: str
    serialized_dag_id: int | None
    max_active_runs: int | None


def queued_runs(session: Session, *, limit: int) -> list[QueuedRun]:
    """Queued runs of unpaused DAGs, oldest `run_after` first."""
    rows = session.execute(
        select(DagRun.id, DagRun.dag_id, DagRun.serialized_dag_id, DagModel.max_active_runs)
        .join(DagModel, DagModel.dag_id == DagRun.dag_id)
        .where(DagRun.state == DagRunState.QUEUED.value, DagModel.is_paused.is_(False))
        .order_by(DagRun.run_after, DagRun.id)
        .limit(limit)
    )
    return [QueuedRun(r[0], r[1], r[2], r[3]) for r in rows]


def running_counts(session: Session, dag_ids: Collection[str]) -> dict[str, int]:
    """Running runs per DAG."""
    if not dag_ids:
        return {}
    rows = session.execute(
        select(DagRun.dag_id, func.count())
        .where(DagRun.dag_id.in_(list(dag_ids)), DagRun.state == DagRunState.RUNNING.value)
        .group_by(DagRun.dag_id)
    )
    return {r[0]: int(r[1]) for r in rows}


def active_counts(session: Session, dag_ids: Collection[str]) -> dict[str, int]:
    """Queued plus running runs per DAG."""
    if not dag_ids:
        return {}
    rows = session.execute(
        select(DagRun.dag_id, func.count())
        .where(DagRun.dag_id.in_(list(dag_ids)), DagRun.state.in_(ACTIVE_RUN_STATES))
        .group_by(DagRun.dag_id)
    )
    return {r[0]: int(r[1]) for r in rows}


def start_runs(session: Session, run_ids: Collection[int], *, now: dt.datetime) -> None:
    """Queued runs become running and are marked for scheduling."""
    if run_ids:
        session.execute(
            nosync_update(DagRun)
            .where(DagRun.id.in_(list(run_ids)), DagRun.state == DagRunState.QUEUED.value)
            .values(state=DagRunState.RUNNING.value, start_date=now, needs_scheduling=True)
        )


# --- scheduled runs and the DAG's next run ----------------------------------------------------


def last_automated_interval(
    session: Session, dag_id: str
) -> tuple[dt.datetime, dt.datetime] | None:
    """The data interval of the DAG's newest scheduled run."""
    row = session.execute(
        select(DagRun.data_interval_start, DagRun.data_interval_end)
        .where(DagRun.dag_id == dag_id, DagRun.run_type == DagRunType.SCHEDULED.value)
        .order_by(DagRun.logical_date.desc())
        .limit(1)
    ).first()
    if row is None or row[0] is None or row[1] is None:
        return None
    return row[0], row[1]


def set_next_dagrun(
    session: Session,
    dag_id: str,
    info: Any,
    *,
    may_create: bool,
) -> None:
    """Store the DAG's next scheduled run (a timetable `DagRunInfo`, or None for no more runs).

    With `may_create` False (`max_active_runs` reached) the next run is remembered but not
    due: `next_dagrun_create_after` stays empty until a run finishes.
    """
    if info is None:
        values: dict[str, Any] = dict.fromkeys(
            (
                "next_dagrun",
                "next_dagrun_data_interval_start",
                "next_dagrun_data_interval_end",
                "next_dagrun_create_after",
            )
        )
    else:
        values = {
            "next_dagrun": info.logical_date,
            "next_dagrun_data_interval_start": info.data_interval.start,
            "next_dagrun_data_interval_end": info.data_interval.end,
            "next_dagrun_create_after": info.run_after if may_create else None,
        }
    session.execute(nosync_update(DagModel).where(DagModel.dag_id == dag_id).values(**values))


def blocked_dag_ids(session: Session, dag_ids: Collection[str]) -> list[str]:
    """DAGs among these that have a next run remembered but not due (held by max_active_runs)."""
    if not dag_ids:
        return []
    return list(
        session.scalars(
            select(DagModel.dag_id).where(
                DagModel.dag_id.in_(list(dag_ids)),
                DagModel.next_dagrun.is_not(None),
                DagModel.next_dagrun_create_after.is_(None),
                DagModel.is_paused.is_(False),
            )
        )
    )


def next_creation_due(session: Session) -> dt.datetime | None:
    """When the next scheduled run of an unpaused DAG becomes due."""
    result: dt.datetime | None = session.scalar(
        select(func.min(DagModel.next_dagrun_create_after)).where(
            DagModel.is_paused.is_(False), DagModel.is_stale.is_(False)
        )
    )
    return result


# --- depends_on_past ----------------------------------------------------------------------------


def previous_run_id(session: Session, run: DagRun) -> int | None:
    """The DAG's run before `run` (by logical date, else by `run_after`)."""
    query = select(DagRun.id).where(DagRun.dag_id == run.dag_id, DagRun.id != run.id)
    if run.logical_date is not None:
        query = query.where(DagRun.logical_date < run.logical_date).order_by(
            DagRun.logical_date.desc()
        )
    else:
        query = query.where(DagRun.run_after < run.run_after).order_by(DagRun.run_after.desc())
    return session.scalar(query.limit(1))


def mark_later_runs_dirty(session: Session, run: DagRun) -> None:
    """Running runs of the same DAG after `run`: their `depends_on_past` tasks may now go."""
    order_col = DagRun.logical_date if run.logical_date is not None else DagRun.run_after
    after = run.logical_date if run.logical_date is not None else run.run_after
    session.execute(
        nosync_update(DagRun)
        .where(
            DagRun.dag_id == run.dag_id,
            DagRun.state == DagRunState.RUNNING.value,
            order_col > after,
        )
        .values(needs_scheduling=True)
    )


# --- helpers ----------------------------------------------------------------------------------


def _iso(value: dt.datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _aware(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value


def _pendulum(value: dt.datetime) -> Any:
    import pendulum

    return pendulum.instance(value)


# --- operating from the CLI (list-runs, state, backfill) -------------------------------------


def find_runs(
    session: Session,
    dag_id: str,
    *,
    states: Collection[str] | None = None,
    exclude_run_types: Collection[str] | None = None,
    logical_start: dt.datetime | None = None,
    logical_end: dt.datetime | None = None,
) -> list[DagRun]:
    """Every run of `dag_id` matching the filters, oldest first (by `run_after`).

    `logical_start`/`logical_end` bound the logical date (both inclusive); a run without a
    logical date is left out when either bound is given.
    """
    query = select(DagRun).where(DagRun.dag_id == dag_id)
    if states:
        query = query.where(DagRun.state.in_(list(states)))
    if exclude_run_types:
        query = query.where(DagRun.run_type.not_in(list(exclude_run_types)))
    if logical_start is not None:
        query = query.where(DagRun.logical_date >= logical_start)
    if logical_end is not None:
        query = query.where(DagRun.logical_date <= logical_end)
    return list(session.scalars(query.order_by(DagRun.run_after, DagRun.id)))


def run_at_logical_date(session: Session, dag_id: str, logical_date: dt.datetime) -> DagRun | None:
    """The run of `dag_id` with this logical date (there is at most one)."""
    return session.scalars(
        select(DagRun).where(DagRun.dag_id == dag_id, DagRun.logical_date == logical_date)
    ).one_or_none()


def run_states(session: Session, ids: Collection[int]) -> dict[int, str]:
    """`id -> state` of these runs (a backfill watching its runs)."""
    out: dict[int, str] = {}
    for chunk in chunks(sorted(ids)):
        rows = session.execute(select(DagRun.id, DagRun.state).where(DagRun.id.in_(chunk)))
        out.update({row[0]: row[1] for row in rows})
    return out


def adopt_for_backfill(
    session: Session,
    run_pk: int,
    *,
    now: dt.datetime,
    conf: Mapping[str, Any] | None = None,
) -> None:
    """An existing run a backfill reprocesses becomes one of its runs, as in Airflow: run type
    `backfill`, triggered by `backfill`, and the backfill's conf when it has one."""
    values: dict[str, Any] = {
        "run_type": DagRunType.BACKFILL_JOB.value,
        "triggered_by": "backfill",
        "updated_at": now,
    }
    if conf is not None:
        values["conf"] = dict(conf)
    session.execute(nosync_update(DagRun).where(DagRun.id == run_pk).values(**values))

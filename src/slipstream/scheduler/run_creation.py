"""Step 1 of a tick: create the runs that are due and start queued runs within their limits.

- Scheduled runs come from `dag.next_dagrun*` (kept by the DAG processor and, after each run
  created here, by `compute_next_dagrun`), honouring start/end dates and catchup. A DAG at its
  `max_active_runs` (queued + running) keeps its next run but gets no new one until a run ends,
  as Airflow does (`next_dagrun_create_after` is emptied meanwhile).
- Asset-triggered runs come from `asset_dag_run_queue` rows whose DAG's asset condition holds;
  the run is linked to the triggering events and the queue rows go.
- Queued runs (manual, scheduled, asset-triggered) of unpaused DAGs start, oldest first, while
  the DAG has fewer running runs than `max_active_runs`.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from slipstream.core.run_types import DagRunType
from slipstream.db.models import DagModel
from slipstream.db.store import asset_runs
from slipstream.db.store import runs as run_store
from slipstream.db.store.dags import dags_due, serialized_dag_by_id
from slipstream.db.store.pending import PendingWork
from slipstream.db.store.serialized_dags import latest_serialized_dag
from slipstream.serialization import SerializedDAG
from slipstream.timetables.next_run import compute_next_dagrun

log = logging.getLogger("slipstream.scheduler")


@dataclass
class Created:
    scheduled: list[int] = field(default_factory=list)
    asset_triggered: list[int] = field(default_factory=list)
    started: list[int] = field(default_factory=list)


def create_runs(
    session: Session, *, now: dt.datetime, limit: int, pending: PendingWork | None = None
) -> Created:
    """Create due scheduled and asset-triggered runs, then start queued runs; with `pending`
    (what a first look found), only the kinds that have something to do."""
    look = pending or PendingWork()
    created = Created()
    if not (look.dags_due or look.assets_queued or look.runs_queued):
        return created
    run_store.lock_step(session, "create_runs")
    if look.dags_due:
        created.scheduled = _create_scheduled(session, now=now, limit=limit)
    if look.assets_queued:
        created.asset_triggered = _create_asset_triggered(session, now=now)
    if look.runs_queued or created.scheduled or created.asset_triggered:
        created.started = _start_queued(session, now=now, limit=max(limit * 10, 100))
    return created


def max_active_runs(dag: SerializedDAG, dag_model: DagModel | None) -> int:
    """The DAG's `max_active_runs`, capped by its timetable's own limit (continuous: 1)."""
    override = None if dag_model is None else dag_model.max_active_runs
    return _run_limit(dag, override)


def _run_limit(dag: SerializedDAG, override: int | None) -> int:
    limit = dag.max_active_runs if override is None else override
    timetable_limit = getattr(dag.timetable, "active_runs_limit", None)
    return limit if timetable_limit is None else min(limit, timetable_limit)


# --- scheduled runs ---------------------------------------------------------------------------


def _create_scheduled(session: Session, *, now: dt.datetime, limit: int) -> list[int]:
    created: list[int] = []
    for dag_model in dags_due(session, now, limit):
        found = latest_serialized_dag(session, dag_model.dag_id)
        if found is None:
            continue
        serialized_id, dag = found
        try:
            with session.begin_nested():
                created.extend(_create_for_dag(session, dag_model, dag, serialized_id, now=now))
        except Exception:  # a broken (custom) timetable must not stop other DAGs' runs
            log.exception("Cannot create the next run of DAG %s", dag_model.dag_id)
    return created


def _create_for_dag(
    session: Session, dag_model: DagModel, dag: SerializedDAG, serialized_id: int, *, now: Any
) -> list[int]:
    """Runs of one due DAG: while its next run is due and `max_active_runs` allows."""
    created: list[int] = []
    limit = max_active_runs(dag, dag_model)
    active = run_store.active_counts(session, [dag.dag_id]).get(dag.dag_id, 0)
    info = _stored_next(dag_model)
    while info is not None and info.run_after <= now:
        if active >= limit:
            run_store.set_next_dagrun(session, dag.dag_id, info, may_create=False)
            return created
        run = _create_scheduled_run(session, dag, serialized_id, info, now=now)
        if run is not None:
            created.append(run)
            active += 1
        info = compute_next_dagrun(dag, info.data_interval, now)
    run_store.set_next_dagrun(session, dag.dag_id, info, may_create=active < limit)
    return created


def _create_scheduled_run(
    session: Session, dag: SerializedDAG, serialized_id: int, info: Any, *, now: dt.datetime
) -> int | None:
    interval = info.data_interval
    run_id = dag.timetable.generate_run_id(
        DagRunType.SCHEDULED, info.logical_date, run_after=info.run_after, data_interval=interval
    )
    if run_store.get_run(session, dag.dag_id, run_id) is not None:
        return None  # created before (a restarted or concurrent scheduler): move past it
    if run_store.run_at_logical_date(session, dag.dag_id, info.logical_date) is not None:
        return None  # a backfill or manual run already covers this logical date
    new = run_store.NewRun(
        run_id=run_id,
        run_type=DagRunType.SCHEDULED.value,
        run_after=info.run_after,
        logical_date=info.logical_date,
        data_interval_start=interval.start,
        data_interval_end=interval.end,
        triggered_by="timetable",
    )
    log.info("Creating run %s of DAG %s", run_id, dag.dag_id)
    return run_store.create_run(session, dag, serialized_id, new, now=now).id


def _stored_next(dag_model: DagModel) -> Any:
    """`dag.next_dagrun*` as a timetable `DagRunInfo` (None when there is no next run)."""
    start = dag_model.next_dagrun_data_interval_start
    end = dag_model.next_dagrun_data_interval_end
    run_after = dag_model.next_dagrun_create_after
    if dag_model.next_dagrun is None or start is None or end is None or run_after is None:
        return None
    from slipstream.timetables import DagRunInfo, DataInterval
    from slipstream.timetables._time import coerce_datetime

    return DagRunInfo(
        coerce_datetime(run_after), DataInterval(coerce_datetime(start), coerce_datetime(end))
    )


def release_next_runs(session: Session, dag_ids: Iterable[str], *, now: dt.datetime) -> None:
    """After runs ended: DAGs held at `max_active_runs` get their next run due again."""
    for dag_id in run_store.blocked_dag_ids(session, sorted(set(dag_ids))):
        found = latest_serialized_dag(session, dag_id)
        if found is None:
            continue
        dag = found[1]
        from slipstream.db.store.dags import get_dag_model

        if run_store.active_counts(session, [dag_id]).get(dag_id, 0) >= max_active_runs(
            dag, get_dag_model(session, dag_id)
        ):
            continue
        last = run_store.last_automated_interval(session, dag_id)
        info = compute_next_dagrun(dag, last, now)
        run_store.set_next_dagrun(session, dag_id, info, may_create=True)


# --- asset-triggered runs ---------------------------------------------------------------------


def _create_asset_triggered(session: Session, *, now: dt.datetime) -> list[int]:
    created: list[int] = []
    for dag_id, queued in asset_runs.asset_queue(session).items():
        found = latest_serialized_dag(session, dag_id)
        if found is None:
            continue
        serialized_id, dag = found
        condition = getattr(dag.timetable, "asset_condition", None)
        if condition is None:
            continue
        statuses = {q.uri: True for q in queued}
        if not condition.evaluate(statuses):
            continue
        run = asset_runs.create_asset_triggered_run(session, dag, serialized_id, queued, now=now)
        log.info("Creating asset-triggered run %s of DAG %s", run.run_id, dag_id)
        created.append(run.id)
    return created


# --- starting queued runs ---------------------------------------------------------------------


def _start_queued(session: Session, *, now: dt.datetime, limit: int) -> list[int]:
    queued = run_store.queued_runs(session, limit=limit)
    if not queued:
        return []
    dag_ids = {q.dag_id for q in queued}
    running = run_store.running_counts(session, dag_ids)
    starting: list[int] = []
    for item in queued:
        dag = (
            serialized_dag_by_id(session, item.serialized_dag_id)
            if item.serialized_dag_id
            else None
        )
        cap = item.max_active_runs if dag is None else _run_limit(dag, item.max_active_runs)
        if cap is not None and running.get(item.dag_id, 0) >= cap:
            continue
        running[item.dag_id] = running.get(item.dag_id, 0) + 1
        starting.append(item.id)
    run_store.start_runs(session, starting, now=now)
    return starting

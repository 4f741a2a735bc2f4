"""What users do to a whole run (through the REST API): mark it, annotate it, clear its task
instances, delete it. Each is a few set-based statements in the caller's transaction.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from slipstream.core.states import DagRunState
from slipstream.db.models import DagRun, TaskInstance
from slipstream.db.store import runs, ti_clearing
from slipstream.db.store import task_instances as tis
from slipstream.db.store._sql import nosync_update, rowcount


def mark_run_state(session: Session, run: DagRun, state: str, *, now: dt.datetime) -> list[int]:
    """Set a run's state as Airflow's "mark run as" does; returns the ids of the TIs changed.

    `success` / `failed` also settle the run's unfinished TIs (`runs.mark_run`); a run already in
    that state keeps its dates. `queued` puts the run back in the queue and leaves its TIs alone.
    """
    if state == DagRunState.QUEUED.value:
        if run.state != state:
            runs.set_run_state(session, run, state, now=now)
        return []
    if run.state == state:
        return tis.settle_unfinished(session, run.id, state, now=now)
    return runs.mark_run(session, run, state, now=now)


def set_run_note(session: Session, run: DagRun, note: str | None, *, now: dt.datetime) -> None:
    """Replace the run's note (None removes it)."""
    session.execute(
        nosync_update(DagRun).where(DagRun.id == run.id).values(note=note, updated_at=now)
    )
    set_committed_value(run, "note", note)
    set_committed_value(run, "updated_at", now)


def clear_run(
    session: Session,
    run: DagRun,
    *,
    now: dt.datetime,
    only_failed: bool = False,
    dry_run: bool = False,
) -> list[TaskInstance]:
    """Clear the run's task instances (only failed and upstream_failed ones with `only_failed`)
    so they run again, as `tasks clear` does; a finished run goes back to the queue.

    Returns the TIs cleared (or, with `dry_run`, that would be), as they were before.
    """
    current = tis.tis_for_run(session, run.dag_id, run.run_id)
    task_ids = sorted({ti.task_id for ti in current})
    cleared = ti_clearing.clear(
        session,
        run.dag_id,
        task_ids,
        now=now,
        run_ids=[run.run_id],
        only_failed=only_failed,
        dry_run=dry_run,
    )
    keys = {(c.task_id, c.map_index) for c in cleared}
    return [ti for ti in current if (ti.task_id, ti.map_index) in keys]


def delete_run(session: Session, run: DagRun) -> bool:
    """Delete a run that is not running, with its task instances, their tries, XComs and asset
    event links (the foreign keys cascade). False when the run is running (nothing changes)."""
    result = session.execute(
        delete(DagRun)
        .where(DagRun.id == run.id, DagRun.state != DagRunState.RUNNING.value)
        .execution_options(synchronize_session=False)
    )
    return bool(rowcount(result))

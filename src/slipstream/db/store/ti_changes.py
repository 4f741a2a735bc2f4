"""The TIs of runs that changed since the scheduler last examined them.

Every insert and update of a TI row sets `task_instance.changed` (the column's `onupdate`), so no
writer can forget to; the examination that reads a changed row clears its flag in the same
transaction. Rows are found through a partial index on the flagged rows only, so an examination
reads what changed, however many TIs the run has.

On PostgreSQL the changed rows are read `FOR UPDATE SKIP LOCKED`: a row another transaction is
writing keeps its flag, and its run is marked for another look, so a change is never cleared
unseen.
"""

from __future__ import annotations

import functools
from collections.abc import Collection
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from slipstream.db.models import DagRun, TaskInstance
from slipstream.db.store._sql import chunks
from slipstream.db.store.task_instances import TIState

_TI: Any = TaskInstance.__table__
_RUN: Any = DagRun.__table__


def take_changes(session: Session, run_ids: Collection[int]) -> list[TIState]:
    """The changed TIs of these runs, whose flags are then cleared (runs locked by the caller)."""
    postgres = session.get_bind().dialect.name == "postgresql"
    changes: list[TIState] = []
    for chunk in chunks(sorted(run_ids)):
        rows = session.execute(_changed_statement(postgres), {"b_runs": chunk})
        changes.extend(TIState(*row) for row in rows)
    for chunk in chunks([ti.id for ti in changes]):
        session.execute(_seen_statement(), {"b_ids": chunk})
    if postgres:
        _mark_runs_with_unseen_changes(session, run_ids)
    return changes


def _mark_runs_with_unseen_changes(session: Session, run_ids: Collection[int]) -> None:
    """Runs with flagged rows left (locked by a writer when read) get another look."""
    for chunk in chunks(sorted(run_ids)):
        left = select(_TI.c.dag_run_id).where(_TI.c.dag_run_id.in_(chunk), _TI.c.changed.is_(True))
        session.execute(update(_RUN).where(_RUN.c.id.in_(left)).values(needs_scheduling=True))


@functools.cache
def _changed_statement(postgres: bool) -> Any:
    c = _TI.c
    query = select(c.id, c.dag_run_id, c.task_id, c.map_index, c.state, c.try_number).where(
        c.dag_run_id.in_(bindparam("b_runs", expanding=True)), c.changed.is_(True)
    )
    return query.with_for_update(skip_locked=True) if postgres else query


@functools.cache
def _seen_statement() -> Any:
    return update(_TI).where(_TI.c.id.in_(bindparam("b_ids", expanding=True))).values(changed=False)

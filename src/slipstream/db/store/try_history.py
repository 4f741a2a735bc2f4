"""Recording tries in `task_instance_history`, once per try, and marking the runs whose task
instances changed for the scheduler's next look.

A try that ends is recorded from what its end computed (`history_row`, `record_history`: a try
recorded again replaces its row); a try about to be reset by a clear or a mark is copied from
its task instance as it stands (`copy_to_history`). The statements of the hot path (one try's
end) are built once per process.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from typing import Any, cast

from sqlalchemy import bindparam, delete, exists, insert, select, update
from sqlalchemy.orm import Session

from slipstream.core.states import TaskInstanceState
from slipstream.db.models import DagRun, TaskInstance, TaskInstanceHistory
from slipstream.db.store._sql import chunks, dialect_insert

__all__ = ["copy_to_history", "history_row", "mark_runs", "record_history"]

S = TaskInstanceState
_TIH = cast(Any, TaskInstanceHistory.__table__)
_RUN = cast(Any, DagRun.__table__)
_HISTORY_KEY = ("dag_id", "run_id", "task_id", "map_index", "try_number")
_FINISHED = (S.SUCCESS, S.FAILED, S.SKIPPED, S.UPSTREAM_FAILED, S.REMOVED)


def history_row(
    ti: Any, state: TaskInstanceState, end_date: dt.datetime, duration: float | None
) -> dict[str, Any]:
    """The history row of `ti`'s current try ending in `state` (a try that does not finish, one
    retried, is recorded `failed`, as Airflow does)."""
    return {
        "task_instance_id": ti.id,
        "dag_id": ti.dag_id,
        "run_id": ti.run_id,
        "task_id": ti.task_id,
        "map_index": ti.map_index,
        "try_number": ti.try_number,
        "state": state.value if state in _FINISHED else S.FAILED.value,
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


def record_history(session: Session, rows: list[dict[str, Any]]) -> None:
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
    stmt = dialect_insert(dialect, _TIH)
    columns = [c.name for c in _TIH.c if c.name not in ("id", *_HISTORY_KEY)]
    return stmt.on_conflict_do_update(
        index_elements=list(_HISTORY_KEY), set_={name: stmt.excluded[name] for name in columns}
    )


_COPIED = (
    "dag_id", "run_id", "task_id", "map_index", "try_number", "state", "start_date",
    "end_date", "duration", "hostname", "pid", "queue", "pool", "priority_weight",
    "operator", "executor",
)  # fmt: skip


def copy_to_history(session: Session, ti_ids: list[int]) -> None:
    """Copy tried TIs into `task_instance_history` as they stand, once per try (before a clear
    or a mark resets them)."""
    TI, H = TaskInstance, TaskInstanceHistory
    for chunk in chunks(sorted(ti_ids)):
        already = exists().where(H.task_instance_id == TI.id, H.try_number == TI.try_number)
        source = select(TI.id, *(getattr(TI, c) for c in _COPIED)).where(
            TI.id.in_(chunk), TI.try_number > 0, TI.state.is_not(None), ~already
        )
        session.execute(insert(H).from_select(["task_instance_id", *_COPIED], source))


def mark_runs(session: Session, run_ids: Iterable[int]) -> None:
    """Mark these runs for the scheduler's next look (one statement)."""
    ids = sorted(set(run_ids))
    if len(ids) == 1:
        session.execute(_mark_run_statement(), {"b_run": ids[0]})
    elif ids:
        session.execute(update(_RUN).where(_RUN.c.id.in_(ids)).values(needs_scheduling=True))


@functools.cache
def _mark_run_statement() -> Any:
    return update(_RUN).where(_RUN.c.id == bindparam("b_run")).values(needs_scheduling=True)

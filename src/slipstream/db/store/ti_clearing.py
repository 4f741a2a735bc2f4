"""Clearing task instances so they run again (the CLI's `tasks clear`, the API's
`clearTaskInstances`), and the reset that clearing and marking by hand share.

A clear selects task instances of one DAG (`ClearScope`): tasks whole or single map indexes,
with their upstream/downstream tasks in each run's DAG version, in some runs or in a range of
logical dates, optionally only in some states. Each cleared TI keeps its try in the history,
loses its state (a running one becomes `restarting` until its try stops) and gets a fresh try
budget (`max_tries = try_number + retries`); finished runs go back to queued and running ones
are marked for scheduling. Functions take the caller's session and never commit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import or_, select, tuple_
from sqlalchemy.orm import Session

from slipstream.core.exceptions import AirflowException
from slipstream.core.states import DagRunState, TaskInstanceState
from slipstream.db.models import DagRun, TaskInstance
from slipstream.db.store._sql import nosync_update, state_in
from slipstream.db.store.serialized_dags import serialized_dag_by_id
from slipstream.db.store.task_instances import update_many
from slipstream.db.store.try_history import copy_to_history

if TYPE_CHECKING:
    from slipstream.serialization import SerializedDAG

__all__ = [
    "ClearRunningTaskError",
    "ClearScope",
    "Cleared",
    "clear",
    "clear_in_states",
    "clear_scope",
    "reset_for_rerun",
    "with_relatives",
]

S = TaskInstanceState
TI = TaskInstance
Chosen = tuple[int, str, int, str | None, int, int]
"""A TI to reset: (id, task id, map index, state, run pk, the task's retries)."""


@dataclass(frozen=True)
class Cleared:
    """One TI a clear reset: its identity and the state it had."""

    dag_id: str
    run_id: str
    task_id: str
    map_index: int
    state: str | None
    ti_id: int = -1


class ClearRunningTaskError(AirflowException):
    """A clear told to leave running task instances alone would have stopped some."""


@dataclass(frozen=True)
class ClearScope:
    """Which task instances of one DAG a clear selects.

    `task_ids` are whole tasks (every map index; None: every task of the runs) and
    `task_map_indexes` single `(task_id, map_index)` instances. With `upstream`/`downstream`,
    the tasks upstream/downstream of all of them (in each run's DAG version) are cleared whole.
    Runs are `run_ids` (None: every run of the DAG), optionally only those whose logical date is
    within `start_date`..`end_date`. `states` keeps only TIs in one of them (None: no state).
    """

    task_ids: Collection[str] | None = None
    task_map_indexes: Collection[tuple[str, int]] = ()
    run_ids: Collection[str] | None = None
    start_date: dt.datetime | None = None
    end_date: dt.datetime | None = None
    upstream: bool = False
    downstream: bool = False
    states: Collection[str | None] | None = None


def clear(
    session: Session,
    dag_id: str,
    task_ids: Collection[str],
    *,
    now: dt.datetime,
    run_ids: Collection[str] | None = None,
    start_date: dt.datetime | None = None,
    end_date: dt.datetime | None = None,
    downstream: bool = False,
    upstream: bool = False,
    only_failed: bool = False,
    dry_run: bool = False,
) -> list[Cleared]:
    """Clear TIs so they run again, as Airflow's `tasks clear` does.

    Selects the tasks (plus, on request, everything downstream/upstream of them in each run's
    DAG version) in the given runs (all runs of the DAG when `run_ids` is None, optionally by
    logical date), only failed/upstream_failed ones with `only_failed`. Each cleared TI keeps
    its try in the history, loses its state (a running one becomes `restarting` until its try
    stops) and gets a fresh try budget: `max_tries = try_number + retries`. Finished runs go
    back to queued; running ones are marked for scheduling.
    """
    failed = (S.FAILED.value, S.UPSTREAM_FAILED.value)
    return clear_in_states(
        session,
        dag_id,
        task_ids,
        failed if only_failed else None,
        now=now,
        run_ids=run_ids,
        start_date=start_date,
        end_date=end_date,
        downstream=downstream,
        upstream=upstream,
        dry_run=dry_run,
    )


def clear_in_states(
    session: Session,
    dag_id: str,
    task_ids: Collection[str],
    states: Collection[str | None] | None,
    *,
    now: dt.datetime,
    run_ids: Collection[str] | None = None,
    start_date: dt.datetime | None = None,
    end_date: dt.datetime | None = None,
    downstream: bool = False,
    upstream: bool = False,
    dry_run: bool = False,
) -> list[Cleared]:
    """`clear`, keeping only the TIs whose current state is one of `states` (None among them:
    no state; `states` None: any state).

    Selects like `clear` (tasks plus relatives in each run's DAG version, runs by id or logical
    date) and resets the chosen TIs the same way.
    """
    scope = ClearScope(
        task_ids=task_ids,
        run_ids=run_ids,
        start_date=start_date,
        end_date=end_date,
        upstream=upstream,
        downstream=downstream,
        states=states,
    )
    return clear_scope(session, dag_id, scope, now=now, dry_run=dry_run)


def clear_scope(
    session: Session,
    dag_id: str,
    scope: ClearScope,
    *,
    now: dt.datetime,
    dry_run: bool = False,
    reset_runs: bool = True,
    prevent_running: bool = False,
) -> list[Cleared]:
    """Clear the TIs `scope` selects (see the module docstring); returns them as they were.

    Without `reset_runs`, finished runs keep their state (their cleared TIs wait until the run
    runs again). With `prevent_running`, a selection holding a running TI raises
    `ClearRunningTaskError` naming them, and nothing is cleared.
    """
    runs = _runs_for_clear(session, dag_id, scope.run_ids, scope.start_date, scope.end_date)
    chosen: list[Chosen] = []
    for serialized_id, group in _by_version(runs).items():
        dag = None if serialized_id is None else serialized_dag_by_id(session, serialized_id)
        query = select(TI.id, TI.task_id, TI.map_index, TI.state, TI.dag_run_id).where(
            TI.dag_run_id.in_([r.id for r in group])
        )
        selected = _selection(dag, scope)
        if selected is not None:
            query = query.where(selected)
        if scope.states is not None:
            query = query.where(state_in(TI.state, scope.states))
        for ti_id, task_id, map_index, state, run_pk in session.execute(query):
            retries = dag.task_dict[task_id].retries if dag and task_id in dag.task_dict else 0
            chosen.append((ti_id, task_id, map_index, state, run_pk, retries))
    by_run = {r.id: r for r in runs}
    cleared = [Cleared(dag_id, by_run[c[4]].run_id, c[1], c[2], c[3], c[0]) for c in chosen]
    if dry_run or not chosen:
        return cleared
    if prevent_running:
        _refuse_running(cleared)
    copy_to_history(session, [c[0] for c in chosen])
    reset_for_rerun(session, chosen, now=now)
    touched = [by_run[i] for i in {c[4] for c in chosen}]
    _requeue_runs(session, touched, now=now, reset_finished=reset_runs)
    return cleared


def _selection(dag: SerializedDAG | None, scope: ClearScope) -> Any:
    """The condition on task id and map index for `scope` in one DAG version (None: all)."""
    if scope.task_ids is None:
        return None
    named = set(scope.task_ids)
    pair_tasks = {task_id for task_id, _ in scope.task_map_indexes}
    everything = with_relatives(
        dag, named | pair_tasks, downstream=scope.downstream, upstream=scope.upstream
    )
    whole = named | (everything - named - pair_tasks)
    pairs = [(t, i) for t, i in scope.task_map_indexes if t not in whole]
    condition: Any = TI.task_id.in_(sorted(whole))
    if pairs:
        condition = or_(condition, tuple_(TI.task_id, TI.map_index).in_(sorted(pairs)))
    return condition


def with_relatives(
    dag: SerializedDAG | None, task_ids: Collection[str], *, downstream: bool, upstream: bool
) -> set[str]:
    """`task_ids` with, on request, every task downstream/upstream of them in `dag` (only the
    given ones without a DAG)."""
    wanted = set(task_ids)
    if dag is None or not (downstream or upstream):
        return wanted
    from slipstream.orchestration.graph import downstream_closure, upstream_closure

    for task_id in task_ids:
        if task_id not in dag.task_dict:
            continue
        if downstream:
            wanted |= downstream_closure(dag.task_dict, task_id)
        if upstream:
            wanted |= upstream_closure(dag.task_dict, task_id)
    return wanted


def _refuse_running(cleared: list[Cleared]) -> None:
    running = [c for c in cleared if c.state == S.RUNNING.value]
    if running:
        names = ", ".join(
            f"{c.task_id}" + (f"[{c.map_index}]" if c.map_index >= 0 else "") + f" ({c.run_id})"
            for c in running
        )
        raise ClearRunningTaskError(
            f"Refusing to clear running task instances (prevent_running_task is set): {names}"
        )


def _runs_for_clear(
    session: Session,
    dag_id: str,
    run_ids: Collection[str] | None,
    start_date: dt.datetime | None,
    end_date: dt.datetime | None,
) -> list[DagRun]:
    query = select(DagRun).where(DagRun.dag_id == dag_id)
    if run_ids is not None:
        query = query.where(DagRun.run_id.in_(list(run_ids)))
    if start_date is not None:
        query = query.where(DagRun.logical_date >= start_date)
    if end_date is not None:
        query = query.where(DagRun.logical_date <= end_date)
    return list(session.scalars(query))


def _by_version(runs: Iterable[DagRun]) -> dict[int | None, list[DagRun]]:
    out: dict[int | None, list[DagRun]] = {}
    for run in runs:
        out.setdefault(run.serialized_dag_id, []).append(run)
    return out


def reset_for_rerun(session: Session, chosen: list[Chosen], *, now: dt.datetime) -> None:
    """The chosen TIs lose their state (running ones become `restarting`) and get a fresh try
    budget, so the scheduler runs them again."""
    groups: dict[tuple[bool, int], list[int]] = {}
    for ti_id, _task, _index, state, _run, retries in chosen:
        groups.setdefault((state == S.RUNNING.value, retries), []).append(ti_id)
    for (running, retries), ids in groups.items():
        values: dict[str, Any] = {
            "state": S.RESTARTING.value if running else None,
            "max_tries": TI.try_number + retries,
            "next_try_at": None,
            "updated_at": now,
        }
        if not running:
            values.update(
                queue_token=None, start_date=None, end_date=None, duration=None,
                first_reschedule_date=None,
            )  # fmt: skip
        update_many(session, ids, None, **values)


def _requeue_runs(
    session: Session, runs: list[DagRun], *, now: dt.datetime, reset_finished: bool = True
) -> None:
    finished = [r.id for r in runs if r.state in (DagRunState.SUCCESS, DagRunState.FAILED)]
    if not reset_finished:
        runs, finished = [r for r in runs if r.id not in set(finished)], []
    active = [r.id for r in runs if r.id not in set(finished)]
    if finished:
        session.execute(
            nosync_update(DagRun)
            .where(DagRun.id.in_(finished))
            .values(
                state=DagRunState.QUEUED.value,
                queued_at=now,
                start_date=None,
                end_date=None,
                last_scheduling_decision=None,
                clear_number=DagRun.clear_number + 1,
                needs_scheduling=True,
                updated_at=now,
            )
        )
    if active:
        session.execute(
            nosync_update(DagRun).where(DagRun.id.in_(active)).values(needs_scheduling=True)
        )

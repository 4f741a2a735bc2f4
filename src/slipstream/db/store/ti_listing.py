"""Reading task instances as the REST API shows them: filtered, sorted and paged listings, one
task instance, and the history of its tries.

A listing is one query for the page (task instances joined with their run and the run's DAG
version) plus one count, never a query per row. Display names come from the DAG versions the
page's runs use (`serialized_dag_by_id`, cached per process), so a page costs at most one extra
read per distinct DAG version, and usually none.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from slipstream.db.models import (
    DagModel,
    DagRun,
    SerializedDagModel,
    TaskInstance,
    TaskInstanceHistory,
)
from slipstream.db.store._sql import chunks, state_in
from slipstream.db.store.paging import Page, paged, total_of
from slipstream.db.store.ranges import Bounds
from slipstream.db.store.serialized_dags import (
    RunVersion,
    latest_version_id,
    serialized_dag_by_id,
)

if TYPE_CHECKING:
    from slipstream.serialization import SerializedDAG

__all__ = [
    "ORDER_FIELDS",
    "DagVersionInfo",
    "Range",
    "TIFilters",
    "TIView",
    "TryView",
    "count_views",
    "dag_exists",
    "dag_of_run",
    "get_view",
    "group_task_ids",
    "list_views",
    "mapped_indexes",
    "mapped_task_state",
    "run_exists",
    "tries_of",
    "views_by_ids",
]

TI = TaskInstance
H = TaskInstanceHistory
V = SerializedDagModel

# API field name -> what a listing sorts by (`order_by`); the id breaks ties.
ORDER_FIELDS: dict[str, Any] = {
    "id": TI.id,
    "state": TI.state,
    "duration": TI.duration,
    "start_date": TI.start_date,
    "end_date": TI.end_date,
    "map_index": TI.map_index,
    "try_number": TI.try_number,
    "logical_date": DagRun.logical_date,
    "run_after": DagRun.run_after,
    "data_interval_start": DagRun.data_interval_start,
    "data_interval_end": DagRun.data_interval_end,
    "rendered_map_index": TI.rendered_map_index,
    "operator": TI.operator,
}

_RANGE_COLUMNS: dict[str, Any] = {
    "run_after": DagRun.run_after,
    "logical_date": DagRun.logical_date,
    "start_date": TI.start_date,
    "end_date": TI.end_date,
    "updated_at": TI.updated_at,
    "duration": TI.duration,
}

Range = Bounds
"""Bounds on one field of a listing (the name the task-instance listing's callers use)."""
DagVersionInfo = RunVersion
"""The DAG version a run uses (`DagVersionResponse`)."""

# Fields matched by `<field>_pattern` / `<field>_prefix_pattern`. Task instances keep no display
# name of their own: the task display name is matched on the task id.
_TEXT_COLUMNS: dict[str, Any] = {
    "dag_id": TI.dag_id,
    "run_id": TI.run_id,
    "task_display_name": TI.task_id,
    "pool": TI.pool,
    "queue": TI.queue,
    "operator": TI.operator,
    "rendered_map_index": TI.rendered_map_index,
}


@dataclass(frozen=True)
class TIFilters:
    """What a listing keeps. None (or empty mappings) keeps everything.

    `ranges` are keyed by run_after, logical_date, start_date, end_date, updated_at or
    duration; `patterns` (case-insensitive substrings, SQL `LIKE` wildcards allowed) and
    `prefixes` (case-sensitive) by dag_id, run_id, task_display_name, pool, queue, operator or
    rendered_map_index. A `None` among `states` keeps task instances without a state.
    """

    dag_ids: Collection[str] | None = None
    run_ids: Collection[str] | None = None
    task_ids: Collection[str] | None = None
    map_indexes: Collection[int] | None = None
    mapped_only: bool = False
    states: Collection[str | None] | None = None
    pools: Collection[str] | None = None
    queues: Collection[str] | None = None
    executors: Collection[str] | None = None
    operators: Collection[str] | None = None
    try_numbers: Collection[int] | None = None
    version_numbers: Collection[int] | None = None
    ranges: Mapping[str, Range] = field(default_factory=dict)
    patterns: Mapping[str, str] = field(default_factory=dict)
    prefixes: Mapping[str, str] = field(default_factory=dict)

    def conditions(self) -> list[Any]:
        out = _in_conditions(self)
        if self.mapped_only:
            out.append(TI.map_index >= 0)
        if self.states is not None:
            out.append(state_in(TI.state, self.states))
        for name, bounds in self.ranges.items():
            out.extend(bounds.conditions(_RANGE_COLUMNS[name]))
        for name, text in self.patterns.items():
            out.append(_TEXT_COLUMNS[name].ilike(f"%{text}%"))
        for name, text in self.prefixes.items():
            column = _TEXT_COLUMNS[name]
            out.append(column.startswith(text, autoescape=True))
            out.append(func.substr(column, 1, len(text)) == text)  # LIKE ignores case on SQLite
        return out


def _in_conditions(filters: TIFilters) -> list[Any]:
    pairs: Sequence[tuple[Collection[Any] | None, Any]] = (
        (filters.dag_ids, TI.dag_id),
        (filters.run_ids, TI.run_id),
        (filters.task_ids, TI.task_id),
        (filters.map_indexes, TI.map_index),
        (filters.pools, TI.pool),
        (filters.queues, TI.queue),
        (filters.executors, TI.executor),
        (filters.operators, TI.operator),
        (filters.try_numbers, TI.try_number),
        (filters.version_numbers, V.version_number),
    )
    return [column.in_(list(values)) for values, column in pairs if values is not None]


@dataclass(frozen=True)
class TIView:
    """A task instance with what the API shows beside it: its run's dates, DAG version and the
    display names of its DAG and task."""

    ti: TaskInstance
    logical_date: dt.datetime | None
    run_after: dt.datetime
    version: DagVersionInfo | None
    dag_display_name: str
    task_display_name: str


@dataclass(frozen=True)
class TryView:
    """One try of a task instance (`TaskInstanceHistoryResponse`): a finished try from the
    history, or the task instance's current one."""

    dag_id: str
    run_id: str
    task_id: str
    map_index: int
    try_number: int
    max_tries: int
    state: str | None
    start_date: dt.datetime | None
    end_date: dt.datetime | None
    duration: float | None
    hostname: str | None
    pid: int | None
    pool: str
    pool_slots: int
    queue: str | None
    priority_weight: int | None
    operator: str | None
    operator_name: str | None
    queued_dttm: dt.datetime | None
    scheduled_dttm: dt.datetime | None
    executor: str | None
    version: DagVersionInfo | None
    dag_display_name: str
    task_display_name: str


# --- listings ---------------------------------------------------------------------------------


def list_views(
    session: Session, filters: TIFilters, page: Page, *, count: bool = True
) -> tuple[list[TIView], int | None]:
    """One page of the task instances `filters` keeps, sorted by the page's `ORDER_FIELDS`,
    and how many there are in all (None without `count`)."""
    query = _base_query().where(*filters.conditions())
    total = total_of(query, session) if count else None
    rows = session.execute(paged(query, page, ORDER_FIELDS, tiebreak=TI.id)).all()
    return _views(session, rows), total


def count_views(session: Session, filters: TIFilters, *, limit: int) -> int:
    """How many task instances `filters` keeps, counting no further than `limit`."""
    query = _base_query().where(*filters.conditions()).limit(limit)
    return total_of(query, session)


def views_by_ids(session: Session, ti_ids: Iterable[int]) -> list[TIView]:
    """These task instances (current values, even within a transaction that changed them),
    by DAG, run, task and map index."""
    ids = sorted(set(ti_ids))
    if not ids:
        return []
    order = (TI.dag_id, TI.run_id, TI.task_id, TI.map_index)
    rows: list[Any] = []
    for chunk in chunks(ids):
        query = _base_query().where(TI.id.in_(chunk))
        rows.extend(session.execute(query.execution_options(populate_existing=True)).all())
    rows.sort(key=lambda row: tuple(getattr(row[0], c.key) for c in order))
    return _views(session, rows)


def get_view(
    session: Session, dag_id: str, run_id: str, task_id: str, map_index: int
) -> TIView | None:
    """One task instance, or None."""
    query = _base_query().where(
        TI.dag_id == dag_id, TI.run_id == run_id, TI.task_id == task_id, TI.map_index == map_index
    )
    rows = session.execute(query.execution_options(populate_existing=True)).all()
    views = _views(session, rows)
    return views[0] if views else None


def _base_query() -> Any:
    return (
        select(TI, DagRun.logical_date, DagRun.run_after, V.id, V.version_number, V.created_at)
        .join(DagRun, DagRun.id == TI.dag_run_id)
        .outerjoin(V, V.id == DagRun.serialized_dag_id)
    )


def _views(session: Session, rows: Sequence[Any]) -> list[TIView]:
    dags = _dags_of(session, {row[3] for row in rows if row[3] is not None})
    out = []
    for ti, logical_date, run_after, version_id, number, created_at in rows:
        dag = dags.get(version_id)
        version = _version(ti.dag_id, version_id, number, created_at, dag)
        out.append(
            TIView(
                ti=ti,
                logical_date=logical_date,
                run_after=run_after,
                version=version,
                dag_display_name=_dag_display_name(ti.dag_id, dag),
                task_display_name=_task_display_name(ti.task_id, dag),
            )
        )
    return out


def _dags_of(session: Session, version_ids: Iterable[int]) -> dict[int, SerializedDAG]:
    out: dict[int, SerializedDAG] = {}
    for version_id in version_ids:
        try:
            dag = serialized_dag_by_id(session, version_id)
        except Exception:  # an unreadable version only loses its display names
            dag = None
        if dag is not None:
            out[version_id] = dag
    return out


def _version(
    dag_id: str,
    version_id: int | None,
    number: int | None,
    created_at: dt.datetime | None,
    dag: SerializedDAG | None,
) -> DagVersionInfo | None:
    if version_id is None or number is None or created_at is None:
        return None
    return DagVersionInfo(version_id, dag_id, number, created_at, _dag_display_name(dag_id, dag))


def _dag_display_name(dag_id: str, dag: SerializedDAG | None) -> str:
    if dag is None:
        return dag_id
    return str(dag.data.get("dag_display_name") or dag_id)


def _task_display_name(task_id: str, dag: SerializedDAG | None) -> str:
    task = None if dag is None else dag.task_dict.get(task_id)
    if task is None:
        return task_id
    return str(task.data.get("task_display_name") or task_id)


# --- existence checks -------------------------------------------------------------------------


def dag_exists(session: Session, dag_id: str) -> bool:
    """Whether the metadata database knows this DAG."""
    return session.get(DagModel, dag_id) is not None


def run_exists(session: Session, run_id: str, dag_id: str | None = None) -> bool:
    """Whether a run with this id exists (of `dag_id`, or of any DAG)."""
    query = select(DagRun.id).where(DagRun.run_id == run_id)
    if dag_id is not None:
        query = query.where(DagRun.dag_id == dag_id)
    return session.scalar(query.limit(1)) is not None


def mapped_task_state(session: Session, dag_id: str, run_id: str | None, task_id: str) -> str:
    """Whether `task_id` is a mapped task of the DAG version of the run (or, without the run, the
    DAG's newest version): "mapped", "unmapped", or "missing" (no such task, or no version)."""
    dag = dag_of_run(session, dag_id, run_id)
    task = None if dag is None else dag.task_dict.get(task_id)
    if task is None:
        return "missing"
    return "mapped" if task.is_mapped else "unmapped"


def group_task_ids(
    session: Session, dag_id: str, run_id: str | None, group_id: str
) -> list[str] | None:
    """The ids of every task in a task group (and its subgroups) of the DAG version of the run
    (or the DAG's newest version); None when there is no such group."""
    dag = dag_of_run(session, dag_id, run_id)
    if dag is None or group_id not in dag.task_group_dict:
        return None
    return [task.task_id for task in dag.iter_group_tasks(group_id)]


def dag_of_run(session: Session, dag_id: str, run_id: str | None) -> SerializedDAG | None:
    """The DAG version a run uses or, without a run (or a version), the DAG's newest one."""
    version_id = None
    if run_id is not None:
        version_id = session.scalar(
            select(DagRun.serialized_dag_id).where(DagRun.dag_id == dag_id, DagRun.run_id == run_id)
        )
    if version_id is None:
        version_id = latest_version_id(session, dag_id)
    return None if version_id is None else serialized_dag_by_id(session, version_id)


# --- tries ------------------------------------------------------------------------------------


def tries_of(
    session: Session, dag_id: str, run_id: str, task_id: str, map_index: int
) -> list[TryView] | None:
    """Every try of one task instance, oldest first; None when there is no such instance.

    Finished tries come from `task_instance_history`; the current try is the task instance
    itself, unless it is waiting for its next try (`up_for_retry`) or was cleared (no state)
    after its try was recorded, when the recorded try stands. A try recorded and later marked
    by hand shows the task instance's state. History rows keep no pool slots, no queued or
    scheduled times and no retry budget: those are the task instance's, or null.
    """
    view = get_view(session, dag_id, run_id, task_id, map_index)
    if view is None:
        return None
    history = session.scalars(
        select(H).where(H.task_instance_id == view.ti.id).order_by(H.try_number)
    ).all()
    tries = {row.try_number: _history_try(row, view) for row in history}
    current = view.ti
    recorded = current.try_number in tries
    if not recorded or current.state not in (None, "up_for_retry"):
        tries[current.try_number] = _current_try(view)
    return [tries[number] for number in sorted(tries)]


def _history_try(row: TaskInstanceHistory, view: TIView) -> TryView:
    """A try recorded in the history; what the history keeps no copy of comes from the TI."""
    return _try(row, view, pool=row.pool or view.ti.pool, queued=None, scheduled=None)


def _current_try(view: TIView) -> TryView:
    ti = view.ti
    return _try(ti, view, pool=ti.pool, queued=ti.queued_dttm, scheduled=ti.scheduled_dttm)


def _try(
    tried: TaskInstance | TaskInstanceHistory,
    view: TIView,
    *,
    pool: str,
    queued: dt.datetime | None,
    scheduled: dt.datetime | None,
) -> TryView:
    """The try `tried` (a history row or the TI itself) records, shown with its TI's view."""
    ti = view.ti
    return TryView(
        dag_id=tried.dag_id,
        run_id=tried.run_id,
        task_id=tried.task_id,
        map_index=tried.map_index,
        try_number=tried.try_number,
        max_tries=ti.max_tries,
        state=tried.state,
        start_date=tried.start_date,
        end_date=tried.end_date,
        duration=tried.duration,
        hostname=tried.hostname,
        pid=tried.pid,
        pool=pool,
        pool_slots=ti.pool_slots,
        queue=tried.queue,
        priority_weight=tried.priority_weight,
        operator=tried.operator,
        operator_name=ti.custom_operator_name or tried.operator,
        queued_dttm=queued,
        scheduled_dttm=scheduled,
        executor=tried.executor,
        version=view.version,
        dag_display_name=view.dag_display_name,
        task_display_name=view.task_display_name,
    )


def mapped_indexes(session: Session, dag_id: str, run_id: str, task_id: str) -> list[int]:
    """The map indexes (0 and up) the task has in the run."""
    rows = session.scalars(
        select(TI.map_index).where(
            and_(TI.dag_id == dag_id, TI.run_id == run_id, TI.task_id == task_id),
            TI.map_index >= 0,
        )
    )
    return sorted(rows)

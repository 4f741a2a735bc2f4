"""The grid view of a DAG for the web UI: its recent runs and every task instance's state in
them, in one request.

A fixed handful of queries whatever the number of runs and tasks: the DAG's row, its newest
version (its data only until the deserialized DAG is cached), a page of runs and their count,
their task instances, the map indexes of their mapped tasks counted per state, and, only when
those name tasks the newest version lacks, the data of the older versions the runs used.
Mapped tasks list their map indexes one by one only when the request names them in
`expanded` (the UI's expanded rows): 100 runs of a task mapped over 5,000 items would
otherwise be half a million entries every refresh. The body is serialized once, by
`grid_json`, rather than through a model per cell that FastAPI would validate again: 10,000
cells take milliseconds.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import Query, Response

from slipstream.api.deps import ReadSession
from slipstream.api.errors import documented
from slipstream.api.pagination import OffsetParam
from slipstream.api.params import utc
from slipstream.api.routes.dags import require_dag
from slipstream.api.routing import api_router
from slipstream.api.schemas.ui_grid import GridResponse, TaskTree, grid_json
from slipstream.api.security import requires
from slipstream.db.store import grid, serialized_dags

router = api_router(tags=["Grid"], dependencies=[requires("dag")])

DEFAULT_RUNS = 25
MAX_RUNS = 100
MAX_EXPANDED = 500


@router.get("/grid/{dag_id}", response_model=GridResponse, responses=documented(404))
def get_grid(
    dag_id: str,
    session: ReadSession,
    limit: Annotated[
        int, Query(ge=1, le=MAX_RUNS, description="Runs to show, newest first")
    ] = DEFAULT_RUNS,
    offset: OffsetParam = 0,
    run_after_lte: Annotated[
        dt.datetime | None,
        Query(description="Only runs due at or before this time (older pages)"),
    ] = None,
    expanded: Annotated[
        list[str] | None,
        Query(
            max_length=MAX_EXPANDED,
            description="Mapped tasks whose map indexes to list one by one (`instances`)",
        ),
    ] = None,
) -> Response:
    """The DAG's newest runs (from `offset`, or those due by `run_after_lte`), its task tree
    and each task's and group's state in each run; 404 for an unknown DAG."""
    require_dag(session, dag_id)
    runs, total = grid.find_runs(
        session, dag_id, limit=limit, offset=offset, run_after_lte=utc(run_after_lte)
    )
    run_ids = [run.id for run in runs]
    expanded = expanded or []
    task_instances = grid.task_instances_of(session, run_ids, expanded)
    summaries = grid.mapped_summaries(session, run_ids, expanded)
    latest = serialized_dags.latest_serialized_dag(session, dag_id)
    tree = TaskTree(latest[1].data if latest else None)
    shown = {ti.task_id for ti in task_instances} | {part.task_id for part in summaries}
    missing = shown - tree.task_ids
    if missing:
        runs_with_missing = {ti.dag_run_id for ti in task_instances if ti.task_id in missing}
        runs_with_missing |= {part.dag_run_id for part in summaries if part.task_id in missing}
        latest_id = latest[0] if latest else None
        older = sorted(
            {
                run.serialized_dag_id
                for run in runs
                if run.id in runs_with_missing and run.serialized_dag_id not in (None, latest_id)
            },
            reverse=True,
        )
        stored = grid.version_data(session, older)
        for version_id in older:  # the newest first: its structure wins
            record = stored.get(version_id, {}).get("dag")
            if isinstance(record, dict):
                tree.merge(record, keep=missing)
        tree.add_orphans(missing)
    body = grid_json(dag_id, runs, total, tree, task_instances, summaries, expanded)
    return Response(body, media_type="application/json")

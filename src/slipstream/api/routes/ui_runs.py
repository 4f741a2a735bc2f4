"""One DAG run's task instances for the web UI (its table, Gantt chart and graph colours), in
one request.

A fixed handful of queries whatever the size of the run: the DAG's row, the run, all its task
instances in one statement (never a page of 100 at a time), and the data of the DAG version
the run used, only until this process has it deserialized.
"""

from __future__ import annotations

from fastapi import Response

from slipstream.api.deps import ReadSession
from slipstream.api.errors import documented
from slipstream.api.routes.dags import require_dag
from slipstream.api.routing import api_router
from slipstream.api.schemas.ui_runs import RunTaskInstancesResponse, run_task_instances_json
from slipstream.api.security import requires
from slipstream.core.exceptions import AirflowNotFoundException
from slipstream.db.store import run_task_instances, serialized_dags

router = api_router(tags=["UI"], dependencies=[requires("dag")])


@router.get(
    "/runs/{dag_id}/{run_id}", response_model=RunTaskInstancesResponse, responses=documented(404)
)
def get_run_task_instances(dag_id: str, run_id: str, session: ReadSession) -> Response:
    """Every task instance of the run, with display names from the DAG version it used; 404
    for an unknown DAG or run."""
    require_dag(session, dag_id)
    run = run_task_instances.find_run(session, dag_id, run_id)
    if run is None:
        raise AirflowNotFoundException(f"DAG '{dag_id}' has no run '{run_id}'")
    rows = run_task_instances.task_instances_of_run(session, run.id)
    body = run_task_instances_json(
        dag_id, run_id, run.state, rows, _display_names(session, run.serialized_dag_id)
    )
    return Response(body, media_type="application/json")


def _display_names(session: ReadSession, version_id: int | None) -> dict[str, str]:
    """`task id -> display name` of the tasks of this DAG version that set one."""
    if version_id is None:
        return {}
    try:
        dag = serialized_dags.serialized_dag_by_id(session, version_id)
    except Exception:  # an unreadable version only loses its display names
        return {}
    if dag is None:
        return {}
    names = {}
    for task_id, task in dag.task_dict.items():
        name = task.data.get("task_display_name")
        if name:
            names[task_id] = str(name)
    return names

"""The structure of a DAG for the web UI's graph: tasks, task groups and edges with their labels."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from slipstream.api.deps import ReadSession
from slipstream.api.errors import documented
from slipstream.api.routes.dags import require_dag
from slipstream.api.routing import api_router
from slipstream.api.schemas.ui_structure import StructureResponse, structure_response
from slipstream.api.security import requires
from slipstream.core.exceptions import AirflowNotFoundException
from slipstream.db.store import serialized_dags

router = api_router(tags=["UI"], dependencies=[requires("dag")])

VersionNumber = Annotated[int | None, Query(ge=1, le=2**31 - 1)]


@router.get("/structure/{dag_id}", responses=documented(404))
def get_dag_structure(
    dag_id: str, session: ReadSession, version_number: VersionNumber = None
) -> StructureResponse:
    """The graph of one version of the DAG (its newest by default), in three queries at most:
    the DAG, the version, and its data unless this process has it deserialized already."""
    require_dag(session, dag_id)
    version = serialized_dags.get_version(session, dag_id, version_number)
    dag = None if version is None else serialized_dags.serialized_dag_by_id(session, version.id)
    if version is None or dag is None:
        raise AirflowNotFoundException(
            f"DAG '{dag_id}' has no version {version_number}"
            if version_number is not None
            else f"DAG '{dag_id}' has no stored version yet"
        )
    return structure_response(dag, version.version_number)

"""The stored versions of a DAG (Airflow 3's "DagVersion" routes): every distinct structure
the DAG processor has stored for it, which its runs keep pointing at."""

from __future__ import annotations

from fastapi import HTTPException, Request, status
from pydantic import BaseModel

from slipstream.api.deps import ReadSession
from slipstream.api.errors import documented
from slipstream.api.pagination import LimitParam, OffsetParam, OrderByParam, page_of
from slipstream.api.params import IntPath, IntQuery
from slipstream.api.routes.dags import require_dag
from slipstream.api.routing import api_router
from slipstream.api.schemas.dag_versions import DagVersionResponse
from slipstream.api.security import requires
from slipstream.core.exceptions import AirflowNotFoundException
from slipstream.db.store import dag_versions
from slipstream.db.store.paging import Page

router = api_router(tags=["DagVersion"], dependencies=[requires("dag")])


class DAGVersionCollectionResponse(BaseModel):
    dag_versions: list[DagVersionResponse]
    total_entries: int


@router.get("/dags/{dag_id}/dagVersions/{version_number}", responses=documented(404))
def get_dag_version(
    dag_id: str, version_number: IntPath, session: ReadSession
) -> DagVersionResponse:
    """One version of a DAG."""
    found, _ = dag_versions.find_versions(
        session, dag_id, Page(limit=1), version_number=version_number
    )
    if not found:
        raise AirflowNotFoundException(
            f"The DagVersion with dag_id: `{dag_id}` and version_number: `{version_number}` "
            "was not found"
        )
    return DagVersionResponse.of(found[0], found[0].dag_display_name)


@router.get("/dags/{dag_id}/dagVersions", responses=documented(404))
def get_dag_versions(
    dag_id: str,
    request: Request,
    session: ReadSession,
    limit: LimitParam = None,
    offset: OffsetParam = 0,
    version_number: IntQuery = None,
    bundle_name: str | None = None,
    bundle_version: str | None = None,
    order_by: OrderByParam = None,
) -> DAGVersionCollectionResponse:
    """The versions of a DAG (of every DAG with `~`), by id unless `order_by` says otherwise."""
    for name, value in (("bundle_name", bundle_name), ("bundle_version", bundle_version)):
        if value is not None:
            raise HTTPException(
                status.HTTP_400_BAD_REQUEST,
                f"The {name!r} filter is not supported: Slipstream has no DAG bundles",
            )
    if dag_id != "~":
        require_dag(session, dag_id)
    page = page_of(
        request, limit, offset, order_by, allowed=dag_versions.SORT_COLUMNS, default="id"
    )
    found, total = dag_versions.find_versions(
        session, None if dag_id == "~" else dag_id, page, version_number=version_number
    )
    return DAGVersionCollectionResponse(
        dag_versions=[DagVersionResponse.of(v, v.dag_display_name) for v in found],
        total_entries=total,
    )

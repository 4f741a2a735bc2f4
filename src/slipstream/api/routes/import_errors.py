"""The DAG files that failed to load (Airflow 3's "Import Error" routes), as the DAG processor
last saw them. Any role may read them."""

from __future__ import annotations

from fastapi import HTTPException, Request, status

from slipstream.api.deps import ReadSession
from slipstream.api.errors import documented
from slipstream.api.pagination import LimitParam, OffsetParam, OrderByParam, page_of
from slipstream.api.routing import api_router
from slipstream.api.schemas.import_errors import (
    ImportErrorCollectionResponse,
    ImportErrorResponse,
    import_error_response,
)
from slipstream.api.security import requires
from slipstream.core.exceptions import AirflowNotFoundException
from slipstream.db.store import import_errors

router = api_router(tags=["Import Error"], dependencies=[requires("import_error")])


@router.get("/importErrors")
def get_import_errors(
    request: Request,
    session: ReadSession,
    limit: LimitParam = None,
    offset: OffsetParam = 0,
    order_by: OrderByParam = None,
    filename_pattern: str | None = None,
    filename_prefix_pattern: str | None = None,
    filename: str | None = None,
    bundle_name: str | None = None,
) -> ImportErrorCollectionResponse:
    """The import errors, by id unless `order_by` says otherwise."""
    if bundle_name is not None:
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST,
            "The 'bundle_name' filter is not supported: Slipstream has no DAG bundles",
        )
    page = page_of(
        request, limit, offset, order_by, allowed=import_errors.SORT_COLUMNS, default="id"
    )
    rows, total = import_errors.find_import_errors(
        session, page, filename=filename, pattern=filename_pattern, prefix=filename_prefix_pattern
    )
    return ImportErrorCollectionResponse(
        import_errors=[import_error_response(row) for row in rows], total_entries=total
    )


@router.get("/importErrors/{import_error_id}", responses=documented(404))
def get_import_error(import_error_id: int, session: ReadSession) -> ImportErrorResponse:
    row = import_errors.get_import_error(session, import_error_id)
    if row is None:
        raise AirflowNotFoundException(f"Import error {import_error_id} not found")
    return import_error_response(row)

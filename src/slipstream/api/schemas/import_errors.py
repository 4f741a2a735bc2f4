"""Bodies of the import error routes, with the names and shapes of Airflow 3's
`ImportErrorResponse` and `ImportErrorCollectionResponse`.

`filename` is the file's path as the DAG processor found it; Slipstream has no DAG bundles, so
`bundle_name` is null.
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel

from slipstream.db.models import ImportError_

__all__ = ["ImportErrorCollectionResponse", "ImportErrorResponse", "import_error_response"]


class ImportErrorResponse(BaseModel):
    import_error_id: int
    timestamp: dt.datetime
    filename: str
    bundle_name: str | None = None
    stack_trace: str


class ImportErrorCollectionResponse(BaseModel):
    import_errors: list[ImportErrorResponse]
    total_entries: int


def import_error_response(row: ImportError_) -> ImportErrorResponse:
    return ImportErrorResponse(
        import_error_id=row.id,
        timestamp=row.timestamp,
        filename=row.filename,
        stack_trace=row.stacktrace,
    )

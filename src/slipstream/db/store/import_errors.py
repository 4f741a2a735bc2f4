"""Import errors: the DAG files that failed to load, as the DAG processor last saw them.

One row per file at most. The processor replaces a file's row each time it parses the file and
deletes it when the file loads cleanly again or disappears.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping
from typing import Any

from sqlalchemy import Select, delete, func, insert, null, select
from sqlalchemy.orm import Session

from slipstream.db.models import ImportError_
from slipstream.db.store import text_patterns
from slipstream.db.store._sql import chunks, rowcount
from slipstream.db.store.paging import Page, paged, total_of

__all__ = [
    "SORT_COLUMNS",
    "count_import_errors",
    "delete_import_errors",
    "delete_import_errors_except",
    "find_import_errors",
    "get_import_error",
    "list_import_errors",
    "replace_import_error",
    "replace_import_errors",
]

SORT_COLUMNS = {
    "id": ImportError_.id,
    "import_error_id": ImportError_.id,
    "timestamp": ImportError_.timestamp,
    "filename": ImportError_.filename,
    "stacktrace": ImportError_.stacktrace,
    "bundle_name": null(),  # Slipstream has no DAG bundles: the same (null) for every row
}
"""The fields the API may sort import errors by, and their columns."""


def replace_import_error(
    session: Session,
    filename: str,
    *,
    stacktrace: str | None,
    lineno: int | None = None,
    now: dt.datetime,
) -> None:
    """Make `stacktrace` the file's one import error; None clears it."""
    session.execute(delete(ImportError_).where(ImportError_.filename == filename))
    if stacktrace is not None:
        session.execute(
            insert(ImportError_).values(
                filename=filename, lineno=lineno, stacktrace=stacktrace, timestamp=now
            )
        )


def replace_import_errors(
    session: Session,
    errors: Mapping[str, tuple[str, int | None] | None],
    *,
    now: dt.datetime,
) -> None:
    """`replace_import_error` for many files at once: `{filename: (stacktrace, lineno)}`, None
    clearing a file's error. One DELETE (per `CHUNK` files) and one INSERT."""
    if not errors:
        return
    for chunk in chunks(list(errors)):
        session.execute(delete(ImportError_).where(ImportError_.filename.in_(chunk)))
    rows = [
        {"filename": name, "lineno": error[1], "stacktrace": error[0], "timestamp": now}
        for name, error in errors.items()
        if error is not None
    ]
    if rows:
        session.execute(insert(ImportError_), rows)


def delete_import_errors(session: Session, filenames: Collection[str]) -> int:
    """Forget the import errors of these files."""
    if not filenames:
        return 0
    result = session.execute(delete(ImportError_).where(ImportError_.filename.in_(list(filenames))))
    return rowcount(result)


def delete_import_errors_except(session: Session, filenames: Collection[str]) -> int:
    """Forget the import errors of every file not among these (files that are gone)."""
    stored = session.scalars(select(ImportError_.filename).distinct())
    gone = [name for name in stored if name not in filenames]
    return delete_import_errors(session, gone)


def get_import_error(session: Session, import_error_id: int) -> ImportError_ | None:
    return session.get(ImportError_, import_error_id)


def list_import_errors(
    session: Session,
    *,
    filename: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[ImportError_], int]:
    """One page of import errors ordered by file name, and how many there are in all."""
    conditions = [] if filename is None else [ImportError_.filename == filename]
    total = session.scalar(select(func.count()).select_from(ImportError_).where(*conditions)) or 0
    rows = session.scalars(
        select(ImportError_)
        .where(*conditions)
        .order_by(ImportError_.filename, ImportError_.id)
        .limit(limit)
        .offset(offset)
    )
    return list(rows), int(total)


def find_import_errors(
    session: Session,
    page: Page,
    *,
    filename: str | None = None,
    pattern: str | None = None,
    prefix: str | None = None,
) -> tuple[list[ImportError_], int]:
    """One page of import errors ordered by `page.order_by` (names of `SORT_COLUMNS`, then id),
    and how many match in all. `filename` is an exact file path; `pattern` and `prefix` are
    Airflow's pattern parameters on it."""
    conditions = text_patterns.conditions(ImportError_.filename, pattern, prefix)
    if filename is not None:
        conditions.append(ImportError_.filename == filename)
    query: Select[Any] = select(ImportError_).where(*conditions)
    total = total_of(query, session)
    rows = session.scalars(paged(query, page, SORT_COLUMNS, tiebreak=ImportError_.id.asc()))
    return list(rows), total


def count_import_errors(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(ImportError_)) or 0)

"""Import errors: the DAG files that failed to load, as the DAG processor last saw them.

One row per file at most. The processor replaces a file's row each time it parses the file and
deletes it when the file loads cleanly again or disappears.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from slipstream.db.models import ImportError_

__all__ = [
    "count_import_errors",
    "delete_import_errors",
    "delete_import_errors_except",
    "get_import_error",
    "list_import_errors",
    "replace_import_error",
]


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


def delete_import_errors(session: Session, filenames: Collection[str]) -> int:
    """Forget the import errors of these files."""
    if not filenames:
        return 0
    result = session.execute(delete(ImportError_).where(ImportError_.filename.in_(list(filenames))))
    return int(result.rowcount)  # type: ignore[attr-defined]


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


def count_import_errors(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(ImportError_)) or 0)

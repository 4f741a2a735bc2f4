"""Store functions: every SQL statement Slipstream runs, one module per entity.

Each function takes a SQLAlchemy `Session` first and never commits: callers decide the
transaction (`with db.begin() as session: ...`, or `db.run_write(fn, ...)`), so several store
calls can form one atomic change. Reads work in `db.session()` too.
"""

from __future__ import annotations

from slipstream.core.exceptions import AirflowException


class AlreadyExistsError(AirflowException):
    """Creating something whose id is taken (a connection, a pool)."""

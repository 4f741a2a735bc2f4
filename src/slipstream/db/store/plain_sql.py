"""Store SQL on a plain connection, for a short command that cannot wait for SQLAlchemy.

Importing SQLAlchemy and the models takes longer than `slipstream dags test` of a small DAG takes
altogether, so that command records its run on SQLite through the standard library's `sqlite3`
(`SqliteConnection`), set up as `db.engine` sets up its connections (WAL, foreign keys, a busy
timeout, `BEGIN IMMEDIATE` for writes). Values are stored as SQLAlchemy stores them (timestamps as
UTC text without a zone, JSON as text), so every other reader sees ordinary rows. The same SQL
runs on any metadata database through a SQLAlchemy session (`SessionConnection`: PostgreSQL).

SQL for these connections uses `:name` parameters and only syntax SQLite and PostgreSQL share
(`ON CONFLICT`, `RETURNING`, `TRUE`/`FALSE`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import sqlite3

    from sqlalchemy.orm import Session

__all__ = [
    "PlainConnection",
    "SessionConnection",
    "SqliteConnection",
    "head_revision",
    "in_list",
    "sqlite_file",
]

SQLITE_BUSY_TIMEOUT_MS = 60_000  # as db.engine
MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations" / "versions"


class PlainConnection(Protocol):
    """What store SQL in plain text needs of a connection."""

    dialect: str

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]:
        """Run one statement; its rows (empty for statements without any)."""
        ...

    def executemany(self, sql: str, rows: Sequence[Mapping[str, Any]]) -> None:
        """Run one statement once per parameter set."""
        ...


class SqliteConnection:
    """A `sqlite3` connection to the metadata database. Reads run in autocommit; writes go in
    `with conn.write():`, which holds the database's write lock up front and commits at the end
    (or rolls back on error)."""

    dialect = "sqlite"

    def __init__(self, path: str, *, busy_timeout_ms: int = SQLITE_BUSY_TIMEOUT_MS) -> None:
        import sqlite3

        self.path = path
        self.raw: sqlite3.Connection = sqlite3.connect(
            path, timeout=busy_timeout_ms / 1000, isolation_level=None, check_same_thread=False
        )
        for pragma in (
            "journal_mode=WAL",
            "synchronous=NORMAL",
            "foreign_keys=ON",
            f"busy_timeout={busy_timeout_ms}",
        ):
            self.raw.execute(f"PRAGMA {pragma}").fetchall()

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]:
        return self.raw.execute(sql, _encoded(params or {}, self.dialect)).fetchall()

    def executemany(self, sql: str, rows: Sequence[Mapping[str, Any]]) -> None:
        if rows:
            self.raw.executemany(sql, [_encoded(row, self.dialect) for row in rows])

    @contextlib.contextmanager
    def write(self) -> Iterator[SqliteConnection]:
        self.raw.execute("BEGIN IMMEDIATE")
        try:
            yield self
        except BaseException:
            self.raw.execute("ROLLBACK")
            raise
        self.raw.execute("COMMIT")

    def close(self) -> None:
        self.raw.close()


class SessionConnection:
    """The same SQL through a SQLAlchemy session (in the caller's transaction)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.dialect = session.get_bind().dialect.name

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]:
        from sqlalchemy import text

        result: Any = self.session.execute(text(sql), _encoded(params or {}, self.dialect))
        return [tuple(row) for row in result] if result.returns_rows else []

    def executemany(self, sql: str, rows: Sequence[Mapping[str, Any]]) -> None:
        from sqlalchemy import text

        if rows:
            self.session.execute(text(sql), [_encoded(row, self.dialect) for row in rows])


def sqlite_file(url: str) -> str | None:
    """The database file a SQLAlchemy URL names when it is SQLite (`sqlite:////abs/path`,
    `sqlite:///relative/path`, any `sqlite+driver`), else None (in-memory SQLite too)."""
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.split("+", 1)[0] != "sqlite" or not rest.startswith("/"):
        return None
    path = rest[1:].split("?", 1)[0]
    if not path or path == ":memory:":
        return None
    from urllib.parse import unquote

    return unquote(path)


def head_revision() -> str:
    """The newest migration shipped (`NNNN_name.py` in `db/migrations/versions`), read without
    importing Alembic or SQLAlchemy; equal to `db.migrate.HEAD_REVISION` (a test says so)."""
    revisions = [
        name.split("_", 1)[0]
        for name in os.listdir(MIGRATIONS)
        if name.endswith(".py") and name.split("_", 1)[0].isdigit()
    ]
    return max(revisions)


def in_list(prefix: str, values: Sequence[Any]) -> tuple[str, dict[str, Any]]:
    """`(":p0, :p1, ...", {"p0": ..., ...})`: the parameters of an `IN (...)` list."""
    names = [f"{prefix}{i}" for i in range(len(values))]
    return ", ".join(f":{n}" for n in names), dict(zip(names, values))


def _encoded(params: Mapping[str, Any], dialect: str) -> dict[str, Any]:
    return {name: _value(value, dialect) for name, value in params.items()}


def _value(value: Any, dialect: str) -> Any:
    if isinstance(value, dt.datetime):
        offset = value.utcoffset()
        if offset is None:
            raise ValueError(f"naive datetime {value!r} cannot be stored: give it a time zone")
        if dialect != "sqlite":
            return value
        return _sqlite_datetime(value - offset if offset else value)
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return value


def _sqlite_datetime(v: dt.datetime) -> str:
    """`v` (in UTC) as SQLAlchemy's SQLite `DateTime` stores it (a third faster than strftime,
    which matters for the hundreds of dates of a run)."""
    return (
        f"{v.year:04d}-{v.month:02d}-{v.day:02d} "
        f"{v.hour:02d}:{v.minute:02d}:{v.second:02d}.{v.microsecond:06d}"
    )

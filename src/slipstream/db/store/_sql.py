"""SQL building blocks shared by the store modules: upserts, chunked `IN` lists, updates that
leave the session alone, row counts, the "state is one of these (None: no state)" test, and
columns kept out of SQLite's choice of index."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from typing import Any, TypeVar

from sqlalchemy import Table, or_, update
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal

CHUNK = 500
"""The most values one `IN (...)` list holds (SQLite's parameter limit, and plan sizes)."""

T = TypeVar("T")


def upsert(
    session: Session,
    table: Table,
    values: Mapping[str, Any],
    *,
    key: Sequence[str],
    update: Sequence[str] | None = None,
) -> None:
    """Insert `values`, or when a row with the same `key` columns exists, update its `update`
    columns (all non-key columns given when None; none when empty: insert-if-missing).

    One statement (`INSERT ... ON CONFLICT`), so two writers racing on the same key never fail
    with a unique-constraint error.
    """
    stmt = dialect_insert(_dialect(session), table).values(**values)
    columns = [c for c in values if c not in key] if update is None else list(update)
    if columns:
        stmt = stmt.on_conflict_do_update(
            index_elements=list(key), set_={c: stmt.excluded[c] for c in columns}
        )
    else:
        stmt = stmt.on_conflict_do_nothing(index_elements=list(key))
    session.execute(stmt)


def insert_ignore(
    session: Session, table: Any, rows: list[dict[str, Any]], *, key: Sequence[str]
) -> None:
    """Insert rows, skipping those whose `key` exists (one statement, race-free)."""
    if not rows:
        return
    if len(rows) == 1:
        upsert(session, table, rows[0], key=key, update=[])
        return
    stmt = dialect_insert(_dialect(session), table).values(rows)
    session.execute(stmt.on_conflict_do_nothing(index_elements=list(key)))


def dialect_insert(dialect: str, table: Any) -> Any:
    """The INSERT of a dialect (with `ON CONFLICT`), imported when first needed: PostgreSQL's
    pulls in asyncio."""
    if dialect == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert(table)
    if dialect == "sqlite":
        from sqlalchemy.dialects import sqlite

        return sqlite.insert(table)
    raise NotImplementedError(f"metadata databases on {dialect} are not supported")


def chunks(values: list[T], size: int = CHUNK) -> Iterator[list[T]]:
    """`values` in slices of at most `size`, for `IN` lists."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def nosync_update(entity: Any) -> Any:
    """An UPDATE of `entity` that leaves the session's objects alone (faster; callers re-read)."""
    return update(entity).execution_options(synchronize_session=False)


def rowcount(result: Any) -> int:
    """How many rows an UPDATE or DELETE matched."""
    return int(getattr(result, "rowcount", 0) or 0)


def state_in(column: Any, states: Collection[str | None]) -> ColumnElement[bool]:
    """`column` holds one of `states`, where None among them stands for "no state" (NULL)."""
    named = [s for s in states if s is not None]
    condition = column.in_(named)
    return or_(condition, column.is_(None)) if None in states else condition


class unindexed(ColumnElement[Any]):
    """`column`, which SQLite must not pick an index by (`+column` there; as is elsewhere).

    In `WHERE id IN (...) AND state = ...`, SQLite's planner (without statistics) may prefer
    an index on `state` to the primary key and walk every TI in that state; the unary plus is
    SQLite's documented way to rule an index out for one term.
    """

    inherit_cache = True
    _traverse_internals = [("column", InternalTraversal.dp_clauseelement)]

    def __init__(self, column: ColumnElement[Any]) -> None:
        self.column = column
        self.type = column.type

    @property
    def _from_objects(self) -> list[Any]:
        return self.column._from_objects


@compiles(unindexed)
def _unindexed(element: unindexed, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.column, **kw)


@compiles(unindexed, "sqlite")
def _unindexed_sqlite(element: unindexed, compiler: SQLCompiler, **kw: Any) -> str:
    return "+" + compiler.process(element.column, **kw)

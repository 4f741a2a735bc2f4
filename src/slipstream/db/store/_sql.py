"""SQL building blocks shared by the store modules."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.orm import Session


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
    stmt = _insert(session.get_bind().dialect.name, table).values(**values)
    columns = [c for c in values if c not in key] if update is None else list(update)
    if columns:
        stmt = stmt.on_conflict_do_update(
            index_elements=list(key), set_={c: stmt.excluded[c] for c in columns}
        )
    else:
        stmt = stmt.on_conflict_do_nothing(index_elements=list(key))
    session.execute(stmt)


def _insert(dialect: str, table: Table) -> Any:
    """The dialect's INSERT (imported when first needed: PostgreSQL's pulls in asyncio)."""
    if dialect == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert(table)
    if dialect == "sqlite":
        from sqlalchemy.dialects import sqlite

        return sqlite.insert(table)
    raise NotImplementedError(f"metadata databases on {dialect} are not supported")

"""Alembic's environment for the metadata database.

Migrations run only through `slipstream.db.migrate` (`slipstream db migrate`), which hands Alembic
a connection already inside the transaction that holds the migration lock; this file never opens
connections or commits. Offline (`--sql`) mode is not supported.

To add a migration after changing `slipstream.db.models`:
`.venv/bin/python -m slipstream.db.migrate revision "what changed"`, then review the new file in
`versions/` (autogenerate misses renames and data changes). On SQLite, Alembic's batch mode
rebuilds a table to alter it; the migration runs with foreign keys off, so rebuilding a table
that others reference does not cascade deletes into them.
"""

from __future__ import annotations

from typing import Any, Literal

from alembic import context

from slipstream.db.models import Base, UtcDateTime


def _render_item(type_: str, obj: Any, autogen_context: Any) -> str | Literal[False]:
    """Write our column types as plain SQLAlchemy types, so migrations never import models."""
    if type_ == "type" and isinstance(obj, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def run_migrations() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None or context.is_offline_mode():
        raise RuntimeError(
            "Slipstream's migrations run through slipstream.db.migrate (`slipstream db migrate`)"
        )
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        transactional_ddl=True,
        compare_type=True,
        render_item=_render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()

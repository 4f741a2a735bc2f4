"""`serialized_dag.id` is never reused: `AUTOINCREMENT` on SQLite.

Every process caches DAG versions by id (`store.serialized_dags.serialized_dag_by_id`), and
deleting a DAG deletes its versions. Without `AUTOINCREMENT`, SQLite hands the highest deleted
id to the next row, so a long-running scheduler could take a new version for a deleted one.
SQLite cannot alter a table's key, so the table is rebuilt (rows, ids and indexes kept; the
migration runs with foreign keys off, so `dag_run.serialized_dag_id` is left alone). PostgreSQL
ids come from a sequence and never repeat: nothing to do there.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 03:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    _rebuild(autoincrement=True)


def downgrade() -> None:
    _rebuild(autoincrement=False)


def _rebuild(*, autoincrement: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    with op.batch_alter_table(
        "serialized_dag",
        recreate="always",
        table_kwargs={"sqlite_autoincrement": autoincrement},
    ):
        pass

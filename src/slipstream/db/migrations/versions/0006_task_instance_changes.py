"""`task_instance.changed` and `dag_run.view_version`: examine a run by what changed.

A scheduler keeps each running run's TI states between examinations and reads only the TIs
changed since (`changed`, set by every update of the row, found through a partial index); a run's
`view_version`, raised by every examination, tells it whether another scheduler took changes in
between.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 08:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_task_instance_changed"


def upgrade() -> None:
    op.add_column(
        "task_instance",
        sa.Column("changed", sa.Boolean(), nullable=False, server_default=sa.true()),
    )
    op.add_column(
        "dag_run",
        sa.Column("view_version", sa.Integer(), nullable=False, server_default=sa.text("0")),
    )
    changed = sa.column("changed", sa.Boolean()).is_(True)
    op.create_index(
        INDEX, "task_instance", ["dag_run_id"], sqlite_where=changed, postgresql_where=changed
    )


def downgrade() -> None:
    op.drop_index(INDEX, table_name="task_instance")
    with op.batch_alter_table("task_instance") as batch:
        batch.drop_column("changed")
    with op.batch_alter_table("dag_run") as batch:
        batch.drop_column("view_version")

"""`task_instance.run_after` and the queueing-order index.

Queueing picks the scheduled TIs with the highest priority weight, then of the oldest run. With
the run's `run_after` copied onto each TI (it never changes), one index holds that order and a
tick reads the first few scheduled TIs from it instead of sorting all of them.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 05:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_task_instance_queueing_order"


def upgrade() -> None:
    op.add_column("task_instance", sa.Column("run_after", sa.DateTime(timezone=True)))
    op.execute(
        "UPDATE task_instance SET run_after = "
        "(SELECT dag_run.run_after FROM dag_run WHERE dag_run.id = task_instance.dag_run_id)"
    )
    op.create_index(
        INDEX,
        "task_instance",
        ["state", sa.desc(sa.column("priority_weight")), "run_after", "map_index", "id"],
    )


def downgrade() -> None:
    op.drop_index(INDEX, table_name="task_instance")
    with op.batch_alter_table("task_instance") as batch:
        batch.drop_column("run_after")

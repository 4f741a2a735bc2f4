"""How a DAG run came to be: Airflow's `DagRunType` names and values."""

from __future__ import annotations

from enum import StrEnum


class DagRunType(StrEnum):
    """The origin of a run; its value prefixes the run id (`manual__2024-…`)."""

    MANUAL = "manual"
    SCHEDULED = "scheduled"
    BACKFILL_JOB = "backfill"
    ASSET_TRIGGERED = "asset_triggered"
    ASSET_MATERIALIZATION = "asset_materialization"

    def generate_run_id(self, suffix: str) -> str:
        return f"{self.value}__{suffix}"

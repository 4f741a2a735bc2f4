"""Constants and helpers shared by the corpus tests (the fixtures live in conftest.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pendulum

from slipstream.runtime.dag_test import DagTestResult

HERE = Path(__file__).resolve().parent
DAGS_FOLDER = HERE / "dags"
BROKEN_FOLDER = HERE / "broken_dags"
LOGICAL_DATE = pendulum.datetime(2024, 3, 15, tz="UTC")
RUN_ID = "manual__2024-03-15T00:00:00+00:00"

CORPUS_ENV = {
    "AIRFLOW_VAR_CORPUS_GREETING": "hello",
    "AIRFLOW_VAR_CORPUS_THRESHOLD": "42",
    "AIRFLOW_VAR_CORPUS_SETTINGS": '{"region": "eu", "retries": 2}',
    "AIRFLOW_CONN_CORPUS_DB": (
        "postgresql://user:secret@db.example.com:5432/analytics?sslmode=require"
    ),
    "AIRFLOW_CONN_CORPUS_API": (
        '{"conn_type": "http", "host": "api.example.com", "extra": {"token": "t"}}'
    ),
}


class Records:
    """What the corpus tasks recorded during one test, oldest first."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def all(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text().splitlines() if line]

    def of(self, event: str) -> list[dict[str, Any]]:
        """The records of one event, without the `event` key."""
        return [
            {k: v for k, v in row.items() if k != "event"}
            for row in self.all()
            if row["event"] == event
        ]

    def events(self) -> list[str]:
        return [row["event"] for row in self.all()]


def tries(result: DagTestResult) -> dict[str, int]:
    """task_id (with `[i]` for map indexes) → try_number."""
    return {
        (r.task_id if r.map_index < 0 else f"{r.task_id}[{r.map_index}]"): r.try_number
        for r in result.tis
    }

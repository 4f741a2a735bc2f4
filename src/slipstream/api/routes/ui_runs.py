"""One DAG run's task instances for the web UI (its table, Gantt chart and graph colours), in
one request."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()

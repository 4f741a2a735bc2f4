"""The structure of a DAG for the web UI's graph: tasks, task groups and edges with their labels."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()

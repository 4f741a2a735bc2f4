"""The grid view of a DAG for the web UI: its recent runs and every task instance's state in
them, in one request."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()

"""Users for the web UI's admin page: list, create, change role or password, delete."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()

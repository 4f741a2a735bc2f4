"""Orchestration: the rules that move task-instance and DAG-run states (pure; see `rules`)."""

from __future__ import annotations

from .rules import *  # noqa: F403
from .rules import __all__ as __all__

"""A minimal TaskNode for the rule tests, and a builder for small DAGs written as chains."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from itertools import pairwise
from typing import Any


@dataclass
class Node:
    """A plain task record with the attributes the orchestration rules read."""

    task_id: str
    trigger_rule: str = "all_success"
    upstream_task_ids: set[str] = field(default_factory=set)
    downstream_task_ids: set[str] = field(default_factory=set)
    is_setup: bool = False
    is_teardown: bool = False
    on_failure_fail_dagrun: bool = False
    retries: int = 0
    retry_delay: timedelta = timedelta(seconds=300)
    retry_exponential_backoff: bool | float = 0
    max_retry_delay: timedelta | None = None
    priority_weight: int = 1
    weight_rule: str = "downstream"


def build(*chains: str, **attrs: dict[str, Any]) -> dict[str, Node]:
    """Tasks from chains such as ``"a >> b >> c"``; ``attrs`` sets fields per task id."""
    tasks: dict[str, Node] = {}
    for chain in chains:
        ids = [part.strip() for part in chain.split(">>")]
        for task_id in ids:
            tasks.setdefault(task_id, Node(task_id))
        for up, down in pairwise(ids):
            tasks[up].downstream_task_ids.add(down)
            tasks[down].upstream_task_ids.add(up)
    for task_id, values in attrs.items():
        node = tasks.setdefault(task_id, Node(task_id))
        for name, value in values.items():
            setattr(node, name, value)
    return tasks


def link(tasks: dict[str, Node], up: str, down: str) -> None:
    """Add the edge ``up >> down``, creating either task if needed."""
    tasks.setdefault(up, Node(up)).downstream_task_ids.add(down)
    tasks.setdefault(down, Node(down)).upstream_task_ids.add(up)

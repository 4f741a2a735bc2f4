"""What each role may do, as Airflow 3's simple auth manager decides it.

Roles are ranked: viewer < user < op < admin; a role may do all that the roles below it may.
Each kind of resource names the least role that may read it (GET) and the least that may
change it (any other method).
"""

from __future__ import annotations

from typing import Literal

Role = Literal["viewer", "user", "op", "admin"]
Resource = Literal[
    "dag",  # DAGs, their runs, tasks, task instances, logs, XCom, event logs, warnings
    "asset",
    "pool",
    "variable",
    "connection",
    "config",
    "backfill",
    "import_error",
    "user",
]

RANK: dict[str, int] = {"viewer": 0, "user": 1, "op": 2, "admin": 3}

RULES: dict[str, tuple[str, str]] = {
    # resource: (least role that may read, least role that may change)
    "dag": ("viewer", "user"),
    "asset": ("viewer", "op"),
    "pool": ("viewer", "op"),
    "backfill": ("viewer", "op"),
    "import_error": ("viewer", "admin"),
    "variable": ("op", "op"),
    "connection": ("op", "op"),
    "config": ("op", "admin"),
    "user": ("admin", "admin"),
}


def is_allowed(role: str, resource: Resource, method: str) -> bool:
    """Whether `role` may use `method` (an HTTP method) on this kind of resource."""
    read_role, write_role = RULES[resource]
    needed = read_role if method.upper() in ("GET", "HEAD", "OPTIONS") else write_role
    return RANK.get(role, -1) >= RANK[needed]

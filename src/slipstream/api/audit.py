"""Recording what API callers change in the audit (event) log, in the change's transaction.

Event names are the route's operation (`trigger_dag_run`, `patch_dag`, …); `extra` carries
the request's fields, with secrets (passwords, connection extras, variable values of sensitive
keys) masked, as Airflow records them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from slipstream.api.security import AuthenticatedUser
from slipstream.db.store import audit as audit_log

_SECRET_FIELDS = frozenset({"password", "extra", "value", "token", "secret"})


def record(
    session: Session,
    user: AuthenticatedUser,
    event: str,
    *,
    extra: Mapping[str, Any] | None = None,
    **fields: Any,
) -> None:
    """Add an audit event for `user`; `fields` are dag_id, run_id, task_id, map_index, …"""
    audit_log.record(
        session,
        event,
        owner=user.username,
        extra=None if extra is None else masked(extra),
        **fields,
    )


def masked(values: Mapping[str, Any]) -> dict[str, Any]:
    """`values` with secret-looking fields replaced by `***`."""
    return {
        key: "***" if key.lower() in _SECRET_FIELDS and value not in (None, "") else value
        for key, value in values.items()
    }

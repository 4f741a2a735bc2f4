"""XComs as tasks push and pull them, through their supervisor (`supervisor.shared_requests`),
and what a finished run returned. People browsing and editing XComs use `xcom_entries`.

Values are stored as JSON text (`runtime.xcom.encode`); these functions store and return that
text as it is, except `return_values`, which decodes it for the API.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Collection, Sequence
from typing import Any, cast

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from slipstream.db.models import TaskInstance, XCom
from slipstream.db.store._sql import upsert

__all__ = ["return_values", "xcom_get", "xcom_get_many", "xcom_get_mapped", "xcom_set"]

TI = TaskInstance
_XCOM = cast(Any, XCom.__table__)


def xcom_set(
    session: Session,
    *,
    dag_run_id: int,
    dag_id: str,
    run_id: str,
    task_id: str,
    map_index: int,
    key: str,
    value: str,
    now: dt.datetime | None = None,
) -> None:
    """Store (or replace) one XCom; `value` is its stored JSON text."""
    upsert(
        session,
        _XCOM,
        {
            "dag_run_id": dag_run_id,
            "dag_id": dag_id,
            "run_id": run_id,
            "task_id": task_id,
            "map_index": map_index,
            "key": key,
            "value": value,
            "timestamp": now or dt.datetime.now(dt.UTC),
        },
        key=["dag_run_id", "task_id", "map_index", "key"],
    )


def xcom_get(
    session: Session, dag_run_id: int, task_id: str, map_index: int, key: str
) -> str | None:
    """The stored JSON text of one XCom, or None."""
    x = _XCOM.c
    value: str | None = session.scalar(
        select(x.value).where(
            x.dag_run_id == dag_run_id,
            x.task_id == task_id,
            x.map_index == map_index,
            x.key == key,
        )
    )
    return value


def xcom_get_many(
    session: Session, dag_run_id: int, task_id: str, map_indexes: Sequence[int], key: str
) -> list[str | None]:
    """Stored XComs of these map indexes, in the order asked (None where there is none)."""
    if not map_indexes:
        return []
    rows = session.execute(
        select(XCom.map_index, XCom.value).where(
            XCom.dag_run_id == dag_run_id,
            XCom.task_id == task_id,
            XCom.key == key,
            XCom.map_index.in_(set(map_indexes)),
        )
    ).all()
    found = dict(rows)
    return [found.get(i) for i in map_indexes]


def xcom_get_mapped(
    session: Session, dag_run_id: int, task_id: str, key: str
) -> list[str | None] | None:
    """A mapped task's XComs over its expanded map indexes (None where a TI pushed nothing);
    None when the task is not expanded yet."""
    rows = session.execute(
        select(TI.map_index, XCom.value)
        .outerjoin(
            XCom,
            and_(
                XCom.dag_run_id == TI.dag_run_id,
                XCom.task_id == TI.task_id,
                XCom.map_index == TI.map_index,
                XCom.key == key,
            ),
        )
        .where(TI.dag_run_id == dag_run_id, TI.task_id == task_id, TI.map_index >= 0)
        .order_by(TI.map_index)
    ).all()
    return [value for _, value in rows] if rows else None


def return_values(
    session: Session, dag_run_pk: int, task_ids: Collection[str] | None = None
) -> dict[str, Any]:
    """`task_id -> value` of the run's `return_value` XComs (of these tasks, or all): a mapped
    task's values as a list by map index. Values are stored as JSON; text that is not JSON is
    returned as it is."""
    query = select(XCom.task_id, XCom.map_index, XCom.value).where(
        XCom.dag_run_id == dag_run_pk, XCom.key == "return_value"
    )
    if task_ids is not None:
        query = query.where(XCom.task_id.in_(list(task_ids)))
    grouped: dict[str, list[tuple[int, Any]]] = {}
    for task_id, map_index, value in session.execute(query.order_by(XCom.task_id, XCom.map_index)):
        grouped.setdefault(task_id, []).append((map_index, _json_or_text(value)))
    return {task_id: _unmapped_or_list(entries) for task_id, entries in grouped.items()}


def _unmapped_or_list(entries: list[tuple[int, Any]]) -> Any:
    if len(entries) == 1 and entries[0][0] < 0:
        return entries[0][1]
    return [value for _, value in entries]


def _json_or_text(value: str | None) -> Any:
    if value is None:
        return None
    try:
        return json.loads(value)
    except ValueError:
        return value

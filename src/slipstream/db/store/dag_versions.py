"""Listing the stored versions of DAGs, as Airflow 3's "DagVersion" routes show them.

Slipstream has no DAG bundles: the bundle fields Airflow sorts by are null for every version,
so sorting by them keeps the tiebreak order (by id).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, null, select
from sqlalchemy.orm import Session

from slipstream.db.models import SerializedDagModel
from slipstream.db.store.paging import Page, paged, total_of
from slipstream.db.store.serialized_dags import RunVersion

__all__ = ["SORT_COLUMNS", "find_versions"]

V = SerializedDagModel

SORT_COLUMNS: dict[str, Any] = {
    "id": V.id,
    "version_number": V.version_number,
    "bundle_name": null(),
    "bundle_version": null(),
}


def find_versions(
    session: Session, dag_id: str | None, page: Page, *, version_number: int | None = None
) -> tuple[list[RunVersion], int]:
    """One page of the versions of `dag_id` (of every DAG when None), and how many match."""
    display_name = V.data["dag"]["dag_display_name"].as_string()
    query: Select[Any] = select(V.id, V.dag_id, V.version_number, V.created_at, display_name)
    if dag_id is not None:
        query = query.where(V.dag_id == dag_id)
    if version_number is not None:
        query = query.where(V.version_number == version_number)
    total = total_of(query, session)
    rows = session.execute(paged(query, page, SORT_COLUMNS, tiebreak=V.id.asc()))
    return [RunVersion(r[0], r[1], r[2], r[3], r[4] or r[1]) for r in rows], total

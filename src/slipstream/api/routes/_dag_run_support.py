"""What the DAG run routes share (`dag_runs`, `dag_run_batches`): runs looked up or a 404
naming them, runs and task instances as responses, and which patch fields apply."""

from collections.abc import Iterable
from typing import Any

from fastapi import HTTPException, status

from slipstream.api.schemas.dag_runs import (
    ClearTaskInstanceCollectionResponse,
    DAGRunClearBody,
    DAGRunResponse,
    run_response,
)
from slipstream.api.schemas.task_instances import ti_response
from slipstream.db.models import DagRun, TaskInstance
from slipstream.db.store import run_listing, runs, ti_listing
from slipstream.db.store.serialized_dags import latest_versions

PATCHABLE = ("state", "note")
"""The fields of a run a patch (single or bulk) may change."""


def not_found(dag_id: str, run_id: str) -> str:
    return f"DAG run '{run_id}' of DAG '{dag_id}' not found"


def require_run(session: Any, dag_id: str, run_id: str) -> DagRun:
    run = runs.get_run(session, dag_id, run_id)
    if run is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, not_found(dag_id, run_id))
    return run


def run_responses(session: Any, found: Iterable[DagRun]) -> list[DAGRunResponse]:
    """These runs as the API shows them (one query for their DAG versions)."""
    found = list(found)
    versions = run_listing.versions_of(session, found)
    return [run_response(run, versions) for run in found]


def ti_collection(
    session: Any, found: Iterable[TaskInstance]
) -> ClearTaskInstanceCollectionResponse:
    """Task instances (as they are now in `session`) as a clear's dry run lists them."""
    views = ti_listing.views_by_ids(session, [ti.id for ti in found])
    return ClearTaskInstanceCollectionResponse(
        task_instances=[ti_response(view) for view in views], total_entries=len(views)
    )


def fields_to_update(given: Iterable[str], update_mask: list[str] | None) -> set[str]:
    """The patch fields that apply: those given, kept to `update_mask` (names, or comma
    separated names) when there is one; a masked name no patch can change is a 400."""
    fields = set(given) & set(PATCHABLE)
    if not update_mask:
        return fields
    mask = {part.strip() for item in update_mask for part in item.split(",") if part.strip()}
    unknown = sorted(mask - set(PATCHABLE))
    if unknown:
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST,
            f"update_mask names fields a DAG run patch cannot change: {', '.join(unknown)}; "
            f"choose from {', '.join(PATCHABLE)}",
        )
    return fields & mask


def refuse_unsupported_clear(body: DAGRunClearBody) -> None:
    if body.only_new:
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST,
            "only_new is not supported: Slipstream keeps a run on the DAG version it started "
            "with, so a clear never adds tasks",
        )


def check_version(session: Any, found: Iterable[DagRun], body: DAGRunClearBody) -> None:
    """`run_on_latest_version` is a 400 for a run on an older version of its DAG (Slipstream
    keeps a run on the version it started with)."""
    if not body.run_on_latest_version:
        return
    found = list(found)
    latest = latest_versions(session, {run.dag_id for run in found})
    for run in found:
        newest = latest.get(run.dag_id)
        if newest is not None and newest.id != run.serialized_dag_id:
            raise HTTPException(
                status.HTTP_400_BAD_REQUEST,
                f"DAG run '{run.run_id}' of DAG '{run.dag_id}' uses an older DAG version, and "
                "run_on_latest_version is not supported: Slipstream keeps a run on its version",
            )

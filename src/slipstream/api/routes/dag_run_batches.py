"""DAG run routes that work on many runs, or wait on one: bulk marking, noting and deleting
(`PATCH /dags/{dag_id}/dagRuns`), clearing several runs (`POST /dags/{dag_id}/clearDagRuns`),
and streaming a run's state until it ends (`GET .../dagRuns/{dag_run_id}/wait`, experimental in
Airflow too). Served right after the routes of `dag_runs` (`api.app.ROUTE_MODULES`).

With `~` as the path's DAG id, each run names its DAG in its entity. A bulk action succeeds or
fails whole (`api.bulk`); a clear of several runs clears all of them or none.
"""

import asyncio
import json
from collections.abc import AsyncIterator, Iterable
from typing import Annotated, Any

from fastapi import HTTPException, Query, status
from fastapi.responses import StreamingResponse
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from slipstream.api import audit, bulk
from slipstream.api.deps import Db
from slipstream.api.errors import documented
from slipstream.api.params import now
from slipstream.api.routes._dag_run_support import (
    check_version,
    fields_to_update,
    not_found,
    refuse_unsupported_clear,
    require_run,
    run_responses,
    ti_collection,
)
from slipstream.api.routing import api_router
from slipstream.api.schemas.bulk import (
    BulkBody,
    BulkCreateAction,
    BulkDeleteAction,
    BulkResponse,
    BulkUpdateAction,
)
from slipstream.api.schemas.dag_runs import (
    BulkDAGRunBody,
    BulkDAGRunClearBody,
    ClearTaskInstanceCollectionResponse,
    DAGRunCollectionResponse,
)
from slipstream.api.security import DagUser
from slipstream.core.states import DagRunState
from slipstream.db.engine import Database
from slipstream.db.models import DagRun
from slipstream.db.store import jobs, run_listing, run_operations, runs

# The tag twice, as these routes had it when `dag_runs` included this router in its own (tagged)
# one: the OpenAPI document stays as it was.
router = api_router(tags=["DagRun", "DagRun"])

ALL_DAGS = "~"
Entity = str | BulkDAGRunBody


# --- bulk changes --------------------------------------------------------------------------------


@router.patch("/dags/{dag_id}/dagRuns", responses=documented(422))
def bulk_dag_runs(
    dag_id: str, body: BulkBody[BulkDAGRunBody], db: Db, user: DagUser
) -> BulkResponse:
    """Mark, note and delete runs in one request (runs are created by triggering, one at a time:
    a create action fails with 405). Ids in the response are `<dag_id>.<run_id>`."""
    with db.begin() as session:
        changes = RunChanges(session, dag_id)
        result = bulk.run_actions(session, body.actions, changes)
        summary = bulk.summary(body.actions, changes.label)
        audit.record(session, user, "bulk_dag_runs", dag_id=_named(dag_id), extra=summary)
    if changes.requeued:
        jobs.wake_schedulers(db)
    return result


class RunChanges:
    """The handlers of the bulk actions, in one transaction."""

    def __init__(self, session: Session, dag_id: str) -> None:
        self.session = session
        self.dag_id = dag_id
        self.found: dict[str, DagRun] = {}
        self.pairs: dict[str, tuple[str, str]] = {}
        self.requeued = False

    def create_all(self, action: BulkCreateAction[BulkDAGRunBody]) -> list[str]:
        raise HTTPException(
            status.HTTP_405_METHOD_NOT_ALLOWED,
            "DAG runs cannot be created in bulk: trigger each (POST /dags/{dag_id}/dagRuns)",
        )

    def update_all(self, action: BulkUpdateAction[BulkDAGRunBody]) -> list[str]:
        chosen: list[BulkDAGRunBody] = bulk.to_change(
            action, "DAG runs", self.key_of, self._existing
        )
        when = now()
        for entity in chosen:
            run = self.found[self.key_of(entity)]
            fields = fields_to_update(entity.model_fields_set, action.update_mask)
            if "state" in fields and entity.state is not None:
                run_operations.mark_run_state(self.session, run, entity.state, now=when)
                self.requeued |= entity.state == DagRunState.QUEUED.value
            if "note" in fields:
                run_operations.set_run_note(self.session, run, entity.note, now=when)
        return [self.key_of(entity) for entity in chosen]

    def delete_all(self, action: BulkDeleteAction[BulkDAGRunBody]) -> list[str]:
        chosen = bulk.to_change(action, "DAG runs", self.key_of, self._existing)
        keys = [self.key_of(entity) for entity in chosen]
        running = [key for key in keys if self.found[key].state == DagRunState.RUNNING.value]
        if running:
            raise HTTPException(
                status.HTTP_409_CONFLICT,
                f"These DAG runs are running and cannot be deleted: {', '.join(running)}; "
                "mark them success, failed or queued first",
            )
        for key in keys:
            run_operations.delete_run(self.session, self.found[key])
        return keys

    def key_of(self, entity: Entity) -> str:
        """`<dag_id>.<run_id>` of an entity; a 400 when its DAG is not known."""
        pair = _run_of(self.dag_id, entity)
        key = f"{pair[0]}.{pair[1]}"
        self.pairs[key] = pair
        return key

    def label(self, entity: Entity) -> str:
        """The entity as the audit log records it (never failing)."""
        if isinstance(entity, str):
            return f"{self.dag_id}.{entity}"
        return f"{entity.dag_id or self.dag_id}.{entity.dag_run_id}"

    def _existing(self, keys: list[str]) -> set[str]:
        pairs = {key: self.pairs[key] for key in keys}
        found = run_listing.runs_by_keys(self.session, list(pairs.values()))
        self.found = {key: found[pair] for key, pair in pairs.items() if pair in found}
        return set(self.found)


def _run_of(path_dag_id: str, entity: Entity) -> tuple[str, str]:
    if isinstance(entity, str):
        dag_id, run_id = path_dag_id, entity
    else:
        dag_id, run_id = entity.dag_id or path_dag_id, entity.dag_run_id
    if dag_id == ALL_DAGS or run_id == ALL_DAGS:
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST,
            f"DAG run '{run_id}': with ~ as the DAG id in the path, each run must name its "
            "dag_id in its entity",
        )
    return dag_id, run_id


def _named(dag_id: str) -> str | None:
    return None if dag_id == ALL_DAGS else dag_id


# --- clearing several runs -----------------------------------------------------------------------


@router.post("/dags/{dag_id}/clearDagRuns", responses=documented(400, 404, 422))
def clear_dag_runs(
    dag_id: str, body: BulkDAGRunClearBody, db: Db, user: DagUser
) -> ClearTaskInstanceCollectionResponse | DAGRunCollectionResponse:
    """Clear the task instances of several runs (only failed ones with `only_failed`); with
    `dry_run` (the default) list them instead. Slipstream's runs have no partition key, so
    choosing runs by partition chooses none."""
    refuse_unsupported_clear(body)
    pairs = [] if body.by_partition else [_run_of(dag_id, entity) for entity in body.dag_runs]
    if body.dry_run:
        with db.session() as session:
            found = _clearable(session, pairs, body)
            cleared = _clear(session, found, body, dry_run=True)
            return ti_collection(session, cleared)
    with db.begin() as session:
        found = _clearable(session, pairs, body)
        cleared = _clear(session, found, body, dry_run=False)
        extra = {
            **body.model_dump(mode="json", exclude_unset=True, exclude={"dag_runs"}),
            "dag_runs": [f"{run.dag_id}.{run.run_id}" for run in found],
            "cleared": len(cleared),
        }
        audit.record(session, user, "clear_dag_runs", dag_id=_named(dag_id), extra=extra)
        for run in found:
            session.refresh(run)
        response = DAGRunCollectionResponse(
            dag_runs=run_responses(session, found), total_entries=len(found)
        )
    if found:
        jobs.wake_schedulers(db)
    return response


def _clearable(
    session: Session, pairs: list[tuple[str, str]], body: BulkDAGRunClearBody
) -> list[DagRun]:
    repeated = sorted({f"{d}.{r}" for d, r in pairs if pairs.count((d, r)) > 1})
    if repeated:
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST, f"These DAG runs appear more than once: {repeated}"
        )
    found = run_listing.runs_by_keys(session, pairs)
    missing = [not_found(d, r) for d, r in pairs if (d, r) not in found]
    if missing:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "; ".join(missing))
    chosen = [found[pair] for pair in pairs]
    check_version(session, chosen, body)
    return chosen


def _clear(
    session: Session, found: Iterable[DagRun], body: BulkDAGRunClearBody, *, dry_run: bool
) -> list[Any]:
    when = now()
    cleared: list[Any] = []
    for run in found:
        cleared += run_operations.clear_run(
            session, run, now=when, only_failed=body.only_failed, dry_run=dry_run
        )
        if not dry_run and body.note is not None:
            run_operations.set_run_note(session, run, body.note, now=when)
    return cleared


# --- waiting for a run ---------------------------------------------------------------------------

NDJSON = "application/x-ndjson"


@router.get(
    "/dags/{dag_id}/dagRuns/{dag_run_id}/wait",
    tags=["experimental"],
    summary="Experimental: Wait for a dag run to complete, and return task results if requested.",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "The run's state as NDJSON, one line per check, until it ends",
            "content": {NDJSON: {"schema": {"type": "string"}}},
        },
        **documented(404, 422),
    },
)
def wait_dag_run_until_finished(
    dag_id: str,
    dag_run_id: str,
    db: Db,
    user: DagUser,
    interval: Annotated[
        float, Query(gt=0, description="Seconds to wait between dag run state checks")
    ],
    result: Annotated[
        list[str] | None,
        Query(description="Tasks whose return value to report when the run ends (all if unset)"),
    ] = None,
) -> StreamingResponse:
    """Stream `{"state": ...}` lines every `interval` seconds until the run finishes; the last
    line also holds `results`, the return values of the `result` tasks (all when unset)."""
    with db.session() as session:
        require_run(session, dag_id, dag_run_id)
    lines = _watch(db, dag_id, dag_run_id, interval, result)
    return StreamingResponse(lines, media_type=NDJSON)


async def _watch(
    db: Database, dag_id: str, run_id: str, interval: float, task_ids: list[str] | None
) -> AsyncIterator[str]:
    while True:
        line, finished = await run_in_threadpool(_look, db, dag_id, run_id, task_ids)
        yield line + "\n"
        if finished:
            return
        await asyncio.sleep(interval)


def _look(db: Database, dag_id: str, run_id: str, task_ids: list[str] | None) -> tuple[str, bool]:
    """The line to send now about the run, and whether it is the last."""
    with db.session() as session:
        run = runs.get_run(session, dag_id, run_id)
        if run is None:
            return json.dumps({"state": None, "detail": not_found(dag_id, run_id)}), True
        body: dict[str, Any] = {"state": run.state}
        finished = run.state in runs.FINISHED_RUN_STATES
        if finished:
            results = run_listing.return_values(session, run.id, task_ids)
            if results:
                body["results"] = results
    return json.dumps(body, default=str), finished

"""Marking task instances through the API (`PATCH` of a task's instances or of a task group's),
and the 404s the task-instance routes share.

A `PATCH` names a task (all its map indexes, or one) or a task group, in the DAG's newest
version as Airflow does; `update_mask` limits which body fields apply. A new state goes through
`store.ti_marking.mark_task_instances` (relatives, earlier/later runs, resuming what failed
downstream); marking nothing new is a 409. Dry runs return what would change and write nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import HTTPException, status
from sqlalchemy.orm import Session

from slipstream.api import audit
from slipstream.api.params import now
from slipstream.api.schemas.task_instances import (
    PatchTaskInstanceBody,
    TaskInstanceCollectionResponse,
    collection,
)
from slipstream.api.security import AuthenticatedUser
from slipstream.db.models import DagRun
from slipstream.db.store import ti_listing, ti_marking
from slipstream.db.store.paging import Page
from slipstream.db.store.runs import get_run
from slipstream.db.store.ti_listing import TIFilters, TIView

ALL = 10**9  # "every row" as a page limit


@dataclass(frozen=True)
class Target:
    """What a `PATCH` names: one task (every map index, or `map_index`), or a task group."""

    task_id: str | None = None
    map_index: int | None = None
    group_id: str | None = None

    def task_ids(self, dag_id: str, dag: Any) -> list[str]:
        """The tasks named, in the DAG's newest version; 404 when it has no such task/group."""
        if self.group_id is not None:
            if self.group_id not in dag.task_group_dict:
                raise HTTPException(
                    status.HTTP_404_NOT_FOUND,
                    f"Task group '{self.group_id}' not found in DAG '{dag_id}'",
                )
            return [task.task_id for task in dag.iter_group_tasks(self.group_id)]
        if self.task_id not in dag.task_dict:
            raise HTTPException(
                status.HTTP_404_NOT_FOUND, f"Task '{self.task_id}' not found in DAG '{dag_id}'"
            )
        return [str(self.task_id)]

    @property
    def label(self) -> str:
        return f"Task group {self.group_id}" if self.group_id else f"Task id {self.task_id}"


class PatchRequest:
    """One `PATCH` of task instances: validated, then previewed (dry run) or applied."""

    def __init__(
        self,
        dag_id: str,
        run_id: str,
        target: Target,
        body: PatchTaskInstanceBody,
        update_mask: list[str] | None = None,
    ) -> None:
        self.dag_id, self.run_id, self.target = dag_id, run_id, target
        self.body = body
        self.update_mask = update_mask
        fields = set(body.model_fields_set)
        self.fields = fields & set(update_mask) if update_mask else fields

    @property
    def new_state(self) -> str | None:
        return self.body.new_state if "new_state" in self.fields else None

    def preview(self, session: Session) -> TaskInstanceCollectionResponse:
        """What the change would touch: the TIs whose state would change (or, without a new
        state, the TIs named)."""
        run, task_ids, views = self._resolve(session)
        if self.new_state is None:
            return collection(views)
        changed = self._mark(session, run, task_ids, dry_run=True)
        return collection(ti_listing.views_by_ids(session, changed))

    def apply(self, session: Session, user: AuthenticatedUser) -> TaskInstanceCollectionResponse:
        """Make the change and audit it; returns the TIs named (for a group with a new state:
        the TIs changed), as they are now."""
        run, task_ids, views = self._resolve(session)
        ids = [view.ti.id for view in views]
        changed: list[int] = []
        if self.new_state is not None:
            changed = self._mark(session, run, task_ids, dry_run=False)
            if not changed:
                raise HTTPException(
                    status.HTTP_409_CONFLICT,
                    f"{self.target.label} is already in {self.new_state} state",
                )
        if "note" in self.fields and (self.update_mask or self.body.note is not None):
            ti_marking.set_notes(session, ids, self.body.note)
        self._record(session, user, changed)
        shown = changed if self.target.group_id and self.new_state else ids
        return collection(ti_listing.views_by_ids(session, shown))

    def _resolve(self, session: Session) -> tuple[DagRun, list[str], list[TIView]]:
        dag = ti_listing.dag_of_run(session, self.dag_id, None)
        if dag is None:
            raise dag_not_found(self.dag_id)
        task_ids = self.target.task_ids(self.dag_id, dag)
        run = require_run(session, self.dag_id, self.run_id)
        index = self.target.map_index
        filters = TIFilters(
            dag_ids=[self.dag_id],
            run_ids=[self.run_id],
            task_ids=task_ids,
            map_indexes=None if index is None else [index],
        )
        page = Page(limit=ALL, order_by=(("map_index", False),))
        views, _ = ti_listing.list_views(session, filters, page)
        if not views and self.target.group_id is not None:
            raise HTTPException(
                status.HTTP_404_NOT_FOUND,
                f"Task group '{self.target.group_id}' has no task instances in run "
                f"'{self.run_id}' of DAG '{self.dag_id}'",
            )
        if not views:
            raise ti_not_found(self.dag_id, self.run_id, str(self.target.task_id), index)
        return run, task_ids, views

    def _mark(
        self, session: Session, run: DagRun, task_ids: list[str], *, dry_run: bool
    ) -> list[int]:
        body, index = self.body, self.target.map_index
        assert self.new_state is not None
        return ti_marking.mark_task_instances(
            session,
            run,
            task_ids,
            self.new_state,
            now=now(),
            map_indexes=None if index is None else [index],
            upstream=body.include_upstream,
            downstream=body.include_downstream,
            past=body.include_past,
            future=body.include_future,
            dry_run=dry_run,
        )

    def _record(self, session: Session, user: AuthenticatedUser, changed: list[int]) -> None:
        extra = self.body.model_dump(mode="json", include=self.fields)
        extra.update({"update_mask": self.update_mask, "changed": len(changed)})
        group = self.target.group_id
        if group is not None:
            extra["group_id"] = group
        audit.record(
            session,
            user,
            "patch_task_group_instances" if group else "patch_task_instance",
            dag_id=self.dag_id,
            run_id=self.run_id,
            task_id=self.target.task_id,
            map_index=self.target.map_index,
            extra=extra,
        )


# --- shared by the task-instance routes --------------------------------------------------------


def require_run(session: Session, dag_id: str, run_id: str) -> DagRun:
    """The run, or a 404 naming the DAG (when it is unknown) or the run."""
    run = get_run(session, dag_id, run_id)
    if run is None:
        if not ti_listing.dag_exists(session, dag_id):
            raise dag_not_found(dag_id)
        raise HTTPException(
            status.HTTP_404_NOT_FOUND,
            f"The DagRun with dag_id: `{dag_id}` and run_id: `{run_id}` was not found",
        )
    return run


def dag_not_found(dag_id: str) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, f"The Dag with ID: `{dag_id}` was not found")


def ti_not_found(
    dag_id: str, run_id: str, task_id: str, map_index: int | None = None
) -> HTTPException:
    where = f"dag_id: `{dag_id}`, run_id: `{run_id}`, task_id: `{task_id}`"
    if map_index is not None:
        where += f" and map_index: `{map_index}`"
    return HTTPException(status.HTTP_404_NOT_FOUND, f"The Task Instance with {where} was not found")

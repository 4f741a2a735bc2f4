"""What a run's context holds beyond a claimed try: the run and its last finished task instance
for DAG-level callbacks, and the asset events that triggered an asset-triggered run.

Read-only; functions take a `Session`. Dates are timezone-aware UTC datetimes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.orm import Session, aliased

from slipstream.db.models import Asset, AssetEvent, DagRun, DagRunAssetEvent, TaskInstance
from slipstream.db.store.asset_events import event_fields

__all__ = ["CallbackRun", "callback_run", "triggering_asset_events"]

RUN_FIELDS = (
    "dag_id", "run_id", "logical_date", "data_interval_start", "data_interval_end", "run_after",
    "run_type", "triggered_by", "state", "start_date", "end_date", "conf",
)  # fmt: skip
_TI_FIELDS = (
    "task_id", "map_index", "try_number", "max_tries", "state", "start_date", "end_date",
)  # fmt: skip
_FAILED = ("failed",)


@dataclass(frozen=True)
class CallbackRun:
    """A finished run, as its DAG callbacks see it: the run's fields (`RUN_FIELDS`) and the TI
    that finished last (for a failed run, the one that failed last), or None."""

    dag_run_id: int
    run: dict[str, Any]
    last_ti: dict[str, Any] | None


def callback_run(session: Session, dag_id: str, run_id: str) -> CallbackRun | None:
    """The run `run_id` of `dag_id` for its callbacks; None when there is no such run."""
    row = session.execute(
        select(DagRun.id, *(getattr(DagRun, name) for name in RUN_FIELDS)).where(
            DagRun.dag_id == dag_id, DagRun.run_id == run_id
        )
    ).one_or_none()
    if row is None:
        return None
    dag_run_id = row[0]
    run = dict(zip(RUN_FIELDS, row[1:], strict=True))
    run["conf"] = dict(run["conf"] or {})
    last_ti = None
    if run["state"] == "failed":
        last_ti = _last_finished(session, dag_run_id, TaskInstance.state.in_(_FAILED))
    if last_ti is None:
        last_ti = _last_finished(session, dag_run_id, TaskInstance.end_date.is_not(None))
    return CallbackRun(dag_run_id=dag_run_id, run=run, last_ti=last_ti)


def _last_finished(session: Session, dag_run_id: int, condition: Any) -> dict[str, Any] | None:
    row = session.execute(
        select(*(getattr(TaskInstance, name) for name in _TI_FIELDS))
        .where(TaskInstance.dag_run_id == dag_run_id, condition)
        .order_by(TaskInstance.end_date.desc(), TaskInstance.id.desc())
        .limit(1)
    ).one_or_none()
    return None if row is None else dict(zip(_TI_FIELDS, row, strict=True))


def triggering_asset_events(session: Session, dag_run_id: int) -> list[dict[str, Any]]:
    """The asset events that triggered the run, oldest first: each with its asset (`name`,
    `uri`, `group`), `extra`, its source (DAG, task, run, map index), `timestamp`, and
    `source_dag_run` (the producing run's fields, when that run still exists)."""
    source = aliased(DagRun)
    rows = session.execute(
        select(Asset.name, Asset.uri, Asset.group, AssetEvent, source)
        .join(DagRunAssetEvent, DagRunAssetEvent.event_id == AssetEvent.id)
        .join(Asset, Asset.id == AssetEvent.asset_id)
        .outerjoin(
            source,
            and_(
                source.dag_id == AssetEvent.source_dag_id,
                source.run_id == AssetEvent.source_run_id,
            ),
        )
        .where(DagRunAssetEvent.dag_run_id == dag_run_id)
        .order_by(AssetEvent.timestamp, AssetEvent.id)
    ).all()
    out = []
    for name, uri, group, event, source_run in rows:
        out.append(
            {
                "asset": {"name": name, "uri": uri, "group": group},
                **event_fields(uri, event),
                "source_dag_run": None
                if source_run is None
                else {field: getattr(source_run, field) for field in RUN_FIELDS},
            }
        )
    return out

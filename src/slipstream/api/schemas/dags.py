"""Bodies of the DAG routes, with the names and shapes of Airflow 3's `DAGResponse`,
`DAGDetailsResponse`, `DAGPatchBody`, `DAGSourceResponse` and `DAGTagCollectionResponse`, and the
functions building them from the `dag` row and the DAG's newest stored version.

Slipstream has no DAG bundles, favourites or per-file parse durations: `bundle_name`,
`bundle_version`, `last_parse_duration` and `last_expired` are null and `is_favorite` false.
`file_token` is an opaque token naming the DAG's file (no route of the stable API takes one).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

from slipstream.api.schemas.dag_versions import DagVersionResponse
from slipstream.db.models import DagModel
from slipstream.db.store.serialized_dags import StoredVersion, VersionSummary

if TYPE_CHECKING:
    from slipstream.serialization import SerializedDAG

__all__ = [
    "DAGCollectionResponse",
    "DAGDetailsResponse",
    "DAGPatchBody",
    "DAGResponse",
    "DAGSourceResponse",
    "DAGTagCollectionResponse",
    "DagTagResponse",
    "dag_details_response",
    "dag_response",
]


class DAGPatchBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    is_paused: bool


class DagTagResponse(BaseModel):
    name: str
    dag_id: str
    dag_display_name: str


class DAGResponse(BaseModel):
    dag_id: str
    dag_display_name: str
    is_paused: bool
    is_stale: bool
    last_parsed_time: dt.datetime | None
    last_parse_duration: float | None = None
    last_expired: dt.datetime | None = None
    bundle_name: str | None = None
    bundle_version: str | None = None
    relative_fileloc: str | None
    fileloc: str
    description: str | None
    timetable_summary: str | None
    timetable_description: str | None
    timetable_partitioned: bool
    timetable_periodic: bool
    tags: list[DagTagResponse]
    max_active_tasks: int
    max_active_runs: int | None
    max_consecutive_failed_dag_runs: int
    has_task_concurrency_limits: bool
    has_import_errors: bool
    next_dagrun_logical_date: dt.datetime | None
    next_dagrun_data_interval_start: dt.datetime | None
    next_dagrun_data_interval_end: dt.datetime | None
    next_dagrun_run_after: dt.datetime | None
    allowed_run_types: list[str] | None = None
    owners: list[str]
    is_backfillable: bool
    file_token: str


class DAGDetailsResponse(DAGResponse):
    catchup: bool
    dag_run_timeout: dt.timedelta | None
    asset_expression: dict[str, Any] | None
    doc_md: str | None
    start_date: dt.datetime | None
    end_date: dt.datetime | None
    is_paused_upon_creation: bool | None
    params: dict[str, Any] | None
    render_template_as_native_obj: bool
    template_search_path: list[str] | None
    timezone: str | None
    last_parsed: dt.datetime | None
    default_args: dict[str, Any] | None
    owner_links: dict[str, str] | None
    is_favorite: bool = False
    active_runs_count: int = 0
    rerun_with_latest_version: bool | None = None
    concurrency: int
    latest_dag_version: DagVersionResponse | None


class DAGCollectionResponse(BaseModel):
    dags: list[DAGResponse]
    total_entries: int


class DAGTagCollectionResponse(BaseModel):
    tags: list[str]
    total_entries: int


class DAGSourceResponse(BaseModel):
    content: str | None
    dag_id: str
    version_number: int | None
    dag_display_name: str


# --- building responses ---------------------------------------------------------------------


def dag_response(model: DagModel, summary: VersionSummary | None) -> DAGResponse:
    """The DAG as listings show it: its `dag` row and a summary of its newest version."""
    return DAGResponse(**_dag_fields(model, summary))


def dag_details_response(
    model: DagModel, dag: SerializedDAG, summary: VersionSummary | None, *, active_runs: int
) -> DAGDetailsResponse:
    """The DAG with the details only its stored version knows (`GET /dags/{dag_id}/details`)."""
    record = dag.data
    return DAGDetailsResponse(
        **_dag_fields(model, summary),
        catchup=dag.catchup,
        dag_run_timeout=dag.dagrun_timeout,
        asset_expression=model.asset_expression or None,
        doc_md=_text_or_none(record.get("doc_md")),
        start_date=dag.start_date,
        end_date=dag.end_date,
        is_paused_upon_creation=dag.is_paused_upon_creation,
        params={key: param.dump() for key, param in dag.params.items()},
        render_template_as_native_obj=bool(record.get("render_template_as_native_obj")),
        template_search_path=_search_path(record.get("template_searchpath")),
        timezone=dag.timezone,
        last_parsed=model.last_parsed_time,
        default_args=_mapping_or_none(record.get("default_args")),
        owner_links=_owner_links(record.get("owner_links")),
        active_runs_count=active_runs,
        concurrency=model.max_active_tasks,
        latest_dag_version=_latest_version(summary),
    )


def _latest_version(summary: VersionSummary | None) -> DagVersionResponse | None:
    return None if summary is None else DagVersionResponse.of(summary.version, summary.display_name)


def source_response(
    dag_id: str, version: StoredVersion, content: str | None, display_name: str
) -> DAGSourceResponse:
    return DAGSourceResponse(
        content=content,
        dag_id=dag_id,
        version_number=version.version_number,
        dag_display_name=display_name,
    )


def _dag_fields(model: DagModel, summary: VersionSummary | None) -> dict[str, Any]:
    display_name = summary.display_name if summary else model.dag_id
    return {
        "dag_id": model.dag_id,
        "dag_display_name": display_name,
        "is_paused": bool(model.is_paused),
        "is_stale": bool(model.is_stale),
        "last_parsed_time": model.last_parsed_time,
        "relative_fileloc": model.relative_fileloc,
        "fileloc": model.fileloc or "",
        "description": model.description,
        "timetable_summary": _summary_text(model.timetable_summary),
        "timetable_description": model.timetable_description,
        "timetable_partitioned": bool(summary and summary.partitioned),
        "timetable_periodic": bool(summary and summary.periodic),
        "tags": [
            DagTagResponse(name=tag, dag_id=model.dag_id, dag_display_name=display_name)
            for tag in model.tags or ()
        ],
        "max_active_tasks": model.max_active_tasks,
        "max_active_runs": model.max_active_runs,
        "max_consecutive_failed_dag_runs": model.max_consecutive_failed_dag_runs,
        "has_task_concurrency_limits": bool(summary and summary.has_task_concurrency_limits),
        "has_import_errors": bool(model.has_import_errors),
        "next_dagrun_logical_date": model.next_dagrun,
        "next_dagrun_data_interval_start": model.next_dagrun_data_interval_start,
        "next_dagrun_data_interval_end": model.next_dagrun_data_interval_end,
        "next_dagrun_run_after": model.next_dagrun_create_after,
        "owners": [owner.strip() for owner in (model.owners or "").split(",") if owner.strip()],
        "is_backfillable": bool(summary and summary.backfillable),
        "file_token": file_token(model.fileloc or ""),
    }


def file_token(fileloc: str) -> str:
    """An opaque, URL-safe token naming the DAG's file."""
    return hashlib.sha256(fileloc.encode("utf-8")).hexdigest()


def _summary_text(summary: str | None) -> str | None:
    # A DAG without a schedule shows no summary, as in Airflow.
    return None if summary in (None, "None") else summary


def _text_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _mapping_or_none(value: Any) -> dict[str, Any] | None:
    return dict(value) if isinstance(value, dict) else None


def _search_path(value: Any) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return [str(item) for item in value]
    return None


def _owner_links(value: Any) -> dict[str, str] | None:
    if not isinstance(value, dict) or not value:
        return None
    return {str(key): str(link) for key, link in value.items()}

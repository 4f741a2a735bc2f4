"""Saving what parsing found: DAG rows, DAG versions, import errors, asset references, and the
first `next_dagrun` of new or changed DAGs. One call, one transaction (the caller's session).

Rules, Airflow's unless said otherwise:

- a new DAG is paused if its `is_paused_upon_creation` says so, else per
  `core.dags_are_paused_at_creation`; an existing DAG's pause flag is never touched;
- a new version (`serialized_dag` row, version number + 1) only when the DAG's hash changed;
- a file's import error is replaced on each parse and deleted when it loads cleanly;
  `dag.has_import_errors` is set for every DAG whose file has one (the scheduler creates no
  runs for them);
- a file that failed altogether (import error, timeout, crash) keeps its DAGs as they were;
  a file that loaded cleanly marks the DAGs it no longer defines stale;
- a DAG id already defined by another file that still defines it is a duplicate: the file
  parsed later gets an import error and its copy is ignored (Airflow keeps the first too);
- for new, changed and revived DAGs: `next_dagrun*` from the timetable, `asset_expression`, the
  `asset` rows their schedule and tasks name, and `dag_schedule_asset_reference`.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from slipstream.dag_processing.parse_result import FileResult, ParsedDag
from slipstream.db.models import DagModel
from slipstream.db.store import asset_refs, import_errors, serialized_dags
from slipstream.db.store import dags as dag_store
from slipstream.db.store.asset_refs import AssetSpec
from slipstream.db.store.serialized_dags import DagVersion, NewVersion

log = logging.getLogger(__name__)


@dataclass
class SaveStats:
    dags_saved: int = 0
    new_versions: int = 0
    stale: int = 0
    errors: dict[str, str] = field(default_factory=dict)  # file -> first line of its error
    stored: dict[str, dict[str, str]] = field(default_factory=dict)  # file -> {dag_id: hash}
    reparse: set[str] = field(default_factory=set)  # files to parse again, data and all


def save_results(
    session: Session,
    results: Sequence[FileResult],
    *,
    now: dt.datetime,
    present_files: Collection[str],
    paused_at_creation: bool,
) -> SaveStats:
    """Store one batch of parse results; `present_files` are all DAG files listed now.

    Rows are read and written for all the batch's DAGs at once (a few statements per batch,
    not per DAG), so storing many files costs little more than storing one.
    """
    stats = SaveStats()
    ids = {dag.dag_id for result in results for dag in result.dags}
    rows = dag_store.get_dag_models(session, ids)
    results = _drop_duplicates(results, rows, present_files)
    versions = serialized_dags.latest_versions(session, ids)
    batch = _Batch()
    for result in results:
        for parsed in result.dags:
            _save_dag(
                session, result, parsed, rows, versions, now, paused_at_creation, batch, stats
            )
    if batch.refresh:
        with session.no_autoflush:  # new rows are inserted once, next run included
            _set_next_runs(session, batch.refresh, now)
    session.flush()
    serialized_dags.add_versions(session, batch.versions, now=now)
    if batch.refresh:
        _save_assets(session, batch.refresh, now)
    stats.stale += _mark_vanished(session, results)
    _save_import_errors(session, results, now, stats)
    return stats


def reconcile_files(session: Session, present_files: Collection[str]) -> int:
    """Mark stale the DAGs whose file is no longer listed and drop those files' import errors;
    returns how many DAGs went stale."""
    present = set(present_files)
    gone = [
        dag_id for dag_id, fileloc in dag_store.active_dag_files(session) if fileloc not in present
    ]
    import_errors.delete_import_errors_except(session, present)
    return dag_store.mark_stale(session, gone)


# --- duplicates ----------------------------------------------------------------------------------


def _drop_duplicates(
    results: Sequence[FileResult], rows: dict[str, DagModel], present_files: Collection[str]
) -> list[FileResult]:
    present = set(present_files)
    holds = {r.path: {d.dag_id for d in r.dags} if r.loaded else None for r in results}
    claimed: dict[str, str] = {}  # dag_id -> the file of this batch that defines it
    out = []
    for result in results:
        dropped: set[str] = set()
        for dag in result.dags:
            owner = claimed.get(dag.dag_id)
            if owner is None:
                owner = _established_owner(rows.get(dag.dag_id), result.path, holds, present)
            if owner is not None:
                dropped.add(dag.dag_id)
                result = result.with_error(
                    f"AirflowDagDuplicatedIdException: Ignoring DAG '{dag.dag_id}' from "
                    f"{result.path}: the id is already used by {owner}"
                )
            else:
                claimed[dag.dag_id] = result.path
        out.append(result.without_dags(dropped) if dropped else result)
    return out


def _established_owner(
    row: DagModel | None,
    path: str,
    holds: dict[str, set[str] | None],
    present: set[str],
) -> str | None:
    """The other file that defines this DAG and keeps it, if any.

    That is the file of its active row, when that file is still there and, if parsed in this
    batch, still defines it (or failed altogether, which keeps its DAGs).
    """
    owner = _other_owner(row, path)
    if owner is None or row is None:
        return None
    if owner in holds:
        ids = holds[owner]
        return owner if ids is None or row.dag_id in ids else None
    return owner if owner in present else None


def _other_owner(row: DagModel | None, path: str) -> str | None:
    if row is None or row.is_stale or row.fileloc == path:
        return None
    return row.fileloc


# --- one DAG -----------------------------------------------------------------------------------


@dataclass
class _Batch:
    """What `save_results` writes for all the DAGs of a batch at once."""

    versions: list[NewVersion] = field(default_factory=list)
    refresh: list[tuple[DagModel, ParsedDag]] = field(default_factory=list)
    """New, changed and revived DAGs: their next run and assets are computed again."""


def _save_dag(
    session: Session,
    result: FileResult,
    parsed: ParsedDag,
    rows: dict[str, DagModel],
    versions: dict[str, DagVersion],
    now: dt.datetime,
    paused_at_creation: bool,
    batch: _Batch,
    stats: SaveStats,
) -> None:
    row = rows.get(parsed.dag_id)
    latest = versions.get(parsed.dag_id)
    if parsed.unchanged:
        _confirm_unchanged(result, parsed, row, latest, now, stats)
        return
    is_new = row is None
    if row is None:
        wanted = parsed.record.get("is_paused_upon_creation")
        paused = paused_at_creation if wanted is None else bool(wanted)
        row = rows[parsed.dag_id] = dag_store.add_dag_model(
            session, parsed.dag_id, is_paused=paused
        )
    revived = bool(row.is_stale)
    changed = latest is None or latest.dag_hash != parsed.hash
    if changed:
        number = 1 if latest is None else latest.version_number + 1
        batch.versions.append(
            NewVersion(parsed.dag_id, number, parsed.hash, parsed.stored, result.path)
        )
        versions[parsed.dag_id] = DagVersion(0, parsed.dag_id, number, parsed.hash)
        stats.new_versions += 1
    _apply_record(row, parsed.record, result.path, now)
    stats.dags_saved += 1
    stats.stored.setdefault(result.path, {})[parsed.dag_id] = parsed.hash
    if is_new or changed or revived:
        batch.refresh.append((row, parsed))


def _confirm_unchanged(
    result: FileResult,
    parsed: ParsedDag,
    row: DagModel | None,
    latest: DagVersion | None,
    now: dt.datetime,
    stats: SaveStats,
) -> None:
    """A DAG the child found unchanged: its row already holds what its data says. If the row
    moved on meanwhile (deleted, stale, another file, another version), the file is parsed
    again with its data."""
    current = (
        row is not None
        and not row.is_stale
        and row.fileloc == result.path
        and latest is not None
        and latest.dag_hash == parsed.hash
    )
    if not current or row is None:
        stats.reparse.add(result.path)
        return
    row.last_parsed_time = now
    stats.dags_saved += 1
    stats.stored.setdefault(result.path, {})[parsed.dag_id] = parsed.hash


def _apply_record(row: DagModel, record: dict[str, Any], path: str, now: dt.datetime) -> None:
    row.fileloc = path
    row.relative_fileloc = record.get("relative_fileloc")
    row.owners = str(record.get("owner") or "airflow")[:2000]
    row.description = record.get("description")
    row.tags = sorted(str(tag) for tag in record.get("tags") or ())
    row.timetable_summary = record.get("timetable_summary")
    row.timetable_description = record.get("timetable_description")
    row.max_active_runs = record.get("max_active_runs")
    row.max_active_tasks = int(record.get("max_active_tasks") or 16)
    row.max_consecutive_failed_dag_runs = int(record.get("max_consecutive_failed_dag_runs") or 0)
    row.asset_expression = asset_expression(record.get("timetable"))
    row.is_stale = False
    row.last_parsed_time = now


def _set_next_runs(
    session: Session, refresh: list[tuple[DagModel, ParsedDag]], now: dt.datetime
) -> None:
    """The first `next_dagrun*` of new, changed or revived DAGs."""
    with_runs = dag_store.dags_with_scheduled_runs(session, [row.dag_id for row, _ in refresh])
    for row, parsed in refresh:
        try:
            info = _next_run(session, parsed, now, row.dag_id in with_runs)
        except Exception:
            log.exception(
                "Cannot compute the next run of DAG %s; leaving it unscheduled", row.dag_id
            )
            info = None
        row.next_dagrun = None if info is None else info.logical_date
        row.next_dagrun_data_interval_start = None if info is None else info.data_interval.start
        row.next_dagrun_data_interval_end = None if info is None else info.data_interval.end
        row.next_dagrun_create_after = None if info is None else info.run_after


def _next_run(session: Session, parsed: ParsedDag, now: dt.datetime, has_runs: bool) -> Any:
    from slipstream.db.store.runs import last_automated_interval
    from slipstream.serialization import deserialize_schedule
    from slipstream.timetables.next_run import compute_next_dagrun

    schedule = deserialize_schedule(parsed.data)
    last = last_automated_interval(session, parsed.dag_id) if has_runs else None
    return compute_next_dagrun(schedule, last, now)


def _save_assets(
    session: Session, refresh: list[tuple[DagModel, ParsedDag]], now: dt.datetime
) -> None:
    """Every asset these DAGs name gets a row; their schedule references are set."""
    scheduled: dict[str, list[AssetSpec]] = {}
    named: list[AssetSpec] = []
    for row, parsed in refresh:
        record = parsed.record
        condition = _asset_condition(record.get("timetable"))
        specs = list(_condition_assets(condition)) if condition is not None else []
        scheduled[row.dag_id] = specs
        named.extend(specs)
        named.extend(
            spec
            for task in record.get("tasks") or ()
            for item in (*(task.get("outlets") or ()), *(task.get("inlets") or ()))
            if (spec := _asset_spec(item)) is not None
        )
    ids = asset_refs.ensure_assets(session, named, now=now)
    current = asset_refs.schedule_references_of(session, list(scheduled))
    wanted = {dag_id: [ids[spec.key] for spec in specs] for dag_id, specs in scheduled.items()}
    asset_refs.set_schedule_references_many(session, wanted, current)


# --- import errors and vanished DAGs ------------------------------------------------------------


def _mark_vanished(session: Session, results: Sequence[FileResult]) -> int:
    """Stale: the DAGs that files which loaded cleanly no longer define."""
    defined = {r.path: {d.dag_id for d in r.dags} for r in results if r.error is None}
    gone = [
        row.dag_id
        for row in dag_store.dags_in_files(session, list(defined))
        if not row.is_stale and row.dag_id not in defined[row.fileloc]
    ]
    return dag_store.mark_stale(session, gone)


def _save_import_errors(
    session: Session, results: Sequence[FileResult], now: dt.datetime, stats: SaveStats
) -> None:
    failed, clean = [], []
    errors: dict[str, tuple[str, int | None] | None] = {}
    for result in results:
        error = result.error
        if error is None:
            errors[result.path] = None
            clean.append(result.path)
        else:
            errors[result.path] = (_stacktrace(error.message, error.traceback), error.lineno)
            failed.append(result.path)
            stats.errors[result.path] = error.message.splitlines()[0] if error.message else ""
    import_errors.replace_import_errors(session, errors, now=now)
    dag_store.set_import_error_flag(session, failed, True)
    dag_store.set_import_error_flag(session, clean, False)


def _stacktrace(message: str, traceback: str) -> str:
    """The stored text: the traceback (which ends with the message), or the message alone."""
    return traceback if traceback.strip() else message + "\n"


# --- assets in serialized data ------------------------------------------------------------------


def _asset_condition(timetable: Any) -> dict[str, Any] | None:
    if isinstance(timetable, dict):
        condition = timetable.get("asset_condition")
        if isinstance(condition, dict):
            return condition
    return None


def _condition_assets(node: dict[str, Any]) -> Iterator[AssetSpec]:
    spec = _asset_spec(node)
    if spec is not None:
        yield spec
    for child in node.get("objects") or ():
        if isinstance(child, dict):
            yield from _condition_assets(child)


def _asset_spec(item: Any) -> AssetSpec | None:
    if not isinstance(item, dict) or item.get("__type") != "asset" or not item.get("uri"):
        return None
    extra = item.get("extra")
    return AssetSpec(
        name=str(item.get("name") or item["uri"]),
        uri=str(item["uri"]),
        group=str(item.get("group") or "asset"),
        extra=extra if isinstance(extra, dict) else {},
    )


def asset_expression(timetable: Any) -> dict[str, Any] | None:
    """Airflow's `dag.asset_expression` from a serialized timetable: `{"any": [{"asset":
    {"uri", "name", "group"}}, {"alias": {"name", "group"}}]}`; None when not asset-scheduled."""
    condition = _asset_condition(timetable)
    return None if condition is None else _expression(condition)


def _expression(node: dict[str, Any]) -> Any:
    kind = node.get("__type")
    if kind == "asset":
        return {"asset": {k: node.get(k) for k in ("uri", "name", "group")}}
    if kind == "asset_alias":
        return {"alias": {k: node.get(k) for k in ("name", "group")}}
    key = {"asset_all": "all", "asset_any": "any"}.get(str(kind))
    if key is None:
        return None
    return {key: [_expression(child) for child in node.get("objects") or ()]}

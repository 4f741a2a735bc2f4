"""`slipstream dags pause | unpause | list-runs | state | backfill`: operating DAGs and their runs
in the metadata database.

Every command needs a migrated database and names the DAG (or run) it cannot find, with exit
code 1. Changes (pause, unpause, backfill) are recorded in the audit log, owner the OS user.

Backfill follows Airflow 3: one run of type `backfill` for each interval of the DAG's timetable
whose logical date lies in the range (both ends included) and whose data interval has ended;
a logical date that already has a run is skipped or reprocessed (cleared and queued again, and
adopted by the backfill) by `--reprocess-behavior`, and a queued or running run is never
touched. The runs are queued for the scheduler, which runs them like any other (a DAG's
`max_active_runs` applies to them too).

`--max-active-runs N` (default 10) is enforced by the command itself while it waits: it keeps at
most N of the backfill's runs queued or running, creating the next one (in order, or newest
first with `--run-backwards`) as soon as one ends. With `--no-wait` every run is created at once
and only the DAG's `max_active_runs` limits how many run together; a backfill interrupted while
waiting (Ctrl-C) keeps the runs it created, and running it again with the same range creates
the rest.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
import time
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import click

from slipstream.cli.common import parse_conf, parse_date
from slipstream.cli.db_cmd import audit, extra_of, open_cli_database, store_errors
from slipstream.cli.output import OUTPUT_OPTION, print_rows

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from slipstream.config import Config
    from slipstream.db.engine import Database
    from slipstream.db.models import DagModel, DagRun
    from slipstream.serialization import SerializedDAG
    from slipstream.timetables import DagRunInfo

NEEDS_MIGRATED = "\n\nNeeds a migrated database: run `slipstream db migrate` first."
RUN_TABLE_COLUMNS = [
    "dag_id",
    "run_id",
    "state",
    "run_type",
    "logical_date",
    "start_date",
    "end_date",
]
RUN_STATES = ["queued", "running", "success", "failed"]
FINISHED = ("success", "failed")
ACTIVE = ("queued", "running")
REPROCESS_BEHAVIORS = ["none", "failed", "completed"]
DEFAULT_BACKFILL_MAX_ACTIVE_RUNS = 10
MAX_BACKFILL_RUNS = 100_000
POLL_INTERVAL = 0.5
"""Seconds between two looks at the backfill's runs while waiting."""


# --- pause / unpause --------------------------------------------------------------------------


def _pause_options(fn: Any) -> Any:
    fn = click.option(
        "--treat-dag-id-as-regex",
        is_flag=True,
        help="DAG_ID is a regular expression: every DAG whose id it matches (re.search).",
    )(fn)
    fn = click.option(
        "--yes", "-y", is_flag=True, help="With a regular expression, do not ask to confirm."
    )(fn)
    return OUTPUT_OPTION(fn)


@click.command("pause", epilog=NEEDS_MIGRATED)
@click.argument("dag_id")
@_pause_options
def pause(dag_id: str, treat_dag_id_as_regex: bool, yes: bool, output: str) -> None:
    """Pause DAG_ID: no new runs and no new tasks start; running tasks finish."""
    _set_paused(dag_id, True, regex=treat_dag_id_as_regex, yes=yes, output=output)


@click.command("unpause", epilog=NEEDS_MIGRATED)
@click.argument("dag_id")
@_pause_options
def unpause(dag_id: str, treat_dag_id_as_regex: bool, yes: bool, output: str) -> None:
    """Unpause DAG_ID: the scheduler creates and runs its runs again."""
    _set_paused(dag_id, False, regex=treat_dag_id_as_regex, yes=yes, output=output)


def _set_paused(dag_id: str, paused: bool, *, regex: bool, yes: bool, output: str) -> None:
    from slipstream.db.store import dags as dag_store

    verb = "pause" if paused else "unpause"
    _, db = open_cli_database()
    try:
        with store_errors():
            targets = [dag_id]
            if regex:
                pattern = _compile_regex(dag_id)
                with db.session() as session:
                    targets = [
                        m.dag_id
                        for m in _all_dag_models(session)
                        if pattern.search(m.dag_id) and m.is_paused != paused
                    ]
                if not targets:
                    state = "unpaused" if paused else "paused"
                    click.echo(f"No {state} DAGs match '{dag_id}'", err=True)
                    return
                if not yes:
                    click.echo("\n".join(targets), err=True)
                    click.confirm(
                        f"You are about to {verb} {len(targets)} DAG(s). Proceed?",
                        abort=True,
                        err=True,
                    )
            with db.begin() as session:
                for target in targets:
                    if not dag_store.set_paused(session, target, paused):
                        raise click.ClickException(_dag_not_found(target))
                    audit(session, f"cli_dags_{verb}", dag_id=target)
                models = dag_store.get_dag_models(session, targets)
                rows = [
                    {"dag_id": m.dag_id, "is_paused": m.is_paused}
                    for m in sorted(models.values(), key=lambda m: m.dag_id)
                ]
    finally:
        db.dispose()
    print_rows(rows, ["dag_id", "is_paused"], output)


def _compile_regex(value: str) -> re.Pattern[str]:
    try:
        return re.compile(value)
    except re.error as err:
        raise click.BadParameter(f"not a regular expression: {err}", param_hint="DAG_ID") from None


def _all_dag_models(session: Session) -> list[DagModel]:
    from slipstream.db.store import dags as dag_store

    page = 1000
    found: list[DagModel] = []
    while True:
        rows, total = dag_store.list_dags(session, stale=False, limit=page, offset=len(found))
        found.extend(rows)
        if not rows or len(found) >= total:
            return found


# --- list-runs and state ----------------------------------------------------------------------


@click.command("list-runs", epilog=NEEDS_MIGRATED)
@click.argument("dag_id")
@click.option("--state", type=click.Choice(RUN_STATES), help="Only runs in this state.")
@click.option("--no-backfill", is_flag=True, help="Leave out backfill runs.")
@click.option("--start-date", "-s", help="Only runs with this logical date or later.")
@click.option("--end-date", "-e", help="Only runs with this logical date or earlier.")
@OUTPUT_OPTION
def list_runs(
    dag_id: str,
    state: str | None,
    no_backfill: bool,
    start_date: str | None,
    end_date: str | None,
    output: str,
) -> None:
    """List the runs of DAG_ID, newest first."""
    from slipstream.db.store import runs

    start = parse_date(start_date, "--start-date")
    end = parse_date(end_date, "--end-date")
    _, db = open_cli_database()
    try:
        with store_errors(), db.session() as session:
            require_dag(session, dag_id)
            found = runs.find_runs(
                session,
                dag_id,
                states=[state] if state else None,
                exclude_run_types=["backfill"] if no_backfill else None,
                logical_start=start,
                logical_end=end,
            )
            rows = [runs.run_to_dict(run) for run in reversed(found)]
    finally:
        db.dispose()
    if not rows and output == "table":
        click.echo("No data found")
        return
    print_rows(rows, RUN_TABLE_COLUMNS, output)


@click.command("state", epilog=NEEDS_MIGRATED)
@click.argument("dag_id")
@click.argument("logical_date_or_run_id")
@OUTPUT_OPTION
def dag_state(dag_id: str, logical_date_or_run_id: str, output: str) -> None:
    """Print the state of a run of DAG_ID (and its conf, when it has one).

    The run is named by its run id or its logical date.
    """
    import json

    from slipstream.db.store import runs

    _, db = open_cli_database()
    try:
        with store_errors(), db.session() as session:
            require_dag(session, dag_id)
            run = find_run(session, dag_id, logical_date_or_run_id)
            row = runs.run_to_dict(run)
    finally:
        db.dispose()
    if output == "json":
        print_rows([row], RUN_TABLE_COLUMNS, output)
        return
    conf = f", {json.dumps(row['conf'])}" if row["conf"] else ""
    click.echo(f"{row['state']}{conf}")


# --- shared with `tasks …` --------------------------------------------------------------------


def require_dag(session: Session, dag_id: str) -> DagModel:
    """The DAG's row, or a clean error naming it."""
    from slipstream.db.store import dags as dag_store

    model = dag_store.get_dag_model(session, dag_id)
    if model is None:
        raise click.ClickException(_dag_not_found(dag_id))
    return model


def find_run(session: Session, dag_id: str, run_id_or_logical_date: str) -> DagRun:
    """The run of `dag_id` with this run id or, failing that, this logical date."""
    from slipstream.db.store import runs

    run = runs.get_run(session, dag_id, run_id_or_logical_date)
    if run is None:
        when = _maybe_date(run_id_or_logical_date)
        if when is not None:
            run = runs.run_at_logical_date(session, dag_id, when)
    if run is None:
        raise click.ClickException(
            f"DAG '{dag_id}' has no run with run id or logical date '{run_id_or_logical_date}'"
        )
    return run


def _dag_not_found(dag_id: str) -> str:
    return (
        f"DAG '{dag_id}' not found in the metadata database "
        "(is its file in the DAGs folder, and has the DAG processor parsed it?)"
    )


def _maybe_date(value: str) -> dt.datetime | None:
    import pendulum

    try:
        parsed = pendulum.parse(value, tz="UTC")
    except Exception:
        return None
    return parsed if isinstance(parsed, dt.datetime) else None


# --- backfill ---------------------------------------------------------------------------------


@dataclass
class PlannedRun:
    """One interval of a backfill and what happens to it."""

    info: DagRunInfo
    action: str  # "create", "reprocess" or "skip"
    reason: str | None = None  # why a skip: "already exists", "in flight"
    existing_run_id: str | None = None

    def to_dict(self, run_id: str) -> dict[str, Any]:
        return {
            "logical_date": self.info.logical_date.isoformat(),
            "data_interval_start": self.info.data_interval.start.isoformat(),
            "data_interval_end": self.info.data_interval.end.isoformat(),
            "run_after": self.info.run_after.isoformat(),
            "run_id": self.existing_run_id or run_id,
            "action": self.action,
            "reason": self.reason,
        }


@dataclass
class _Backfill:
    """What the waiting loop needs."""

    db: Database
    dag: SerializedDAG
    serialized_id: int
    behavior: str
    conf: dict[str, Any] | None
    pending: deque[PlannedRun]
    tracked: dict[int, str]  # run pk -> last seen state
    total: int
    skipped_late: int = 0


@click.command("backfill", epilog=NEEDS_MIGRATED)
@click.argument("dag_id")
@click.option(
    "--start-date",
    "-s",
    "--from-date",
    "start_date",
    required=True,
    help="Earliest logical date to backfill (included).",
)
@click.option(
    "--end-date",
    "-e",
    "--to-date",
    "end_date",
    required=True,
    help="Latest logical date to backfill (included).",
)
@click.option(
    "--reprocess-behavior",
    type=click.Choice(REPROCESS_BEHAVIORS),
    default="none",
    show_default=True,
    help="Logical dates that already have a finished run: skip them (none), run the failed "
    "ones again (failed), or run them all again (completed). Queued or running runs are "
    "never touched.",
)
@click.option(
    "--max-active-runs",
    type=click.IntRange(min=1),
    default=DEFAULT_BACKFILL_MAX_ACTIVE_RUNS,
    show_default=True,
    help="At most this many of the backfill's runs queued or running at once, while the "
    "command waits (with --no-wait all runs are queued at once and the DAG's "
    "max_active_runs limits them).",
)
@click.option("--run-backwards", "-B", is_flag=True, help="Newest logical dates first.")
@click.option(
    "--conf", "-c", "--dag-run-conf", "conf", default=None, help="The runs' conf, a JSON object."
)
@click.option("--dry-run", is_flag=True, help="Print what would be done, and do nothing.")
@click.option(
    "--no-wait", is_flag=True, help="Queue the runs and return, without waiting for them."
)
@OUTPUT_OPTION
def backfill(
    dag_id: str,
    start_date: str,
    end_date: str,
    reprocess_behavior: str,
    max_active_runs: int,
    run_backwards: bool,
    conf: str | None,
    dry_run: bool,
    no_wait: bool,
    output: str,
) -> None:
    """Run DAG_ID for every interval of its schedule with a logical date from --start-date to
    --end-date, and wait for the runs with a progress bar.

    The runs (run type `backfill`) are queued for the scheduler: one must be running
    (`slipstream scheduler` or `slipstream standalone`). Exit code 0 when every run succeeded,
    1 when one failed.
    """
    start = parse_date(start_date, "--start-date")
    end = parse_date(end_date, "--end-date")
    if start > end:
        raise click.BadParameter(
            f"the start date ({start.isoformat()}) is after the end date ({end.isoformat()})",
            param_hint="--start-date",
        )
    conf_value = parse_conf(conf)
    now = dt.datetime.now(dt.UTC)
    if start >= now:
        raise click.BadParameter(
            "a backfill cannot run for future dates", param_hint="--start-date"
        )
    config, db = open_cli_database()
    try:
        with store_errors():
            _run_backfill(
                config,
                db,
                dag_id,
                start=start,
                end=end,
                behavior=reprocess_behavior,
                max_active_runs=max_active_runs,
                backwards=run_backwards,
                conf=conf_value,
                dry_run=dry_run,
                no_wait=no_wait,
                output=output,
                now=now,
            )
    finally:
        db.dispose()


def _run_backfill(
    config: Config,
    db: Database,
    dag_id: str,
    *,
    start: dt.datetime,
    end: dt.datetime,
    behavior: str,
    max_active_runs: int,
    backwards: bool,
    conf: dict[str, Any] | None,
    dry_run: bool,
    no_wait: bool,
    output: str,
    now: dt.datetime,
) -> None:
    from slipstream.db.store.serialized_dags import latest_serialized_dag

    with db.session() as session:
        model = require_dag(session, dag_id)
        paused = model.is_paused
        found = latest_serialized_dag(session, dag_id)
        if found is None:
            raise click.ClickException(_dag_not_found(dag_id))
        serialized_id, dag = found
        _validate(dag, behavior=behavior, backwards=backwards, conf=conf)
        plan = plan_backfill(session, dag, start, end, behavior=behavior, now=now)
    if not plan:
        raise click.ClickException(
            f"No runs to create for DAG '{dag_id}': its schedule has no finished interval with "
            f"a logical date from {start.isoformat()} to {end.isoformat()}"
        )
    if backwards:
        plan.reverse()
    if dry_run:
        rows = [p.to_dict(_run_id_for(dag, p.info)) for p in plan]
        print_rows(rows, ["logical_date", "run_id", "action", "reason"], output)
        return
    todo = [p for p in plan if p.action != "skip"]
    skipped = len(plan) - len(todo)
    if skipped:
        click.echo(
            f"Skipping {skipped} logical date(s) that already have a run "
            f"(reprocess behavior '{behavior}'; queued and running runs are never reprocessed).",
            err=True,
        )
    state = _Backfill(
        db=db,
        dag=dag,
        serialized_id=serialized_id,
        behavior=behavior,
        conf=conf,
        pending=deque(todo),
        tracked={},
        total=len(todo),
    )
    if not todo:
        click.echo(f"Nothing to backfill for DAG '{dag_id}'.", err=True)
        if output == "json":
            print_rows([], RUN_TABLE_COLUMNS, output)
        return
    first = len(todo) if no_wait else max_active_runs
    summary = {
        "start_date": start.isoformat(),
        "end_date": end.isoformat(),
        "reprocess_behavior": behavior,
        "max_active_runs": max_active_runs,
        "run_backwards": backwards,
        "no_wait": no_wait,
        "runs": len(todo),
        "skipped": skipped,
        "conf": conf,
    }
    _launch_next(state, first, audit_extra=summary)
    _warn_if_stuck(config, db, dag_id, paused=paused)
    if no_wait:
        click.echo(f"Queued {len(state.tracked)} backfill run(s) of DAG '{dag_id}'.", err=True)
        _print_runs(db, state, output)
        return
    try:
        _wait(state, max_active_runs)
    except KeyboardInterrupt:
        left = len(state.pending)
        click.echo(
            f"\nStopped waiting. The {len(state.tracked)} run(s) created carry on; "
            f"{left} were not created (the same backfill, run again with --reprocess-behavior "
            "none, creates them).",
            err=True,
        )
        sys.exit(130)
    failed = _print_runs(db, state, output)
    done = len(state.tracked)
    taken = (
        f" ({state.skipped_late} logical date(s) got a run elsewhere meanwhile and were skipped)"
        if state.skipped_late
        else ""
    )
    click.echo(
        f"Backfill of DAG '{dag_id}': {done} run(s), {done - failed} succeeded, "
        f"{failed} failed{taken}.",
        err=True,
    )
    if failed:
        sys.exit(1)


def _validate(
    dag: SerializedDAG, *, behavior: str, backwards: bool, conf: dict[str, Any] | None
) -> None:
    from slipstream.core.exceptions import ParamValidationError
    from slipstream.sdk.params import validate_conf

    timetable = dag.timetable
    if not getattr(timetable, "can_be_scheduled", True) or not getattr(timetable, "periodic", True):
        raise click.ClickException(
            f"DAG '{dag.dag_id}' has no time-based schedule "
            f"({getattr(timetable, 'summary', timetable)}): it cannot be backfilled"
        )
    if any(getattr(t, "depends_on_past", False) for t in dag.task_dict.values()):
        if backwards:
            raise click.ClickException(
                f"DAG '{dag.dag_id}' has tasks with depends_on_past=True: "
                "it cannot be backfilled backwards"
            )
        if behavior == "none":
            raise click.ClickException(
                f"DAG '{dag.dag_id}' has tasks with depends_on_past=True: choose "
                "--reprocess-behavior failed or completed"
            )
    if conf is not None:
        try:
            validate_conf(dag.params, conf)
        except ParamValidationError as err:
            raise click.BadParameter(str(err), param_hint="--conf") from None


def backfill_intervals(
    dag: SerializedDAG, start: dt.datetime, end: dt.datetime, *, now: dt.datetime
) -> list[DagRunInfo]:
    """The timetable's intervals with a logical date in [start, end] that ended before `now`,
    oldest first (catchup on, the DAG's own start and end dates ignored, as in Airflow)."""
    from slipstream.timetables import TimeRestriction

    restriction = TimeRestriction(earliest=start, latest=end, catchup=True)  # type: ignore[arg-type]
    infos: list[DagRunInfo] = []
    last = None
    while True:
        info = dag.timetable.next_dagrun_info(
            last_automated_data_interval=last, restriction=restriction
        )
        if info is None or info.logical_date > end or info.data_interval.end >= now:
            return infos
        if infos and info.logical_date <= infos[-1].logical_date:
            return infos  # a timetable that does not move forward
        if len(infos) >= MAX_BACKFILL_RUNS:
            raise click.ClickException(
                f"The range holds more than {MAX_BACKFILL_RUNS} runs: backfill it in parts"
            )
        infos.append(info)
        last = info.data_interval


def plan_backfill(
    session: Session,
    dag: SerializedDAG,
    start: dt.datetime,
    end: dt.datetime,
    *,
    behavior: str,
    now: dt.datetime,
) -> list[PlannedRun]:
    """Each interval of the range and what the backfill would do with it now."""
    from slipstream.db.store import runs

    existing = {
        run.logical_date: run
        for run in runs.find_runs(session, dag.dag_id, logical_start=start, logical_end=end)
        if run.logical_date is not None
    }
    plan: list[PlannedRun] = []
    for info in backfill_intervals(dag, start, end, now=now):
        run = existing.get(info.logical_date)
        if run is None:
            plan.append(PlannedRun(info, "create"))
            continue
        action, reason = decide(run.state, behavior)
        plan.append(PlannedRun(info, action, reason, existing_run_id=run.run_id))
    return plan


def decide(state: str, behavior: str) -> tuple[str, str | None]:
    """What a backfill does with a logical date that has a run in `state` (Airflow 3's rules)."""
    if state not in FINISHED:
        return "skip", "in flight"
    if behavior == "completed" or (behavior == "failed" and state == "failed"):
        return "reprocess", None
    return "skip", "already exists"


def _run_id_for(dag: SerializedDAG, info: DagRunInfo) -> str:
    from slipstream.core.run_types import DagRunType

    return str(
        dag.timetable.generate_run_id(
            DagRunType.BACKFILL_JOB,
            info.logical_date,
            run_after=info.run_after,
            data_interval=info.data_interval,
        )
    )


def _launch_next(state: _Backfill, count: int, *, audit_extra: dict[str, Any] | None) -> None:
    """Create (or reprocess) the next `count` pending runs in one transaction."""
    if count <= 0 or not state.pending:
        return

    def launch(session: Session) -> list[tuple[PlannedRun, int | None]]:
        now = dt.datetime.now(dt.UTC)
        done: list[tuple[PlannedRun, int | None]] = []
        for item in list(state.pending)[:count]:
            done.append((item, _launch_one(session, state, item, now=now)))
        if audit_extra is not None:
            audit(
                session,
                "cli_dags_backfill",
                dag_id=state.dag.dag_id,
                extra=extra_of(audit_extra),
            )
        return done

    for item, run_pk in state.db.run_write(launch):
        state.pending.remove(item)
        if run_pk is None:
            state.total -= 1
            state.skipped_late += 1
        else:
            state.tracked[run_pk] = "queued"


def _launch_one(
    session: Session, state: _Backfill, item: PlannedRun, *, now: dt.datetime
) -> int | None:
    """Create the run of `item`, or reprocess the run at its logical date; None when the
    logical date turned out to be taken (by a run that must not be touched)."""
    from sqlalchemy.exc import IntegrityError

    from slipstream.core.run_types import DagRunType
    from slipstream.db.store import runs, ti_clearing
    from slipstream.db.store import task_instances as ti_store

    dag = state.dag
    info = item.info
    existing = runs.run_at_logical_date(session, dag.dag_id, info.logical_date)
    if existing is not None:
        action, _ = decide(existing.state, state.behavior)
        if action == "skip":
            return None
        task_ids = {ti.task_id for ti in ti_store.tis_for_run(session, dag.dag_id, existing.run_id)}
        ti_clearing.clear(session, dag.dag_id, task_ids, now=now, run_ids=[existing.run_id])
        runs.adopt_for_backfill(session, existing.id, now=now, conf=state.conf)
        return existing.id
    run_id = _run_id_for(dag, info)
    if runs.get_run(session, dag.dag_id, run_id) is not None:
        return None
    new = runs.NewRun(
        run_id=run_id,
        run_type=DagRunType.BACKFILL_JOB.value,
        run_after=info.run_after,
        logical_date=info.logical_date,
        data_interval_start=info.data_interval.start,
        data_interval_end=info.data_interval.end,
        conf=state.conf,
        triggered_by="backfill",
    )
    try:
        with session.begin_nested():
            run = runs.create_run(session, dag, state.serialized_id, new, now=now)
    except IntegrityError:  # another writer took the logical date meanwhile
        return None
    return run.id


def _warn_if_stuck(config: Config, db: Database, dag_id: str, *, paused: bool) -> None:
    """Say why the runs may not start: a paused DAG, or no live scheduler."""
    from slipstream.db.store import jobs
    from slipstream.scheduler.health import JOB_TYPE
    from slipstream.scheduler.settings import SchedulerSettings

    if paused:
        click.echo(
            f"Warning: DAG '{dag_id}' is paused: its runs wait until it is unpaused "
            f"(`slipstream dags unpause {dag_id}`).",
            err=True,
        )
    grace = SchedulerSettings.from_config(config).health_check_threshold
    with db.session() as session:
        alive = jobs.alive(session, JOB_TYPE, grace)
    if not alive:
        click.echo(
            "Warning: no scheduler is running: the backfill's runs are queued and will run when "
            "a scheduler starts (`slipstream scheduler` or `slipstream standalone`).",
            err=True,
        )


def _wait(state: _Backfill, max_active_runs: int) -> None:
    """Until every run finished: keep up to `max_active_runs` runs active, show progress."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    from slipstream.db.store import runs

    progress = Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("runs"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
    )
    with progress:
        bar = progress.add_task(f"Backfill {state.dag.dag_id}", total=state.total)
        while True:
            with state.db.session() as session:
                seen = runs.run_states(session, list(state.tracked))
            for pk in state.tracked:
                state.tracked[pk] = seen.get(pk, "deleted")
            active = sum(1 for s in state.tracked.values() if s in ACTIVE)
            if state.pending and active < max_active_runs:
                _launch_next(state, max_active_runs - active, audit_extra=None)
                continue  # look at the new runs too
            done = sum(1 for s in state.tracked.values() if s not in ACTIVE)
            running = sum(1 for s in state.tracked.values() if s == "running")
            progress.update(
                bar,
                total=state.total,
                completed=done,
                description=(
                    f"Backfill {state.dag.dag_id} ({running} running, "
                    f"{active - running + len(state.pending)} waiting)"
                ),
            )
            if not state.pending and done == len(state.tracked):
                progress.update(bar, description=f"Backfill {state.dag.dag_id}")
                return
            time.sleep(POLL_INTERVAL)


def _print_runs(db: Database, state: _Backfill, output: str) -> int:
    """Print the backfill's runs (oldest logical date first); returns how many did not
    succeed (failed, or deleted meanwhile)."""
    from slipstream.db.models import DagRun
    from slipstream.db.store import runs

    with db.session() as session:
        found = [session.get(DagRun, pk) for pk in state.tracked]
        rows = [runs.run_to_dict(r) for r in found if r is not None]
    rows.sort(key=lambda r: r["logical_date"] or "")
    missing = len(state.tracked) - len(rows)
    print_rows(rows, RUN_TABLE_COLUMNS, output)
    return missing + sum(1 for r in rows if r["state"] == "failed")

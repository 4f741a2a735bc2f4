"""`slipstream tasks states-for-dag-run | state | clear`: task instances in the metadata database.

A run is named by its run id or its logical date. Clearing lists what it would clear and asks
to confirm (unless `--yes`); cleared task instances run again (a running one when its current
try stops), and finished runs go back to queued. Each clear is recorded in the audit log.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from typing import TYPE_CHECKING, Any

import click

from slipstream.cli.common import parse_date
from slipstream.cli.dags_ops import NEEDS_MIGRATED, find_run, require_dag
from slipstream.cli.db_cmd import audit, extra_of, open_cli_database, store_errors
from slipstream.cli.output import OUTPUT_OPTION, print_rows, print_table

if TYPE_CHECKING:
    from slipstream.db.models import TaskInstance

TI_COLUMNS = [  # JSON holds these and more (`ti_to_dict`)
    "dag_id",
    "run_id",
    "task_id",
    "map_index",
    "state",
    "try_number",
    "start_date",
    "end_date",
    "duration",
    "operator",
    "pool",
    "queue",
]
TI_TABLE_COLUMNS = TI_COLUMNS[2:]  # the DAG and the run are the command's arguments
CLEARED_COLUMNS = ["dag_id", "run_id", "task_id", "map_index", "state"]


@click.command("states-for-dag-run", epilog=NEEDS_MIGRATED)
@click.argument("dag_id")
@click.argument("run_id")
@OUTPUT_OPTION
def states_for_dag_run(dag_id: str, run_id: str, output: str) -> None:
    """Show the task instances of one run of DAG_ID (RUN_ID: a run id or a logical date)."""
    from slipstream.db.store import task_instances as ti_store

    _, db = open_cli_database()
    try:
        with store_errors(), db.session() as session:
            require_dag(session, dag_id)
            run = find_run(session, dag_id, run_id)
            rows = [ti_to_row(ti) for ti in ti_store.tis_for_run(session, dag_id, run.run_id)]
    finally:
        db.dispose()
    if not rows and output == "table":
        click.echo("No data found")
        return
    print_rows(rows, TI_TABLE_COLUMNS, output)


@click.command("state", epilog=NEEDS_MIGRATED)
@click.argument("dag_id")
@click.argument("task_id")
@click.argument("run_id_or_logical_date")
@click.option("--map-index", type=int, default=-1, show_default=True, help="Of a mapped task.")
@OUTPUT_OPTION
def task_state(
    dag_id: str, task_id: str, run_id_or_logical_date: str, map_index: int, output: str
) -> None:
    """Print the state of TASK_ID in one run of DAG_ID (`None` when it has none yet)."""
    from slipstream.db.store import task_instances as ti_store

    _, db = open_cli_database()
    try:
        with store_errors(), db.session() as session:
            require_dag(session, dag_id)
            run = find_run(session, dag_id, run_id_or_logical_date)
            ti = ti_store.get_ti(session, dag_id, run.run_id, task_id, map_index)
            if ti is None:
                raise click.ClickException(_ti_not_found(session, run.run_id, dag_id, task_id))
            row = ti_to_row(ti)
    finally:
        db.dispose()
    if output == "json":
        print_rows([row], TI_COLUMNS, output)
        return
    click.echo(str(row["state"]))


@click.command("clear", epilog=NEEDS_MIGRATED)
@click.argument("dag_id")
@click.option("--task-regex", "-t", help="Only tasks whose id this regular expression matches.")
@click.option("--start-date", "-s", help="Only runs with this logical date or later.")
@click.option("--end-date", "-e", help="Only runs with this logical date or earlier.")
@click.option("--only-failed", "-f", is_flag=True, help="Only failed and upstream_failed ones.")
@click.option("--only-running", "-r", is_flag=True, help="Only running ones.")
@click.option("--downstream", "-d", is_flag=True, help="Also the tasks downstream of them.")
@click.option("--upstream", "-u", is_flag=True, help="Also the tasks upstream of them.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@click.option("--dry-run", is_flag=True, help="Only list what would be cleared.")
@OUTPUT_OPTION
def clear(
    dag_id: str,
    task_regex: str | None,
    start_date: str | None,
    end_date: str | None,
    only_failed: bool,
    only_running: bool,
    downstream: bool,
    upstream: bool,
    yes: bool,
    dry_run: bool,
    output: str,
) -> None:
    """Clear task instances of DAG_ID so they run again.

    Lists the task instances (with their state before clearing) that are cleared, asking
    first unless --yes.
    """
    if only_failed and only_running:
        raise click.UsageError("--only-failed and --only-running exclude each other")
    start = parse_date(start_date, "--start-date")
    end = parse_date(end_date, "--end-date")
    pattern = _compile(task_regex)
    _, db = open_cli_database()
    try:
        with store_errors():
            task_ids = _task_ids(db, dag_id, pattern, task_regex)

            def select(session: Any, *, dry: bool) -> list[dict[str, Any]]:
                from slipstream.db.store import ti_clearing

                now = dt.datetime.now(dt.UTC)
                common: dict[str, Any] = {
                    "now": now,
                    "start_date": start,
                    "end_date": end,
                    "downstream": downstream,
                    "upstream": upstream,
                    "dry_run": dry,
                }
                if only_running:
                    found = ti_clearing.clear_in_states(
                        session, dag_id, task_ids, ["running"], **common
                    )
                else:
                    found = ti_clearing.clear(
                        session, dag_id, task_ids, only_failed=only_failed, **common
                    )
                rows = [
                    {
                        "dag_id": c.dag_id,
                        "run_id": c.run_id,
                        "task_id": c.task_id,
                        "map_index": c.map_index,
                        "state": c.state,
                    }
                    for c in found
                ]
                return sorted(rows, key=lambda r: (r["run_id"], r["task_id"], r["map_index"]))

            with db.session() as session:
                planned = select(session, dry=True)
            if not planned:
                if output == "json":
                    print_rows([], CLEARED_COLUMNS, output)
                else:
                    click.echo("No task instances to clear")
                return
            if dry_run:
                print_rows(planned, CLEARED_COLUMNS, output)
                return
            if not yes:
                print_table(planned, CLEARED_COLUMNS, file=sys.stderr)
                click.confirm(
                    f"You are about to clear these {len(planned)} task instance(s). Proceed?",
                    abort=True,
                    err=True,
                )

            def write(session: Any) -> list[dict[str, Any]]:
                rows = select(session, dry=False)
                audit(
                    session,
                    "cli_tasks_clear",
                    dag_id=dag_id,
                    extra=extra_of(
                        {
                            "task_regex": task_regex,
                            "start_date": start_date,
                            "end_date": end_date,
                            "only_failed": only_failed or None,
                            "only_running": only_running or None,
                            "downstream": downstream or None,
                            "upstream": upstream or None,
                            "cleared": len(rows),
                        }
                    ),
                )
                return rows

            cleared = db.run_write(write)
    finally:
        db.dispose()
    print_rows(cleared, CLEARED_COLUMNS, output)
    if output != "json":
        click.echo(f"Cleared {len(cleared)} task instance(s)", err=True)


def ti_to_row(ti: TaskInstance) -> dict[str, Any]:
    """A task instance with Airflow's field names (`ti_to_dict`)."""
    from slipstream.db.store import task_instances as ti_store

    return ti_store.ti_to_dict(ti)


def _compile(task_regex: str | None) -> re.Pattern[str] | None:
    if task_regex is None:
        return None
    try:
        return re.compile(task_regex)
    except re.error as err:
        raise click.BadParameter(
            f"not a regular expression: {err}", param_hint="--task-regex"
        ) from None


def _task_ids(
    db: Any, dag_id: str, pattern: re.Pattern[str] | None, regex: str | None
) -> list[str]:
    """The DAG's task ids (its latest version) that `pattern` matches (all without one)."""
    from slipstream.db.store.serialized_dags import latest_serialized_dag

    with db.session() as session:
        require_dag(session, dag_id)
        found = latest_serialized_dag(session, dag_id)
    if found is None:
        raise click.ClickException(f"DAG '{dag_id}' has no stored structure yet")
    task_ids = sorted(found[1].task_dict)
    if pattern is not None:
        task_ids = [t for t in task_ids if pattern.search(t)]
        if not task_ids:
            raise click.ClickException(f"No task of DAG '{dag_id}' matches '{regex}'")
    return task_ids


def _ti_not_found(session: Any, run_id: str, dag_id: str, task_id: str) -> str:
    from slipstream.db.store import task_instances as ti_store

    indexes = sorted(
        ti.map_index
        for ti in ti_store.tis_for_run(session, dag_id, run_id)
        if ti.task_id == task_id
    )
    if indexes and indexes[0] >= 0:
        return (
            f"Task '{task_id}' of run '{run_id}' is mapped: give --map-index "
            f"({indexes[0]} to {indexes[-1]})"
        )
    if indexes:
        return f"Task '{task_id}' of run '{run_id}' has no map index other than -1"
    return f"Task '{task_id}' not found in run '{run_id}' of DAG '{dag_id}'"

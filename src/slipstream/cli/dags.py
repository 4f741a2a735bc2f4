"""`slipstream dags …`: list DAGs and their import errors, and test-run a DAG in-process."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from slipstream.cli.common import (
    DAGS_FOLDER_OPTION,
    load_dag_or_exit,
    parse_conf,
    parse_date,
    resolve_dags_folder,
    setup_task_logging,
)
from slipstream.cli.dags_details import details
from slipstream.cli.dags_ops import backfill, dag_state, list_runs, pause, unpause
from slipstream.cli.output import OUTPUT_OPTION, print_rows, print_table
from slipstream.cli.scheduler_cmd import trigger


@click.group()
def dags() -> None:
    """Work with DAGs."""


for _command in (details, trigger, pause, unpause, list_runs, dag_state, backfill):
    dags.add_command(_command)


@dags.command("list")
@DAGS_FOLDER_OPTION
@OUTPUT_OPTION
def list_dags(dags_folder: Path | None, output: str) -> None:
    """List the DAGs in the DAGs folder."""
    from slipstream.dagfiles.bag import DagBag

    bag = DagBag(resolve_dags_folder(dags_folder))
    rows = [
        {
            "dag_id": dag.dag_id,
            "fileloc": dag.fileloc,
            "owners": dag.owner,
            "schedule": dag.timetable.summary,
            "tags": sorted(dag.tags),
        }
        for dag in sorted(bag.dags.values(), key=lambda d: d.dag_id)
    ]
    print_rows(rows, ["dag_id", "fileloc", "owners", "schedule"], output)
    if bag.import_errors and output != "json":
        click.echo(
            f"{len(bag.import_errors)} file(s) failed to load: "
            "see `slipstream dags list-import-errors`",
            err=True,
        )


@dags.command("list-import-errors")
@DAGS_FOLDER_OPTION
@OUTPUT_OPTION
def list_import_errors(dags_folder: Path | None, output: str) -> None:
    """List the files that failed to load, with line and traceback. Exit code 1 if any."""
    from slipstream.dagfiles.bag import DagBag

    bag = DagBag(resolve_dags_folder(dags_folder))
    rows = [
        {
            "filepath": err.filename,
            "lineno": err.lineno,
            "error": err.message if output == "table" else err.traceback,
        }
        for err in sorted(bag.import_errors.values(), key=lambda e: e.filename)
    ]
    if not rows and output != "json":
        click.echo("No data found")
        return
    print_rows(rows, ["filepath", "lineno", "error"], output)
    if rows:
        sys.exit(1)


@dags.command("test")
@click.argument("dag_id")
@click.argument("logical_date", required=False)
@click.option("--conf", "-c", help="JSON object merged into the run's params, as dag_run.conf.")
@DAGS_FOLDER_OPTION
@click.option(
    "--output", "-o", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@click.option("--variables-file", type=click.Path(exists=True), help="JSON file of variables.")
@click.option("--connections-file", type=click.Path(exists=True), help="JSON file of connections.")
@click.option(
    "--no-db",
    is_flag=True,
    help="Do not record the run: no metadata database, no log files (as `dag.test()`).",
)
def test_dag(
    dag_id: str,
    logical_date: str | None,
    conf: str | None,
    dags_folder: Path | None,
    output: str,
    variables_file: str | None,
    connections_file: str | None,
    no_db: bool,
) -> None:
    """Run every task of DAG_ID once, in this process, and print their states.

    The run is recorded in the metadata database like any other (run type `manual`, triggered
    by `test`), replacing a finished run with the same logical date, with each try's log under
    `[logging] base_log_folder`; a SQLite database is created if missing. Logs go to stderr;
    the result goes to stdout. Exit code 0 when the run succeeds, 1 when it fails or could not
    be recorded.
    """
    from slipstream.core.states import DagRunState
    from slipstream.runtime.dag_test import test_dag as run_test

    setup_task_logging()
    parsed_conf = parse_conf(conf)
    date = parse_date(logical_date)
    from slipstream.dagfiles.bag import load_dag

    dag = load_dag_or_exit(dags_folder, dag_id)
    folder = resolve_dags_folder(dags_folder)
    recorder = None if no_db else _open_recorder(folder)
    try:
        try:
            result = run_test(
                dag,
                logical_date=date,
                conf=parsed_conf,
                variable_file_path=variables_file,
                conn_file_path=connections_file,
                find_dag=lambda other: load_dag(folder, other)[0],
                recorder=recorder,
            )
        except click.ClickException:
            raise  # the recorder refused the run
        except Exception as err:
            raise click.ClickException(f"DAG '{dag_id}' could not run: {err}") from None
        _print_result(result, output)
        recorded = recorder is None or _record(recorder, result)
    finally:
        if recorder is not None:
            recorder.close()
    sys.exit(0 if result.state is DagRunState.SUCCESS and recorded else 1)


def _open_recorder(folder: Path) -> Any:
    """The metadata database recorder (`RecordingError`, a `ClickException`, if unusable)."""
    from slipstream.cli.dags_test_record import open_recorder
    from slipstream.cli.db_cmd import os_user
    from slipstream.config import get_config

    return open_recorder(get_config(), dags_folder=folder, owner=os_user())


def _record(recorder: Any, result: Any) -> bool:
    try:
        recorder.record(result)
    except click.ClickException as err:
        click.echo(
            f"Error: the run ended {result.state.value} but was not recorded: {err.message}",
            err=True,
        )
        return False
    return True


def _print_result(result: Any, output: str) -> None:
    if output == "json":
        click.echo(json.dumps(result.to_json()))
        return
    rows = [
        {
            "task_id": r.task_id,
            "map_index": r.map_index,
            "state": r.state.value if r.state else None,
            "try_number": r.try_number,
            "duration": None if r.duration is None else f"{r.duration:.3f}s",
        }
        for r in result.tis
    ]
    print_table(rows, ["task_id", "map_index", "state", "try_number", "duration"])
    click.echo(f"DAG run {result.run_id}: {result.state.value}")

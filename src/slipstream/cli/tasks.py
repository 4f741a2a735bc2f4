"""`slipstream tasks …`: list a DAG's tasks and test-run one task in-process."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from slipstream.cli.common import (
    DAGS_FOLDER_OPTION,
    load_dag_or_exit,
    parse_date,
    setup_task_logging,
)
from slipstream.cli.output import OUTPUT_OPTION, print_rows
from slipstream.cli.tasks_ops import clear, states_for_dag_run, task_state


@click.group()
def tasks() -> None:
    """Work with tasks."""


for _command in (states_for_dag_run, task_state, clear):
    tasks.add_command(_command)


@tasks.command("list")
@click.argument("dag_id")
@DAGS_FOLDER_OPTION
@OUTPUT_OPTION
def list_tasks(dag_id: str, dags_folder: Path | None, output: str) -> None:
    """List the tasks of DAG_ID in dependency order."""
    dag = load_dag_or_exit(dags_folder, dag_id)
    rows = [
        {
            "task_id": t.task_id,
            "operator": t.task_type,
            "trigger_rule": str(t.trigger_rule),
            "upstream": sorted(t.upstream_task_ids),
        }
        for t in dag.topological_sort()
    ]
    print_rows(rows, ["task_id", "operator", "trigger_rule"], output)


@tasks.command("test")
@click.argument("dag_id")
@click.argument("task_id")
@click.argument("logical_date", required=False)
@click.option("--map-index", type=int, default=-1, help="Which index of a mapped task to run.")
@click.option("--task-params", "-t", help="JSON object of params for this run.")
@DAGS_FOLDER_OPTION
@click.option(
    "--output", "-o", type=click.Choice(["table", "json"]), default="table", show_default=True
)
def test_task(
    dag_id: str,
    task_id: str,
    logical_date: str | None,
    map_index: int,
    task_params: str | None,
    dags_folder: Path | None,
    output: str,
) -> None:
    """Run one task once, ignoring its dependencies; exit code 1 if it fails."""
    from slipstream.cli.common import parse_conf
    from slipstream.runtime.dag_test import test_task as run_task

    setup_task_logging()
    dag = load_dag_or_exit(dags_folder, dag_id)
    if task_id not in dag.task_dict:
        raise click.ClickException(f"Task '{task_id}' not found in DAG '{dag_id}'")
    record = run_task(
        dag,
        task_id,
        logical_date=parse_date(logical_date),
        map_index=map_index,
        conf=parse_conf(task_params),
    )
    state = record.state.value if record.state else None
    if output == "json":
        click.echo(json.dumps(record.as_dict()))
    else:
        click.echo(f"Task {task_id} finished: {state}")
    sys.exit(0 if state in ("success", "skipped") else 1)

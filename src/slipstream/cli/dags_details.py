"""`slipstream dags details DAG_ID`: a DAG as the scheduler and the API will see it (serialized)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from slipstream.cli.common import DAGS_FOLDER_OPTION, load_dag_or_exit, resolve_dags_folder
from slipstream.cli.output import print_table


@click.command("details")
@click.argument("dag_id")
@DAGS_FOLDER_OPTION
@click.option(
    "--output", "-o", type=click.Choice(["table", "json"]), default="table", show_default=True
)
def details(dag_id: str, dags_folder: Path | None, output: str) -> None:
    """Show DAG_ID's serialized form: the whole JSON, or a table of its main attributes."""
    from slipstream.serialization import SerializationError, dag_hash, serialize_dag

    dag = load_dag_or_exit(dags_folder, dag_id)
    try:
        data = serialize_dag(dag, dags_folder=resolve_dags_folder(dags_folder))
    except SerializationError as err:
        raise click.ClickException(str(err)) from None
    if output == "json":
        click.echo(json.dumps(data, indent=2, sort_keys=False))
        return
    rows = [{"property": name, "value": value} for name, value in summary(data, dag_hash(data))]
    print_table(rows, ["property", "value"])


def summary(data: dict[str, Any], hash_: str) -> list[tuple[str, str]]:
    """The attributes people ask about first, as display text."""
    dag = data["dag"]
    tasks = dag["tasks"]

    def text(value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, list):
            return ", ".join(map(str, value))
        return str(value)

    return [
        ("dag_id", dag["dag_id"]),
        ("fileloc", text(dag["fileloc"])),
        ("description", text(dag["description"])),
        ("owner", text(dag["owner"])),
        ("tags", text(dag["tags"])),
        ("schedule", text(dag["timetable_summary"])),
        ("timetable", text(dag["timetable"].get("__type"))),
        ("timetable_description", text(dag["timetable_description"])),
        ("start_date", text(dag["start_date"])),
        ("end_date", text(dag["end_date"])),
        ("catchup", text(dag["catchup"])),
        ("max_active_runs", text(dag["max_active_runs"])),
        ("max_active_tasks", text(dag["max_active_tasks"])),
        ("dagrun_timeout", text(dag["dagrun_timeout"])),
        ("is_paused_upon_creation", text(dag["is_paused_upon_creation"])),
        ("params", text(list(dag["params"]))),
        ("tasks", str(len(tasks))),
        ("mapped_tasks", str(sum(1 for t in tasks if t["is_mapped"]))),
        ("task_groups", str(len(dag["task_groups"]) - 1)),
        ("dag_hash", hash_),
    ]

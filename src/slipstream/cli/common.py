"""Options and helpers shared by commands."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Any

import click

DAGS_FOLDER_OPTION = click.option(
    "--dags-folder",
    "-S",
    "--subdir",
    "dags_folder",
    type=click.Path(path_type=Path),
    default=None,
    help="Folder (or file) of DAG files. Default: core.dags_folder.",
)


def resolve_dags_folder(value: Path | None) -> Path:
    from slipstream.cli.settings import dags_folder

    return value if value is not None else dags_folder()


def load_dag_or_exit(dags_folder: Path | None, dag_id: str) -> Any:
    """The DAG with this id, or a clear error naming the folder and any file that failed."""
    from slipstream.dagfiles.bag import load_dag

    folder = resolve_dags_folder(dags_folder)
    dag, bag = load_dag(folder, dag_id)
    if dag is None:
        lines = [f"DAG '{dag_id}' not found in {folder}."]
        for filename, err in bag.import_errors.items():
            where = f"{filename}:{err.lineno}" if err.lineno else filename
            lines.append(f"  import error in {where}: {err.message.splitlines()[0]}")
        raise click.ClickException("\n".join(lines))
    return dag


def parse_conf(conf: str | None) -> dict[str, Any] | None:
    if conf is None:
        return None
    try:
        value = json.loads(conf)
    except json.JSONDecodeError as err:
        raise click.BadParameter(f"not valid JSON: {err}", param_hint="--conf") from None
    if not isinstance(value, dict):
        raise click.BadParameter("must be a JSON object", param_hint="--conf")
    return value


def parse_date(value: str | None, name: str = "LOGICAL_DATE") -> Any:
    if value is None:
        return None
    import pendulum

    try:
        return pendulum.parse(value, tz="UTC")
    except Exception as err:
        raise click.BadParameter(f"{value!r} is not a date: {err}", param_hint=name) from None


def setup_task_logging(level: int = logging.INFO) -> None:
    """Task logs go to stderr, so stdout carries only a command's result."""
    from slipstream.runtime import task_logging

    task_logging.configure(sys.stderr, level)

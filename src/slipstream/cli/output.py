"""Printing data the way every command does: a table for people, JSON for scripts."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any

import click

OUTPUT_OPTION = click.option(
    "--output",
    "-o",
    type=click.Choice(["table", "json", "plain"]),
    default="table",
    show_default=True,
    help="Output format.",
)


def print_rows(rows: Sequence[dict[str, Any]], columns: Sequence[str], output: str) -> None:
    """Rows as JSON (a list of objects) or as a table with the given columns."""
    if output == "json":
        click.echo(json.dumps(list(rows), default=str, indent=2))
        return
    if output == "plain":
        for row in rows:
            click.echo("\t".join("" if row.get(c) is None else str(row.get(c)) for c in columns))
        return
    print_table(rows, columns)


def print_table(
    rows: Sequence[dict[str, Any]], columns: Sequence[str], *, file: Any = None
) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(show_lines=False)
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*("" if row.get(c) is None else str(row.get(c)) for c in columns))
    Console(file=file or sys.stdout, soft_wrap=True).print(table)

"""`slipstream variables get | set | list | delete | import | export`.

Values are stored encrypted in the metadata database. `get` reads as tasks do: an environment
variable `SLIPSTREAM_VAR_<KEY>` / `AIRFLOW_VAR_<KEY>` wins over the stored value. Import and
export files are Airflow's JSON format (`{key: value}`; `{key: {"value", "description"}}`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from slipstream.cli.db_cmd import audit, open_cli_database, store_errors
from slipstream.cli.output import OUTPUT_OPTION, print_rows

COLUMNS = ["key", "value", "description"]
NEEDS_MIGRATED = "\n\nNeeds a migrated database: run `slipstream db migrate` first."


@click.group(name="variables")
def variables_group() -> None:
    """Manage variables (stored encrypted in the metadata database)."""


@variables_group.command("get", epilog=NEEDS_MIGRATED)
@click.argument("key")
@click.option("--default", "-d", "default", default=None, help="Print this if KEY is not set.")
@click.option("--json", "-j", "as_json", is_flag=True, help="Parse the value as JSON.")
@click.option(
    "--output",
    "-o",
    type=click.Choice(["plain", "table", "json"]),
    default="plain",
    show_default=True,
    help="plain prints the value alone; json prints {key, value, description}.",
)
def get_variable(key: str, default: str | None, as_json: bool, output: str) -> None:
    """Print the value of variable KEY. Exit code 1 if it is not set (and no --default)."""
    from slipstream.db.store import variables
    from slipstream.sdk import secrets

    config, db = open_cli_database()
    with store_errors():
        backend = variables.DbSecretsBackend(db, config)
        with secrets.use_runtime_backend(backend):
            value = secrets.get_variable(key)
        with db.session() as session:
            entry = variables.get_variable_entry(session, key, config=config)
    db.dispose()
    if value is None:
        if default is None:
            raise click.ClickException(f"Variable {key} does not exist")
        value = default
    shown: Any = value
    if as_json:
        try:
            shown = json.loads(value)
        except json.JSONDecodeError as err:
            raise click.ClickException(f"Variable {key} is not valid JSON: {err}") from None
    if output == "plain":
        click.echo(json.dumps(shown, indent=2) if as_json else shown)
        return
    row = {"key": key, "value": shown, "description": entry.description if entry else None}
    if output == "json":
        click.echo(json.dumps(row, indent=2))
    else:
        print_rows([row], COLUMNS, output)


@variables_group.command("set", epilog=NEEDS_MIGRATED)
@click.argument("key")
@click.argument("value")
@click.option("--description", default=None, help="What the variable is for.")
@click.option("--json", "-j", "as_json", is_flag=True, help="VALUE is JSON: check and store it.")
def set_variable(key: str, value: str, description: str | None, as_json: bool) -> None:
    """Create or replace variable KEY (its description too)."""
    from slipstream.db.store import variables

    if as_json:
        try:
            value = json.dumps(json.loads(value))
        except json.JSONDecodeError as err:
            raise click.BadParameter(f"not valid JSON: {err}", param_hint="VALUE") from None
    config, db = open_cli_database()
    with store_errors(), db.begin() as session:
        created = variables.set_variable(session, key, value, description, config=config)
        audit(session, "cli_variables_set", extra={"key": key, "created": created})
    db.dispose()
    click.echo(f"Variable {key} {'created' if created else 'updated'}")


@variables_group.command("list", epilog=NEEDS_MIGRATED)
@OUTPUT_OPTION
def list_variables(output: str) -> None:
    """List the stored variables with their values and descriptions."""
    from slipstream.db.store import variables

    config, db = open_cli_database()
    with store_errors(), db.session() as session:
        rows = [entry.to_dict() for entry in variables.list_variables(session, config=config)]
    db.dispose()
    if not rows and output == "table":
        click.echo("No data found")
        return
    print_rows(rows, COLUMNS, output)


@variables_group.command("delete", epilog=NEEDS_MIGRATED)
@click.argument("key")
def delete_variable(key: str) -> None:
    """Delete variable KEY. Exit code 1 if it does not exist."""
    from slipstream.db.store import variables

    _, db = open_cli_database()
    with store_errors(), db.begin() as session:
        deleted = variables.delete_variable(session, key)
        if deleted:
            audit(session, "cli_variables_delete", extra={"key": key})
    db.dispose()
    if not deleted:
        raise click.ClickException(f"Variable {key} does not exist")
    click.echo(f"Variable {key} deleted")


@variables_group.command("import", epilog=NEEDS_MIGRATED)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--action-on-existing-key",
    "-a",
    type=click.Choice(["overwrite", "skip", "fail"]),
    default="overwrite",
    show_default=True,
    help="What to do with keys that already exist (fail: import nothing).",
)
def import_variables(file: Path, action_on_existing_key: str) -> None:
    """Import variables from a JSON file ({key: value} or {key: {value, description}})."""
    from slipstream.db.store import variables

    data = _read_json_object(file)
    config, db = open_cli_database()
    with store_errors(), db.begin() as session:
        result = variables.import_variables(
            session,
            data,
            on_existing=action_on_existing_key,  # type: ignore[arg-type]
            config=config,
        )
        audit(
            session,
            "cli_variables_import",
            extra={"file": str(file), "created": result.created, "updated": result.updated},
        )
    db.dispose()
    count = len(result.created) + len(result.updated)
    click.echo(f"{count} of {len(data)} variables successfully updated.")
    if result.skipped:
        click.echo(f"Skipped existing variables: {', '.join(sorted(result.skipped))}")


@variables_group.command("export", epilog=NEEDS_MIGRATED)
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
def export_variables(file: str) -> None:
    """Export every variable to a JSON file (`-` for standard output). Values are in clear."""
    from slipstream.db.store import variables

    config, db = open_cli_database()
    with store_errors(), db.begin() as session:
        data = variables.export_variables(session, config=config)
        audit(session, "cli_variables_export", extra={"file": file, "count": len(data)})
    db.dispose()
    text = json.dumps(data, indent=4, sort_keys=True) + "\n"
    if file == "-":
        click.echo(text, nl=False)
        return
    Path(file).write_text(text)
    click.echo(f"{len(data)} variables successfully exported to {file}", err=True)


def _read_json_object(file: Path) -> dict[str, Any]:
    try:
        data = json.loads(file.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise click.ClickException(f"Cannot read {file}: {err}") from None
    if not isinstance(data, dict):
        raise click.ClickException(f"{file} must hold a JSON object of variables")
    return data

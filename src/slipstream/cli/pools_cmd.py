"""`slipstream pools set | get | list | delete | import | export`.

Files use Airflow's format: `{name: {"slots": N, "description": "...", "include_deferred": false}}`.
Slots of -1 make a pool unlimited. `default_pool` cannot be deleted.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from slipstream.cli.db_cmd import audit, open_cli_database, store_errors
from slipstream.cli.output import OUTPUT_OPTION, print_rows

COLUMNS = [
    "name",
    "slots",
    "occupied_slots",
    "running_slots",
    "queued_slots",
    "open_slots",
    "description",
]
NEEDS_MIGRATED = "\n\nNeeds a migrated database: run `slipstream db migrate` first."


@click.group(name="pools")
def pools_group() -> None:
    """Manage pools: slots that limit how many task instances run at once."""


@pools_group.command(
    "set", epilog=NEEDS_MIGRATED, context_settings={"ignore_unknown_options": True}
)
@click.argument("name")
@click.argument("slots", type=int)
@click.argument("description")
@click.option("--include-deferred", is_flag=True, help="Deferred task instances take slots too.")
@OUTPUT_OPTION
def set_pool(name: str, slots: int, description: str, include_deferred: bool, output: str) -> None:
    """Create or update pool NAME with SLOTS slots (-1: unlimited)."""
    from slipstream.db.store import pools

    _, db = open_cli_database()
    with store_errors(), db.begin() as session:
        pools.set_pool(session, name, slots, description, include_deferred=include_deferred)
        audit(
            session,
            "cli_pools_set",
            extra={"pool": name, "slots": slots, "include_deferred": include_deferred},
        )
        info = pools.get_pool(session, name)
    db.dispose()
    assert info is not None
    _print([info.to_dict()], output)


@pools_group.command("get", epilog=NEEDS_MIGRATED)
@click.argument("name")
@OUTPUT_OPTION
def get_pool(name: str, output: str) -> None:
    """Show pool NAME and its usage. Exit code 1 if it does not exist."""
    from slipstream.db.store import pools

    _, db = open_cli_database()
    with store_errors(), db.session() as session:
        info = pools.get_pool(session, name)
    db.dispose()
    if info is None:
        raise click.ClickException(f"Pool {name} does not exist")
    _print([info.to_dict()], output)


@pools_group.command("list", epilog=NEEDS_MIGRATED)
@OUTPUT_OPTION
def list_pools(output: str) -> None:
    """List pools with their slots in use (running, queued) and open."""
    from slipstream.db.store import pools

    _, db = open_cli_database()
    with store_errors(), db.session() as session:
        rows = [info.to_dict() for info in pools.list_pools(session)]
    db.dispose()
    _print(rows, output)


@pools_group.command("delete", epilog=NEEDS_MIGRATED)
@click.argument("name")
def delete_pool(name: str) -> None:
    """Delete pool NAME. Exit code 1 if it does not exist."""
    from slipstream.db.store import pools

    _, db = open_cli_database()
    with store_errors(), db.begin() as session:
        deleted = pools.delete_pool(session, name)
        if deleted:
            audit(session, "cli_pools_delete", extra={"pool": name})
    db.dispose()
    if not deleted:
        raise click.ClickException(f"Pool {name} does not exist")
    click.echo(f"Pool {name} deleted")


@pools_group.command("import", epilog=NEEDS_MIGRATED)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_pools(file: Path) -> None:
    """Create or update the pools of a JSON file ({name: {slots, description}})."""
    from slipstream.db.store import pools

    entries = _read_pools_file(file)
    _, db = open_cli_database()
    with store_errors(), db.begin() as session:
        for name, (slots, description, include_deferred) in entries.items():
            pools.set_pool(session, name, slots, description, include_deferred=include_deferred)
        audit(session, "cli_pools_import", extra={"file": str(file), "pools": sorted(entries)})
    db.dispose()
    click.echo(f"Uploaded {len(entries)} pool(s)")


@pools_group.command("export", epilog=NEEDS_MIGRATED)
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
def export_pools(file: str) -> None:
    """Export every pool to a JSON file (`-` for standard output)."""
    from slipstream.db.store import pools

    _, db = open_cli_database()
    with store_errors(), db.session() as session:
        infos = pools.list_pools(session)
    db.dispose()
    data = {
        info.name: {
            "slots": info.slots,
            "description": info.description,
            "include_deferred": info.include_deferred,
        }
        for info in infos
    }
    text = json.dumps(data, indent=4, sort_keys=True) + "\n"
    if file == "-":
        click.echo(text, nl=False)
        return
    Path(file).write_text(text)
    click.echo(f"Exported {len(data)} pool(s) to {file}", err=True)


def _print(rows: list[dict[str, Any]], output: str) -> None:
    if not rows and output == "table":
        click.echo("No data found")
        return
    print_rows(rows, COLUMNS, output)


def _read_pools_file(file: Path) -> dict[str, tuple[int, str | None, bool]]:
    try:
        data = json.loads(file.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise click.ClickException(f"Cannot read {file}: {err}") from None
    if not isinstance(data, dict):
        raise click.ClickException(f"{file} must hold a JSON object of pools")
    entries: dict[str, tuple[int, str | None, bool]] = {}
    for name, item in data.items():
        slots = item.get("slots") if isinstance(item, dict) else None
        if isinstance(slots, bool) or not isinstance(slots, int):
            raise click.ClickException(f"{file}: pool {name!r} needs whole-number slots")
        description = item.get("description")
        entries[name] = (slots, description, bool(item.get("include_deferred", False)))
    return entries

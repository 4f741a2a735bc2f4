"""`slipstream connections add | get | list | delete | import | export`.

Passwords and extras are stored encrypted. `get` and `list` mask passwords and the secret-looking
fields of extras unless `--show-sensitive` is given; export files hold them in clear. Files use
Airflow's formats: JSON (`{conn_id: {conn_type, host, ...}}`) or env (`conn_id=<uri>` lines).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from slipstream.cli.db_cmd import audit, extra_of, open_cli_database, store_errors
from slipstream.cli.output import OUTPUT_OPTION, print_rows
from slipstream.core.sensitive import MASK, looks_sensitive

if TYPE_CHECKING:
    from slipstream.sdk.connections import Connection

COLUMNS = ["conn_id", "conn_type", "host", "login", "schema", "port", "extra"]
NEEDS_MIGRATED = "\n\nNeeds a migrated database: run `slipstream db migrate` first."
SHOW_SENSITIVE = click.option(
    "--show-sensitive", is_flag=True, help="Show passwords and secret extras instead of ***."
)


@click.group(name="connections")
def connections_group() -> None:
    """Manage connections (passwords and extras stored encrypted)."""


@connections_group.command("add", epilog=NEEDS_MIGRATED)
@click.argument("conn_id")
@click.option("--conn-uri", help="The connection as a URI (postgres://user:pw@host:5432/db).")
@click.option("--conn-json", help='The connection as JSON ({"conn_type": ..., "host": ...}).')
@click.option("--conn-type", help="Type (postgres, http, aws, ...); needed without a URI/JSON.")
@click.option("--conn-description", help="What the connection is for.")
@click.option("--conn-host")
@click.option("--conn-login")
@click.option("--conn-password")
@click.option("--conn-schema")
@click.option("--conn-port", type=int)
@click.option("--conn-extra", help="Extra fields as a JSON object.")
def add_connection(conn_id: str, **fields: Any) -> None:
    """Add connection CONN_ID, from a URI, JSON, or separate fields. Exit code 1 if it exists."""
    from slipstream.db.store import connections

    conn = _connection_from_options(conn_id, fields)
    config, db = open_cli_database()
    with store_errors(), db.begin() as session:
        connections.add_connection(session, conn, config=config)
        audit(session, "cli_connections_add", extra=_audit_fields(conn))
    db.dispose()
    click.echo(f"Successfully added `conn_id`={conn_id} : {_masked_uri(conn)}")


@connections_group.command("get", epilog=NEEDS_MIGRATED)
@click.argument("conn_id")
@OUTPUT_OPTION
@SHOW_SENSITIVE
def get_connection(conn_id: str, output: str, show_sensitive: bool) -> None:
    """Show connection CONN_ID. Exit code 1 if it does not exist."""
    from slipstream.db.store import connections

    config, db = open_cli_database()
    with store_errors(), db.session() as session:
        conn = connections.get_connection(session, conn_id, config=config)
    db.dispose()
    if conn is None:
        raise click.ClickException(f"Connection {conn_id} does not exist")
    row = _row(conn, show_sensitive)
    if output == "json":
        click.echo(json.dumps(row, indent=2))
    else:
        print_rows([row], [*COLUMNS, "password", "description"], output)


@connections_group.command("list", epilog=NEEDS_MIGRATED)
@click.option("--conn-id", default=None, help="Only this connection.")
@OUTPUT_OPTION
@SHOW_SENSITIVE
def list_connections(conn_id: str | None, output: str, show_sensitive: bool) -> None:
    """List the stored connections."""
    from slipstream.db.store import connections

    config, db = open_cli_database()
    with store_errors(), db.session() as session:
        conns = connections.list_connections(session, config=config)
    db.dispose()
    rows = [_row(c, show_sensitive) for c in conns if conn_id is None or c.conn_id == conn_id]
    if not rows and output == "table":
        click.echo("No data found")
        return
    print_rows(rows, COLUMNS, output)


@connections_group.command("delete", epilog=NEEDS_MIGRATED)
@click.argument("conn_id")
def delete_connection(conn_id: str) -> None:
    """Delete connection CONN_ID. Exit code 1 if it does not exist."""
    from slipstream.db.store import connections

    _, db = open_cli_database()
    with store_errors(), db.begin() as session:
        deleted = connections.delete_connection(session, conn_id)
        if deleted:
            audit(session, "cli_connections_delete", extra={"conn_id": conn_id})
    db.dispose()
    if not deleted:
        raise click.ClickException(f"Did not find a connection with `conn_id`={conn_id}")
    click.echo(f"Successfully deleted connection with `conn_id`={conn_id}")


@connections_group.command("export", epilog=NEEDS_MIGRATED)
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@click.option(
    "--file-format",
    "--format",
    "file_format",
    type=click.Choice(["json", "env"]),
    default=None,
    help="File format; default from FILE's extension (.env: env, else json).",
)
@click.option(
    "--serialization-format",
    type=click.Choice(["uri", "json"]),
    default="uri",
    show_default=True,
    help="How env files write each connection.",
)
def export_connections(file: str, file_format: str | None, serialization_format: str) -> None:
    """Export every connection to FILE (`-` for standard output). Passwords are in clear."""
    from slipstream.db.store import connections

    fmt = file_format or ("env" if file.endswith(".env") else "json")
    config, db = open_cli_database()
    with store_errors(), db.begin() as session:
        text = connections.export_connections(
            session,
            file_format=fmt,  # type: ignore[arg-type]
            serialization=serialization_format,  # type: ignore[arg-type]
            config=config,
        )
        audit(session, "cli_connections_export", extra={"file": file, "format": fmt})
    db.dispose()
    if file == "-":
        click.echo(text, nl=False)
        return
    Path(file).write_text(text)
    click.echo(f"Connections successfully exported to {file}.", err=True)


@connections_group.command("import", epilog=NEEDS_MIGRATED)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--overwrite", is_flag=True, help="Replace connections that exist (else skip).")
def import_connections(file: Path, overwrite: bool) -> None:
    """Import connections from a JSON or env file (the formats `export` writes)."""
    from slipstream.db.store import connections

    config, db = open_cli_database()
    with store_errors():
        text = file.read_text()
        if file.suffix == ".env":
            conns = connections.parse_connections_file(text, "env")
        else:
            conns = connections.parse_connections_file(text, "json")
        with db.begin() as session:
            result = connections.import_connections(
                session, conns, on_existing="overwrite" if overwrite else "skip", config=config
            )
            audit(
                session,
                "cli_connections_import",
                extra={"file": str(file), "created": result.created, "updated": result.updated},
            )
    db.dispose()
    for conn_id in result.created + result.updated:
        click.echo(f"Imported connection {conn_id}")
    for conn_id in result.skipped:
        click.echo(f"Could not import connection {conn_id}: connection already exists.")


def _connection_from_options(conn_id: str, fields: dict[str, Any]) -> Connection:
    from slipstream.core.exceptions import AirflowException
    from slipstream.sdk.connections import Connection

    uri, as_json = fields.pop("conn_uri"), fields.pop("conn_json")
    given = {k.removeprefix("conn_"): v for k, v in fields.items() if v is not None}
    if uri is not None and as_json is not None:
        raise click.UsageError("Give --conn-uri or --conn-json, not both.")
    source = uri if uri is not None else as_json
    if source is not None and set(given) - {"description"}:
        raise click.UsageError(
            "--conn-uri/--conn-json cannot be mixed with other --conn-* fields "
            "(only --conn-description)."
        )
    try:
        if uri is not None:
            conn = Connection.from_uri(uri, conn_id=conn_id)
        elif as_json is not None:
            conn = Connection.from_json(as_json, conn_id=conn_id)
        else:
            if not given.get("type"):
                raise click.UsageError("Give --conn-uri, --conn-json or at least --conn-type.")
            given["conn_type"] = given.pop("type")
            conn = Connection(conn_id=conn_id, **given)
    except (AirflowException, ValueError, TypeError) as err:
        raise click.BadParameter(str(err)) from None
    if "description" in given:
        conn.description = given["description"]
    return conn


def _row(conn: Connection, show_sensitive: bool) -> dict[str, Any]:
    password = conn.password
    extra = conn.extra
    if not show_sensitive:
        password = MASK if password else password
        extra = _masked_extra(extra)
    return {
        "conn_id": conn.conn_id,
        "conn_type": conn.conn_type,
        "description": conn.description,
        "host": conn.host,
        "login": conn.login,
        "password": password,
        "schema": conn.schema,
        "port": conn.port,
        "extra": extra,
    }


def _masked_extra(extra: str | None) -> str | None:
    if not extra:
        return extra
    try:
        data = json.loads(extra)
    except json.JSONDecodeError:
        return MASK
    return json.dumps(_mask_secrets(data))


def _mask_secrets(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: MASK if looks_sensitive(k) and v not in (None, "") else _mask_secrets(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_mask_secrets(v) for v in value]
    return value


def _masked_uri(conn: Connection) -> str:
    """The connection's URI with the password shown as *** (and without secret extras)."""
    from slipstream.sdk.connections import Connection

    placeholder = "SLIPSTREAMMASKEDPASSWORD"
    fields = _row(conn, show_sensitive=False)
    if conn.password:
        fields["password"] = placeholder
    return Connection.from_dict(fields).get_uri().replace(placeholder, MASK)


def _audit_fields(conn: Connection) -> dict[str, Any]:
    return extra_of({"conn_id": conn.conn_id, "conn_type": conn.conn_type, "host": conn.host})

"""Connections in the metadata database, as `slipstream.sdk.connections.Connection` objects.

Passwords and extras are encrypted with the Fernet key(s) of `[core] fernet_key`; rows written by
other tools with `is_encrypted`/`is_extra_encrypted` false are read as plain text. Functions that
encrypt or decrypt take the `Config` whose key to use (default: `get_config()`).

The REST API lists connections a page at a time (`find_connections`) and can add Airflow's
well-known default connections (`add_default_connections`).

Export and import use Airflow's file formats: JSON (`{conn_id: {conn_type, host, ...}}`) and
env (`conn_id=<uri or JSON>` lines, as in `AIRFLOW_CONN_*` variables).
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import Select, String, cast, delete, null, select
from sqlalchemy.orm import Session

from slipstream.core.exceptions import AirflowBadRequest, AirflowException
from slipstream.db.models import ID_LENGTH
from slipstream.db.models import Connection as ConnectionRow
from slipstream.db.store import AlreadyExistsError, text_patterns
from slipstream.db.store._crypto import decrypt, encrypt
from slipstream.db.store._sql import rowcount, upsert
from slipstream.db.store.paging import Page, paged, total_of
from slipstream.sdk.connections import Connection

if TYPE_CHECKING:
    from slipstream.config import Config

__all__ = [
    "ORDER_FIELDS",
    "ExportFormat",
    "ImportResult",
    "add_connection",
    "add_default_connections",
    "default_connections",
    "delete_connection",
    "existing_connection_ids",
    "export_connections",
    "find_connections",
    "get_connection",
    "import_connections",
    "list_connections",
    "parse_connections_file",
    "set_connection",
]

ExportFormat = Literal["json", "env"]
Serialization = Literal["uri", "json"]
OnExisting = Literal["overwrite", "skip", "fail"]
ORDER_FIELDS: dict[str, Any] = {
    "conn_id": ConnectionRow.conn_id,
    "connection_id": ConnectionRow.conn_id,
    "conn_type": ConnectionRow.conn_type,
    "description": ConnectionRow.description,
    "host": ConnectionRow.host,
    "port": ConnectionRow.port,
    "id": ConnectionRow.id,
    "team_name": cast(null(), String),  # no teams here: every connection has none
}
"""What `find_connections` sorts by: Airflow's API field names and their columns."""
_FILE_FIELDS = ("conn_type", "description", "host", "login", "password", "schema", "port", "extra")


@dataclass(frozen=True)
class ImportResult:
    created: list[str]
    updated: list[str]
    skipped: list[str]


def add_connection(session: Session, conn: Connection, *, config: Config | None = None) -> None:
    """Store a new connection; `AlreadyExistsError` when its `conn_id` is taken."""
    _validate(conn)
    if session.scalar(select(ConnectionRow.id).where(ConnectionRow.conn_id == conn.conn_id)):
        raise AlreadyExistsError(f"A connection with `conn_id`={conn.conn_id} already exists.")
    set_connection(session, conn, config=config)


def set_connection(session: Session, conn: Connection, *, config: Config | None = None) -> None:
    """Create or replace the connection `conn.conn_id` with all of `conn`'s fields."""
    _validate(conn)
    values = {
        "conn_id": conn.conn_id,
        "conn_type": conn.conn_type,
        "description": conn.description,
        "host": conn.host,
        "schema": conn.schema,
        "login": conn.login,
        "password": None if conn.password is None else encrypt(conn.password, config),
        "port": conn.port,
        "extra": None if conn.extra is None else encrypt(conn.extra, config),
        "is_encrypted": conn.password is not None,
        "is_extra_encrypted": conn.extra is not None,
    }
    upsert(session, ConnectionRow.__table__, values, key=["conn_id"])  # type: ignore[arg-type]


def get_connection(
    session: Session, conn_id: str, *, config: Config | None = None
) -> Connection | None:
    """The connection `conn_id`, secrets decrypted, or None."""
    row = session.scalars(select(ConnectionRow).where(ConnectionRow.conn_id == conn_id)).first()
    return None if row is None else _connection(row, config)


def list_connections(session: Session, *, config: Config | None = None) -> list[Connection]:
    """Every connection, by `conn_id`, secrets decrypted."""
    rows = session.scalars(select(ConnectionRow).order_by(ConnectionRow.conn_id))
    return [_connection(row, config) for row in rows]


def find_connections(
    session: Session,
    page: Page,
    *,
    pattern: str | None = None,
    prefix: str | None = None,
    config: Config | None = None,
) -> tuple[list[Connection], int]:
    """One page of the connections whose ids match `pattern` / `prefix` (Airflow's
    `connection_id_pattern` / `connection_id_prefix_pattern`), secrets decrypted, and how many
    match in all. The page sorts by the names of `ORDER_FIELDS`, then by id."""
    query: Select[Any] = select(ConnectionRow).where(
        *text_patterns.conditions(ConnectionRow.conn_id, pattern, prefix)
    )
    total = total_of(query, session)
    rows = session.scalars(paged(query, page, ORDER_FIELDS, tiebreak=ConnectionRow.id))
    return [_connection(row, config) for row in rows], total


def existing_connection_ids(session: Session, conn_ids: Iterable[str]) -> set[str]:
    """Those of `conn_ids` that name a stored connection."""
    wanted = list(set(conn_ids))
    if not wanted:
        return set()
    query = select(ConnectionRow.conn_id).where(ConnectionRow.conn_id.in_(wanted))
    return set(session.scalars(query))


def default_connections() -> list[Connection]:
    """Airflow's well-known default connections of the commonest types (`airflow db
    create-default-connections`), pointing at the hosts Airflow's own defaults name."""
    sqlite_path = f"{tempfile.gettempdir()}/sqlite_default.db"
    return [
        Connection("aws_default", "aws"),
        Connection("fs_default", "fs", extra={"path": "/"}),
        Connection("ftp_default", "ftp", host="localhost", port=21, login="airflow"),
        Connection("google_cloud_default", "google_cloud_platform", schema="default"),
        Connection("http_default", "http", host="https://www.httpbin.org/"),
        Connection("mysql_default", "mysql", host="mysql", login="root", schema="airflow"),
        Connection(
            "postgres_default",
            "postgres",
            host="postgres",
            login="postgres",
            password="airflow",
            schema="airflow",
        ),
        Connection("redis_default", "redis", host="redis", port=6379, extra={"db": 0}),
        Connection("sftp_default", "sftp", host="localhost", port=22, login="airflow"),
        Connection("smtp_default", "email", host="localhost", port=25),
        Connection("sqlite_default", "sqlite", host=sqlite_path),
        Connection("ssh_default", "ssh", host="localhost"),
    ]


def add_default_connections(session: Session, *, config: Config | None = None) -> list[str]:
    """Add those of `default_connections()` whose ids are free (existing ones are kept, as
    Airflow does); the ids added."""
    defaults = {conn.conn_id: conn for conn in default_connections() if conn.conn_id}
    taken = existing_connection_ids(session, defaults)
    added = [conn_id for conn_id in defaults if conn_id not in taken]
    for conn_id in added:
        set_connection(session, defaults[conn_id], config=config)
    return added


def delete_connection(session: Session, conn_id: str) -> bool:
    """Delete connection `conn_id`; False when there was none."""
    result = session.execute(delete(ConnectionRow).where(ConnectionRow.conn_id == conn_id))
    return bool(rowcount(result))


def export_connections(
    session: Session,
    *,
    file_format: ExportFormat = "json",
    serialization: Serialization = "uri",
    config: Config | None = None,
) -> str:
    """Every connection as the text of an export file (passwords included, in clear).

    `json`: `{conn_id: {conn_type, description, host, login, password, schema, port, extra}}`;
    `env`: one `conn_id=value` line each, the value a URI or (`serialization="json"`) JSON.
    """
    conns = list_connections(session, config=config)
    if file_format == "json":
        data = {c.conn_id: {f: getattr(c, f) for f in _FILE_FIELDS} for c in conns}
        return json.dumps(data, indent=4, sort_keys=True) + "\n"
    if file_format == "env":
        lines = [
            f"{c.conn_id}={c.get_uri() if serialization == 'uri' else c.as_json()}" for c in conns
        ]
        return "".join(line + "\n" for line in lines)
    raise AirflowBadRequest(f"unknown export format {file_format!r}: use json or env")


def parse_connections_file(text: str, file_format: ExportFormat) -> dict[str, Connection]:
    """The connections of an export file's text (the formats `export_connections` writes).

    In JSON files a connection may also be a URI string; `extra` may be a dict or a string.
    """
    if file_format == "json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as err:
            raise AirflowBadRequest(f"not valid JSON: {err}") from None
        if not isinstance(data, dict):
            raise AirflowBadRequest("a connections file holds a JSON object of conn_id: fields")
        return {conn_id: _parse_item(conn_id, item) for conn_id, item in data.items()}
    conns: dict[str, Connection] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        conn_id, sep, value = line.partition("=")
        if not sep or not conn_id.strip():
            raise AirflowBadRequest(f"line {number}: expected CONN_ID=URI, got {line!r}")
        conns[conn_id.strip()] = _parse_item(conn_id.strip(), value.strip())
    return conns


def import_connections(
    session: Session,
    conns: Mapping[str, Connection],
    *,
    on_existing: OnExisting = "overwrite",
    config: Config | None = None,
) -> ImportResult:
    """Store parsed connections; existing ids are overwritten, skipped, or (`"fail"`) make the
    whole import fail before anything is written."""
    for conn in conns.values():
        _validate(conn)
    existing = set(
        session.scalars(
            select(ConnectionRow.conn_id).where(ConnectionRow.conn_id.in_(list(conns)))
        ).all()
    )
    if on_existing == "fail" and existing:
        raise AlreadyExistsError(f"these connections already exist: {sorted(existing)}")
    result = ImportResult(created=[], updated=[], skipped=[])
    for conn_id, conn in conns.items():
        if conn_id in existing and on_existing == "skip":
            result.skipped.append(conn_id)
            continue
        set_connection(session, conn, config=config)
        (result.updated if conn_id in existing else result.created).append(conn_id)
    return result


def _parse_item(conn_id: str, item: Any) -> Connection:
    try:
        if isinstance(item, str):
            return Connection.parse(item, conn_id=conn_id)
        if isinstance(item, Mapping):
            return Connection.from_json(json.dumps(dict(item)), conn_id=conn_id)
    except (AirflowException, ValueError, TypeError) as err:
        raise AirflowBadRequest(f"connection {conn_id!r}: {err}") from None
    raise AirflowBadRequest(f"connection {conn_id!r}: expected fields or a URI, got {item!r}")


def _connection(row: ConnectionRow, config: Config | None) -> Connection:
    password, extra = row.password, row.extra
    if password is not None and row.is_encrypted:
        password = decrypt(password, f"the password of connection {row.conn_id!r}", config)
    if extra is not None and row.is_extra_encrypted:
        extra = decrypt(extra, f"the extra of connection {row.conn_id!r}", config)
    return Connection(
        conn_id=row.conn_id,
        conn_type=row.conn_type,
        description=row.description,
        host=row.host,
        login=row.login,
        password=password,
        schema=row.schema,
        port=row.port,
        extra=extra,
    )


def _validate(conn: Connection) -> None:
    if not conn.conn_id or not conn.conn_id.strip():
        raise AirflowBadRequest("a connection needs a conn_id")
    if len(conn.conn_id) > ID_LENGTH:
        raise AirflowBadRequest(f"conn_id is longer than {ID_LENGTH} characters: {conn.conn_id!r}")
    if not conn.conn_type:
        raise AirflowBadRequest(f"connection {conn.conn_id!r} needs a conn_type")
    if conn.extra:
        try:
            extra = json.loads(conn.extra)
        except json.JSONDecodeError:
            extra = None
        if not isinstance(extra, dict):
            raise AirflowBadRequest(
                f"connection {conn.conn_id!r}: extra must be a JSON object, got {conn.extra!r}"
            )

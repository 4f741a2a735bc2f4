"""Connections in the metadata database, as `slipstream.sdk.connections.Connection` objects.

Passwords and extras are encrypted with the Fernet key(s) of `[core] fernet_key`; rows written by
other tools with `is_encrypted`/`is_extra_encrypted` false are read as plain text. Functions that
encrypt or decrypt take the `Config` whose key to use (default: `get_config()`).

Export and import use Airflow's file formats: JSON (`{conn_id: {conn_type, host, ...}}`) and
env (`conn_id=<uri or JSON>` lines, as in `AIRFLOW_CONN_*` variables).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from slipstream.core.exceptions import AirflowBadRequest, AirflowException
from slipstream.db.models import ID_LENGTH
from slipstream.db.models import Connection as ConnectionRow
from slipstream.db.store import AlreadyExistsError
from slipstream.db.store._crypto import decrypt, encrypt
from slipstream.db.store._sql import upsert
from slipstream.sdk.connections import Connection

if TYPE_CHECKING:
    from slipstream.config import Config

__all__ = [
    "ExportFormat",
    "ImportResult",
    "add_connection",
    "delete_connection",
    "export_connections",
    "get_connection",
    "import_connections",
    "list_connections",
    "parse_connections_file",
    "set_connection",
]

ExportFormat = Literal["json", "env"]
Serialization = Literal["uri", "json"]
OnExisting = Literal["overwrite", "skip", "fail"]
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


def delete_connection(session: Session, conn_id: str) -> bool:
    """Delete connection `conn_id`; False when there was none."""
    result = session.execute(delete(ConnectionRow).where(ConnectionRow.conn_id == conn_id))
    return bool(result.rowcount)  # type: ignore[attr-defined]


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

"""Connections: how DAG code and hooks reach external systems (host, login, password, extras).

Parsing and printing follow Airflow's connection URI rules, so `AIRFLOW_CONN_*` values written for
Airflow mean the same here: `scheme://login:password@host:port/schema?key=value`, every part
percent-encoded; the scheme is the `conn_type` with `-` read as `_` (`postgresql` as `postgres`);
query parameters become the JSON `extra`, or the `__extra__` parameter carries that JSON whole;
a second `proto://` keeps a protocol on the host (`http://https://h.com` → host `https://h.com`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

from slipstream.core.exceptions import AirflowException, AirflowNotFoundException

__all__ = ["Connection", "ConnectionAccessor"]

log = logging.getLogger(__name__)

_FIELDS = (
    "conn_id",
    "conn_type",
    "description",
    "host",
    "login",
    "password",
    "schema",
    "port",
    "extra",
)


class Connection:
    """One connection's fields. Build it from fields, or from `uri=` (not both).

    `extra` is a JSON string (a dict is accepted and dumped); `port` must lie in 0-65535.
    """

    EXTRA_KEY = "__extra__"

    def __init__(
        self,
        conn_id: str | None = None,
        conn_type: str | None = None,
        description: str | None = None,
        host: str | None = None,
        login: str | None = None,
        password: str | None = None,
        schema: str | None = None,
        port: int | str | None = None,
        extra: str | Mapping[str, Any] | None = None,
        uri: str | None = None,
    ) -> None:
        self.conn_id = conn_id
        self.description = description
        if uri is not None:
            if any(v is not None for v in (conn_type, host, login, password, schema, port, extra)):
                raise AirflowException(
                    "You must create an object using the URI or individual values "
                    "(conn_type, host, login, password, schema, port or extra). "
                    "You can't mix these two ways to create this object."
                )
            parsed = self.from_uri(uri, conn_id=conn_id)
            conn_type, host, login, password = (
                parsed.conn_type,
                parsed.host,
                parsed.login,
                parsed.password,
            )
            schema, port, extra = parsed.schema, parsed.port, parsed.extra
        self.conn_type: str | None = conn_type
        self.host: str | None = host
        self.login: str | None = login
        self.password: str | None = password
        self.schema: str | None = schema
        self.port: int | None = _coerce_port(port)
        self.extra: str | None = json.dumps(extra) if isinstance(extra, Mapping) else extra

    def __repr__(self) -> str:
        kind, host = self.conn_type, self.host
        return f"Connection(conn_id={self.conn_id!r}, conn_type={kind!r}, host={host!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Connection):
            return NotImplemented
        return all(getattr(self, f) == getattr(other, f) for f in _FIELDS)

    __hash__ = None  # type: ignore[assignment]

    # -- reading -------------------------------------------------------------------------------

    @classmethod
    def get(cls, conn_id: str) -> Connection:
        """The connection `conn_id` from the environment or the runtime backend.

        Raises `AirflowNotFoundException` ("The conn_id `x` isn't defined") when no source has it.
        """
        from slipstream.sdk import secrets

        data = secrets.get_connection(conn_id)
        if data is None:
            raise AirflowNotFoundException(f"The conn_id `{conn_id}` isn't defined")
        return cls.from_dict({**data, "conn_id": conn_id})

    get_connection_from_secrets = get

    @property
    def extra_dejson(self) -> dict[str, Any]:
        """`extra` parsed as JSON; `{}` when empty or not valid JSON (logged)."""
        if not self.extra:
            return {}
        try:
            return json.loads(self.extra)
        except json.JSONDecodeError:
            log.error("Failed to deserialize extra of connection %s, returning {}", self.conn_id)
            return {}

    def get_password(self) -> str | None:
        return self.password

    def get_extra(self) -> str | None:
        return self.extra

    # -- converting ----------------------------------------------------------------------------

    def as_dict(self) -> dict[str, Any]:
        """All fields as a JSON-friendly dict, `extra` as its string (runtime backend form)."""
        return {field: getattr(self, field) for field in _FIELDS}

    def to_dict(self, *, prune_empty: bool = False) -> dict[str, Any]:
        """Airflow's dict form: `extra` parsed into a dict; `prune_empty` drops `None` fields."""
        data = self.as_dict()
        data["extra"] = self.extra_dejson
        if prune_empty:
            data = {k: v for k, v in data.items() if v is not None and (k != "extra" or v)}
        return data

    def as_json(self) -> str:
        """The JSON form accepted by `AIRFLOW_CONN_*` (no `conn_id`, empty fields left out)."""
        data = self.to_dict(prune_empty=True)
        data.pop("conn_id", None)
        return json.dumps(data)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Connection:
        """Build from a dict of fields (`as_dict()`/`to_dict()` output; `uri` is accepted too)."""
        unknown = set(data) - {*_FIELDS, "uri"}
        if unknown:
            raise TypeError(f"unknown connection fields: {sorted(unknown)}")
        return cls(**data)

    @classmethod
    def parse(cls, value: str, conn_id: str | None = None) -> Connection:
        """Parse an environment-variable value: JSON when it starts with `{`, else a URI."""
        if value.lstrip().startswith("{"):
            return cls.from_json(value, conn_id=conn_id)
        return cls.from_uri(value, conn_id=conn_id)

    @classmethod
    def from_json(cls, value: str, conn_id: str | None = None) -> Connection:
        """Parse the JSON form: `{"conn_type": ..., "host": ..., "port": ..., "extra": {...}}`."""
        data = json.loads(value)
        if not isinstance(data, dict):
            raise AirflowException(f"Connection {conn_id} JSON must be an object, got: {value}")
        if data.get("conn_type"):
            data["conn_type"] = _normalize_conn_type(data["conn_type"])
        extra = data.get("extra")
        if extra is not None and not isinstance(extra, str):
            data["extra"] = json.dumps(extra)
        data.pop("conn_id", None)
        return cls.from_dict({**data, "conn_id": conn_id})

    @classmethod
    def from_uri(cls, uri: str, conn_id: str | None = None) -> Connection:
        """Parse an Airflow connection URI (rules in the module docstring)."""
        if uri.count("://") > 2:
            raise AirflowException(f"Invalid connection string: {uri}.")
        scheme = urlsplit(uri).scheme
        if uri.startswith(f"{scheme}://"):
            rest = uri[len(scheme) + 3 :]
        elif not scheme and uri.startswith("//"):
            rest = uri[2:]
        else:
            raise AirflowException(f"Invalid connection string: {uri}.")
        protocol = None
        if "://" in rest:
            protocol, after = rest.split("://", 1)
            if "@" in protocol or ":" in protocol:
                raise AirflowException(f"Invalid connection string: {uri}.")
            rest = after
        parts = urlsplit("//" + rest)
        host = _hostname(parts)
        extra = None
        if parts.query:
            query = dict(parse_qsl(parts.query, keep_blank_values=True))
            extra = query[cls.EXTRA_KEY] if cls.EXTRA_KEY in query else json.dumps(query)
        return cls(
            conn_id=conn_id,
            conn_type=_normalize_conn_type(scheme) if scheme else None,
            host=f"{protocol}://{host}" if protocol and host else host,
            login=unquote(parts.username) if parts.username else parts.username,
            password=unquote(parts.password) if parts.password else parts.password,
            schema=unquote(parts.path[1:]),
            port=parts.port,
            extra=extra,
        )

    def get_uri(self) -> str:
        """This connection as an Airflow URI that `from_uri` parses back to the same fields."""
        uri = f"{self.conn_type.lower().replace('_', '-')}://" if self.conn_type else "//"
        host = self.host
        if host and "://" in host:
            protocol, bare = host.split("://", 1)
            if protocol != self.conn_type:
                uri += f"{protocol}://"
                host = bare
        auth = ""
        if self.login is not None:
            auth += quote(self.login, safe="")
        if self.password is not None:
            auth += ":" + quote(self.password, safe="")
        if auth:
            uri += auth + "@"
        location = quote(host, safe="") if host else ""
        if self.port is not None:
            location += f"@:{self.port}" if not location and not auth else f":{self.port}"
        if self.schema:
            location += "/" + quote(self.schema, safe="")
        uri += location
        if self.extra:
            uri += ("?" if self.schema else "/?") + self._extra_query()
        return uri

    def _extra_query(self) -> str:
        """`extra` as query parameters when they round-trip exactly, else as `__extra__=<json>`."""
        extra = self.extra_dejson
        try:
            query = urlencode(extra)
        except TypeError:
            query = ""
        if query and extra == dict(parse_qsl(query, keep_blank_values=True)):
            return query
        return urlencode({self.EXTRA_KEY: self.extra})


def _coerce_port(port: Any) -> int | None:
    if port is None or port == "":
        return None
    if isinstance(port, str):
        try:
            port = int(port)
        except ValueError:
            raise ValueError(
                f"Expected integer value for `port`, but got {port!r} instead."
            ) from None
    if type(port) is not int:
        raise ValueError(f"Expected integer value for `port`, but got {port!r} instead.")
    if not 0 <= port <= 65535:
        raise ValueError(
            f"Expected value for `port` in the range 0-65535, but got {port!r} instead."
        )
    return port


def _normalize_conn_type(conn_type: str) -> str:
    if conn_type == "postgresql":
        return "postgres"
    return conn_type.replace("-", "_")


def _hostname(parts: Any) -> str:
    """The decoded host (`urlsplit` lower-cases it); a host holding `/` is read from the netloc."""
    host = unquote(parts.hostname or "")
    if "/" in host:
        host = parts.netloc.rsplit("@", 1)[-1].split(":", 1)[0]
        host = unquote(host)
    return host


class ConnectionAccessor:
    """The `conn` template variable: `{{ conn.my_db.host }}`, `{{ conn.get('my_db') }}`."""

    def __getattr__(self, conn_id: str) -> Connection:
        if conn_id.startswith("__"):
            raise AttributeError(conn_id)
        return Connection.get(conn_id)

    def get(self, conn_id: str, default_conn: Any = None) -> Any:
        """The connection, or `default_conn` when it is not defined."""
        try:
            return Connection.get(conn_id)
        except AirflowNotFoundException:
            return default_conn

    def __repr__(self) -> str:
        return "<ConnectionAccessor (dynamic access)>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ConnectionAccessor)

    def __hash__(self) -> int:
        return hash(type(self).__name__)

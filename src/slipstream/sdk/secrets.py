"""Where variables and connections come from when a DAG file or task asks for them.

Lookup order, as in Airflow (environment variables, then the metastore):

1. environment variables: `SLIPSTREAM_VAR_<KEY>`, then `AIRFLOW_VAR_<KEY>` (key upper-cased) for
   variables; `SLIPSTREAM_CONN_<CONN_ID>`, then `AIRFLOW_CONN_<CONN_ID>` for connections, in URI
   form (`postgres://user:pw@host:5432/db?sslmode=require`) or JSON form
   (`{"conn_type": "postgres", "host": ...}`);
2. the *runtime backend*: whatever runs the task (the in-process runner behind `dags test`, later
   the task supervisor talking to the metadata store) installs it with `set_runtime_backend`.

Writes (`Variable.set`/`delete`) go to the runtime backend only; a variable also defined in the
environment keeps reading from the environment, and a warning says so. Outside a run there is no
runtime backend: reads see only the environment and writes raise `AirflowException`.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from collections.abc import Iterator, Mapping
from typing import Any, Protocol, runtime_checkable

from slipstream.core.exceptions import AirflowException

__all__ = [
    "CONN_ENV_PREFIXES",
    "VAR_ENV_PREFIXES",
    "InMemoryBackend",
    "RuntimeBackend",
    "delete_variable",
    "get_connection",
    "get_runtime_backend",
    "get_variable",
    "set_runtime_backend",
    "set_variable",
    "use_runtime_backend",
]

log = logging.getLogger(__name__)

VAR_ENV_PREFIXES: tuple[str, ...] = ("SLIPSTREAM_VAR_", "AIRFLOW_VAR_")
CONN_ENV_PREFIXES: tuple[str, ...] = ("SLIPSTREAM_CONN_", "AIRFLOW_CONN_")


@runtime_checkable
class RuntimeBackend(Protocol):
    """The variable and connection store a task runner provides.

    `get_connection` returns the fields of `Connection.as_dict()` (`conn_type`, `host`, `login`,
    `password`, `schema`, `port`, `extra` as a JSON string or dict, `description`) or `None`.
    """

    def get_variable(self, key: str) -> str | None: ...

    def set_variable(self, key: str, value: str, description: str | None = None) -> None: ...

    def delete_variable(self, key: str) -> None: ...

    def get_connection(self, conn_id: str) -> dict[str, Any] | None: ...


_runtime_backend: RuntimeBackend | None = None


def set_runtime_backend(backend: RuntimeBackend | None) -> RuntimeBackend | None:
    """Install `backend` for this process (None removes it); returns the one it replaces."""
    global _runtime_backend
    previous, _runtime_backend = _runtime_backend, backend
    return previous


def get_runtime_backend() -> RuntimeBackend | None:
    """The backend installed by `set_runtime_backend`, or None outside a run."""
    return _runtime_backend


@contextlib.contextmanager
def use_runtime_backend(backend: RuntimeBackend | None) -> Iterator[RuntimeBackend | None]:
    """Install `backend` for the duration of a `with` block, then restore the previous one."""
    previous = set_runtime_backend(backend)
    try:
        yield backend
    finally:
        set_runtime_backend(previous)


def _from_env(prefixes: tuple[str, ...], name: str) -> str | None:
    suffix = name.upper()
    for prefix in prefixes:
        value = os.environ.get(prefix + suffix)
        if value is not None:
            return value
    return None


def get_variable(key: str) -> str | None:
    """The raw (string) value of variable `key`, or None when no source defines it."""
    value = _from_env(VAR_ENV_PREFIXES, key)
    if value is not None:
        return value
    backend = _runtime_backend
    return None if backend is None else backend.get_variable(key)


def get_connection(conn_id: str) -> dict[str, Any] | None:
    """The fields of connection `conn_id` (as `Connection.as_dict()` gives them), or None."""
    raw = _from_env(CONN_ENV_PREFIXES, conn_id)
    if raw is not None:
        from slipstream.sdk.connections import Connection

        return Connection.parse(raw, conn_id=conn_id).as_dict()
    backend = _runtime_backend
    return None if backend is None else backend.get_connection(conn_id)


def set_variable(key: str, value: str, description: str | None = None) -> None:
    """Store variable `key` in the runtime backend."""
    backend = _require_backend(f"set variable {key!r}")
    if _from_env(VAR_ENV_PREFIXES, key) is not None:
        log.warning(
            "The variable %s is defined in an environment variable, which takes precedence over "
            "the stored value: the stored value is updated, but reads keep returning the "
            "environment's",
            key,
        )
    backend.set_variable(key, value, description)


def delete_variable(key: str) -> None:
    """Remove variable `key` from the runtime backend (environment variables are left alone)."""
    _require_backend(f"delete variable {key!r}").delete_variable(key)


def _require_backend(action: str) -> RuntimeBackend:
    backend = _runtime_backend
    if backend is None:
        raise AirflowException(
            f"Cannot {action}: no variable store is available outside a task run "
            f"(environment variables {VAR_ENV_PREFIXES[0]}<KEY> are read-only)"
        )
    return backend


class InMemoryBackend:
    """A dict-based `RuntimeBackend` for tests and `dags test`.

    `variables` values that are not strings are stored as JSON; `connections` values may be
    `Connection` objects, URI or JSON strings, or dicts of connection fields.
    """

    def __init__(
        self,
        variables: Mapping[str, Any] | None = None,
        connections: Mapping[str, Any] | None = None,
    ) -> None:
        self.variables: dict[str, str] = {}
        self.descriptions: dict[str, str | None] = {}
        self.connections: dict[str, dict[str, Any]] = {}
        for key, value in (variables or {}).items():
            self.set_variable(key, value if isinstance(value, str) else json.dumps(value))
        for conn_id, conn in (connections or {}).items():
            self.set_connection(conn_id, conn)

    def __repr__(self) -> str:
        return (
            f"InMemoryBackend(variables={sorted(self.variables)}, "
            f"connections={sorted(self.connections)})"
        )

    def get_variable(self, key: str) -> str | None:
        return self.variables.get(key)

    def set_variable(self, key: str, value: str, description: str | None = None) -> None:
        self.variables[key] = value
        self.descriptions[key] = description

    def delete_variable(self, key: str) -> None:
        self.variables.pop(key, None)
        self.descriptions.pop(key, None)

    def get_connection(self, conn_id: str) -> dict[str, Any] | None:
        conn = self.connections.get(conn_id)
        return None if conn is None else dict(conn)

    def set_connection(self, conn_id: str, conn: Any) -> None:
        """Store a connection given as a `Connection`, a URI or JSON string, or a dict of fields."""
        from slipstream.sdk.connections import Connection

        if isinstance(conn, str):
            conn = Connection.parse(conn, conn_id=conn_id)
        elif isinstance(conn, Mapping):
            conn = Connection.from_dict({**conn, "conn_id": conn_id})
        elif not isinstance(conn, Connection):
            raise TypeError(
                f"connection {conn_id!r} must be a Connection, str or dict, got {conn!r}"
            )
        self.connections[conn_id] = {**conn.as_dict(), "conn_id": conn_id}

    def delete_connection(self, conn_id: str) -> None:
        self.connections.pop(conn_id, None)

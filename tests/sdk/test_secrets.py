"""Where variables and connections come from: environment variables, then the runtime backend."""

from __future__ import annotations

import logging
import os

import pytest

from slipstream.core.exceptions import AirflowException
from slipstream.sdk import secrets
from slipstream.sdk.connections import Connection
from slipstream.sdk.secrets import InMemoryBackend, RuntimeBackend


@pytest.fixture(autouse=True)
def clean_sources(monkeypatch):
    for name in list(os.environ):
        if name.startswith(secrets.VAR_ENV_PREFIXES + secrets.CONN_ENV_PREFIXES):
            monkeypatch.delenv(name)
    previous = secrets.set_runtime_backend(None)
    yield
    secrets.set_runtime_backend(previous)


def test_secret_variable_from_airflow_env_var_with_upper_cased_key(monkeypatch):
    monkeypatch.setenv("AIRFLOW_VAR_MY_KEY", "from-env")
    assert secrets.get_variable("my_key") == "from-env"
    assert secrets.get_variable("other") is None


def test_secret_slipstream_env_var_wins_over_airflow_one(monkeypatch):
    monkeypatch.setenv("AIRFLOW_VAR_K", "airflow")
    monkeypatch.setenv("SLIPSTREAM_VAR_K", "slipstream")
    assert secrets.get_variable("k") == "slipstream"


def test_secret_env_var_wins_over_runtime_backend(monkeypatch):
    secrets.set_runtime_backend(InMemoryBackend(variables={"k": "stored", "only_stored": "s"}))
    monkeypatch.setenv("AIRFLOW_VAR_K", "env")
    assert secrets.get_variable("k") == "env"
    assert secrets.get_variable("only_stored") == "s"


def test_secret_set_variable_needs_a_runtime_backend():
    with pytest.raises(AirflowException, match="Cannot set variable 'k'"):
        secrets.set_variable("k", "v")
    with pytest.raises(AirflowException, match="Cannot delete variable 'k'"):
        secrets.delete_variable("k")


def test_secret_set_variable_shadowed_by_env_warns(monkeypatch, caplog):
    backend = InMemoryBackend()
    secrets.set_runtime_backend(backend)
    monkeypatch.setenv("AIRFLOW_VAR_K", "env")
    with caplog.at_level(logging.WARNING, logger="slipstream.sdk.secrets"):
        secrets.set_variable("k", "stored", "desc")
    assert backend.variables == {"k": "stored"} and backend.descriptions == {"k": "desc"}
    assert "takes precedence" in caplog.text
    assert secrets.get_variable("k") == "env"


def test_secret_use_runtime_backend_restores_previous():
    outer, inner = InMemoryBackend(), InMemoryBackend()
    secrets.set_runtime_backend(outer)
    with secrets.use_runtime_backend(inner) as installed:
        assert installed is inner
        assert secrets.get_runtime_backend() is inner
    assert secrets.get_runtime_backend() is outer
    assert secrets.set_runtime_backend(None) is outer


def test_secret_connection_from_env_uri(monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_MY_DB", "postgresql://user:p%40ss@db.example.com:5432/sales")
    data = secrets.get_connection("my_db")
    assert data is not None
    assert data["conn_type"] == "postgres"
    assert (data["host"], data["port"], data["schema"]) == ("db.example.com", 5432, "sales")
    assert (data["login"], data["password"]) == ("user", "p@ss")
    assert data["conn_id"] == "my_db"


def test_secret_connection_from_env_json(monkeypatch):
    monkeypatch.setenv(
        "SLIPSTREAM_CONN_API",
        ' {"conn_type": "http", "host": "api.example.com", "port": "8080", "extra": {"t": 1}}',
    )
    conn = Connection.from_dict(secrets.get_connection("api"))
    assert (conn.conn_type, conn.host, conn.port) == ("http", "api.example.com", 8080)
    assert conn.extra_dejson == {"t": 1}


def test_secret_connection_env_then_runtime_backend(monkeypatch):
    secrets.set_runtime_backend(
        InMemoryBackend(connections={"a": "http://stored", "b": {"conn_type": "ftp", "host": "h"}})
    )
    monkeypatch.setenv("AIRFLOW_CONN_A", "http://from-env")
    assert secrets.get_connection("a")["host"] == "from-env"
    assert secrets.get_connection("b")["conn_type"] == "ftp"
    assert secrets.get_connection("missing") is None


def test_secret_in_memory_backend_is_a_runtime_backend():
    backend = InMemoryBackend(
        variables={"s": "text", "cfg": {"a": 1}, "n": 5},
        connections={"c": Connection(conn_type="http", host="h"), "j": '{"conn_type": "x"}'},
    )
    assert isinstance(backend, RuntimeBackend)
    assert backend.get_variable("s") == "text"
    assert backend.get_variable("cfg") == '{"a": 1}'
    assert backend.get_variable("n") == "5"
    backend.delete_variable("s")
    backend.delete_variable("never-there")
    assert backend.get_variable("s") is None
    assert backend.get_connection("c")["conn_id"] == "c"
    assert backend.get_connection("j")["conn_type"] == "x"
    returned = backend.get_connection("c")
    returned["host"] = "changed"
    assert backend.get_connection("c")["host"] == "h"
    backend.delete_connection("c")
    assert backend.get_connection("c") is None
    with pytest.raises(TypeError):
        backend.set_connection("bad", 42)
    assert "InMemoryBackend" in repr(backend)

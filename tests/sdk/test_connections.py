"""Connection URI/JSON parsing, lookup, the `conn` template accessor and BaseHook."""

from __future__ import annotations

import json
import logging
import os

import jinja2
import pytest

from slipstream.core.exceptions import AirflowException, AirflowNotFoundException
from slipstream.sdk import secrets
from slipstream.sdk.connections import Connection, ConnectionAccessor
from slipstream.sdk.hooks import BaseHook
from slipstream.sdk.secrets import InMemoryBackend


@pytest.fixture(autouse=True)
def clean_sources(monkeypatch):
    for name in list(os.environ):
        if name.startswith(secrets.CONN_ENV_PREFIXES):
            monkeypatch.delenv(name)
    with secrets.use_runtime_backend(None):
        yield


# -- URI parsing ------------------------------------------------------------------------------


def test_connection_from_uri_all_parts():
    c = Connection.from_uri(
        "my-conn-type://login:password@host:1234/schema?param1=val1&param2=val2", conn_id="c"
    )
    assert c.conn_id == "c"
    assert c.conn_type == "my_conn_type"
    assert (c.login, c.password, c.host, c.port, c.schema) == (
        "login",
        "password",
        "host",
        1234,
        "schema",
    )
    assert c.extra_dejson == {"param1": "val1", "param2": "val2"}


def test_connection_from_uri_percent_decodes_every_part():
    c = Connection(
        uri="mysql://us%3Aer:p%40ss%2Fw%3Ard@db%2Dhost.example.com:3306/my%2Fschema?k=a%20b"
    )
    assert (c.login, c.password) == ("us:er", "p@ss/w:rd")
    assert c.host == "db-host.example.com"
    assert c.schema == "my/schema"
    assert c.extra_dejson == {"k": "a b"}


def test_connection_from_uri_postgresql_is_postgres_and_missing_parts():
    c = Connection.from_uri("postgresql://db")
    assert c.conn_type == "postgres"
    assert (c.login, c.password, c.port, c.extra) == (None, None, None, None)
    assert c.schema == ""
    assert c.extra_dejson == {}


def test_connection_from_uri_extra_json_param():
    extra = {"nested": {"a": [1, 2]}, "flag": True}
    uri = "http://h/?__extra__=" + json.dumps(extra).replace(" ", "%20")
    c = Connection.from_uri(uri)
    assert c.extra_dejson == extra


def test_connection_from_uri_host_with_protocol():
    c = Connection.from_uri("http://https://example.com:8443/api")
    assert c.conn_type == "http"
    assert c.host == "https://example.com"
    assert (c.port, c.schema) == (8443, "api")
    with pytest.raises(AirflowException, match="Invalid connection string"):
        Connection.from_uri("http://user@https://example.com")


def test_connection_from_uri_without_host():
    c = Connection.from_uri(
        "google-cloud-platform://?key_path=%2Fkeys%2Fkey.json&project=airflow&num_retries=5"
    )
    assert c.conn_type == "google_cloud_platform"
    assert c.host == ""
    assert c.extra_dejson == {
        "key_path": "/keys/key.json",
        "project": "airflow",
        "num_retries": "5",
    }


@pytest.mark.parametrize("bad", ["a://b://c://d", "localhost", "my_type://host"])
def test_connection_from_uri_invalid(bad):
    with pytest.raises(AirflowException, match="Invalid connection string"):
        Connection.from_uri(bad)


def test_connection_uri_and_fields_cannot_mix():
    with pytest.raises(AirflowException, match="can't mix"):
        Connection(uri="http://h", host="other")


# -- get_uri ----------------------------------------------------------------------------------


def test_connection_get_uri_with_query_extra():
    c = Connection(
        conn_id="some_conn",
        conn_type="mysql",
        host="myhost.com",
        login="myname",
        password="mypassword",
        extra=json.dumps({"this_param": "some val", "that_param": "other val*"}),
    )
    assert c.get_uri() == (
        "mysql://myname:mypassword@myhost.com/?this_param=some+val&that_param=other+val%2A"
    )


def test_connection_get_uri_uses_extra_json_when_query_cannot_round_trip():
    c = Connection(conn_type="my_type", host="h", schema="s", extra={"nested": {"a": 1}})
    uri = c.get_uri()
    assert uri.startswith("my-type://h/s?__extra__=")
    assert Connection.from_uri(uri).extra_dejson == {"nested": {"a": 1}}


@pytest.mark.parametrize(
    "conn",
    [
        Connection(
            conn_type="postgres", host="h", login="u@x", password="p:w/d", port=5432, schema="db"
        ),
        Connection(conn_type="http", host="https://api.example.com", extra={"timeout": "5"}),
        Connection(conn_type="aws", extra={"region_name": "eu-west-1"}),
        Connection(conn_type="ssh", port=22),
        Connection(conn_type="ftp", login="anon"),
        Connection(conn_type="http", host="http://same-protocol.example.com"),
    ],
)
def test_connection_get_uri_round_trips(conn):
    back = Connection.from_uri(conn.get_uri())
    for field in ("conn_type", "password", "port", "extra_dejson"):
        assert getattr(back, field) == getattr(conn, field), field
    # as in Airflow, absent host/schema (and a login before a bare "@") parse back as ""
    for field in ("login", "host", "schema"):
        assert (getattr(back, field) or None) == getattr(conn, field), field


# -- JSON form, dicts, fields ------------------------------------------------------------------


def test_connection_from_json():
    c = Connection.from_json(
        json.dumps(
            {
                "conn_type": "my-type",
                "login": "u",
                "password": "p",
                "host": "h",
                "port": "1234",
                "schema": "s",
                "extra": {"a": 1},
            }
        ),
        conn_id="j",
    )
    assert (c.conn_id, c.conn_type, c.port) == ("j", "my_type", 1234)
    assert c.extra_dejson == {"a": 1}
    assert c.get_extra() == '{"a": 1}'
    assert c.get_password() == "p"


def test_connection_from_json_rejects_non_objects_and_unknown_fields():
    with pytest.raises(AirflowException):
        Connection.from_json("[1]")
    with pytest.raises(TypeError, match="unknown connection fields"):
        Connection.from_json('{"hostname": "h"}')


def test_connection_parse_dispatches_on_form():
    assert Connection.parse('  {"conn_type": "http"}').conn_type == "http"
    assert Connection.parse("ftp://h").host == "h"


def test_connection_as_dict_to_dict_and_as_json():
    c = Connection(conn_id="x", conn_type="http", host="h", port=80, extra='{"a": 1}')
    assert c.as_dict() == {
        "conn_id": "x",
        "conn_type": "http",
        "description": None,
        "host": "h",
        "login": None,
        "password": None,
        "schema": None,
        "port": 80,
        "extra": '{"a": 1}',
    }
    assert Connection.from_dict(c.as_dict()) == c
    assert c.to_dict()["extra"] == {"a": 1}
    assert json.loads(c.as_json()) == {
        "conn_type": "http",
        "host": "h",
        "port": 80,
        "extra": {"a": 1},
    }
    assert Connection.from_json(c.as_json(), conn_id="x") == c


@pytest.mark.parametrize("port", [-1, 65536, "abc", 1.5])
def test_connection_port_validation(port):
    with pytest.raises(ValueError, match="port"):
        Connection(port=port)


def test_connection_extra_dejson_invalid_json_is_empty_and_logged(caplog):
    with caplog.at_level(logging.ERROR, logger="slipstream.sdk.connections"):
        assert Connection(conn_id="bad", extra="{not json").extra_dejson == {}
    assert "bad" in caplog.text


def test_connection_repr_hides_password():
    assert "secret" not in repr(Connection(conn_id="c", password="secret"))


# -- lookup -----------------------------------------------------------------------------------


def test_connection_get_from_env_uri(monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_WAREHOUSE", "snowflake://u:p@acct/db?warehouse=wh")
    c = Connection.get("warehouse")
    assert (c.conn_id, c.conn_type, c.host, c.schema) == ("warehouse", "snowflake", "acct", "db")
    assert c.extra_dejson == {"warehouse": "wh"}


def test_connection_get_from_env_json(monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_FS_DEFAULT", '{"conn_type": "fs", "extra": {"path": "/tmp"}}')
    c = Connection.get("fs_default")
    assert c.conn_type == "fs"
    assert c.extra_dejson == {"path": "/tmp"}


def test_connection_get_from_runtime_backend():
    with secrets.use_runtime_backend(InMemoryBackend(connections={"db": "postgres://h:5432/x"})):
        c = Connection.get("db")
        assert Connection.get_connection_from_secrets("db") == c
    assert (c.conn_id, c.host, c.port) == ("db", "h", 5432)


def test_connection_missing_raises_not_found():
    with pytest.raises(AirflowNotFoundException, match="The conn_id `nope` isn't defined"):
        Connection.get("nope")


def test_connection_accessor_attribute_get_and_templates(monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_MY_DB", "postgres://u:pw@dbhost:5432/sales?sslmode=require")
    conn = ConnectionAccessor()
    assert conn.my_db.host == "dbhost"
    assert conn.get("missing") is None
    assert conn.get("missing", "fallback") == "fallback"
    with pytest.raises(AirflowNotFoundException):
        conn.missing  # noqa: B018
    with pytest.raises(AttributeError):
        conn.__html__  # noqa: B018
    template = jinja2.Environment().from_string(
        "{{ conn.my_db.host }}:{{ conn.my_db.port }} {{ conn.my_db.login }} "
        "{{ conn.my_db.get_password() }} {{ conn.my_db.extra_dejson.sslmode }} {{ conn.my_db.schema }}"
    )
    assert template.render(conn=conn) == "dbhost:5432 u pw require sales"
    assert conn == ConnectionAccessor() and hash(conn) == hash(ConnectionAccessor())
    assert repr(conn) == "<ConnectionAccessor (dynamic access)>"


# -- BaseHook ---------------------------------------------------------------------------------


class _MyHook(BaseHook):
    conn_name_attr = "my_conn_id"
    default_conn_name = "my_default"
    conn_type = "my"
    hook_name = "My"


def test_connection_via_base_hook(monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_MY_DEFAULT", "my://h")
    assert _MyHook.get_connection("my_default").host == "h"
    assert BaseHook.get_connection("my_default").conn_type == "my"
    with pytest.raises(AirflowNotFoundException):
        BaseHook.get_connection("absent")


def test_connection_hook_log_and_defaults():
    hook = _MyHook()
    assert hook.log.name == f"slipstream.task.hooks.{__name__}._MyHook"
    assert hook.log is hook.log
    assert BaseHook(logger_name="custom").log.name == "custom"
    with pytest.raises(NotImplementedError, match="_MyHook"):
        hook.get_conn()
    assert _MyHook.get_connection_form_widgets() == {}
    assert _MyHook.get_ui_field_behaviour() == {}


def test_connection_hook_subclass_without_super_init_still_logs():
    class Bare(BaseHook):
        def __init__(self):
            pass

    assert Bare().log.name.endswith("Bare")

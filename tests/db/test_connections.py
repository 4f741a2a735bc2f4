"""Connections: stored with password and extra encrypted, exported and imported as Airflow does."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from slipstream.config import Config, generate_fernet_key, load_config
from slipstream.core.exceptions import AirflowBadRequest, AirflowException
from slipstream.db.engine import Database
from slipstream.db.models import Connection as ConnectionRow
from slipstream.db.store import AlreadyExistsError, connections
from slipstream.sdk.connections import Connection


def _pg(conn_id: str = "warehouse") -> Connection:
    return Connection(
        conn_id=conn_id,
        conn_type="postgres",
        description="the warehouse",
        host="db.example.com",
        login="etl",
        password="p@ss:w/rd",
        schema="analytics",
        port=5432,
        extra=json.dumps({"sslmode": "require"}),
    )


def test_add_get_list_delete(any_db: Database, config: Config) -> None:
    with any_db.begin() as session:
        connections.add_connection(session, _pg(), config=config)
        connections.add_connection(
            session, Connection(conn_id="api", conn_type="http", host="h"), config=config
        )
    with any_db.session() as session:
        assert connections.get_connection(session, "warehouse", config=config) == _pg()
        assert connections.get_connection(session, "missing", config=config) is None
        listed = connections.list_connections(session, config=config)
    assert [c.conn_id for c in listed] == ["api", "warehouse"]
    assert listed[0].password is None and listed[0].extra is None
    with any_db.begin() as session:
        assert connections.delete_connection(session, "api") is True
        assert connections.delete_connection(session, "api") is False


def test_add_refuses_an_existing_id_and_set_replaces(any_db: Database, config: Config) -> None:
    with any_db.begin() as session:
        connections.add_connection(session, _pg(), config=config)
    with any_db.begin() as session, pytest.raises(AlreadyExistsError, match="warehouse"):
        connections.add_connection(session, _pg(), config=config)
    replaced = Connection(conn_id="warehouse", conn_type="mysql", host="other")
    with any_db.begin() as session:
        connections.set_connection(session, replaced, config=config)
    with any_db.session() as session:
        assert connections.get_connection(session, "warehouse", config=config) == replaced


def test_password_and_extra_are_encrypted_at_rest(any_db: Database, config: Config) -> None:
    with any_db.begin() as session:
        connections.add_connection(session, _pg(), config=config)
    with any_db.session() as session:
        row = session.scalars(select(ConnectionRow)).one()
    assert row.is_encrypted and row.is_extra_encrypted
    assert row.password and "p@ss" not in row.password
    assert row.extra and "sslmode" not in row.extra
    assert row.login == "etl" and row.host == "db.example.com"


def test_wrong_fernet_key_names_the_connection(sqlite_db: Database, config: Config) -> None:
    with sqlite_db.begin() as session:
        connections.add_connection(session, _pg(), config=config)
    other = load_config(env={"SLIPSTREAM__CORE__FERNET_KEY": generate_fernet_key()})
    with sqlite_db.session() as session, pytest.raises(AirflowException) as caught:
        connections.get_connection(session, "warehouse", config=other)
    assert "connection 'warehouse'" in str(caught.value)
    assert "fernet_key" in str(caught.value)


def test_invalid_connections(sqlite_db: Database, config: Config) -> None:
    with sqlite_db.begin() as session:
        with pytest.raises(AirflowBadRequest, match="conn_type"):
            connections.add_connection(session, Connection(conn_id="x"), config=config)
        with pytest.raises(AirflowBadRequest, match="conn_id"):
            connections.add_connection(session, Connection(conn_type="http"), config=config)
        with pytest.raises(AirflowBadRequest, match="JSON object"):
            connections.add_connection(
                session, Connection(conn_id="x", conn_type="http", extra="not json"), config=config
            )


def test_export_json_and_import_back(any_db: Database, config: Config) -> None:
    with any_db.begin() as session:
        connections.add_connection(session, _pg(), config=config)
        text = connections.export_connections(session, file_format="json", config=config)
    data = json.loads(text)
    assert data == {
        "warehouse": {
            "conn_type": "postgres",
            "description": "the warehouse",
            "host": "db.example.com",
            "login": "etl",
            "password": "p@ss:w/rd",
            "schema": "analytics",
            "port": 5432,
            "extra": '{"sslmode": "require"}',
        }
    }
    parsed = connections.parse_connections_file(text, "json")
    assert parsed == {"warehouse": _pg()}
    with any_db.begin() as session:
        connections.delete_connection(session, "warehouse")
        result = connections.import_connections(session, parsed, config=config)
    assert result.created == ["warehouse"]
    with any_db.session() as session:
        assert connections.get_connection(session, "warehouse", config=config) == _pg()


@pytest.mark.parametrize("serialization", ["uri", "json"])
def test_export_env_round_trips(sqlite_db: Database, config: Config, serialization: str) -> None:
    with sqlite_db.begin() as session:
        connections.add_connection(session, _pg(), config=config)
        text = connections.export_connections(
            session,
            file_format="env",
            serialization=serialization,  # type: ignore[arg-type]
            config=config,
        )
    assert text.startswith("warehouse=")
    parsed = connections.parse_connections_file(text, "env")["warehouse"]
    expected = _pg()
    expected.description = None  # a URI has no description
    if serialization == "json":
        expected.description = "the warehouse"
    assert parsed == expected


def test_import_skips_or_fails_on_existing(sqlite_db: Database, config: Config) -> None:
    with sqlite_db.begin() as session:
        connections.add_connection(session, _pg(), config=config)
    incoming = connections.parse_connections_file(
        "# comment\nwarehouse=mysql://h\nnew=http://example.com\n", "env"
    )
    with sqlite_db.begin() as session:
        result = connections.import_connections(session, incoming, on_existing="skip")
    assert (result.created, result.skipped) == (["new"], ["warehouse"])
    with sqlite_db.begin() as session, pytest.raises(AlreadyExistsError):
        connections.import_connections(session, incoming, on_existing="fail")
    with sqlite_db.session() as session:
        assert connections.get_connection(session, "warehouse", config=config) == _pg()


def test_unparseable_files(sqlite_db: Database) -> None:
    with pytest.raises(AirflowBadRequest, match="line 1"):
        connections.parse_connections_file("no equals sign\n", "env")
    with pytest.raises(AirflowBadRequest, match="JSON"):
        connections.parse_connections_file("{not json", "json")
    with pytest.raises(AirflowBadRequest, match="bad"):
        connections.parse_connections_file('{"bad": 3}', "json")

"""Variables: stored encrypted, imported and exported in Airflow's format, served to tasks."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from slipstream.config import Config, generate_fernet_key, load_config
from slipstream.config.fernet import decrypt
from slipstream.core.exceptions import AirflowBadRequest, AirflowException
from slipstream.db.engine import Database
from slipstream.db.models import Variable as VariableRow
from slipstream.db.store import variables
from slipstream.db.store.variables import DbSecretsBackend, VariableEntry
from slipstream.sdk import secrets
from slipstream.sdk.variables import Variable


def test_set_get_list_delete(any_db: Database, config: Config) -> None:
    with any_db.begin() as session:
        assert variables.set_variable(session, "b", "2", "second", config=config) is True
        assert variables.set_variable(session, "a", "1", config=config) is True
    with any_db.session() as session:
        assert variables.get_variable(session, "a", config=config) == "1"
        assert variables.get_variable(session, "missing", config=config) is None
        assert variables.list_variables(session, config=config) == [
            VariableEntry("a", "1", None),
            VariableEntry("b", "2", "second"),
        ]
    with any_db.begin() as session:
        # replacing a value replaces its description too (as Airflow does)
        assert variables.set_variable(session, "b", "3", config=config) is False
        assert variables.delete_variable(session, "a") is True
        assert variables.delete_variable(session, "a") is False
    with any_db.session() as session:
        assert variables.list_variables(session, config=config) == [VariableEntry("b", "3", None)]


def test_values_are_encrypted_at_rest(any_db: Database, config: Config) -> None:
    with any_db.begin() as session:
        variables.set_variable(session, "token", "s3cr3t-välue", config=config)
    with any_db.session() as session:
        row = session.execute(select(VariableRow.val, VariableRow.is_encrypted)).one()
    assert row.is_encrypted is True
    assert "s3cr3t" not in row.val
    assert decrypt(row.val, config) == "s3cr3t-välue"


def test_plain_rows_written_by_other_tools_are_read(any_db: Database, config: Config) -> None:
    with any_db.begin() as session:
        session.add(VariableRow(key="plain", val="visible", is_encrypted=False))
    with any_db.session() as session:
        assert variables.get_variable(session, "plain", config=config) == "visible"


def test_wrong_fernet_key_names_the_variable_and_the_fix(
    sqlite_db: Database, config: Config
) -> None:
    with sqlite_db.begin() as session:
        variables.set_variable(session, "api_key", "x", config=config)
    other = load_config(env={"SLIPSTREAM__CORE__FERNET_KEY": generate_fernet_key()})
    with sqlite_db.session() as session, pytest.raises(AirflowException) as caught:
        variables.get_variable(session, "api_key", config=other)
    message = str(caught.value)
    assert "variable 'api_key'" in message
    assert "fernet_key" in message
    # rotation: the new key first, the old one still decrypts
    key = config.get("core", "fernet_key")
    rotated = load_config(
        env={"SLIPSTREAM__CORE__FERNET_KEY": f"{other.get('core', 'fernet_key')},{key}"}
    )
    with sqlite_db.session() as session:
        assert variables.get_variable(session, "api_key", config=rotated) == "x"


def test_default_config_is_the_process_config(sqlite_db: Database, config: Config) -> None:
    with sqlite_db.begin() as session:
        variables.set_variable(session, "k", "v")  # the env's key (see the config fixture)
    with sqlite_db.session() as session:
        assert variables.get_variable(session, "k", config=config) == "v"


def test_invalid_keys_and_values(sqlite_db: Database, config: Config) -> None:
    with sqlite_db.begin() as session:
        with pytest.raises(AirflowBadRequest):
            variables.set_variable(session, "", "v", config=config)
        with pytest.raises(AirflowBadRequest):
            variables.set_variable(session, "k" * 251, "v", config=config)
        with pytest.raises(AirflowBadRequest):
            variables.set_variable(session, "k", 3, config=config)  # type: ignore[arg-type]


def test_import_and_export_round_trip(any_db: Database, config: Config) -> None:
    data = {
        "text": "hello",
        "number": 3,
        "listed": [1, "two"],
        "described": {"value": {"a": 1}, "description": "an object"},
        "looks_like_json_string": '"quoted"',
    }
    with any_db.begin() as session:
        result = variables.import_variables(session, data, config=config)
    assert sorted(result.created) == sorted(data)
    with any_db.session() as session:
        assert variables.get_variable(session, "number", config=config) == "3"
        assert variables.get_variable(session, "described", config=config) == '{"a": 1}'
        assert variables.get_variable_entry(session, "described", config=config) == (
            VariableEntry("described", '{"a": 1}', "an object")
        )
        exported = variables.export_variables(session, config=config)
    assert exported == {
        "text": "hello",
        "number": 3,
        "listed": [1, "two"],
        "described": {"value": {"a": 1}, "description": "an object"},
        "looks_like_json_string": '"quoted"',
    }
    with any_db.begin() as session:  # importing the export changes nothing
        again = variables.import_variables(session, exported, config=config)
        assert sorted(again.updated) == sorted(data)
        assert variables.export_variables(session, config=config) == exported


def test_import_on_existing_keys(sqlite_db: Database, config: Config) -> None:
    with sqlite_db.begin() as session:
        variables.set_variable(session, "kept", "old", config=config)
    with sqlite_db.begin() as session:
        result = variables.import_variables(
            session, {"kept": "new", "added": "x"}, on_existing="skip", config=config
        )
    assert (result.created, result.skipped) == (["added"], ["kept"])
    with sqlite_db.begin() as session, pytest.raises(AirflowBadRequest, match="kept"):
        variables.import_variables(
            session, {"kept": "new", "other": "y"}, on_existing="fail", config=config
        )
    with sqlite_db.session() as session:
        assert variables.get_variable(session, "kept", config=config) == "old"
        assert variables.get_variable(session, "other", config=config) is None


def test_db_secrets_backend_serves_tasks(any_db: Database, config: Config) -> None:
    from slipstream.db.store import connections
    from slipstream.sdk.connections import Connection

    backend = DbSecretsBackend(any_db, config)
    assert isinstance(backend, secrets.RuntimeBackend)
    with any_db.begin() as session:
        connections.add_connection(
            session,
            Connection(conn_id="db", conn_type="postgres", host="h", password="pw", port=5432),
            config=config,
        )
    with secrets.use_runtime_backend(backend):
        Variable.set("greeting", "hi", description="says hi")
        assert Variable.get("greeting") == "hi"
        Variable.set("data", {"a": [1]}, serialize_json=True)
        assert Variable.get("data", deserialize_json=True) == {"a": [1]}
        Variable.delete("greeting")
        assert Variable.get("greeting", default="gone") == "gone"
        conn = Connection.get("db")
        assert (conn.host, conn.password, conn.port) == ("h", "pw", 5432)
        assert backend.get_connection("missing") is None

"""`slipstream connections …`: main paths and JSON shapes as a subprocess, the rest in-process
with click's runner."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from subprocess import CompletedProcess

from click.testing import CliRunner, Result

from slipstream.cli.connections_cmd import connections_group
from slipstream.db.engine import Database
from slipstream.db.store import audit

Run = Callable[..., CompletedProcess[str]]

URI = "postgres://etl:p%40ss@db.example.com:5432/analytics?sslmode=require"


def _ok(result: CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def _invoke(*args: str) -> Result:
    return CliRunner().invoke(connections_group, list(args))


def test_add_get_list_delete(run_slipstream: Run, migrated_home: Path) -> None:
    added = _ok(run_slipstream("connections", "add", "warehouse", "--conn-uri", URI))
    assert added == (
        "Successfully added `conn_id`=warehouse : "
        "postgres://etl:***@db.example.com:5432/analytics?sslmode=require\n"
    )
    api = _invoke(
        "add", "api", "--conn-json",
        '{"conn_type": "http", "host": "api.example.com", "extra": {"api_token": "abc"}}',
    )  # fmt: skip
    assert api.exit_code == 0, api.stderr
    shown = json.loads(_ok(run_slipstream("connections", "get", "warehouse", "-o", "json")))
    assert shown == {
        "conn_id": "warehouse",
        "conn_type": "postgres",
        "description": None,
        "host": "db.example.com",
        "login": "etl",
        "password": "***",
        "schema": "analytics",
        "port": 5432,
        "extra": '{"sslmode": "require"}',
    }
    listed = json.loads(_invoke("list", "-o", "json").stdout)
    assert [c["conn_id"] for c in listed] == ["api", "warehouse"]
    assert listed[0]["extra"] == '{"api_token": "***"}'
    deleted = _invoke("delete", "api").stdout
    assert deleted == "Successfully deleted connection with `conn_id`=api\n"

    db = Database(f"sqlite:///{migrated_home}/slipstream.db")
    with db.session() as session:
        events = [(e.event, e.extra or "") for e in audit.list_events(session, newest_first=False)]
    db.dispose()
    assert [name for name, _ in events] == [
        "cli_connections_add",
        "cli_connections_add",
        "cli_connections_delete",
    ]
    assert not any("p@ss" in extra or "abc" in extra for _, extra in events)


def test_fields_secrets_and_errors(migrated_home: Path) -> None:
    added = _invoke(
        "add", "sftp", "--conn-type", "sftp", "--conn-host", "files", "--conn-port", "22",
        "--conn-login", "me", "--conn-password", "pw", "--conn-description", "file drop",
    )  # fmt: skip
    assert added.exit_code == 0, added.stderr
    again = _invoke("add", "sftp", "--conn-type", "sftp")
    assert again.exit_code == 1 and "already exists" in again.stderr
    row = json.loads(_invoke("get", "sftp", "-o", "json").stdout)
    assert (row["password"], row["port"], row["description"]) == ("***", 22, "file drop")
    assert (
        json.loads(_invoke("get", "sftp", "-o", "json", "--show-sensitive").stdout)["password"]
        == "pw"
    )
    assert "sftp" in _invoke("list").stdout
    assert json.loads(_invoke("list", "--conn-id", "nope", "-o", "json").stdout) == []

    mixed = _invoke("add", "x", "--conn-uri", URI, "--conn-host", "h")
    assert mixed.exit_code == 2 and "cannot be mixed" in mixed.stderr
    bare = _invoke("add", "x")
    assert bare.exit_code == 2 and "--conn-type" in bare.stderr
    bad_extra = _invoke("add", "x", "--conn-type", "http", "--conn-extra", "{")
    assert bad_extra.exit_code == 1 and "JSON object" in bad_extra.stderr
    bad_uri = _invoke("add", "x", "--conn-uri", "a://b://c://d://e")
    assert bad_uri.exit_code == 2 and "Invalid connection string" in bad_uri.stderr
    assert _invoke("get", "nope").exit_code == 1
    assert _invoke("delete", "nope").exit_code == 1


def test_export_and_import(run_slipstream: Run, migrated_home: Path, tmp_path: Path) -> None:
    assert _invoke("add", "warehouse", "--conn-uri", URI).exit_code == 0
    as_json = tmp_path / "conns.json"
    assert _invoke("export", str(as_json)).exit_code == 0
    assert json.loads(as_json.read_text())["warehouse"]["password"] == "p@ss"
    as_env = tmp_path / "conns.env"
    _ok(run_slipstream("connections", "export", str(as_env)))
    assert as_env.read_text() == f"warehouse={URI}\n"
    assert _invoke("export", "-", "--format", "env").stdout == as_env.read_text()

    assert _invoke("delete", "warehouse").exit_code == 0
    imported = _invoke("import", str(as_env)).stdout
    assert "Imported connection warehouse" in imported
    assert "already exists" in _invoke("import", str(as_json)).stdout
    assert _invoke("import", str(as_json), "--overwrite").exit_code == 0
    shown = _invoke("get", "warehouse", "-o", "json", "--show-sensitive").stdout
    assert json.loads(shown)["password"] == "p@ss"

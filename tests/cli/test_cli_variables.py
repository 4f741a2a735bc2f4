"""`slipstream variables …` on a migrated home: main paths and JSON shapes as a subprocess,
error paths in-process with click's runner."""

from __future__ import annotations

import getpass
import json
from collections.abc import Callable
from pathlib import Path
from subprocess import CompletedProcess

import pytest
from click.testing import CliRunner, Result

from slipstream.cli.variables_cmd import variables_group
from slipstream.db.engine import Database
from slipstream.db.store import audit

Run = Callable[..., CompletedProcess[str]]


def _ok(result: CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def _invoke(*args: str) -> Result:
    return CliRunner().invoke(variables_group, list(args))


def test_set_get_list_delete(run_slipstream: Run, migrated_home: Path) -> None:
    assert _ok(run_slipstream("variables", "set", "city", "Lyon", "--description", "home")) == (
        "Variable city created\n"
    )
    assert _invoke("set", "cfg", '{"a": [1, 2]}', "--json").exit_code == 0
    assert _invoke("get", "city").stdout == "Lyon\n"
    assert json.loads(_invoke("get", "city", "-o", "json").stdout) == {
        "key": "city",
        "value": "Lyon",
        "description": "home",
    }
    assert json.loads(_ok(run_slipstream("variables", "list", "-o", "json"))) == [
        {"key": "cfg", "value": '{"a": [1, 2]}', "description": None},
        {"key": "city", "value": "Lyon", "description": "home"},
    ]
    assert _invoke("delete", "city").stdout == "Variable city deleted\n"

    db = Database(f"sqlite:///{migrated_home}/slipstream.db")
    with db.session() as session:
        events = audit.list_events(session, newest_first=False)
    db.dispose()
    assert [e.event for e in events] == [
        "cli_variables_set",
        "cli_variables_set",
        "cli_variables_delete",
    ]
    assert {e.owner for e in events} == {getpass.getuser()}
    assert all("Lyon" not in (e.extra or "") for e in events)  # values stay out of the log


def test_get_variants_and_errors(migrated_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert _invoke("set", "city", "Lyon").exit_code == 0
    assert "updated" in _invoke("set", "city", "Paris").stdout
    assert _invoke("set", "cfg", '{"a": 1}', "-j").exit_code == 0
    assert json.loads(_invoke("get", "cfg", "--json").stdout) == {"a": 1}
    assert "Paris" in _invoke("list").stdout

    missing = _invoke("get", "nope")
    assert missing.exit_code == 1 and "Variable nope does not exist" in missing.stderr
    assert _invoke("get", "nope", "--default", "x").stdout == "x\n"
    not_json = _invoke("get", "city", "--json")
    assert not_json.exit_code == 1 and "not valid JSON" in not_json.stderr
    bad = _invoke("set", "k", "{oops", "--json")
    assert bad.exit_code == 2 and "not valid JSON" in bad.stderr
    assert _invoke("delete", "nope").exit_code == 1

    monkeypatch.setenv("AIRFLOW_VAR_CITY", "Oslo")  # the environment wins, as in tasks
    assert _invoke("get", "city").stdout == "Oslo\n"


def test_import_export(run_slipstream: Run, migrated_home: Path, tmp_path: Path) -> None:
    source = tmp_path / "in.json"
    source.write_text(
        json.dumps({"n": 3, "s": "text", "d": {"value": {"k": 1}, "description": "desc"}})
    )
    assert "3 of 3 variables" in _invoke("import", str(source)).stdout
    target = tmp_path / "out.json"
    _ok(run_slipstream("variables", "export", str(target)))
    assert json.loads(target.read_text()) == {
        "d": {"value": {"k": 1}, "description": "desc"},
        "n": 3,
        "s": "text",
    }
    assert json.loads(_invoke("export", "-").stdout) == json.loads(target.read_text())

    skipped = _invoke("import", str(source), "-a", "skip").stdout
    assert "0 of 3" in skipped and "d, n, s" in skipped
    failed = _invoke("import", str(source), "-a", "fail")
    assert failed.exit_code == 1 and "already exist" in failed.stderr
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2]")
    result = _invoke("import", str(bad))
    assert result.exit_code == 1 and "JSON object" in result.stderr

"""`slipstream pools …`: main paths and JSON shapes (Airflow's API field names) as a subprocess,
the rest in-process with click's runner."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from subprocess import CompletedProcess

from click.testing import CliRunner, Result

from slipstream.cli.pools_cmd import pools_group
from slipstream.db.engine import Database
from slipstream.db.store import audit

Run = Callable[..., CompletedProcess[str]]


def _ok(result: CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def _invoke(*args: str) -> Result:
    return CliRunner().invoke(pools_group, list(args))


def test_set_list_get_delete(run_slipstream: Run, migrated_home: Path) -> None:
    assert "etl" in _ok(run_slipstream("pools", "set", "etl", "4", "ETL jobs"))
    listed = json.loads(_ok(run_slipstream("pools", "list", "-o", "json")))
    etl = {
        "name": "etl",
        "slots": 4,
        "description": "ETL jobs",
        "include_deferred": False,
        "running_slots": 0,
        "queued_slots": 0,
        "scheduled_slots": 0,
        "deferred_slots": 0,
        "occupied_slots": 0,
        "open_slots": 4,
    }
    assert listed == [
        {
            **etl,
            "name": "default_pool",
            "slots": 128,
            "open_slots": 128,
            "description": "Default pool",
        },
        etl,
    ]
    assert json.loads(_invoke("get", "etl", "-o", "json").stdout) == [etl]
    assert _invoke("delete", "etl").stdout == "Pool etl deleted\n"

    db = Database(f"sqlite:///{migrated_home}/slipstream.db")
    with db.session() as session:
        events = [e.event for e in audit.list_events(session, newest_first=False)]
    db.dispose()
    assert events == ["cli_pools_set", "cli_pools_delete"]


def test_errors_and_unlimited(migrated_home: Path) -> None:
    refused = _invoke("delete", "default_pool")
    assert refused.exit_code == 1 and "cannot be deleted" in refused.stderr
    bad = _invoke("set", "p", "-5", "x")
    assert bad.exit_code == 1 and "slots" in bad.stderr
    unlimited = _invoke("set", "p", "-1", "no limit", "-o", "json")
    assert json.loads(unlimited.stdout)[0]["open_slots"] == -1
    assert "No data found" not in _invoke("list").stdout
    assert _invoke("get", "nope").exit_code == 1
    assert _invoke("delete", "nope").exit_code == 1


def test_import_export(run_slipstream: Run, migrated_home: Path, tmp_path: Path) -> None:
    source = tmp_path / "pools.json"
    source.write_text(
        json.dumps(
            {
                "etl": {"slots": 4, "description": "ETL"},
                "big": {"slots": -1, "description": "unlimited", "include_deferred": True},
            }
        )
    )
    assert "Uploaded 2 pool(s)" in _invoke("import", str(source)).stdout
    target = tmp_path / "out.json"
    _ok(run_slipstream("pools", "export", str(target)))
    exported = json.loads(target.read_text())
    assert exported == {
        "big": {"slots": -1, "description": "unlimited", "include_deferred": True},
        "default_pool": {"slots": 128, "description": "Default pool", "include_deferred": False},
        "etl": {"slots": 4, "description": "ETL", "include_deferred": False},
    }
    assert json.loads(_invoke("export", "-").stdout) == exported

    source.write_text(json.dumps({"x": {"description": "no slots"}}))
    bad = _invoke("import", str(source))
    assert bad.exit_code == 1 and "slots" in bad.stderr

"""`slipstream config list | get-value` against a temporary SLIPSTREAM_HOME."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from slipstream.cli.config_cmd import config_group


def run(home: Path, *args: str, **env: str) -> tuple[int, str]:
    result = CliRunner().invoke(config_group, list(args), env={"SLIPSTREAM_HOME": str(home), **env})
    return result.exit_code, result.output


def test_list_json_is_sections_of_keys(home: Path) -> None:
    code, out = run(home, "list", "--output", "json", SLIPSTREAM__CORE__PARALLELISM="9")
    assert code == 0, out
    data = json.loads(out)
    assert data["core"]["parallelism"] == "9"
    assert data["core"]["dags_folder"] == str(home / "dags")
    assert data["api"]["port"] == "8080"


def test_list_masks_secrets_unless_asked(home: Path) -> None:
    (home / "slipstream.cfg").write_text(
        "[core]\nfernet_key = topsecret\n[database]\nsql_alchemy_conn = postgresql://u:pw@h/d\n"
    )
    code, out = run(home, "list", "-o", "json")
    assert code == 0, out
    data = json.loads(out)
    assert data["core"]["fernet_key"] == "< hidden >"
    assert data["database"]["sql_alchemy_conn"] == "postgresql://u:***@h/d"
    assert "topsecret" not in out
    code, out = run(home, "list", "-o", "json", "--show-sensitive")
    assert json.loads(out)["core"]["fernet_key"] == "topsecret"


def test_list_one_section_as_table(home: Path) -> None:
    code, out = run(home, "list", "--section", "API", SLIPSTREAM__API__PORT="9000", COLUMNS="200")
    assert code == 0, out
    assert "9000" in out
    assert "env: SLIPSTREAM__API__PORT" in out
    assert "parallelism" not in out
    code, out = run(home, "list", "--section", "api", "-o", "plain")
    assert "api\tport\t8080\tdefault" in out.splitlines()


def test_list_unknown_section(home: Path) -> None:
    code, out = run(home, "list", "--section", "nope")
    assert code == 1
    assert "[nope]" in out


def test_get_value(home: Path) -> None:
    code, out = run(home, "get-value", "core", "parallelism", AIRFLOW__CORE__PARALLELISM="5")
    assert (code, out) == (0, "5\n")
    code, out = run(home, "get-value", "scheduler", "dag_dir_list_interval")
    assert (code, out) == (0, "300\n")


def test_get_value_unknown_exits_1_with_the_reason(home: Path) -> None:
    code, out = run(home, "get-value", "core", "no_such_key")
    assert code == 1
    assert "[core/no_such_key] not found" in out


def test_invalid_configuration_is_reported(home: Path) -> None:
    code, out = run(home, "get-value", "core", "executor", SLIPSTREAM__CORE__PARALLELISM="many")
    assert code == 1
    assert "SLIPSTREAM__CORE__PARALLELISM" in out

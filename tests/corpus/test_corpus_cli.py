"""The corpus through the real `slipstream` command, in a subprocess, as a user runs it.

`dags test --output json` must print only the JSON result on stdout (logs go to stderr) and exit
0 when the run succeeds, 1 when it fails, like `airflow dags test`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .support import BROKEN_FOLDER, CORPUS_ENV, DAGS_FOLDER, RUN_ID, Records

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def _own_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`dags test` records its runs: each test gets a home (and metadata database) of its own."""
    monkeypatch.setenv("SLIPSTREAM_HOME", str(tmp_path / "home"))


def _command() -> list[str]:
    script = Path(sys.executable).with_name("slipstream")
    if script.exists():
        return [str(script)]
    found = shutil.which("slipstream")
    return [found] if found else [sys.executable, "-m", "slipstream.cli.main"]


def slipstream(*args: str, record_file: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **CORPUS_ENV}
    if record_file is not None:
        env["CORPUS_RECORD_FILE"] = str(record_file)
    return subprocess.run(
        [*_command(), *args], capture_output=True, text=True, env=env, timeout=60, check=False
    )


def dags_test(dag_id: str, *extra: str, record_file: Path | None = None):
    return slipstream(
        "dags",
        "test",
        dag_id,
        "2024-03-15",
        "--dags-folder",
        str(DAGS_FOLDER),
        "--output",
        "json",
        *extra,
        record_file=record_file,
    )


def test_dags_test_success_prints_only_json(tmp_path):
    records = Records(tmp_path / "records.jsonl")
    proc = dags_test("corpus_classic_etl", record_file=records.path)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)  # nothing but the JSON document on stdout
    assert proc.stdout.count("\n") <= 1
    assert result["dag_id"] == "corpus_classic_etl"
    assert result["run_id"] == RUN_ID
    assert result["state"] == "success"
    assert [(t["task_id"], t["map_index"], t["state"]) for t in result["tasks"]] == [
        (task_id, -1, "success")
        for task_id in ["start", "extract", "transform", "load", "report", "audit", "end"]
    ]
    assert {t["task_id"]: t["try_number"] for t in result["tasks"]}["load"] == 1
    # The task logs, BashOperator output included, went to stderr.
    assert "loaded 3 rows" in proc.stderr
    assert "loaded 3 rows" not in proc.stdout
    assert records.of("audit") == [{"report": "loaded 3 rows"}]


def test_dags_test_failed_run_exits_1(tmp_path):
    proc = dags_test("corpus_retries", record_file=tmp_path / "records.jsonl")
    assert proc.returncode == 1
    result = json.loads(proc.stdout)
    assert result["state"] == "failed"
    assert {t["task_id"]: (t["state"], t["try_number"]) for t in result["tasks"]} == {
        "flaky": ("success", 3),
        "use": ("success", 1),
        "fatal": ("failed", 1),
        "exhausted": ("failed", 3),
    }
    assert "AirflowFailException" in proc.stderr


def test_dags_test_mapped_task_instances(tmp_path):
    proc = dags_test("corpus_mapping_empty", record_file=tmp_path / "records.jsonl")
    assert proc.returncode == 0, proc.stderr
    tasks = json.loads(proc.stdout)["tasks"]
    assert {"task_id": "process", "map_index": -1, "state": "skipped", "try_number": 0} in tasks


def test_dags_test_conf_reaches_params(tmp_path):
    records = Records(tmp_path / "records.jsonl")
    proc = dags_test("corpus_params", "--conf", '{"count": 7}', record_file=records.path)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["state"] == "success"
    assert records.of("task_params") == [{"mode": "slow", "count": 7}]


def test_dags_test_invalid_conf_fails_without_running(tmp_path):
    records = Records(tmp_path / "records.jsonl")
    proc = dags_test("corpus_params", "--conf", '{"count": 50}', record_file=records.path)
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert "count" in proc.stderr
    assert "50 is greater than the maximum of 10" in proc.stderr
    assert records.all() == []


def test_dags_list_json(corpus_bag):
    proc = slipstream("dags", "list", "--dags-folder", str(DAGS_FOLDER), "--output", "json")
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    assert sorted(row["dag_id"] for row in rows) == corpus_bag.dag_ids
    etl = next(row for row in rows if row["dag_id"] == "corpus_classic_etl")
    assert etl["fileloc"].endswith("classic_etl.py")
    assert etl["owners"] == "data-eng"
    assert etl["tags"] == ["classic", "corpus"]


def test_list_import_errors_of_a_clean_folder():
    proc = slipstream(
        "dags", "list-import-errors", "--dags-folder", str(DAGS_FOLDER), "--output", "json"
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == []


def test_broken_folder_lists_the_good_dag_and_reports_the_rest():
    listed = slipstream("dags", "list", "--dags-folder", str(BROKEN_FOLDER), "--output", "json")
    assert listed.returncode == 0, listed.stderr
    assert [row["dag_id"] for row in json.loads(listed.stdout)] == ["corpus_broken_folder_survivor"]

    proc = slipstream(
        "dags", "list-import-errors", "--dags-folder", str(BROKEN_FOLDER), "--output", "json"
    )
    assert proc.returncode == 1
    errors = {Path(row["filepath"]).name: row for row in json.loads(proc.stdout)}
    assert set(errors) == {
        "cycle.py",
        "group_without_dag.py",
        "ignored_syntax_error.py",
        "provide_context.py",
        "removed_import.py",
        "schedule_interval.py",
        "unsupported_import.py",
    }
    assert errors["ignored_syntax_error.py"]["lineno"] == 9
    assert "SyntaxError" in errors["ignored_syntax_error.py"]["error"]
    assert "airflow.providers.amazon.aws.operators.s3" in errors["unsupported_import.py"]["error"]
    assert "corpus_cycle" in errors["cycle.py"]["error"]
    assert "airflow.operators.dummy_operator" in errors["removed_import.py"]["error"]


def test_dags_test_of_a_broken_dag_names_the_error():
    proc = slipstream(
        "dags", "test", "corpus_cycle", "--dags-folder", str(BROKEN_FOLDER), "--output", "json"
    )
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert "corpus_cycle" in proc.stderr
    assert "cycle.py" in proc.stderr

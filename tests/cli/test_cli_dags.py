"""The `slipstream` command as users run it: a real subprocess on a real DAGs folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

SLIPSTREAM = str(Path(sys.executable).with_name("slipstream"))
EXAMPLES = Path(__file__).resolve().parents[2] / "src" / "slipstream" / "example_dags"


def cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SLIPSTREAM_HOME": str(cwd)} if cwd else None
    return subprocess.run([SLIPSTREAM, *args], capture_output=True, text=True, env=env, cwd=cwd)


@pytest.fixture(autouse=True)
def _own_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`dags test` records its runs: each test gets a home (and metadata database) of its own."""
    monkeypatch.setenv("SLIPSTREAM_HOME", str(tmp_path / "home"))


@pytest.fixture
def dags_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "dags"
    folder.mkdir()
    (folder / "good.py").write_text(
        textwrap.dedent(
            """
            import pendulum
            from airflow.sdk import DAG, task

            with DAG("good", start_date=pendulum.datetime(2024, 1, 1), schedule="@daily"):
                @task
                def hello(ds=None):
                    print("hello on", ds)
                    return ds

                hello()
            """
        )
    )
    (folder / "failing.py").write_text(
        textwrap.dedent(
            """
            from airflow.sdk import DAG
            from airflow.providers.standard.operators.python import PythonOperator

            def explode():
                raise ValueError("bad data")

            with DAG("failing", schedule=None):
                PythonOperator(task_id="explode", python_callable=explode)
            """
        )
    )
    (folder / "broken.py").write_text("from airflow.sdk import DAG\n\nDAG('broken',\n")
    return folder


def test_dags_list_json_lists_good_dags_and_skips_broken_files(dags_folder: Path) -> None:
    proc = cli("dags", "list", "--dags-folder", str(dags_folder), "--output", "json")
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    assert [r["dag_id"] for r in rows] == ["failing", "good"]
    assert rows[1]["fileloc"] == str(dags_folder / "good.py")


def test_list_import_errors_names_file_and_line(dags_folder: Path) -> None:
    proc = cli("dags", "list-import-errors", "--dags-folder", str(dags_folder), "-o", "json")
    assert proc.returncode == 1
    (error,) = json.loads(proc.stdout)
    assert error["filepath"] == str(dags_folder / "broken.py")
    assert error["lineno"] == 3
    assert "SyntaxError" in error["error"]


def test_dags_test_json_output_and_exit_codes(dags_folder: Path) -> None:
    ok = cli("dags", "test", "good", "2024-02-03", "--dags-folder", str(dags_folder), "-o", "json")
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout) == {
        "dag_id": "good",
        "run_id": "manual__2024-02-03T00:00:00+00:00",
        "state": "success",
        "tasks": [{"task_id": "hello", "map_index": -1, "state": "success", "try_number": 1}],
    }
    assert "hello on 2024-02-03" in ok.stderr
    bad = cli("dags", "test", "failing", "--dags-folder", str(dags_folder), "-o", "json")
    assert bad.returncode == 1
    assert json.loads(bad.stdout)["state"] == "failed"
    assert "ValueError: bad data" in bad.stderr


def test_dags_test_unknown_dag_and_bad_conf_are_clear(dags_folder: Path) -> None:
    missing = cli("dags", "test", "nope", "--dags-folder", str(dags_folder))
    assert missing.returncode == 1
    assert "DAG 'nope' not found" in missing.stderr
    assert "broken.py:3" in missing.stderr
    bad_conf = cli("dags", "test", "good", "--conf", "{not json", "--dags-folder", str(dags_folder))
    assert bad_conf.returncode == 2
    assert "--conf" in bad_conf.stderr


def test_tasks_test_runs_one_task(dags_folder: Path) -> None:
    proc = cli("tasks", "test", "good", "hello", "2024-05-06", "--dags-folder", str(dags_folder))
    assert proc.returncode == 0, proc.stderr
    assert "Task hello finished: success" in proc.stdout
    assert "hello on 2024-05-06" in proc.stderr


@pytest.mark.parametrize(
    "dag_id", ["example_etl", "example_taskflow", "example_branching", "example_mapping"]
)
def test_shipped_examples_succeed(dag_id: str) -> None:
    proc = cli("dags", "test", dag_id, "--dags-folder", str(EXAMPLES), "-o", "json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["state"] == "success"


def test_trigger_dag_run_runs_the_target_inline_and_waits(tmp_path: Path) -> None:
    folder = tmp_path / "dags"
    (folder / "sub").mkdir(parents=True)
    (folder / "parent.py").write_text(
        textwrap.dedent(
            """
            from airflow.sdk import DAG
            from airflow.providers.standard.operators.trigger_dagrun import TriggerDagRunOperator

            with DAG("parent", schedule=None):
                TriggerDagRunOperator(
                    task_id="kick", trigger_dag_id="child", conf={"n": 7},
                    wait_for_completion=True, poke_interval=0.01,
                )
            """
        )
    )
    (folder / "sub" / "child.py").write_text(
        textwrap.dedent(
            """
            from airflow.sdk import DAG, task

            with DAG("child", schedule=None):
                @task
                def show(params=None):
                    print("child got", params["n"])

                show()
            """
        )
    )
    proc = cli("dags", "test", "parent", "--dags-folder", str(folder), "-o", "json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["tasks"][0]["state"] == "success"
    assert "child got 7" in proc.stderr

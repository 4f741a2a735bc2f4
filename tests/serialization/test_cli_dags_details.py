"""`slipstream dags details DAG_ID`: the serialized DAG as JSON, or a table of its main attributes."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from slipstream.cli.dags_details import details
from slipstream.serialization import dag_hash, deserialize_dag


@pytest.fixture
def dags_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "dags"
    (folder / "team").mkdir(parents=True)
    (folder / "team" / "report.py").write_text(
        textwrap.dedent(
            """
            import pendulum
            from airflow.sdk import DAG, Param, task

            with DAG(
                "report",
                start_date=pendulum.datetime(2024, 1, 1),
                schedule="@daily",
                description="daily report",
                tags=["reports"],
                params={"day": Param("monday", type="string")},
            ):
                @task
                def build(day=None):
                    return day

                build.expand(day=["a", "b"])
            """
        )
    )
    (folder / "broken.py").write_text("from airflow.sdk import DAG\n\nDAG('broken',\n")
    return folder


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(details, list(args))
    return result.exit_code, result.output


def test_json_output_is_the_serialized_dag(dags_folder: Path) -> None:
    code, output = run("report", "--dags-folder", str(dags_folder), "--output", "json")
    assert code == 0, output
    data = json.loads(output)
    assert data["__version"] == 1
    record = data["dag"]
    assert record["dag_id"] == "report"
    assert record["relative_fileloc"] == "team/report.py"
    assert record["tasks"][0]["is_mapped"] is True
    assert deserialize_dag(data).get_task("build").is_mapped


def test_table_output_shows_the_main_attributes(dags_folder: Path) -> None:
    code, output = run("report", "-S", str(dags_folder))
    assert code == 0, output
    for text in ("dag_id", "report", "daily report", "0 0 * * *", "CronTriggerTimetable", "day"):
        assert text in output
    _, as_json = run("report", "-S", str(dags_folder), "-o", "json")
    assert dag_hash(json.loads(as_json))[:16] in output


def test_unknown_dag_is_an_error_naming_broken_files(dags_folder: Path) -> None:
    code, output = run("nope", "--dags-folder", str(dags_folder))
    assert code == 1
    assert "DAG 'nope' not found" in output
    assert "broken.py" in output

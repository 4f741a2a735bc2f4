"""`/api/v2/dags/{dag_id}/tasks`: a DAG's tasks as its newest stored version describes them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from slipstream.db.engine import Database
from tests.api import dag_files
from tests.scheduler.helpers import Harness

Client = Callable[[str], TestClient]

MAPPED = """
from airflow.sdk import DAG, task

with DAG("mapped", schedule=None, params={"size": 3}):
    @task(retries=1, retry_exponential_backoff=3.5)
    def double(x, size=None):
        return x * 2

    double.expand(x=[1, 2, 3])
"""


@pytest.fixture
def folder(api_db: Database, api_harness: Harness, tmp_path: Path) -> Path:
    folder = tmp_path / "dags"
    dag_files.write(folder, {"etl.py": dag_files.ETL, "mapped.py": MAPPED})
    dag_files.parse_into(api_db, folder, api_harness.clock.now())
    return folder


def test_tasks_of_a_dag(folder: Path, client_as: Client) -> None:
    response = client_as("viewer").get("/api/v2/dags/etl_daily/tasks")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total_entries"] == 2
    extract, load = body["tasks"]
    assert extract["task_id"] == "extract" and load["task_id"] == "load"
    assert extract["downstream_task_ids"] == ["load"] and load["downstream_task_ids"] == []
    assert extract["operator_name"] == "BashOperator"
    assert extract["class_ref"]["class_name"] == "BashOperator"
    assert extract["class_ref"]["module_path"]
    assert extract["owner"] == "alice" and extract["retries"] == 2
    assert extract["retry_delay"] == {
        "__type": "TimeDelta",
        "days": 0,
        "seconds": 120,
        "microseconds": 0,
    }
    assert extract["execution_timeout"] == {
        "__type": "TimeDelta",
        "days": 0,
        "seconds": 3605,
        "microseconds": 0,
    }
    assert extract["retry_exponential_backoff"] == 2.0
    assert extract["priority_weight"] == 5 and extract["weight_rule"] == "downstream"
    assert extract["trigger_rule"] == "all_success"
    assert extract["template_fields"] and "bash_command" in extract["template_fields"]
    assert extract["doc_md"] == "Pulls the orders"
    assert extract["params"]["target"]["value"] == "warehouse"
    assert extract["is_mapped"] is False and extract["extra_links"] == []
    assert extract["depends_on_past"] is False and extract["wait_for_downstream"] is False
    assert load["task_display_name"] == "Load it" and load["pool_slots"] == 2
    assert load["execution_timeout"] is None and load["queue"] == "default"


def test_mapped_task(folder: Path, client_as: Client) -> None:
    task = client_as("viewer").get("/api/v2/dags/mapped/tasks/double").json()
    assert task["is_mapped"] is True and task["retries"] == 1
    assert task["retry_exponential_backoff"] == 3.5
    assert task["params"]["size"]["value"] == 3


@pytest.mark.parametrize(
    ("order_by", "expected"),
    [
        ("task_id", ["extract", "load"]),
        ("-task_id", ["load", "extract"]),
        ("-priority_weight", ["extract", "load"]),
        ("execution_timeout", ["load", "extract"]),
        ("-execution_timeout", ["extract", "load"]),
        ("pool_slots", ["extract", "load"]),
    ],
)
def test_tasks_sorted(folder: Path, client_as: Client, order_by: str, expected: list[str]) -> None:
    response = client_as("viewer").get(f"/api/v2/dags/etl_daily/tasks?order_by={order_by}")
    assert [t["task_id"] for t in response.json()["tasks"]] == expected


def test_bad_sort_field_is_400(folder: Path, client_as: Client) -> None:
    response = client_as("viewer").get("/api/v2/dags/etl_daily/tasks?order_by=secret_sauce")
    assert response.status_code == 400 and "secret_sauce" in response.json()["detail"]


def test_one_task_and_404s(folder: Path, client_as: Client) -> None:
    client = client_as("viewer")
    task = client.get("/api/v2/dags/etl_daily/tasks/load")
    assert task.status_code == 200 and task.json()["task_display_name"] == "Load it"
    missing = client.get("/api/v2/dags/etl_daily/tasks/nope")
    assert missing.status_code == 404
    assert "nope" in missing.json()["detail"] and "etl_daily" in missing.json()["detail"]
    for path in ("/api/v2/dags/ghost/tasks", "/api/v2/dags/ghost/tasks/load"):
        response = client.get(path)
        assert response.status_code == 404 and "ghost" in response.json()["detail"]


def test_tasks_need_a_login(folder: Path, anonymous_client: TestClient) -> None:
    assert anonymous_client.get("/api/v2/dags/etl_daily/tasks").status_code == 401


def test_tasks_follow_the_newest_version(
    folder: Path, api_db: Database, api_harness: Harness, client_as: Client
) -> None:
    (folder / "mapped.py").write_text(
        MAPPED.replace('"double"', '"triple"').replace("double", "triple")
    )
    dag_files.parse_into(api_db, folder, api_harness.clock.now())
    tasks = client_as("viewer").get("/api/v2/dags/mapped/tasks").json()["tasks"]
    assert [t["task_id"] for t in tasks] == ["triple"]


@pytest.mark.integration
def test_official_client_reads_tasks(folder: Path, airflow_client: Callable[[str], Any]) -> None:
    import airflow_client.client as af

    with airflow_client("viewer") as api_client:
        api = af.TaskApi(api_client)
        listed = api.get_tasks("etl_daily", order_by="-task_id")
        assert [t.task_id for t in listed.tasks] == ["load", "extract"]
        assert listed.total_entries == 2
        extract = api.get_task("etl_daily", "extract")
        assert extract.retry_delay is not None and extract.retry_delay.seconds == 120
        assert extract.downstream_task_ids == ["load"]
        mapped = api.get_task("mapped", "double")
        assert mapped.is_mapped is True
        with pytest.raises(af.ApiException) as missing:
            api.get_task("etl_daily", "nope")
        assert missing.value.status == 404

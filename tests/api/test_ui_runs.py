"""`/ui/runs/{dag_id}/{run_id}`: every task instance of one DAG run in one answer, as the run
page's table, its Gantt chart and the graph read them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from slipstream.api.schemas.ui_grid import STATE_PRIORITY
from slipstream.api.schemas.ui_runs import RunTaskInstancesResponse
from slipstream.db.engine import Database
from tests.api import dag_files
from tests.scheduler.helpers import Harness

Client = Callable[[str], TestClient]

PIPELINE = """
from airflow.sdk import DAG, task
from airflow.providers.standard.operators.bash import BashOperator
from airflow.providers.standard.operators.empty import EmptyOperator

with DAG("pipeline", schedule=None):
    extract = EmptyOperator(task_id="extract", task_display_name="Extract it")

    @task
    def item(x):
        return x

    load = BashOperator(task_id="load", bash_command="echo loaded")
    extract >> item.expand(x=list(range({width}))) >> load
"""


@pytest.fixture
def folder(api_db: Database, api_harness: Harness, tmp_path: Path) -> Path:
    folder = tmp_path / "dags"
    dag_files.write(folder, {"pipeline.py": PIPELINE.format(width=3)})
    dag_files.parse_into(api_db, folder, api_harness.clock.now())
    return folder


def run_tis(client: TestClient, dag_id: str, run_id: str) -> dict[str, Any]:
    response = client.get(f"/ui/runs/{dag_id}/{run_id}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    RunTaskInstancesResponse.model_validate(body)  # the documented schema
    return body


def test_every_task_instance_of_the_run(
    folder: Path, api_harness: Harness, client_as: Client
) -> None:
    run_id = api_harness.trigger("pipeline")
    api_harness.run_to_end(
        {"item": lambda h, w: h.finish(w, "failed" if w.map_index else "success")}
    )
    body = run_tis(client_as("viewer"), "pipeline", run_id)
    assert (body["dag_id"], body["run_id"], body["state"]) == ("pipeline", run_id, "failed")
    assert body["state_priority"] == list(STATE_PRIORITY)
    assert body["total_entries"] == 5
    listed = [(ti["task_id"], ti["map_index"], ti["state"]) for ti in body["task_instances"]]
    assert sorted(listed, key=lambda ti: (ti[0], ti[1])) == [
        ("extract", -1, "success"),
        ("item", 0, "success"),
        ("item", 1, "failed"),
        ("item", 2, "failed"),
        ("load", -1, "upstream_failed"),
    ]
    assert [ti[1] for ti in listed if ti[0] == "item"] == [0, 1, 2]  # in index order
    by_task = {(ti["task_id"], ti["map_index"]): ti for ti in body["task_instances"]}
    extract, first_item = by_task["extract", -1], by_task["item", 0]
    assert (
        extract["task_display_name"] == "Extract it" and extract["operator_name"] == "EmptyOperator"
    )
    assert first_item["task_display_name"] == "item" and first_item["operator_name"] == "@task"
    assert extract["try_number"] == 1 and extract["max_tries"] == 0
    assert extract["start_date"] and extract["end_date"] and extract["duration"] is not None
    assert extract["queued_when"] is not None
    assert by_task["load", -1]["queued_when"] is None  # never queued: null, not left out


def test_a_waiting_run_lists_task_instances_without_state(
    folder: Path, api_harness: Harness, client_as: Client
) -> None:
    run_id = api_harness.trigger("pipeline")
    api_harness.tick()
    body = run_tis(client_as("viewer"), "pipeline", run_id)
    states = {ti["task_id"]: ti["state"] for ti in body["task_instances"]}
    assert states["extract"] in {"scheduled", "queued"}
    assert states["load"] is None and states["item"] is None  # the mapped task's placeholder
    assert body["state"] in {"queued", "running"}


def test_unknown_dag_or_run_and_login(
    folder: Path, api_harness: Harness, client_as: Client, anonymous_client: TestClient
) -> None:
    run_id = api_harness.trigger("pipeline")
    client = client_as("viewer")
    missing_dag = client.get(f"/ui/runs/no_such_dag/{run_id}")
    assert missing_dag.status_code == 404 and "no_such_dag" in missing_dag.json()["detail"]
    missing_run = client.get("/ui/runs/pipeline/no_such_run")
    assert missing_run.status_code == 404 and "no_such_run" in missing_run.json()["detail"]
    assert anonymous_client.get(f"/ui/runs/pipeline/{run_id}").status_code == 401


def test_a_large_run_in_one_answer_and_a_fixed_number_of_queries(
    folder: Path, api_db: Database, api_harness: Harness, client_as: Client
) -> None:
    client = client_as("viewer")

    def count_selects(run_id: str) -> tuple[int, dict[str, Any]]:
        statements: list[str] = []

        def collect(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            if statement.lstrip().upper().startswith(("SELECT", "WITH")):
                statements.append(statement)

        event.listen(api_db.engine, "before_cursor_execute", collect)
        try:
            body = run_tis(client, "pipeline", run_id)
        finally:
            event.remove(api_db.engine, "before_cursor_execute", collect)
        return len(statements), body

    small = api_harness.trigger("pipeline")
    api_harness.run_to_end()
    run_tis(client, "pipeline", small)  # the run's DAG version is deserialized from here on
    small_count, _ = count_selects(small)

    api_harness.clock.advance(dt.timedelta(minutes=1))
    dag_files.write(folder, {"pipeline.py": PIPELINE.format(width=250)})
    dag_files.parse_into(api_db, folder, api_harness.clock.now())
    large = api_harness.trigger("pipeline")
    api_harness.run_to_end()
    run_tis(client, "pipeline", large)
    large_count, body = count_selects(large)
    assert body["total_entries"] == len(body["task_instances"]) == 252
    indexes = [ti["map_index"] for ti in body["task_instances"] if ti["task_id"] == "item"]
    assert indexes == list(range(250))
    # the token's user, the DAG's row, the run, its task instances
    assert small_count == large_count == 4

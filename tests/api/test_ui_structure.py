"""`/ui/structure/{dag_id}`: a stored DAG version's tasks, task groups and labelled edges, as
the web UI's graph draws them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from slipstream.db.engine import Database
from tests.api import dag_files
from tests.scheduler.helpers import Harness

Client = Callable[[str], TestClient]

GROUPED = """
from airflow.sdk import DAG, Label, TaskGroup, task, task_group
from airflow.providers.standard.operators.empty import EmptyOperator

with DAG("grouped", schedule=None):
    start = EmptyOperator(task_id="start")
    with TaskGroup("prepare", tooltip="Gets things ready") as prepare:
        fetch = EmptyOperator(task_id="fetch")
        with TaskGroup("inner") as inner:
            EmptyOperator(task_id="clean")
        fetch >> inner

    @task
    def double(x):
        return 2 * x

    @task_group
    def notify():
        'Tells the team'
        EmptyOperator(task_id="mail")

    doubled = double.expand(x=[1, 2])
    end = EmptyOperator(task_id="end")
    report = EmptyOperator(task_id="report", task_display_name="Report it")
    start >> Label("go") >> prepare >> doubled >> Label("done") >> end
    start >> report
    end >> notify()
"""


@pytest.fixture
def folder(api_db: Database, api_harness: Harness, tmp_path: Path) -> Path:
    folder = tmp_path / "dags"
    dag_files.write(folder, {"grouped.py": GROUPED, "report.py": dag_files.REPORT})
    dag_files.parse_into(api_db, folder, api_harness.clock.now())
    return folder


def structure(client: TestClient, dag_id: str, **query: Any) -> dict[str, Any]:
    response = client.get(f"/ui/structure/{dag_id}", params=query)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_tasks_in_dag_order_with_their_groups(folder: Path, client_as: Client) -> None:
    body = structure(client_as("viewer"), "grouped")
    assert body["dag_id"] == "grouped" and body["version_number"] == 1
    nodes = {node["id"]: node for node in body["nodes"]}
    # Upstream first within each group; a group's tasks stay together.
    assert [node["id"] for node in body["nodes"]] == [
        "start",
        "prepare.fetch",
        "prepare.inner.clean",
        "double",
        "end",
        "report",
        "notify.mail",
    ]
    assert nodes["prepare.inner.clean"] == {
        "id": "prepare.inner.clean",
        "label": "clean",
        "operator": "EmptyOperator",
        "is_mapped": False,
        "group_id": "prepare.inner",
        "setup_teardown": None,
    }
    assert nodes["start"]["group_id"] is None
    assert nodes["report"]["label"] == "Report it"
    assert nodes["double"]["is_mapped"] is True and nodes["double"]["operator"] == "@task"
    assert body["groups"] == [
        {
            "id": "prepare",
            "label": "prepare",
            "parent_id": None,
            "tooltip": "Gets things ready",
            "is_mapped": False,
        },
        {
            "id": "prepare.inner",
            "label": "inner",
            "parent_id": "prepare",
            "tooltip": None,
            "is_mapped": False,
        },
        {
            "id": "notify",
            "label": "notify",
            "parent_id": None,
            "tooltip": "Tells the team",
            "is_mapped": False,
        },
    ]


def test_edges_with_their_labels(folder: Path, client_as: Client) -> None:
    edges = {
        (edge["source_id"], edge["target_id"]): edge["label"]
        for edge in structure(client_as("viewer"), "grouped")["edges"]
    }
    assert edges == {
        ("start", "prepare.fetch"): "go",
        ("start", "report"): None,
        ("prepare.fetch", "prepare.inner.clean"): None,
        ("prepare.inner.clean", "double"): None,
        ("double", "end"): "done",
        ("end", "notify.mail"): None,
    }


def test_setup_and_teardown(
    api_db: Database, api_harness: Harness, tmp_path: Path, client_as: Client
) -> None:
    source = """
    from airflow.sdk import DAG, setup, teardown, task

    with DAG("with_setup", schedule=None):
        @setup
        def create():
            pass

        @task
        def work():
            pass

        @teardown
        def delete():
            pass

        made, deleted = create(), delete()
        made >> work() >> deleted
        made >> deleted
    """
    dag_files.write(tmp_path / "dags", {"setup.py": source})
    dag_files.parse_into(api_db, tmp_path / "dags", api_harness.clock.now())
    body = structure(client_as("viewer"), "with_setup")
    kinds = {node["id"]: node["setup_teardown"] for node in body["nodes"]}
    assert kinds == {"create": "setup", "work": None, "delete": "teardown"}
    flagged = {(e["source_id"], e["target_id"]) for e in body["edges"] if e["is_setup_teardown"]}
    assert flagged == {("create", "delete")}


def test_versions(folder: Path, api_db: Database, api_harness: Harness, client_as: Client) -> None:
    (folder / "report.py").write_text(dag_files.REPORT.replace('"send"', '"mail"'))
    dag_files.parse_into(api_db, folder, api_harness.clock.now())
    client = client_as("viewer")
    newest = structure(client, "report")
    assert newest["version_number"] == 2
    assert [node["id"] for node in newest["nodes"]] == ["build", "mail"]
    old = structure(client, "report", version_number=1)
    assert old["version_number"] == 1
    assert [node["id"] for node in old["nodes"]] == ["build", "send"]
    assert old["edges"] == [
        {"source_id": "build", "target_id": "send", "label": None, "is_setup_teardown": False}
    ]


@pytest.mark.parametrize(
    ("path", "words"),
    [
        ("/ui/structure/nope", ["nope", "not found"]),
        ("/ui/structure/report?version_number=7", ["report", "no version 7"]),
    ],
)
def test_unknown_dag_or_version(
    folder: Path, client_as: Client, path: str, words: list[str]
) -> None:
    response = client_as("viewer").get(path)
    assert response.status_code == 404
    assert all(word in response.json()["detail"] for word in words)


def test_bad_version_number(folder: Path, client_as: Client) -> None:
    response = client_as("viewer").get("/ui/structure/report?version_number=0")
    assert response.status_code == 422
    assert "version_number" in response.text


def test_needs_a_login(folder: Path, anonymous_client: TestClient) -> None:
    assert anonymous_client.get("/ui/structure/report").status_code == 401


def test_a_fixed_number_of_queries(folder: Path, api_db: Database, client_as: Client) -> None:
    client = client_as("viewer")
    statements: list[str] = []

    def collect(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    structure(client, "grouped")  # the user's session check and the DAG's cache warm up
    event.listen(api_db.engine, "before_cursor_execute", collect)
    try:
        structure(client, "grouped")
    finally:
        event.remove(api_db.engine, "before_cursor_execute", collect)
    # the token's user, the DAG's row, the version (its data is cached)
    assert len(statements) == 3, statements

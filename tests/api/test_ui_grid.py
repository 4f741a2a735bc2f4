"""`/ui/grid/{dag_id}`: a DAG's newest runs, its task tree and every task's and group's state
in each run, as the web UI's grid shows them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from slipstream.api.schemas.ui_grid import GridResponse
from slipstream.db.engine import Database
from tests.api import dag_files
from tests.scheduler.helpers import Harness

Client = Callable[[str], TestClient]

# In the group, `b` is added before `a` but runs after it: the grid lists `a` first.
GRID = """
from airflow.sdk import DAG, TaskGroup, task
from airflow.providers.standard.operators.empty import EmptyOperator

with DAG("grid", schedule=None):
    start = EmptyOperator(task_id="start")
    with TaskGroup("work") as work:
        b = EmptyOperator(task_id="b", task_display_name="Second step")
        a = EmptyOperator(task_id="a")
        a >> b

    @task
    def double(x):
        return 2 * x

    end = EmptyOperator(task_id="end")
    start >> work >> double.expand(x=[1, 2, 3]) >> end
"""

CHAIN = """
from airflow.sdk import DAG
from airflow.providers.standard.operators.empty import EmptyOperator

with DAG("chain", schedule=None):
    EmptyOperator(task_id="first") >> EmptyOperator(task_id="{second}")
"""


@pytest.fixture
def folder(api_db: Database, api_harness: Harness, tmp_path: Path) -> Path:
    folder = tmp_path / "dags"
    files = {"grid.py": GRID, "chain.py": CHAIN.format(second="second")}
    dag_files.write(folder, files)
    dag_files.parse_into(api_db, folder, api_harness.clock.now())
    return folder


def grid(client: TestClient, dag_id: str, **query: Any) -> dict[str, Any]:
    response = client.get(f"/ui/grid/{dag_id}", params=query)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def failing_index(index: int) -> Callable[[Harness, Any], None]:
    """An outcome failing one map index of a mapped task and passing the others."""
    return lambda h, w: h.finish(w, "failed" if w.map_index == index else "success")


def run_grid(harness: Harness, outcomes: dict[str, Any] | None = None) -> str:
    run_id = harness.trigger("grid")
    harness.run_to_end(outcomes)
    harness.clock.advance(dt.timedelta(minutes=5))
    return run_id


def test_the_task_tree(folder: Path, client_as: Client) -> None:
    body = grid(client_as("viewer"), "grid")
    assert body["dag_id"] == "grid" and body["runs"] == [] and body["total_entries"] == 0
    assert body["nodes"] == [
        {"id": "start", "label": "start", "type": "task", "operator": "EmptyOperator",
         "is_mapped": False},
        {
            "id": "work",
            "label": "work",
            "type": "group",
            "is_mapped": False,
            "children": [
                {"id": "work.a", "label": "a", "type": "task", "operator": "EmptyOperator",
                 "is_mapped": False},
                {"id": "work.b", "label": "Second step", "type": "task",
                 "operator": "EmptyOperator", "is_mapped": False},
            ],
        },
        {"id": "double", "label": "double", "type": "task", "operator": "@task",
         "is_mapped": True},
        {"id": "end", "label": "end", "type": "task", "operator": "EmptyOperator",
         "is_mapped": False},
    ]  # fmt: skip


def test_states_of_tasks_groups_and_map_indexes(
    folder: Path, api_harness: Harness, client_as: Client
) -> None:
    passed = run_grid(api_harness)
    failed = run_grid(api_harness, {"double": failing_index(1)})
    body = grid(client_as("viewer"), "grid")
    assert [run["run_id"] for run in body["runs"]] == [failed, passed]  # newest first
    GridResponse.model_validate(body, strict=False)  # the documented schema
    newest, oldest = body["runs"]
    assert newest["state"] == "failed" and oldest["state"] == "success"
    assert newest["run_type"] == "manual" and newest["duration"] is not None

    cells = oldest["cells"]
    assert set(cells) == {"start", "work", "work.a", "work.b", "double", "end"}
    assert cells["start"]["state"] == "success" and cells["start"]["try_number"] == 1
    assert cells["start"]["duration"] >= 0 and "state_counts" not in cells["start"]
    assert cells["work"]["state"] == "success"
    assert cells["work"]["state_counts"] == {"success": 2}
    assert cells["double"]["state_counts"] == {"success": 3}

    cells = newest["cells"]
    double = cells["double"]
    assert double["state"] == "failed" and double["state_counts"] == {"success": 2, "failed": 1}
    assert double["map_count"] == 3 and double["try_number"] == 1 and "start_date" in double
    assert "instances" not in double  # collapsed: its map indexes are only counted
    assert cells["end"]["state"] == "upstream_failed"

    # Expanded: one entry per map index, the counts unchanged.
    body = grid(client_as("viewer"), "grid", expanded=["double", "work.a", "no_such_task"])
    GridResponse.model_validate(body, strict=False)
    double = body["runs"][0]["cells"]["double"]
    assert double["state_counts"] == {"success": 2, "failed": 1} and double["map_count"] == 3
    assert [(i["map_index"], i["state"]) for i in double["instances"]] == [
        (0, "success"),
        (1, "failed"),
        (2, "success"),
    ]
    assert all(i["try_number"] == 1 and "start_date" in i for i in double["instances"])
    assert "instances" not in body["runs"][0]["cells"]["work.a"]  # not a mapped task
    assert body["runs"][1]["cells"]["double"]["state_counts"] == {"success": 3}


MAPPED_GROUP = """
from airflow.sdk import DAG, TaskGroup, task

with DAG("wide", schedule=None):

    @task
    def item(x):
        return x

    @task
    def first():
        return 0

    with TaskGroup("fan") as fan:
        item.expand(x=list(range({width})))
    first() >> fan
"""


def test_a_collapsed_mapped_task_sends_counts_not_its_indexes(
    folder: Path, api_db: Database, api_harness: Harness, client_as: Client
) -> None:
    dag_files.write(folder, {"wide.py": MAPPED_GROUP.format(width=40)})
    dag_files.parse_into(api_db, folder, api_harness.clock.now())
    api_harness.trigger("wide")
    api_harness.run_to_end({"fan.item": failing_index(7)})
    client = client_as("viewer")

    response = client.get("/ui/grid/wide")
    assert response.status_code == 200
    cells = response.json()["runs"][0]["cells"]
    assert cells["fan.item"] == {
        "state": "failed",
        "try_number": 1,
        "start_date": cells["fan.item"]["start_date"],
        "end_date": cells["fan.item"]["end_date"],
        "duration": cells["fan.item"]["duration"],
        "state_counts": {"success": 39, "failed": 1},
        "map_count": 40,
    }
    assert cells["fan"]["state"] == "failed"
    assert cells["fan"]["state_counts"] == {"success": 39, "failed": 1}
    assert b'"map_index"' not in response.content  # no index is listed one by one

    expanded = grid(client, "wide", expanded=["fan.item"])["runs"][0]["cells"]
    assert [i["map_index"] for i in expanded["fan.item"]["instances"]] == list(range(40))
    assert expanded["fan.item"]["instances"][7]["state"] == "failed"
    assert expanded["fan"] == cells["fan"]


def test_a_group_shows_its_most_telling_state(
    folder: Path, api_harness: Harness, client_as: Client
) -> None:
    api_harness.trigger("grid")
    api_harness.tick()
    api_harness.play("start")
    api_harness.tick()
    body = grid(client_as("admin"), "grid")
    cells = body["runs"][0]["cells"]
    assert cells["start"]["state"] == "success"
    assert cells["work.a"]["state"] in {"scheduled", "queued"}
    assert cells["work.b"].get("state") is None  # no state yet: the field is left out
    assert cells["work"]["state"] == cells["work.a"]["state"]
    assert "duration" not in cells["work"]
    # Before it expands, a mapped task is its placeholder alone.
    assert cells["double"].get("state") is None and cells["double"]["map_count"] == 0
    assert cells["double"]["state_counts"] == {"none": 1}
    expanded = grid(client_as("admin"), "grid", expanded=["double"])["runs"][0]["cells"]
    assert expanded["double"]["instances"] == []
    assert body["runs"][0]["state"] == "running"

    api_harness.clock.advance(dt.timedelta(minutes=1))
    skipping = api_harness.trigger("grid")
    api_harness.run_to_end({"work.a": "skipped"})
    run = grid(client_as("admin"), "grid", limit=1)["runs"][0]
    assert run["run_id"] == skipping
    cells = run["cells"]
    assert cells["work.a"]["state"] == "skipped"
    assert cells["work"]["state_counts"] == {"skipped": 2}
    assert cells["work"]["state"] == "skipped"


def test_pages_of_runs(folder: Path, api_harness: Harness, client_as: Client) -> None:
    client = client_as("viewer")
    run_ids = []
    for _ in range(5):
        run_ids.append(api_harness.trigger("chain"))
        api_harness.clock.advance(dt.timedelta(minutes=1))
    newest_first = run_ids[::-1]
    body = grid(client, "chain", limit=2)
    assert [r["run_id"] for r in body["runs"]] == newest_first[:2]
    assert body["total_entries"] == 5
    body = grid(client, "chain", limit=2, offset=2)
    assert [r["run_id"] for r in body["runs"]] == newest_first[2:4]
    third = grid(client, "chain")["runs"][2]
    body = grid(client, "chain", run_after_lte=third["run_after"])
    assert [r["run_id"] for r in body["runs"]] == newest_first[2:]
    assert body["total_entries"] == 3
    assert len(grid(client, "chain")["runs"]) == 5  # 25 by default
    assert grid(client, "chain", offset=5)["runs"] == []


@pytest.mark.parametrize("query", [{"limit": 0}, {"limit": 101}, {"offset": -1},
                                   {"run_after_lte": "yesterday"},
                                   {"expanded": [f"t{n}" for n in range(501)]}])  # fmt: skip
def test_bad_queries_are_refused(folder: Path, client_as: Client, query: dict[str, Any]) -> None:
    response = client_as("viewer").get("/ui/grid/chain", params=query)
    assert response.status_code == 422, response.text
    assert next(iter(query)) in response.text


def test_tasks_of_older_versions_stay_in_old_runs(
    folder: Path, api_db: Database, api_harness: Harness, client_as: Client
) -> None:
    old_run = api_harness.trigger("chain")
    api_harness.run_to_end()
    api_harness.clock.advance(dt.timedelta(minutes=1))
    dag_files.write(folder, {"chain.py": CHAIN.format(second="renamed")})
    dag_files.parse_into(api_db, folder, api_harness.clock.now())
    new_run = api_harness.trigger("chain")
    api_harness.run_to_end()

    body = grid(client_as("viewer"), "chain")
    assert [node["id"] for node in body["nodes"]] == ["first", "renamed", "second"]
    new, old = body["runs"]
    assert (new["run_id"], old["run_id"]) == (new_run, old_run)
    assert set(new["cells"]) == {"first", "renamed"}
    assert set(old["cells"]) == {"first", "second"}
    assert old["cells"]["second"]["state"] == "success"
    # A page of newer runs only shows the newest version's tasks.
    assert [node["id"] for node in grid(client_as("viewer"), "chain", limit=1)["nodes"]] == [
        "first",
        "renamed",
    ]


def test_unknown_dag_and_login(
    folder: Path, client_as: Client, anonymous_client: TestClient
) -> None:
    response = client_as("viewer").get("/ui/grid/no_such_dag")
    assert response.status_code == 404
    assert "no_such_dag" in response.json()["detail"]
    assert anonymous_client.get("/ui/grid/chain").status_code == 401


def test_a_fixed_number_of_queries(
    folder: Path, api_db: Database, api_harness: Harness, client_as: Client
) -> None:
    client = client_as("viewer")

    def count_selects(**query: Any) -> int:
        statements: list[str] = []

        def collect(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            if statement.lstrip().upper().startswith(("SELECT", "WITH")):
                statements.append(statement)

        event.listen(api_db.engine, "before_cursor_execute", collect)
        try:
            grid(client, "grid", **query)
        finally:
            event.remove(api_db.engine, "before_cursor_execute", collect)
        return len(statements)

    run_grid(api_harness)
    grid(client, "grid")  # the DAG's deserialized version is cached from here on
    one_run = count_selects()
    for _ in range(3):
        run_grid(api_harness, {"double": failing_index(0)})
    assert count_selects() == one_run
    assert count_selects(expanded=["double"]) == one_run
    # the token's user, the DAG's row, the newest version, the runs, their count, their TIs,
    # their mapped tasks' map indexes counted per state
    assert one_run == 7

"""The main views of a DAG that really ran, as the screenshots in docs/ and the README show
them: the grid, the graph and a failed task's log, against `slipstream standalone`.

`SLIPSTREAM_UI_SCREENSHOTS=docs .venv/bin/python -m pytest -q tests/ui/test_screenshots.py`
writes docs/ui-grid.png, docs/ui-graph.png and docs/ui-task-log.png; otherwise the
screenshots go to a temporary folder. Either way each view is checked before it is taken.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.api.conftest import LiveApi
from tests.ui.conftest import api, api_get, take_screenshot

pytestmark = pytest.mark.integration

Login = Callable[[Any, str], None]

SALES = """
import pendulum
from airflow.sdk import DAG, Label, Param, task, task_group
from airflow.providers.standard.operators.bash import BashOperator
from airflow.providers.standard.operators.empty import EmptyOperator

with DAG(
    "sales_report",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    tags=["sales", "daily"],
    params={
        "region": Param("emea", enum=["emea", "amer", "apac"], description="Where to report"),
        "fail": Param(False, type="boolean", description="Make the publish step fail"),
    },
    doc_md="The daily sales report: extract, aggregate per region, publish.",
):
    start = EmptyOperator(task_id="start")

    @task_group
    def extract():
        orders = BashOperator(task_id="orders", bash_command="echo orders of {{ params.region }}")
        customers = BashOperator(task_id="customers", bash_command="echo customers")
        return [orders, customers]

    @task
    def regions():
        return ["emea", "amer", "apac"]

    @task
    def aggregate(region):
        print(f"aggregating {region}")
        return len(region)

    @task
    def publish(totals, **context):
        print(f"publishing {sum(totals)} rows")
        if context["params"]["fail"]:
            raise RuntimeError("the report server refused the upload (HTTP 503)")

    totals = aggregate.expand(region=regions())
    start >> Label("daily") >> extract() >> totals
    publish(totals)
"""

LIVE_DAG_FILES = {"sales.py": SALES}
LIVE_DAG_IDS = ["sales_report"]


@pytest.fixture(scope="module")
def runs(live_server: LiveApi) -> list[str]:
    """Two runs that succeeded and a third whose publish step failed, all finished."""
    response = api(live_server, "PATCH", "/api/v2/dags/sales_report", json={"is_paused": False})
    assert response.status_code == 200, response.text
    run_ids = []
    for fail in (False, False, True):
        body = {"logical_date": None, "conf": {"fail": fail}}
        response = api(live_server, "POST", "/api/v2/dags/sales_report/dagRuns", json=body)
        assert response.status_code == 200, response.text
        run_ids.append(response.json()["dag_run_id"])
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        listed = api_get(live_server, "/api/v2/dags/sales_report/dagRuns")["dag_runs"]
        states = {run["dag_run_id"]: run["state"] for run in listed}
        if all(states.get(run_id) in ("success", "failed") for run_id in run_ids):
            assert [states[run_id] for run_id in run_ids] == ["success", "success", "failed"]
            return run_ids
        time.sleep(0.2)
    raise AssertionError(f"the runs did not finish within 60 s: {states}")


def test_screenshot_of_the_grid(
    page: Any, live_login: Login, live_server: LiveApi, runs: list[str], tmp_path: Path
) -> None:
    live_login(page, "admin")
    page.goto(f"{live_server.url}/dags/sales_report")
    expect(page.locator(".grid-bar")).to_have_count(3)
    expect(page.locator('.grid-row[data-row-id="publish"] .gc.state-failed')).to_have_count(1)
    expect(page.locator('.grid-row[data-row-id="publish"] .gc.state-success')).to_have_count(2)
    take_screenshot(page, "ui-grid.png", tmp_path)


def test_screenshot_of_the_graph(
    page: Any, live_login: Login, live_server: LiveApi, runs: list[str], tmp_path: Path
) -> None:
    live_login(page, "admin")
    page.goto(f"{live_server.url}/dags/sales_report/graph")
    expect(page.locator(".graph-node")).to_have_count(6)
    expect(page.locator(".graph-cluster")).to_have_count(1)
    expect(page.locator(".graph-edge-label")).to_have_text(["daily", "daily"])
    take_screenshot(page, "ui-graph.png", tmp_path)


def test_screenshot_of_a_failed_tasks_log(
    page: Any, live_login: Login, live_server: LiveApi, runs: list[str], tmp_path: Path
) -> None:
    live_login(page, "admin")
    failed_run = runs[-1]
    page.goto(f"{live_server.url}/dags/sales_report/runs/{failed_run}/tasks/publish")
    log = page.get_by_role("log")
    expect(log).to_contain_text("the report server refused the upload (HTTP 503)")
    expect(log.locator(".log-error").first).to_be_visible()
    take_screenshot(page, "ui-task-log.png", tmp_path)

"""The DAG page's grid in real headless Chromium: runs as columns, tasks as rows, states as
colours; task groups collapsing, mapped tasks opening into their map indexes, cells and run bars
leading to their pages, and a run turning green while the page watches.

The catalog's server (`server`) has runs of etl_daily (success, failed, success) and 120
queued runs of gen_20; `live_server` runs the DAGs below for real.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.api.conftest import LiveApi
from tests.ui.conftest import api

pytestmark = pytest.mark.integration

Login = Callable[[Any, str], None]
DASH = "\N{EN DASH}"  # between the first and last run numbers the page shows

SHAPES = """
from airflow.sdk import DAG, TaskGroup, task


@task
def prepare_data():
    return None


@task
def check_data():
    return None


@task
def square(x):
    if x == 2:
        raise ValueError("two is not welcome")
    return x * x


with DAG("grid_shapes", schedule=None):
    with TaskGroup("prepare"):
        prepared = prepare_data()
        prepared >> check_data()
    prepared >> square.expand(x=[1, 2, 3])
"""

CHAIN = """
from airflow.sdk import DAG, task


@task
def one():
    return 1


@task
def two():
    return 2


@task
def three():
    return 3


with DAG("grid_chain", schedule=None):
    one() >> two() >> three()
"""

LIVE_DAG_FILES = {"grid_shapes.py": SHAPES, "grid_chain.py": CHAIN}
LIVE_DAG_IDS = ["grid_shapes", "grid_chain"]


def cells(page: Any, row_id: str, map_index: int | None = None) -> Any:
    """The squares of one row, oldest run first."""
    index = f'[data-map-index="{map_index}"]' if map_index is not None else ":not([data-map-index])"
    return page.locator(f'.grid-row[data-row-id="{row_id}"]{index} .gc')


def state(name: str) -> Any:
    return re.compile(rf"(^|\s)state-{name}(\s|$)")


def expect_states(squares: Any, states: list[str]) -> None:
    expect(squares).to_have_count(len(states))
    for position, name in enumerate(states):
        expect(squares.nth(position)).to_have_class(state(name))


def run_ids(server: LiveApi, dag_id: str) -> list[str]:
    """The DAG's run ids, oldest first."""
    response = api(server, "GET", f"/api/v2/dags/{dag_id}/dagRuns", params={"order_by": "id"})
    assert response.status_code == 200, response.text
    return [run["dag_run_id"] for run in response.json()["dag_runs"]]


def trigger(server: LiveApi, dag_id: str, run_id: str) -> None:
    paused = api(server, "PATCH", f"/api/v2/dags/{dag_id}", json={"is_paused": False})
    assert paused.status_code == 200, paused.text
    made = api(server, "POST", f"/api/v2/dags/{dag_id}/dagRuns",
               json={"dag_run_id": run_id, "logical_date": None})  # fmt: skip
    assert made.status_code == 200, made.text


# --- the catalog ------------------------------------------------------------------------------


def test_the_grid_shows_the_catalogs_runs_and_states(
    page: Any, login: Login, server: LiveApi
) -> None:
    login(page, "viewer")
    page.goto(f"{server.url}/dags/etl_daily")
    bars = page.locator(".grid-bar")
    expect(bars).to_have_count(3)
    for position, name in enumerate(["success", "failed", "success"]):  # oldest on the left
        expect(bars.nth(position)).to_have_class(state(name))
    expect(page.locator(".grid-row[data-row-id] .grid-name")).to_have_text(["extract", "Load it"])
    expect_states(cells(page, "extract"), ["success", "failed", "success"])
    expect_states(cells(page, "load"), ["success", "upstream_failed", "success"])
    expect(page.get_by_text(f"Runs 1{DASH}3 of 3, newest on the right")).to_be_visible()

    failed_run = run_ids(server, "etl_daily")[1]
    cells(page, "extract").nth(1).hover()
    tip = page.get_by_role("tooltip")
    expect(tip).to_be_visible()
    expect(tip).to_contain_text("Task: extract")
    expect(tip).to_contain_text(f"Run: {failed_run}")
    expect(tip).to_contain_text("State: failed")
    expect(tip).to_contain_text("Try: 1")
    expect(tip).to_contain_text("Duration:")
    page.locator("h1").hover()
    expect(tip).to_be_hidden()


def test_a_cell_opens_its_task_instance_and_a_bar_its_run(
    page: Any, login: Login, server: LiveApi
) -> None:
    login(page, "admin")
    page.goto(f"{server.url}/dags/etl_daily")
    oldest, failed, _ = run_ids(server, "etl_daily")
    cells(page, "extract").nth(1).click()
    expect(page).to_have_url(f"{server.url}/dags/etl_daily/runs/{_quoted(failed)}/tasks/extract")
    page.go_back()
    page.locator(".grid-bar").first.click()
    expect(page).to_have_url(f"{server.url}/dags/etl_daily/runs/{_quoted(oldest)}")


def test_more_and_older_runs(page: Any, login: Login, server: LiveApi) -> None:
    login(page, "viewer")
    page.goto(f"{server.url}/dags/gen_20")
    expect(page.locator(".grid-bar")).to_have_count(25)
    page.get_by_label("Runs shown").select_option("50")
    expect(page.locator(".grid-bar")).to_have_count(50)
    expect(page.get_by_text(f"Runs 1{DASH}50 of 120")).to_be_visible()
    older = page.get_by_role("button", name="Older runs")
    older.click()
    expect(page).to_have_url(f"{server.url}/dags/gen_20?runs=50&offset=50")
    expect(page.get_by_text(f"Runs 51{DASH}100 of 120")).to_be_visible()
    older.click()
    expect(page.locator(".grid-bar")).to_have_count(20)
    expect(older).to_be_disabled()
    page.get_by_role("button", name="Newer runs").click()
    expect(page.get_by_text(f"Runs 51{DASH}100 of 120")).to_be_visible()
    # the queued runs' task instances have no state yet: outlined squares, not blanks
    expect(cells(page, "only")).to_have_count(50)
    expect(cells(page, "only").locator(":scope.state-none")).to_have_count(50)


def test_a_page_shows_only_its_own_runs(page: Any, login: Login, server: LiveApi) -> None:
    """Paging on: until the older page has come, the grid does not show the newer page's runs
    as if they were the older ones."""
    login(page, "viewer")
    page.goto(f"{server.url}/dags/gen_20?runs=50")
    expect(page.get_by_text(f"Runs 1{DASH}50 of 120")).to_be_visible()
    refusal = {"status": 400, "json": {"detail": "Older runs held back by the test"}}
    page.route(re.compile(r"/ui/grid/gen_20\?.*offset=50"), lambda route: route.fulfill(**refusal))
    page.get_by_role("button", name="Older runs").click()
    expect(page.get_by_role("alert")).to_contain_text("Older runs held back by the test")
    expect(page.locator(".grid-bar")).to_have_count(0)
    expect(page.get_by_text(re.compile("Runs 51"))).to_have_count(0)
    page.unroute(re.compile(r"/ui/grid/gen_20\?.*offset=50"))
    expect(page.get_by_text(f"Runs 51{DASH}100 of 120")).to_be_visible()
    expect(page.locator(".grid-bar")).to_have_count(50)


def test_a_task_instance_without_state_is_a_square_that_opens_it(
    page: Any, login: Login, server: LiveApi
) -> None:
    """etl_hourly's one run, its failed `sync` cleared (no scheduler runs here: it stays
    without a state)."""
    cleared = api(server, "POST", "/api/v2/dags/etl_hourly/clearTaskInstances",
                  json={"dry_run": False, "only_failed": True})  # fmt: skip
    assert cleared.status_code == 200, cleared.text
    (run_id,) = run_ids(server, "etl_hourly")
    ti = api(server, "GET", f"/api/v2/dags/etl_hourly/dagRuns/{_quoted(run_id)}/taskInstances/sync")
    assert ti.json()["state"] is None
    login(page, "viewer")
    page.goto(f"{server.url}/dags/etl_hourly")
    expect_states(cells(page, "sync"), ["none"])
    cells(page, "sync").first.hover()
    expect(page.get_by_role("tooltip")).to_contain_text("State: no state")
    cells(page, "sync").first.click()
    expect(page).to_have_url(f"{server.url}/dags/etl_hourly/runs/{_quoted(run_id)}/tasks/sync")


def _quoted(run_id: str) -> str:
    from urllib.parse import quote

    return quote(run_id, safe="")


# --- live runs --------------------------------------------------------------------------------


def test_groups_collapse_and_mapped_tasks_open_into_their_indexes(
    live_server: LiveApi, new_page: Callable[..., Any], live_login: Login
) -> None:
    page = new_page()
    live_login(page, "viewer")
    trigger(live_server, "grid_shapes", "shapes_run")
    page.goto(f"{live_server.url}/dags/grid_shapes")
    timeout = {"timeout": 60_000}
    expect(page.locator(".grid-bar").first).to_have_class(state("failed"), **timeout)
    expect_states(cells(page, "prepare"), ["success"])
    expect_states(cells(page, "prepare.prepare_data"), ["success"])
    expect_states(cells(page, "prepare.check_data"), ["success"])
    expect_states(cells(page, "square"), ["failed"])
    expect(page.locator('.grid-row[data-row-id="square"] .grid-width')).to_have_text("[3]")
    expect(page.locator('.grid-row[data-row-id="square"][data-map-index]')).to_have_count(0)

    page.get_by_role("button", name="Hide group prepare").click()
    expect(cells(page, "prepare.prepare_data")).to_have_count(0)
    expect(cells(page, "prepare")).to_have_count(1)
    page.reload()  # remembered for this DAG
    expect(cells(page, "square")).to_have_count(1)
    expect(page.get_by_role("button", name="Show group prepare")).to_be_visible()
    expect(cells(page, "prepare.check_data")).to_have_count(0)
    page.get_by_role("button", name="Show group prepare").click()
    expect(cells(page, "prepare.check_data")).to_have_count(1)

    with page.expect_request(re.compile(r"/ui/grid/grid_shapes\?.*expanded=square")):
        page.get_by_role("button", name="Show map indexes of square").click()
    expect(
        page.locator('.grid-row[data-row-id="square"][data-map-index] .grid-index')
    ).to_have_text(["[0]", "[1]", "[2]"])
    expect_states(cells(page, "square", 0), ["success"])
    expect_states(cells(page, "square", 1), ["failed"])
    expect_states(cells(page, "square", 2), ["success"])
    cells(page, "square").first.hover()
    expect(page.get_by_role("tooltip")).to_contain_text("Instances: 2 success, 1 failed")
    cells(page, "square", 1).first.click()
    expect(page).to_have_url(
        f"{live_server.url}/dags/grid_shapes/runs/shapes_run/tasks/square?map_index=1"
    )


def test_watch_the_grid_turn_green(
    live_server: LiveApi, new_page: Callable[..., Any], live_login: Login
) -> None:
    page = new_page()
    live_login(page, "op")
    page.goto(f"{live_server.url}/dags/grid_chain")
    expect(page.get_by_text("No runs yet")).to_be_visible()
    expect(page.locator(".grid-row[data-row-id] .grid-name")).to_have_text(["one", "two", "three"])
    page.evaluate("window.stillTheSamePage = true")

    trigger(live_server, "grid_chain", "green_run")
    expect(page.locator(".grid-bar")).to_have_count(1)
    for task_id in ("one", "two", "three"):
        expect(cells(page, task_id).first).to_have_class(state("success"), timeout=60_000)
    expect(page.locator(".grid-bar").first).to_have_class(state("success"))
    assert page.evaluate("window.stillTheSamePage") is True  # updated without reloading

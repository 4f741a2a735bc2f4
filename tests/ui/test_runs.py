"""The DAG run page in real headless Chromium, against the real API server: the run's details,
note and task instances, and the run actions (clear after a dry run, mark failed and success,
delete), which a viewer is not offered and the API refuses.

The module has a server of its own (`runs_server`): the `pipeline` DAG with one run per test,
each created and played to its state in-process (`Harness`) before the server starts, so each
test changes only its own run.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from slipstream.db.engine import Database
from tests.api import dag_files
from tests.api.conftest import LiveApi
from tests.scheduler.helpers import Harness
from tests.ui.conftest import (
    _prepare_home,
    api,
    api_get,
    fill_login_form,
    require_built_ui,
    serve_api,
    take_screenshot,
)

pytestmark = pytest.mark.integration

PIPELINE = """
from airflow.sdk import DAG
from airflow.providers.standard.operators.bash import BashOperator
from airflow.providers.standard.operators.empty import EmptyOperator

with DAG("pipeline", dag_display_name="Nightly Pipeline", schedule=None):
    extract = EmptyOperator(task_id="extract")
    transform = EmptyOperator(task_id="transform", task_display_name="Transform it")
    load = EmptyOperator(task_id="load")
    fan = BashOperator.partial(task_id="fan").expand(bash_command=["echo a", "echo b"])
    extract >> transform >> load
    extract >> fan
"""

DAG_ID = "pipeline"


def _fail(harness: Harness, workload: Any) -> None:
    harness.finish(workload, "failed")


def fill_runs(db: Database, folder: Path) -> None:
    """Runs of `pipeline`, by id: `details` and `to_clear` failed at `transform` (`load`
    upstream_failed, `fan[0]` and `fan[1]` succeeded); `to_mark` running with `extract`
    queued; `to_delete` succeeded."""
    dag_files.write(folder, {"pipeline.py": PIPELINE})
    harness = Harness(db)
    dag_files.parse_into(db, folder, harness.clock.now())
    failed = {"transform": _fail}
    for run_id, outcomes in [("details", failed), ("to_clear", failed), ("to_delete", {})]:
        conf = {"source": "s3://bucket/orders", "rows": 3} if run_id == "details" else {}
        note = "Loaded by hand" if run_id == "details" else None
        harness.trigger(DAG_ID, run_id=run_id, conf=conf, note=note, triggered_by="ui")
        harness.run_to_end(outcomes)
        harness.clock.advance(dt.timedelta(hours=1))
    harness.trigger(DAG_ID, run_id="to_mark")
    harness.tick()


@pytest.fixture(scope="module")
def runs_server(
    tmp_path_factory: pytest.TempPathFactory,
    _sqlite_template: Path,
    _password_hashes: dict[str, str],
) -> Iterator[LiveApi]:
    """`slipstream api-server` on a home holding `fill_runs`'s DAG and runs (no scheduler: the
    runs stay as the tests leave them)."""
    require_built_ui()
    home = tmp_path_factory.mktemp("ui_runs_home")
    env = _prepare_home(home, _sqlite_template, _password_hashes, catalog=False)
    db = Database(f"sqlite:///{home / 'slipstream.db'}")
    try:
        fill_runs(db, home / "dags")
    finally:
        db.dispose()
    with serve_api(home, env) as live:
        yield live


Open = Callable[[Any, str, str], None]


@pytest.fixture
def open_run(runs_server: LiveApi) -> Open:
    """`open_run(page, run_id, role)`: logs in as that role straight onto the run's page."""

    def go(page: Any, run_id: str, role: str = "user") -> None:
        page.goto(f"{runs_server.url}/dags/{DAG_ID}/runs/{run_id}")
        fill_login_form(page, role)
        expect(page.get_by_role("heading", name=f"Run {run_id}")).to_be_visible()

    return go


def ti_row(page: Any, task_id: str, map_index: int = -1) -> Any:
    return page.locator(f'table.run-tis tr[data-task-id="{task_id}"][data-map-index="{map_index}"]')


def expect_ti_states(page: Any, states: dict[str, str]) -> None:
    for task_id, state in states.items():
        expect(ti_row(page, task_id)).to_have_attribute("data-state", state)


def fact(page: Any, name: str) -> Any:
    return page.locator(f'.run-fact[data-fact="{name}"] dd')


def run_of(server: LiveApi, run_id: str) -> dict[str, Any]:
    return api_get(server, f"/api/v2/dags/{DAG_ID}/dagRuns/{run_id}")


def ti_states(server: LiveApi, run_id: str) -> dict[str, str | None]:
    """`task_id` (`task_id[i]` when mapped): state."""
    found = api_get(server, f"/api/v2/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances")
    return {
        ti["task_id"] + (f"[{ti['map_index']}]" if ti["map_index"] >= 0 else ""): ti["state"]
        for ti in found["task_instances"]
    }


def test_the_run_page_shows_the_run_and_its_task_instances(
    page: Any, open_run: Open, runs_server: LiveApi
) -> None:
    open_run(page, "details", "user")
    crumbs = page.get_by_role("navigation", name="Breadcrumbs")
    expect(crumbs).to_have_text("DAGs / Nightly Pipeline / details")
    expect(page.locator(".run-page")).to_have_attribute("data-state", "failed")
    expect(fact(page, "State")).to_have_text("failed")
    expect(fact(page, "Run type")).to_have_text("manual")
    expect(fact(page, "Triggered by")).to_have_text("ui")
    for name in ("Logical date", "Run after", "Queued", "Started", "Ended"):
        expect(fact(page, name).locator("time")).to_have_count(1)
    expect(fact(page, "Duration")).not_to_have_text("—")
    conf = page.get_by_label("Conf", exact=True)
    expect(conf).to_contain_text('"source": "s3://bucket/orders"')
    expect(conf).to_contain_text('"rows": 3')
    expect(page.locator(".run-note-text")).to_have_text("Loaded by hand")

    rows = page.locator("table.run-tis tbody tr")
    expect(rows).to_have_count(5)
    expect(rows.locator("td:first-child a")).to_have_text(
        ["extract", "Transform it", "load", "fan", "fan"]
    )
    expect_ti_states(page, {"extract": "success", "transform": "failed", "load": "upstream_failed"})
    expect(ti_row(page, "transform").locator(".ti-try")).to_have_text("1")
    expect(ti_row(page, "load").locator(".ti-state")).to_have_text("upstream_failed")
    expect(ti_row(page, "extract").locator(".ti-start time")).to_have_count(1)
    for index in (0, 1):
        mapped = ti_row(page, "fan", index)
        expect(mapped).to_have_attribute("data-state", "success")
        expect(mapped.locator(".map-index")).to_have_text(str(index))
    link = ti_row(page, "transform").get_by_role("link", name="Transform it")
    expect(link).to_have_attribute("href", f"/dags/{DAG_ID}/runs/details/tasks/transform")
    link = ti_row(page, "fan", 1).get_by_role("link", name="fan")
    expect(link).to_have_attribute("href", f"/dags/{DAG_ID}/runs/details/tasks/fan?map_index=1")

    page.get_by_role("link", name="Nightly Pipeline").click()
    expect(page).to_have_url(f"{runs_server.url}/dags/{DAG_ID}")


def test_edit_the_note(page: Any, open_run: Open, runs_server: LiveApi) -> None:
    open_run(page, "details", "user")
    page.get_by_role("button", name="Edit note").click()
    note = page.get_by_role("textbox", name="Note")
    expect(note).to_have_value("Loaded by hand")
    note.fill("Checked: the source was late")
    page.get_by_role("button", name="Save note").click()
    expect(page.locator(".run-note-text")).to_have_text("Checked: the source was late")
    assert run_of(runs_server, "details")["note"] == "Checked: the source was late"


def test_clear_lists_the_task_instances_then_clears_them(
    page: Any, open_run: Open, runs_server: LiveApi
) -> None:
    open_run(page, "to_clear", "user")
    page.get_by_role("group", name="Run actions").get_by_role("button", name="Clear").click()
    dialog = page.get_by_role("dialog", name="Clear run to_clear")
    listed = dialog.get_by_role("list", name="Task instances to clear").locator("li")
    expect(listed).to_have_count(5)
    expect(dialog.get_by_role("button", name="Clear 5 task instances")).to_be_enabled()
    dialog.get_by_label("Only failed tasks").check()
    expect(listed).to_have_count(2)
    for task_id in ("transform", "load"):
        expect(listed.and_(page.locator(f'[data-task-id="{task_id}"]'))).to_have_count(1)
    assert ti_states(runs_server, "to_clear")["transform"] == "failed"  # a dry run changes nothing

    dialog.get_by_role("button", name="Clear 2 task instances").click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_role("status")).to_contain_text("Cleared to_clear")
    expect_ti_states(page, {"extract": "success", "transform": "none", "load": "none"})
    expect(page.locator(".run-page")).to_have_attribute("data-state", "queued")
    assert ti_states(runs_server, "to_clear") == {
        "extract": "success",
        "transform": None,
        "load": None,
        "fan[0]": "success",
        "fan[1]": "success",
    }
    assert run_of(runs_server, "to_clear")["state"] == "queued"


def test_mark_failed_then_success(page: Any, open_run: Open, runs_server: LiveApi) -> None:
    open_run(page, "to_mark", "user")
    expect(page.locator(".run-page")).to_have_attribute("data-state", "running")
    expect_ti_states(page, {"extract": "queued", "transform": "none", "fan": "none"})
    actions = page.get_by_role("group", name="Run actions")

    actions.get_by_role("button", name="Mark failed").click()
    dialog = page.get_by_role("dialog", name="Mark run to_mark failed")
    expect(dialog).to_contain_text("The run is now running.")
    dialog.get_by_role("button", name="Mark failed").click()
    expect(dialog).to_be_hidden()
    expect(page.locator(".run-page")).to_have_attribute("data-state", "failed")
    expect(actions.get_by_role("button", name="Mark failed")).to_be_disabled()
    states = ti_states(runs_server, "to_mark")
    assert set(states.values()) <= {"failed", "skipped"}, states
    expect_ti_states(page, {task: str(state) for task, state in states.items()})

    actions.get_by_role("button", name="Mark success").click()
    page.get_by_role("dialog", name="Mark run to_mark success").get_by_role(
        "button", name="Mark success"
    ).click()
    expect(page.locator(".run-page")).to_have_attribute("data-state", "success")
    expect(fact(page, "State")).to_have_text("success")
    assert run_of(runs_server, "to_mark")["state"] == "success"


def test_delete_goes_back_to_the_dag_and_the_run_is_gone(
    page: Any, open_run: Open, runs_server: LiveApi
) -> None:
    open_run(page, "to_delete", "user")
    page.get_by_role("group", name="Run actions").get_by_role("button", name="Delete").click()
    dialog = page.get_by_role("dialog", name="Delete run to_delete")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    assert run_of(runs_server, "to_delete")["state"] == "success"

    page.get_by_role("group", name="Run actions").get_by_role("button", name="Delete").click()
    dialog.get_by_role("button", name="Delete run").click()
    expect(page).to_have_url(f"{runs_server.url}/dags/{DAG_ID}")
    expect(page.get_by_role("status")).to_contain_text("Deleted run to_delete")
    gone = api(runs_server, "GET", f"/api/v2/dags/{DAG_ID}/dagRuns/to_delete")
    assert gone.status_code == 404

    page.goto(f"{runs_server.url}/dags/{DAG_ID}/runs/to_delete")
    expect(page.get_by_role("alert")).to_contain_text("DAG pipeline has no run to_delete")


def test_a_viewer_sees_no_actions_and_the_api_refuses_them(
    page: Any, open_run: Open, runs_server: LiveApi
) -> None:
    open_run(page, "details", "viewer")
    expect(ti_row(page, "extract")).to_have_attribute("data-state", "success")
    expect(page.get_by_role("group", name="Run actions")).to_have_count(0)
    for name in ("Clear", "Mark success", "Mark failed", "Delete", "Edit note"):
        expect(page.get_by_role("button", name=name, exact=True)).to_have_count(0)
    run = f"/api/v2/dags/{DAG_ID}/dagRuns/details"
    refusals = [
        api(runs_server, "PATCH", run, "viewer", json={"state": "success"}),
        api(runs_server, "PATCH", run, "viewer", json={"note": "mine"}),
        api(runs_server, "POST", run + "/clear", "viewer", json={"dry_run": False}),
        api(runs_server, "DELETE", run, "viewer"),
    ]
    assert [refused.status_code for refused in refusals] == [403] * 4
    assert run_of(runs_server, "details")["state"] == "failed"


def test_screenshot_of_the_run_page(page: Any, open_run: Open, tmp_path: Path) -> None:
    """The run page (`SLIPSTREAM_UI_SCREENSHOTS=docs` writes docs/ui-run.png; otherwise the
    screenshot goes to a temporary folder)."""
    open_run(page, "details", "user")
    expect(ti_row(page, "load")).to_have_attribute("data-state", "upstream_failed")
    take_screenshot(page, "ui-run.png", tmp_path, full_page=True)

"""The task instance page in real headless Chromium, against `slipstream standalone` running the
DAGs below: a log read from the page, a live tail of a task printing over a few seconds, a
rendered `bash_command`, an XCom value, why a task waiting on its upstream does not run, a
failed task cleared from the page and re-run, a mapped task's instances, and a viewer without
actions.

The tests of the module share one server; each triggers runs of its own.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.api.conftest import LiveApi
from tests.ui.conftest import api, api_get

pytestmark = pytest.mark.integration

Login = Callable[[Any, str], None]

FLOW = """
import time
from airflow.sdk import DAG
from airflow.providers.standard.operators.bash import BashOperator
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import task


def print_slowly():
    for number in range(1, 11):
        print(f"tail line {number}")
        time.sleep(0.8)


def compute():
    return {"answer": 42, "items": ["a", "b"]}


with DAG("ti_flow", schedule=None):
    templated = BashOperator(
        task_id="templated", bash_command="echo run={{ run_id }} task={{ task.task_id }}"
    )
    PythonOperator(task_id="compute", python_callable=compute)
    slow = PythonOperator(task_id="slow", python_callable=print_slowly)
    slow >> EmptyOperator(task_id="after_slow")

    @task
    def double(x):
        return x * 2

    double.expand(x=[1, 2, 3])
"""

FLAKY = """
from airflow.sdk import DAG
from airflow.providers.standard.operators.python import PythonOperator


def fail_first(ti):
    if ti.try_number == 1:
        raise RuntimeError("first try fails on purpose")
    print("second try succeeded")


with DAG("ti_flaky", schedule=None, default_args={"retries": 0}):
    PythonOperator(task_id="flaky", python_callable=fail_first)
"""

RETRIED = """
import datetime
from airflow.sdk import DAG
from airflow.providers.standard.operators.bash import BashOperator

with DAG("ti_retried", schedule=None):
    BashOperator(
        task_id="retried", bash_command="exit 1", retries=1, retry_delay=datetime.timedelta(hours=1)
    )
"""

LIVE_DAG_FILES = {"ti_flow.py": FLOW, "ti_flaky.py": FLAKY, "ti_retried.py": RETRIED}
LIVE_DAG_IDS = ["ti_flow", "ti_flaky", "ti_retried"]


def trigger(server: LiveApi, dag_id: str, run_id: str) -> None:
    """Unpauses the DAG and triggers a run named `run_id`."""
    paused = api(server, "PATCH", f"/api/v2/dags/{dag_id}", json={"is_paused": False})
    assert paused.status_code == 200, paused.text
    body = {"dag_run_id": run_id, "logical_date": None}
    made = api(server, "POST", f"/api/v2/dags/{dag_id}/dagRuns", json=body)
    assert made.status_code == 200, made.text


def ti_state(server: LiveApi, dag_id: str, run_id: str, task_id: str) -> str | None:
    path = f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}"
    return api_get(server, path)["state"]


def ti_url(server: LiveApi, dag_id: str, run_id: str, task_id: str, query: str = "") -> str:
    return f"{server.url}/dags/{dag_id}/runs/{run_id}/tasks/{task_id}{query}"


def state_badge(page: Any) -> Any:
    return page.locator(".page-title .state-badge")


def log_panel(page: Any) -> Any:
    return page.get_by_role("log")


def test_live_tail_and_why_a_task_waits(
    live_server: LiveApi, new_page: Callable[..., Any], live_login: Login
) -> None:
    page = new_page()
    live_login(page, "op")
    trigger(live_server, "ti_flow", "tail_run")
    page.goto(ti_url(live_server, "ti_flow", "tail_run", "after_slow"))
    why = page.get_by_role("region", name="Why isn't it running?")
    expect(why).to_contain_text("Waiting for upstream tasks")
    expect(why).to_contain_text("slow")

    page.goto(ti_url(live_server, "ti_flow", "tail_run", "slow"))
    expect(log_panel(page)).to_contain_text("tail line 1", timeout=30_000)
    # The first lines show while the task still prints the others.
    expect(page.get_by_text("● Live: following the log")).to_be_visible()
    assert "tail line 10" not in log_panel(page).inner_text()
    expect(log_panel(page)).to_contain_text("tail line 10", timeout=20_000)
    expect(state_badge(page)).to_have_text("success")
    expect(page.get_by_text("● Live: following the log")).to_have_count(0)
    text = log_panel(page).inner_text()
    assert all(text.count(f"tail line {n}\n") == 1 for n in range(1, 11)), text

    page.goto(ti_url(live_server, "ti_flow", "tail_run", "after_slow"))
    expect(state_badge(page)).to_have_text("success")
    expect(page.get_by_role("region", name="Why isn't it running?")).to_have_count(0)


def test_log_rendered_template_and_xcom(
    live_server: LiveApi, new_page: Callable[..., Any], live_login: Login
) -> None:
    trigger(live_server, "ti_flow", "values_run")
    page = new_page()
    live_login(page, "viewer")
    page.goto(ti_url(live_server, "ti_flow", "values_run", "templated"))
    expect(state_badge(page)).to_have_text("success", timeout=30_000)
    expect(log_panel(page)).to_contain_text("run=values_run task=templated")
    expect(log_panel(page).locator(".log-info").first).to_be_visible()

    with page.expect_download() as download:
        page.get_by_role("button", name="⤓ Download").click()
    saved = download.value
    assert saved.suggested_filename == "ti_flow-values_run-templated-try1.log"
    with open(saved.path(), encoding="utf-8") as file:
        assert "run=values_run task=templated" in file.read()

    page.get_by_role("tab", name="Rendered templates").click()
    panel = page.get_by_role("tabpanel")
    expect(panel).to_contain_text("bash_command")
    expect(panel).to_contain_text("echo run=values_run task=templated")

    page.get_by_role("tab", name="Details").click()
    expect(panel).to_contain_text("BashOperator")
    expect(panel).to_contain_text("default_pool")

    page.goto(ti_url(live_server, "ti_flow", "values_run", "compute"))
    page.get_by_role("tab", name="XCom").click()
    expect(panel).to_contain_text("return_value")
    expect(panel.locator("pre")).to_contain_text('"answer": 42')

    # A mapped task opened without a map index lists its instances, each a link.
    page.goto(ti_url(live_server, "ti_flow", "values_run", "double"))
    links = page.locator("table.ti-mapped tbody a")
    expect(links).to_have_text(["0", "1", "2"])
    links.nth(2).click()
    expect(page).to_have_url(re.compile(r"/tasks/double\?map_index=2$"))
    page.get_by_role("tab", name="XCom").click()
    expect(page.get_by_role("tabpanel").locator("pre")).to_have_text("6")
    # A viewer is offered no action.
    expect(page.get_by_role("button", name="↻ Clear")).to_have_count(0)
    expect(page.get_by_role("button", name="✓ Mark success")).to_have_count(0)


def test_clear_a_failed_task_and_watch_it_run_again(
    live_server: LiveApi, new_page: Callable[..., Any], live_login: Login
) -> None:
    trigger(live_server, "ti_flaky", "flaky_run")
    page = new_page()
    live_login(page, "user")
    page.goto(ti_url(live_server, "ti_flaky", "flaky_run", "flaky"))
    expect(state_badge(page)).to_have_text("failed", timeout=30_000)
    expect(log_panel(page)).to_contain_text("first try fails on purpose")
    expect(log_panel(page).locator(".log-error").first).to_be_visible()

    page.get_by_role("button", name="↻ Clear").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("list", name="Task instances affected")).to_contain_text("flaky")
    dialog.get_by_role("button", name="Clear", exact=True).click()
    expect(dialog).to_have_count(0)

    expect(state_badge(page)).to_have_text("success", timeout=30_000)
    expect(page.get_by_role("group", name="Tries").get_by_role("button")).to_have_text(
        ["Try 1", "Try 2"]
    )
    expect(log_panel(page)).to_contain_text("second try succeeded")
    page.get_by_role("button", name="Try 1").click()
    expect(page).to_have_url(re.compile(r"\?try=1$"))
    expect(log_panel(page)).to_contain_text("first try fails on purpose")
    assert ti_state(live_server, "ti_flaky", "flaky_run", "flaky") == "success"

    # Marking: the dry run lists the instance, the mark changes it.
    page.get_by_role("button", name="✗ Mark failed").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("list", name="Task instances affected")).to_contain_text("flaky")
    dialog.get_by_role("button", name="Mark failed").click()
    expect(state_badge(page)).to_have_text("failed")
    assert ti_state(live_server, "ti_flaky", "flaky_run", "flaky") == "failed"


def test_a_task_waiting_for_its_retry_delay(
    live_server: LiveApi, new_page: Callable[..., Any], live_login: Login
) -> None:
    trigger(live_server, "ti_retried", "retry_run")
    page = new_page()
    live_login(page, "admin")
    page.goto(ti_url(live_server, "ti_retried", "retry_run", "retried"))
    expect(state_badge(page)).to_have_text("up_for_retry", timeout=30_000)
    why = page.get_by_role("region", name="Why isn't it running?")
    expect(why).to_contain_text("The task waits for its retry delay to pass before its next try.")
    expect(why).to_contain_text("the next try may start at")
    expect(log_panel(page)).to_contain_text("exit code 1")

"""Triggering with a form built from the DAG's params, in real headless Chromium against
`slipstream standalone` (`live_server`): fields with their defaults and descriptions, messages
next to bad values before anything is sent, the server's message when it still refuses, the
conf as JSON kept in sync with the form, and the plain JSON conf of a DAG without params.

The DAGs start paused, so triggered runs stay queued with the conf they were given.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from tests.api.conftest import LiveApi
from tests.ui.conftest import TIMEOUT_MS, api_get, take_screenshot

pytestmark = pytest.mark.integration

WITH_PARAMS = """
from airflow.sdk import DAG, Param
from airflow.providers.standard.operators.empty import EmptyOperator

with DAG(
    "with_params",
    schedule=None,
    params={
        "rows": Param(10, type="integer", minimum=1, maximum=100, title="Rows",
                      description="How many rows to load"),
        "colour": Param("red", enum=["red", "green", "blue"], description="The report's colour"),
        "dry_run": Param(False, type="boolean", description="Only pretend"),
        "ticket": Param("OPS-1", type="string", pattern="^[A-Z]+-[0-9]+$",
                        description="The ticket, like OPS-12"),
        "tables": Param(["orders", "users"], type="array", items={"type": "string"},
                        description="Tables to copy"),
        "day": Param("2024-01-31", type="string", format="date", description="The day to load"),
        "limits": Param({"max": 5}, type="object", required=["max"], section="Advanced",
                        description="Limits of the load"),
    },
):
    EmptyOperator(task_id="load")
"""

PLAIN = """
from airflow.sdk import DAG
from airflow.providers.standard.operators.empty import EmptyOperator

with DAG("plain", schedule=None):
    EmptyOperator(task_id="only")
"""

# A param without a default: required in the trigger form (allowed on a DAG without a
# schedule, as in Airflow 3).
NEEDS_TICKET = """
from airflow.sdk import DAG, Param
from airflow.providers.standard.operators.empty import EmptyOperator

with DAG("needs_ticket", schedule=None,
         params={"ticket": Param(type="string", description="The ticket to work on")}):
    EmptyOperator(task_id="only")
"""

LIVE_DAG_FILES = {"with_params.py": WITH_PARAMS, "plain.py": PLAIN, "needs_ticket.py": NEEDS_TICKET}
LIVE_DAG_IDS = ["with_params", "plain", "needs_ticket"]

DEFAULTS = {
    "rows": 10,
    "colour": "red",
    "dry_run": False,
    "ticket": "OPS-1",
    "tables": ["orders", "users"],
    "day": "2024-01-31",
    "limits": {"max": 5},
}

Login = Callable[[Any, str], None]


@pytest.fixture
def utc_page(new_page: Callable[..., Any]) -> Any:
    """A page whose time zone is UTC, so local dates and times read as UTC ones."""
    return new_page(timezone_id="UTC")


def open_trigger(page: Any, live_login: Login, server: LiveApi, dag_id: str) -> Any:
    """Logs in as `user`, opens the DAG's page and its trigger dialog."""
    live_login(page, "user")
    page.goto(f"{server.url}/dags/{dag_id}")
    page.get_by_role("button", name=f"Trigger {dag_id}").click()
    dialog = page.get_by_role("dialog", name=f"Trigger {dag_id}")
    expect(dialog).to_be_visible()
    return dialog


def field(dialog: Any, key: str) -> Any:
    return dialog.locator(f'[data-param="{key}"]')


# True once the text of the element at `selector` is `expected` as JSON (keys in any order).
SAME_JSON = """([selector, expected]) => {
  const canon = (v) => Array.isArray(v) ? v.map(canon) : v && typeof v === "object"
    ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, canon(v[k])])) : v;
  try {
    const text = document.querySelector(selector).value;
    return JSON.stringify(canon(JSON.parse(text))) === JSON.stringify(canon(expected));
  } catch {
    return false;
  }
}"""


def expect_json(page: Any, selector: str, expected: Any) -> None:
    """Waits until the input at `selector` holds `expected` as JSON."""
    try:
        page.wait_for_function(SAME_JSON, arg=[selector, expected], timeout=TIMEOUT_MS)
    except PlaywrightTimeout:
        assert json.loads(page.locator(selector).input_value()) == expected


def runs_of(server: LiveApi, dag_id: str) -> list[dict[str, Any]]:
    return api_get(server, f"/api/v2/dags/{dag_id}/dagRuns?order_by=run_after")["dag_runs"]


def test_the_form_shows_each_param_with_its_default_and_description(
    utc_page: Any, live_login: Login, live_server: LiveApi
) -> None:
    dialog = open_trigger(utc_page, live_login, live_server, "with_params")
    rows = dialog.get_by_label("Rows")
    expect(rows).to_have_value("10")
    expect(rows).to_have_attribute("type", "number")
    expect(field(dialog, "rows").locator(".param-key")).to_have_text("rows")
    expect(field(dialog, "rows")).to_contain_text("How many rows to load")
    colour = dialog.get_by_label("colour")
    expect(colour.locator("option")).to_have_text(["red", "green", "blue"])
    expect(colour.locator("option:checked")).to_have_text("red")
    expect(field(dialog, "colour")).to_contain_text("The report's colour")
    expect(dialog.get_by_label("dry_run")).not_to_be_checked()
    expect(dialog.get_by_label("ticket")).to_have_value("OPS-1")
    expect(dialog.get_by_label("tables")).to_have_value("orders\nusers")
    expect(dialog.get_by_label("day")).to_have_value("2024-01-31")
    expect(dialog.get_by_label("day")).to_have_attribute("type", "date")
    expect(dialog.get_by_role("group", name="Advanced").get_by_label("limits")).to_be_visible()
    expect_json(dialog.page, '[data-param="limits"] textarea', {"max": 5})
    expect(dialog.get_by_label("Configuration (JSON)")).to_have_count(0)
    for option in ("Logical date", "Run id", "Note"):
        expect(dialog.get_by_label(option, exact=True)).to_be_visible()


def test_bad_values_are_explained_before_sending_and_good_ones_trigger(
    utc_page: Any, live_login: Login, live_server: LiveApi
) -> None:
    page = utc_page
    dialog = open_trigger(page, live_login, live_server, "with_params")
    rows = dialog.get_by_label("Rows")
    rows.fill("500")
    expect(field(dialog, "rows").locator(".param-error")).to_have_text("Must be at most 100")
    expect(rows).to_have_attribute("aria-invalid", "true")
    dialog.get_by_label("ticket").fill("ops 12")
    expect(field(dialog, "ticket").locator(".param-error")).to_have_text(
        "Must match the pattern ^[A-Z]+-[0-9]+$"
    )
    dialog.get_by_label("tables").fill("")
    dialog.get_by_role("button", name="Trigger").click()
    expect(dialog.get_by_role("alert")).to_have_text(
        "2 params need a valid value: see the fields marked below."
    )
    rows.fill("0")
    expect(field(dialog, "rows").locator(".param-error")).to_have_text("Must be at least 1")
    assert runs_of(live_server, "with_params") == []

    rows.fill("42")
    expect(field(dialog, "rows").locator(".param-error")).to_have_count(0)
    dialog.get_by_label("ticket").fill("OPS-12")
    dialog.get_by_label("colour").select_option("green")
    dialog.get_by_label("dry_run").check()
    dialog.get_by_label("tables").fill("orders\nevents\n")
    dialog.get_by_label("day").fill("2024-02-29")
    dialog.get_by_label("Logical date").fill("2024-03-01T10:00:00")
    dialog.get_by_label("Run id").fill("params-run-1")
    dialog.get_by_label("Note", exact=True).fill("Triggered from the form")
    dialog.get_by_role("button", name="Trigger").click()

    expect(page).to_have_url(f"{live_server.url}/dags/with_params/runs/params-run-1")
    expected = {
        **DEFAULTS,
        "rows": 42,
        "colour": "green",
        "dry_run": True,
        "ticket": "OPS-12",
        "tables": ["orders", "events"],
        "day": "2024-02-29",
    }
    conf = page.get_by_label("Conf", exact=True)
    expect(conf).to_have_text(json.dumps(expected, indent=2))
    expect(page.locator(".run-note-text")).to_have_text("Triggered from the form")
    [run] = runs_of(live_server, "with_params")
    assert run["dag_run_id"] == "params-run-1"
    assert run["conf"] == expected
    assert run["logical_date"] == "2024-03-01T10:00:00Z"
    assert run["note"] == "Triggered from the form"


def test_the_json_conf_follows_the_form_and_the_server_has_the_last_word(
    utc_page: Any, live_login: Login, live_server: LiveApi
) -> None:
    runs_before = len(runs_of(live_server, "with_params"))
    dialog = open_trigger(utc_page, live_login, live_server, "with_params")
    dialog.get_by_label("Advanced: conf as JSON").check()
    conf = dialog.get_by_label("Configuration (JSON)")
    expect_json(utc_page, "#trigger-conf", DEFAULTS)
    dialog.get_by_label("Rows").fill("7")
    expect_json(utc_page, "#trigger-conf", {**DEFAULTS, "rows": 7})

    conf.fill(json.dumps({**DEFAULTS, "rows": 8, "colour": "blue", "extra": "kept"}))
    expect(dialog.get_by_label("Rows")).to_have_value("8")
    expect(dialog.get_by_label("colour").locator("option:checked")).to_have_text("blue")

    conf.fill('{"rows": 8,')
    expect(dialog.locator("#trigger-conf-error")).to_contain_text("not valid JSON")
    dialog.get_by_role("button", name="Trigger").click()
    expect(dialog.get_by_role("alert")).to_contain_text("not valid JSON")

    # The form checks each param's type; the server checks the whole schema (here: `required`).
    conf.fill('{"limits": {}, "extra": "kept"}')
    expect(dialog.get_by_label("Rows")).to_have_value("10")
    dialog.get_by_role("button", name="Trigger").click()
    expect(dialog.get_by_role("alert")).to_have_text(
        "Invalid input for param limits: 'max' is a required property"
    )
    assert len(runs_of(live_server, "with_params")) == runs_before

    conf.fill('{"limits": {"max": 1}, "extra": "kept"}')
    dialog.get_by_role("button", name="Trigger").click()
    expect(utc_page).to_have_url(re.compile(r"/dags/with_params/runs/manual__"))
    run_id = unquote(utc_page.url.rsplit("/", 1)[1])
    run = api_get(live_server, f"/api/v2/dags/with_params/dagRuns/{quote(run_id, safe='')}")
    assert run["conf"] == {**DEFAULTS, "limits": {"max": 1}, "extra": "kept"}
    assert run["logical_date"] is None


def test_a_dag_without_params_takes_its_conf_as_json(
    page: Any, live_login: Login, live_server: LiveApi
) -> None:
    live_login(page, "user")
    page.get_by_role("button", name="Trigger with_params").click()
    dialog = page.get_by_role("dialog", name="Trigger with_params")
    expect(dialog.get_by_label("Rows")).to_have_value("10")  # params fetched for the dialog
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()

    page.get_by_role("button", name="Trigger plain").click()
    dialog = page.get_by_role("dialog", name="Trigger plain")
    expect(dialog.get_by_label("Advanced: conf as JSON")).to_have_count(0)
    conf = dialog.get_by_label("Configuration (JSON)")
    conf.fill("[1]")
    dialog.get_by_role("button", name="Trigger").click()
    expect(dialog.get_by_role("alert")).to_contain_text("must be a JSON object")
    conf.fill('{"rows": 5}')
    dialog.get_by_role("button", name="Trigger").click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_role("status")).to_contain_text("Triggered plain")
    [run] = runs_of(live_server, "plain")
    assert (run["conf"], run["logical_date"], run["state"]) == ({"rows": 5}, None, "queued")


def test_screenshot_of_the_trigger_form(
    utc_page: Any, live_login: Login, live_server: LiveApi, tmp_path: Path
) -> None:
    """The trigger form with a value it refuses (`SLIPSTREAM_UI_SCREENSHOTS=docs` writes
    docs/ui-trigger.png; otherwise the screenshot goes to a temporary folder)."""
    dialog = open_trigger(utc_page, live_login, live_server, "with_params")
    dialog.get_by_label("Rows").fill("500")
    expect(field(dialog, "rows").locator(".param-error")).to_be_visible()
    take_screenshot(utc_page, "ui-trigger.png", tmp_path)


def test_a_param_without_a_default_is_required(
    page: Any, live_login: Login, live_server: LiveApi
) -> None:
    dialog = open_trigger(page, live_login, live_server, "needs_ticket")
    ticket = dialog.get_by_label("ticket")
    expect(field(dialog, "ticket")).to_contain_text("(required)")
    expect(ticket).to_have_value("")
    dialog.get_by_role("button", name="Trigger").click()
    expect(field(dialog, "ticket").locator(".param-error")).to_have_text(
        "Required: this param has no default"
    )
    assert runs_of(live_server, "needs_ticket") == []
    ticket.fill("OPS-3")
    dialog.get_by_role("button", name="Trigger").click()
    expect(page).to_have_url(re.compile(r"/dags/needs_ticket/runs/"))
    [run] = runs_of(live_server, "needs_ticket")
    assert run["conf"] == {"ticket": "OPS-3"}

"""The user journeys of the DAGs page in real headless Chromium, against the real API server.

The tests of this module share one server (see conftest.py): those that pause or trigger use
DAGs that no other test counts runs of or filters by state.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.api.conftest import LiveApi
from tests.ui.conftest import (
    DISPLAY_NAMES,
    ORDER,
    api,
    api_get,
    fill_login_form,
    take_screenshot,
)

pytestmark = pytest.mark.integration

Login = Callable[[Any, str], None]


def rows(page: Any) -> Any:
    return page.locator("table.dags tbody tr")


def row(page: Any, dag_id: str) -> Any:
    return page.locator(f'tr[data-dag-id="{dag_id}"]')


def expect_dags(page: Any, dag_ids: list[str]) -> None:
    """The page lists exactly these DAGs, in this order (waiting for the list to update)."""
    names = [DISPLAY_NAMES.get(dag_id, dag_id) for dag_id in dag_ids]
    expect(page.locator("table.dags tbody tr .name")).to_have_text(names)
    expect(page.locator("table.dags.stale")).to_have_count(0)


def run_states(page: Any, dag_id: str) -> list[str]:
    squares = row(page, dag_id).locator("li.run")
    return [str(square.get_attribute("data-state")) for square in squares.all()]


def test_log_in_and_see_every_dag_with_its_runs(page: Any, login: Login) -> None:
    login(page, "admin")
    expect_dags(page, ORDER[:25])
    expect(page.locator(".count")).to_have_text("33")
    daily = row(page, "etl_daily")
    expect(daily.locator(".dag-id")).to_have_text("etl_daily")
    expect(daily.locator(".schedule")).to_have_text("0 0 * * *")
    expect(daily.locator(".schedule")).to_have_attribute("title", "At 00:00")
    expect(daily.locator(".tags button")).to_have_text(["etl", "team_a"])
    expect(daily.locator(".owners")).to_have_text("alice")
    expect(daily.locator(".next-run time")).to_have_attribute("datetime", re.compile("^2030-01-01"))
    # gen_20's 120 newer runs fill the first batch of runs: the others come in a second one.
    expect(row(page, "gen_20").locator("li.run")).to_have_count(10)
    assert set(run_states(page, "gen_20")) == {"queued"}
    expect(daily.locator("li.run")).to_have_count(3)
    assert run_states(page, "etl_daily") == ["success", "failed", "success"]  # oldest first
    assert run_states(page, "etl_hourly") == ["failed"]
    colours = daily.locator("li.run").evaluate_all(
        "squares => squares.map(s => getComputedStyle(s).backgroundColor)"
    )
    assert colours[0] == colours[2] != colours[1]
    expect(row(page, "gen_00")).to_contain_text("no runs")
    expect(row(page, "gen_00").locator(".next-run")).to_have_text("—")


def test_import_errors_banner_expands_to_the_traceback(page: Any, login: Login) -> None:
    login(page, "viewer")
    banner = page.locator(".import-errors")
    expect(banner.locator("summary").first).to_have_text("1 DAG file failed to import")
    expect(banner.locator("pre.traceback")).to_be_hidden()
    banner.locator("summary").first.click()
    error = banner.locator("li summary")
    expect(error).to_contain_text(re.compile(r"broken\.py:\d+"))
    error.click()
    expect(banner.locator("pre.traceback")).to_contain_text("SyntaxError")


def test_search_filters_and_pages(page: Any, login: Login) -> None:
    login(page, "admin")
    page.get_by_label("Search DAGs").fill("weekly")
    expect_dags(page, ["report"])
    assert "q=weekly" in page.url
    page.get_by_label("Search DAGs").fill("gen_1")
    expect_dags(page, [f"gen_{n}" for n in range(10, 20)])
    page.get_by_label("Search DAGs").fill("")
    expect_dags(page, ORDER[:25])

    page.get_by_label("Filter by tag").select_option("team_a")
    expect_dags(page, ["etl_daily", "report"])
    page.get_by_role("button", name="Paused").click()
    expect_dags(page, ["report"])
    page.get_by_role("button", name="Active").click()
    expect_dags(page, ["etl_daily"])
    page.get_by_role("button", name="Remove tag filter team_a").click()
    page.get_by_role("button", name="All").click()
    expect_dags(page, ORDER[:25])

    row(page, "etl_daily").get_by_role(
        "button", name="etl", exact=True
    ).click()  # a DAG's tag filters too
    expect_dags(page, ["etl_daily", "etl_hourly"])
    page.go_back()  # the filters are in the URL
    expect_dags(page, ORDER[:25])

    page.get_by_role("button", name="Next").click()
    expect_dags(page, ORDER[25:])
    expect(page.locator(".pager")).to_contain_text("26\u201333 of 33")
    page.reload()  # the page number is in the URL too
    expect_dags(page, ORDER[25:])
    page.get_by_label("Per page").select_option("50")
    expect_dags(page, ORDER)


def test_pause_and_unpause(page: Any, login: Login, server: LiveApi) -> None:
    login(page, "user")
    page.get_by_label("Filter by tag").select_option("generated")
    switch = page.get_by_role("switch", name="Pause gen_10")
    expect(switch).to_be_checked()
    switch.click()
    unpause = page.get_by_role("switch", name="Unpause gen_10")
    expect(unpause).not_to_be_checked()
    expect(row(page, "gen_10")).to_have_class("paused")
    assert api_get(server, "/api/v2/dags/gen_10")["is_paused"] is True
    page.get_by_role("button", name="Paused").click()
    expect_dags(page, ["gen_10"])
    page.get_by_role("button", name="All").click()
    unpause.click()
    expect(page.get_by_role("switch", name="Pause gen_10")).to_be_checked()
    expect(row(page, "gen_10")).not_to_have_class("paused")
    assert api_get(server, "/api/v2/dags/gen_10")["is_paused"] is False
    page.get_by_role("button", name="Paused").click()
    expect_dags(page, [])
    expect(page.locator(".empty")).to_have_text("No DAG matches these filters.")


def test_trigger_a_dag_and_see_its_new_run(page: Any, login: Login, server: LiveApi) -> None:
    login(page, "user")
    squares = row(page, "gen_05").locator("li.run")
    expect(squares).to_have_count(0)
    page.get_by_role("button", name="Trigger gen_05").click()
    dialog = page.get_by_role("dialog", name="Trigger gen_05")
    dialog.get_by_label("Configuration (JSON)").fill('{"rows": 5}')
    dialog.get_by_role("button", name="Trigger").click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_role("status")).to_contain_text("Triggered gen_05")
    expect(squares).to_have_count(1)
    expect(squares).to_have_attribute("data-state", "queued")
    [run] = api_get(server, "/api/v2/dags/gen_05/dagRuns")["dag_runs"]
    assert (run["state"], run["conf"], run["logical_date"]) == ("queued", {"rows": 5}, None)
    assert run["triggered_by"] == "rest_api"
    expect(squares).to_have_attribute("data-run-id", run["dag_run_id"])


def test_trigger_explains_what_is_wrong(page: Any, login: Login, server: LiveApi) -> None:
    login(page, "admin")
    page.get_by_role("button", name="Trigger gen_06").click()
    dialog = page.get_by_role("dialog", name="Trigger gen_06")
    conf = dialog.get_by_label("Configuration (JSON)")
    conf.fill("{not json")
    dialog.get_by_role("button", name="Trigger").click()
    expect(dialog.get_by_role("alert")).to_contain_text("not valid JSON")
    conf.fill("[1, 2]")
    dialog.get_by_role("button", name="Trigger").click()
    expect(dialog.get_by_role("alert")).to_contain_text("must be a JSON object")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    assert api_get(server, "/api/v2/dags/gen_06/dagRuns")["total_entries"] == 0


def test_a_viewer_cannot_trigger_or_pause(page: Any, login: Login, server: LiveApi) -> None:
    login(page, "viewer")
    expect_dags(page, ORDER[:25])
    expect(page.get_by_role("button", name=re.compile("Trigger"))).to_have_count(0)
    expect(page.get_by_role("switch", name="Pause etl_daily")).to_be_disabled()
    expect(page.locator(".user")).to_have_text("viewer viewer")
    refused = api(server, "POST", "/api/v2/dags/gen_07/dagRuns", "viewer", json={})
    assert refused.status_code == 403
    assert "viewer" in refused.json()["detail"]
    refused = api(server, "PATCH", "/api/v2/dags/gen_07", "viewer", json={"is_paused": True})
    assert refused.status_code == 403


def test_a_wrong_password_shows_an_error(page: Any, server: LiveApi) -> None:
    page.goto(server.url + "/")
    expect(page).to_have_url(re.compile("/login$"))
    fill_login_form(page, "admin", password="not-the-password")
    expect(page.get_by_role("alert")).to_have_text("Wrong username or password.")
    assert page.evaluate("sessionStorage.length") == 0
    fill_login_form(page, "admin")
    expect(page.get_by_role("heading", name="DAGs")).to_be_visible()


def test_log_out_and_a_rejected_token_go_back_to_login(
    page: Any, login: Login, server: LiveApi
) -> None:
    login(page, "admin")
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile("/login$"))
    assert page.evaluate("sessionStorage.length") == 0
    page.goto(server.url + "/?tag=etl")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    fill_login_form(page, "admin")
    expect(page).to_have_url(re.compile(r"/\?tag=etl$"))  # back where the user was going
    expect_dags(page, ["etl_daily", "etl_hourly"])

    # A token the server does not accept (a forged signature here) ends the session.
    page.evaluate(
        "sessionStorage.setItem('slipstream.token',"
        " sessionStorage.getItem('slipstream.token').slice(0, -4) + 'AAAA')"
    )
    page.reload()
    expect(page.get_by_label("Username")).to_be_visible()
    expect(page).to_have_url(re.compile("/login"))
    assert page.evaluate("sessionStorage.length") == 0


def test_dark_mode_follows_the_system_and_the_toggle(
    new_page: Callable[..., Any], login: Login
) -> None:
    page = new_page(color_scheme="dark")
    login(page, "admin")
    background = "getComputedStyle(document.body).backgroundColor"
    dark = page.evaluate(background)
    assert dark == "rgb(18, 22, 28)"
    page.get_by_role("button", name="Switch to light mode").click()
    light = page.evaluate(background)
    assert light == "rgb(246, 247, 249)"
    page.reload()  # the choice is remembered
    expect(page.get_by_role("button", name="Switch to dark mode")).to_be_visible()
    assert page.evaluate(background) == light


def test_the_list_updates_while_the_page_is_open(page: Any, login: Login, server: LiveApi) -> None:
    login(page, "viewer")
    squares = row(page, "gen_08").locator("li.run")
    expect(squares).to_have_count(0)
    triggered = api(server, "POST", "/api/v2/dags/gen_08/dagRuns", json={"logical_date": None})
    assert triggered.status_code == 200, triggered.text
    expect(squares).to_have_count(1)  # at the next refresh, without reloading


def test_screenshot_of_the_dags_page(page: Any, login: Login, tmp_path: Path) -> None:
    """The DAGs page as docs/ui-dags.png shows it (`SLIPSTREAM_UI_SCREENSHOTS=docs` writes
    that file; otherwise the screenshot goes to a temporary folder)."""
    login(page, "admin")
    expect(row(page, "etl_daily").locator("li.run")).to_have_count(3)
    expect(page.locator(".import-errors")).to_be_visible()
    take_screenshot(page, "ui-dags.png", tmp_path)


def test_an_answer_read_before_a_change_never_lands(
    page: Any, login: Login, server: LiveApi
) -> None:
    """A refresh under way when the user pauses a DAG is dropped (aborted), not shown after the
    change: the switch never flips back to what that older answer says."""
    login(page, "user")
    page.goto(server.url + "/dags/gen_12")
    switch = page.get_by_role("switch", name="Pause gen_12")
    expect(switch).to_be_checked()

    details = re.compile(r"/api/v2/dags/gen_12/details$")
    held: list[Any] = []

    def hold(route: Any) -> None:
        held.append(route)  # never answered: the refresh hangs

    page.route(details, hold)
    with page.expect_request(details):
        pass  # the page's next refresh, within its 3 s interval
    for _ in range(100):  # its route reaches `hold` at the next exchange with the browser
        if held:
            break
        page.evaluate("0")
    assert len(held) == 1
    stale = held[0]
    with page.expect_event("requestfailed", lambda failed: failed == stale.request, timeout=10_000):
        switch.click()
    page.unroute(details)
    unpause = page.get_by_role("switch", name="Unpause gen_12")
    expect(unpause).not_to_be_checked()
    assert api_get(server, "/api/v2/dags/gen_12")["is_paused"] is True
    # A later refresh agrees; then back to unpaused for the other tests.
    with page.expect_response(details):
        pass
    expect(unpause).not_to_be_checked()
    unpause.click()
    expect(page.get_by_role("switch", name="Pause gen_12")).to_be_checked()

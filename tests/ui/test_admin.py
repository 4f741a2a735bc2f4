"""The admin pages in headless Chromium against the real `slipstream api-server`: variables,
connections (the password never shown back), pools, users and the audit log, and what each
role sees of them.

The tests share one server: each works on names of its own (`ui_*`, `carol`), so none depends
on another's changes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.api.conftest import LiveApi
from tests.ui.conftest import api, api_get, fill_login_form

pytestmark = pytest.mark.integration

Login = Callable[[Any, str], None]


def _nav(page: Page) -> Any:
    return page.get_by_role("navigation", name="Main")


def _open(page: Page, server: LiveApi, path: str, heading: str) -> None:
    _nav(page).get_by_role("link", name=heading).click()
    expect(page).to_have_url(server.url + path)
    expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()


def test_admin_creates_edits_searches_and_deletes_variables(
    page: Page, login: Login, server: LiveApi
) -> None:
    login(page, "admin")
    _open(page, server, "/variables", "Variables")

    page.get_by_role("button", name="+ Add variable").click()
    dialog = page.get_by_role("dialog", name="Add variable")
    dialog.get_by_label("Key").fill("ui_region")
    dialog.get_by_label("Value").fill("eu-west-1")
    dialog.get_by_label("Description").fill("where we run")
    dialog.get_by_role("button", name="Save").click()
    expect(dialog).to_be_hidden()
    row = page.locator("tr[data-key='ui_region']")
    expect(row).to_contain_text("eu-west-1")
    expect(row).to_contain_text("where we run")

    # A taken key: the API's 409 shows in the form, which stays open.
    page.get_by_role("button", name="+ Add variable").click()
    dialog.get_by_label("Key").fill("ui_region")
    dialog.get_by_label("Value").fill("other")
    dialog.get_by_role("button", name="Save").click()
    expect(dialog.get_by_role("alert")).to_contain_text("already exists")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()

    # A sensitive key: its value is shown masked, and editing the description keeps it.
    api(server, "POST", "/api/v2/variables", json={"key": "ui_api_key", "value": "s3cr3t-v4lue"})
    secret_row = page.locator("tr[data-key='ui_api_key']")
    expect(secret_row).to_contain_text("***")
    secret_row.get_by_role("button", name="Edit ui_api_key").click()
    edit = page.get_by_role("dialog", name="Edit variable ui_api_key")
    expect(edit.get_by_label("Value")).to_have_value("***")
    edit.get_by_label("Description").fill("the vendor's key")
    edit.get_by_role("button", name="Save").click()
    expect(secret_row).to_contain_text("the vendor's key")
    assert "s3cr3t-v4lue" not in page.content()
    patched = api_get(server, "/api/v2/eventLogs?event=patch_variable")["event_logs"][-1]
    assert json.loads(patched["extra"])["update_mask"] == ["description"]

    row.get_by_role("button", name="Edit ui_region").click()
    edit = page.get_by_role("dialog", name="Edit variable ui_region")
    expect(edit.get_by_label("Key")).to_have_js_property("readOnly", True)
    edit.get_by_label("Value").fill("us-east-1")
    edit.get_by_role("button", name="Save").click()
    expect(row).to_contain_text("us-east-1")

    page.get_by_role("searchbox", name="Search keys").fill("api_k")
    expect(page).to_have_url(re.compile(r"/variables\?q=api_k$"))
    expect(page.locator("tbody tr")).to_have_count(1)
    expect(secret_row).to_be_visible()
    page.get_by_role("searchbox", name="Search keys").fill("")
    expect(row).to_be_visible()

    row.get_by_role("button", name="Delete ui_region").click()
    confirm = page.get_by_role("dialog", name="Delete variable")
    expect(confirm).to_contain_text("ui_region")
    confirm.get_by_role("button", name="Delete").click()
    expect(row).to_have_count(0)
    assert api(server, "GET", "/api/v2/variables/ui_region").status_code == 404


def test_admin_imports_variables_from_a_json_file(
    page: Page, login: Login, server: LiveApi
) -> None:
    login(page, "admin")
    page.goto(server.url + "/variables")
    page.get_by_role("button", name="Import…").click()
    dialog = page.get_by_role("dialog", name="Import variables")
    dialog.get_by_label("JSON file").set_input_files(
        files=[{"name": "bad.json", "mimeType": "application/json", "buffer": b"[1, 2]"}]
    )
    dialog.get_by_role("button", name="Import").click()
    expect(dialog.get_by_role("alert")).to_contain_text("must hold a JSON object")

    content = {"ui_import_a": "one", "ui_import_b": {"value": {"n": 2}, "description": "two"}}
    dialog.get_by_label("JSON file").set_input_files(
        files=[
            {
                "name": "vars.json",
                "mimeType": "application/json",
                "buffer": json.dumps(content).encode(),
            }
        ]
    )
    dialog.get_by_role("button", name="Import").click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_role("status").filter(has_text="Imported 2 variables")).to_be_visible()
    expect(page.locator("tr[data-key='ui_import_b']")).to_contain_text('{"n": 2}')
    expect(page.locator("tr[data-key='ui_import_b']")).to_contain_text("two")


def test_admin_manages_a_connection_whose_password_is_never_shown(
    page: Page, login: Login, server: LiveApi
) -> None:
    login(page, "admin")
    _open(page, server, "/connections", "Connections")
    page.get_by_role("button", name="+ Add connection").click()
    dialog = page.get_by_role("dialog", name="Add connection")
    dialog.get_by_label("Connection id").fill("ui_pg")
    dialog.get_by_label("Connection type").fill("postgres")
    dialog.get_by_label("Host").fill("db.example.com")
    dialog.get_by_label("Port").fill("5432")
    dialog.get_by_label("Schema").fill("app")
    dialog.get_by_label("Login").fill("alice")
    dialog.get_by_label("Password").fill("pg-s3cret-pw")
    extra = dialog.get_by_label("Extra (JSON object)")
    extra.fill("{not json")
    dialog.get_by_role("button", name="Save").click()
    expect(dialog.get_by_role("alert")).to_contain_text("Extra is not valid JSON")
    extra.fill('{"sslmode": "require", "api_token": "tok-123456"}')
    dialog.get_by_role("button", name="Save").click()
    expect(dialog).to_be_hidden()

    row = page.locator("tr[data-connection-id='ui_pg']")
    for text in ("postgres", "db.example.com", "5432", "app", "alice"):
        expect(row).to_contain_text(text)

    row.get_by_role("button", name="Edit ui_pg").click()
    edit = page.get_by_role("dialog", name="Edit connection ui_pg")
    expect(edit.get_by_label("Password")).to_have_value("")
    expect(edit.get_by_label("Password")).to_have_attribute("placeholder", "unchanged")
    expect(edit.get_by_label("Extra (JSON object)")).to_have_value(
        '{"sslmode": "require", "api_token": "***"}'
    )
    content = page.content()
    assert "pg-s3cret-pw" not in content and "tok-123456" not in content
    edit.get_by_label("Host").fill("db2.example.com")
    edit.get_by_role("button", name="Save").click()
    expect(edit).to_be_hidden()
    expect(row).to_contain_text("db2.example.com")
    # Only the host changed: the password and the token's value were kept.
    stored = api_get(server, "/api/v2/connections/ui_pg")
    assert stored["password"] == "***"
    assert json.loads(stored["extra"]) == {"sslmode": "require", "api_token": "***"}
    patched = api_get(server, "/api/v2/eventLogs?event=patch_connection")["event_logs"][-1]
    assert json.loads(patched["extra"])["update_mask"] == ["host"]

    # Testing is disabled by default: the API's refusal is shown once, then no Test button.
    with page.expect_request(re.compile(r"/api/v2/connections/test$")) as tested:
        row.get_by_role("button", name="Test ui_pg").click()
    assert tested.value.post_data_json == {"connection_id": "ui_pg", "conn_type": "postgres"}
    expect(
        page.get_by_role("alert").filter(has_text="Testing connections is disabled")
    ).to_be_visible()
    expect(row.get_by_role("button", name="Test ui_pg")).to_have_count(0)

    row.get_by_role("button", name="Delete ui_pg").click()
    page.get_by_role("dialog", name="Delete connection").get_by_role(
        "button", name="Delete"
    ).click()
    expect(row).to_have_count(0)


def test_admin_creates_and_edits_a_pool_but_cannot_delete_default_pool(
    page: Page, login: Login, server: LiveApi
) -> None:
    login(page, "admin")
    _open(page, server, "/pools", "Pools")
    page.get_by_role("button", name="+ Add pool").click()
    dialog = page.get_by_role("dialog", name="Add pool")
    dialog.get_by_label("Name").fill("ui_pool")
    dialog.get_by_label("Slots").fill("7")
    dialog.get_by_label("Description").fill("for the UI test")
    dialog.get_by_role("button", name="Save").click()
    expect(dialog).to_be_hidden()
    row = page.locator("tr[data-pool='ui_pool']")
    expect(row.locator("[data-col=slots]")).to_have_text("7")
    expect(row.locator("[data-col=open]")).to_have_text("7")
    expect(row.locator("[data-col=running]")).to_have_text("0")

    row.get_by_role("button", name="Edit ui_pool").click()
    edit = page.get_by_role("dialog", name="Edit pool ui_pool")
    edit.get_by_label("Slots").fill("9")
    edit.get_by_label("Deferred tasks take a slot").check()
    edit.get_by_role("button", name="Save").click()
    expect(row.locator("[data-col=slots]")).to_have_text("9")
    expect(row).to_contain_text("yes")

    default = page.locator("tr[data-pool='default_pool']")
    default.get_by_role("button", name="Delete default_pool").click()
    confirm = page.get_by_role("dialog", name="Delete pool")
    confirm.get_by_role("button", name="Delete").click()
    expect(confirm.get_by_role("alert")).to_have_text("default_pool cannot be deleted")
    confirm.get_by_role("button", name="Cancel").click()
    expect(default).to_be_visible()


def test_admin_manages_users_and_the_audit_log_shows_it(
    new_page: Callable[..., Page], login: Login, server: LiveApi
) -> None:
    page = new_page()
    login(page, "admin")
    _open(page, server, "/users", "Users")
    expect(page.locator("tr[data-username='admin']")).to_contain_text("(you)")
    expect(page.get_by_role("button", name="Delete admin")).to_have_count(0)

    page.get_by_role("button", name="+ Add user").click()
    dialog = page.get_by_role("dialog", name="Add user")
    dialog.get_by_label("Username").fill("op")
    dialog.get_by_label("Role").select_option("op")
    dialog.get_by_label("Password", exact=True).fill("carol-pw-123")
    dialog.get_by_label("Confirm password").fill("carol-pw-124")
    dialog.get_by_role("button", name="Create").click()
    expect(dialog.get_by_role("alert")).to_have_text("The two passwords differ")
    dialog.get_by_label("Confirm password").fill("carol-pw-123")
    dialog.get_by_role("button", name="Create").click()
    expect(dialog.get_by_role("alert")).to_have_text("User 'op' already exists")
    dialog.get_by_label("Username").fill("carol")
    dialog.get_by_role("button", name="Create").click()
    expect(dialog).to_be_hidden()
    carol = page.locator("tr[data-username='carol']")
    expect(carol.locator("[data-col=role]")).to_have_text("op")
    expect(carol).to_contain_text("never")

    # Carol logs in with that role: op pages, no Users link.
    other = new_page()
    other.goto(server.url + "/")
    fill_login_form(other, "carol", "carol-pw-123")
    expect(other.get_by_role("heading", name="DAGs")).to_be_visible()
    expect(other.locator(".user")).to_have_attribute("data-role", "op")
    expect(_nav(other).get_by_role("link", name="Variables")).to_be_visible()
    expect(_nav(other).get_by_role("link", name="Users")).to_have_count(0)

    carol.get_by_role("button", name="Change role of carol").click()
    role = page.get_by_role("dialog", name="Change the role of carol")
    role.get_by_label("Role").select_option("viewer")
    role.get_by_role("button", name="Save").click()
    expect(carol.locator("[data-col=role]")).to_have_text("viewer")

    carol.get_by_role("button", name="Reset password of carol").click()
    reset = page.get_by_role("dialog", name="Reset the password of carol")
    expect(reset).to_contain_text("stay valid until their token expires")
    reset.get_by_label("Password", exact=True).fill("short")
    reset.get_by_label("Confirm password").fill("short")
    reset.get_by_role("button", name="Reset password").click()
    expect(reset.get_by_role("alert")).to_contain_text("at least 8 characters")
    reset.get_by_label("Password", exact=True).fill("carol-new-pw-1")
    reset.get_by_label("Confirm password").fill("carol-new-pw-1")
    reset.get_by_role("button", name="Reset password").click()
    expect(reset).to_be_hidden()

    carol.get_by_role("button", name="Delete carol").click()
    page.get_by_role("dialog", name="Delete user").get_by_role("button", name="Delete").click()
    expect(carol).to_have_count(0)
    # Carol's open session ends at her next request.
    expect(other.get_by_role("button", name="Log in")).to_be_visible()

    _open(page, server, "/events", "Audit log")
    events = page.locator("tbody [data-col=event]")
    for name in ("delete_user", "patch_user", "post_user"):
        expect(events.filter(has_text=name).first).to_be_visible()
    page.get_by_label("Event", exact=True).fill("post_user")
    expect(page).to_have_url(re.compile(r"/events\?event=post_user$"))
    expect(events).to_have_count(1)
    created = page.locator("tbody tr").first
    expect(created).to_contain_text('"username": "carol"')
    expect(created).to_contain_text('"password": "***"')
    expect(created.locator("[data-col=owner]")).to_have_text("admin")
    assert "carol-pw-123" not in page.content()

    page.get_by_label("User", exact=True).fill("nobody-at-all")
    expect(page.get_by_text("No event matches these filters.")).to_be_visible()
    page.get_by_role("button", name="Clear filters").click()
    expect(page).to_have_url(server.url + "/events")
    expect(events.first).to_be_visible()


def test_an_op_sees_variables_connections_and_pools_but_not_users(
    page: Page, login: Login, server: LiveApi
) -> None:
    login(page, "op")
    nav = _nav(page)
    for name in ("Variables", "Connections", "Pools", "Audit log"):
        expect(nav.get_by_role("link", name=name)).to_be_visible()
    expect(nav.get_by_role("link", name="Users")).to_have_count(0)
    _open(page, server, "/pools", "Pools")
    expect(page.get_by_role("button", name="+ Add pool")).to_be_visible()
    page.goto(server.url + "/users")
    expect(page.get_by_role("alert")).to_have_text(
        "Forbidden: role 'op' may not GET user resources"
    )


def test_a_viewer_sees_pools_read_only_and_no_variables_or_connections(
    page: Page, login: Login, server: LiveApi
) -> None:
    login(page, "viewer")
    nav = _nav(page)
    expect(nav.get_by_role("link", name="Pools")).to_be_visible()
    for name in ("Variables", "Connections", "Users"):
        expect(nav.get_by_role("link", name=name)).to_have_count(0)
    _open(page, server, "/pools", "Pools")
    expect(page.locator("tr[data-pool='default_pool']")).to_be_visible()
    expect(page.get_by_role("button", name="+ Add pool")).to_have_count(0)
    expect(page.get_by_role("button", name="Edit default_pool")).to_have_count(0)

    page.goto(server.url + "/variables")
    expect(page.get_by_role("alert")).to_have_text(
        "Forbidden: role 'viewer' may not GET variable resources"
    )
    expect(page.get_by_role("button", name="+ Add variable")).to_have_count(0)


def test_an_admin_who_demotes_themself_is_logged_out(
    new_page: Callable[[], Page], server: LiveApi
) -> None:
    api(
        server,
        "POST",
        "/ui/users",
        json={"username": "dora", "role": "admin", "password": "dora-pw-123"},
    )
    page = new_page()
    page.goto(server.url + "/users")
    fill_login_form(page, "dora", "dora-pw-123")
    dora = page.locator("tr[data-username='dora']")
    dora.get_by_role("button", name="Change role of dora").click()
    role = page.get_by_role("dialog", name="Change the role of dora")
    expect(role).to_contain_text("you will be logged out")
    role.get_by_label("Role").select_option("viewer")
    role.get_by_role("button", name="Save").click()
    told = page.get_by_role("dialog", name="Your role changed")
    expect(told).to_contain_text("You are now viewer")
    told.get_by_role("button", name="Log in again").click()
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    fill_login_form(page, "dora", "dora-pw-123")
    expect(page.locator(".user")).to_have_attribute("data-role", "viewer")

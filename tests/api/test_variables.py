"""`/api/v2/variables`: CRUD, listing, bulk actions, masking of sensitive values, roles and the
audit log."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from slipstream.db.engine import Database
from slipstream.db.models import Variable
from slipstream.db.store import audit as audit_log
from slipstream.db.store import variables
from slipstream.db.store.paging import Page

URL = "/api/v2/variables"


@pytest.fixture
def op(client_as: Callable[[str], TestClient]) -> TestClient:
    return client_as("op")


def _post(client: TestClient, key: str, value: Any, **fields: Any) -> dict[str, Any]:
    response = client.post(URL, json={"key": key, "value": value, **fields})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _events(db: Database, event: str) -> list[audit_log.AuditEvent]:
    with db.session() as session:
        return audit_log.list_events(session, events=[event])


# -- one variable -------------------------------------------------------------------------


def test_create_read_update_delete(op: TestClient, api_db: Database) -> None:
    created = _post(op, "region", "eu-west-1", description="where we run")
    assert created == {
        "key": "region",
        "value": "eu-west-1",
        "description": "where we run",
        "is_encrypted": True,
        "team_name": None,
    }
    assert op.get(f"{URL}/region").json() == created

    patched = op.patch(
        f"{URL}/region",
        params={"update_mask": ["description"]},
        json={"key": "region", "value": "ignored", "description": "moved"},
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["value"] == "eu-west-1"  # not in the mask: kept
    assert patched.json()["description"] == "moved"

    replaced = op.patch(f"{URL}/region", json={"key": "region", "value": "us-east-2"})
    assert replaced.json()["value"] == "us-east-2"
    assert replaced.json()["description"] == "moved"  # not given: kept

    assert op.delete(f"{URL}/region").status_code == 204
    missing = op.get(f"{URL}/region")
    assert missing.status_code == 404
    assert missing.json() == {"detail": "The Variable with key: `region` was not found"}


def test_values_are_stored_encrypted_and_read_back_by_tasks(
    op: TestClient, api_db: Database
) -> None:
    _post(op, "greeting", "hello")
    with api_db.session() as session:
        stored = session.scalar(select(Variable.val).where(Variable.key == "greeting"))
        assert stored is not None and "hello" not in stored
        assert variables.get_variable(session, "greeting") == "hello"


def test_values_that_are_not_strings_are_stored_as_json(op: TestClient, api_db: Database) -> None:
    assert _post(op, "limits", {"cpu": 2, "tags": ["a"]})["value"] == '{"cpu": 2, "tags": ["a"]}'
    assert _post(op, "retries", 3)["value"] == "3"
    assert _post(op, "enabled", True)["value"] == "true"


def test_keys_may_hold_slashes(op: TestClient) -> None:
    _post(op, "team/a/bucket", "s3://a")
    assert op.get(f"{URL}/team/a/bucket").json()["value"] == "s3://a"
    assert op.delete(f"{URL}/team/a/bucket").status_code == 204


def test_bad_input_is_a_clear_4xx(op: TestClient) -> None:
    _post(op, "taken", "1")
    duplicate = op.post(URL, json={"key": "taken", "value": "2"})
    assert duplicate.status_code == 409
    assert duplicate.json()["detail"] == "The Variable with key: `taken` already exists"
    assert op.post(URL, json={"key": "k", "value": "v", "colour": "red"}).status_code == 422
    assert op.post(URL, json={"key": "k"}).json()["detail"][0]["loc"] == ["body", "value"]
    teams = op.post(URL, json={"key": "k", "value": "v", "team_name": "blue"})
    assert teams.status_code == 422
    assert "multi-team" in teams.text
    assert op.post(URL, json={"key": " ", "value": "v"}).status_code == 400
    assert op.post(URL, json={"key": "k" * 251, "value": "v"}).status_code == 422


def test_patch_refuses_a_key_change_and_unknown_mask_fields(op: TestClient) -> None:
    _post(op, "a", "1")
    other_key = op.patch(f"{URL}/a", json={"key": "b", "value": "1"})
    assert other_key.status_code == 400
    assert "'b'" in other_key.json()["detail"] and "'a'" in other_key.json()["detail"]
    mask_key = op.patch(
        f"{URL}/a", params={"update_mask": ["key"]}, json={"key": "a", "value": "2"}
    )
    assert mask_key.status_code == 400
    assert "key cannot be updated" in mask_key.json()["detail"]
    unknown = op.patch(f"{URL}/a", params={"update_mask": ["val"]}, json={"key": "a", "value": "2"})
    assert unknown.status_code == 400
    assert "val" in unknown.json()["detail"]
    assert op.get(f"{URL}/a").json()["value"] == "1"


def test_missing_variables_are_404(op: TestClient) -> None:
    assert op.patch(f"{URL}/nope", json={"key": "nope", "value": "1"}).status_code == 404
    deleted = op.delete(f"{URL}/nope")
    assert deleted.status_code == 404
    assert "`nope`" in deleted.json()["detail"]


# -- masking -------------------------------------------------------------------------------


def test_values_of_sensitive_keys_are_masked(op: TestClient) -> None:
    assert _post(op, "db_password", "hunter22")["value"] == "***"
    assert _post(op, "MY_API_KEY", "k-123456")["value"] == "***"
    nested = _post(op, "service", {"user": "bot", "token": "t-1234567", "opts": {"secret": "s"}})
    assert json.loads(nested["value"]) == {"user": "bot", "token": "***", "opts": {"secret": "***"}}
    whole = _post(op, "aws_secret", {"id": "AKIA", "pair": ["x", "y"]})
    assert json.loads(whole["value"]) == {"id": "***", "pair": ["***", "***"]}
    assert op.get(f"{URL}/db_password").json()["value"] == "***"
    listed = {v["key"]: v["value"] for v in op.get(URL).json()["variables"]}
    assert listed["db_password"] == "***"
    assert "hunter22" not in op.get(URL).text


def test_a_masked_value_sent_back_keeps_the_secret(op: TestClient, api_db: Database) -> None:
    _post(op, "db_password", "hunter22")
    _post(op, "service", {"user": "bot", "token": "t-1234567"})
    shown = op.get(f"{URL}/db_password").json()
    op.patch(f"{URL}/db_password", json={**shown, "description": "the DB's"})
    service = op.get(f"{URL}/service").json()
    edited = json.dumps({**json.loads(service["value"]), "user": "robot"})
    op.patch(f"{URL}/service", json={"key": "service", "value": edited})
    with api_db.session() as session:
        assert variables.get_variable(session, "db_password") == "hunter22"
        assert json.loads(variables.get_variable(session, "service") or "") == {
            "user": "robot",
            "token": "t-1234567",
        }


def test_extra_sensitive_names_and_turning_masking_off(
    monkeypatch: pytest.MonkeyPatch, api_db: Database
) -> None:
    from slipstream.api import create_app
    from slipstream.config import reset_config_cache

    monkeypatch.setenv("SLIPSTREAM__CORE__SENSITIVE_VAR_CONN_NAMES", "pin, ssn")
    reset_config_cache()
    with _logged_in(create_app(db=api_db)) as client:
        assert _post(client, "card_pin", "1234")["value"] == "***"
    monkeypatch.setenv("SLIPSTREAM__CORE__HIDE_SENSITIVE_VAR_CONN_FIELDS", "False")
    reset_config_cache()
    with _logged_in(create_app(db=api_db)) as client:
        assert client.get(f"{URL}/card_pin").json()["value"] == "1234"
        assert _post(client, "db_password", "hunter22")["value"] == "hunter22"


def _logged_in(app: Any) -> TestClient:
    from .conftest import PASSWORDS

    client = TestClient(app, raise_server_exceptions=False)
    token = client.post("/auth/token", json={"username": "op", "password": PASSWORDS["op"]})
    client.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
    return client


# -- listing -------------------------------------------------------------------------------


def test_list_filters_pages_and_sorts(op: TestClient) -> None:
    for key in ("etl_source", "etl_target", "ETL_MODE", "api_url", "cfg%x"):
        _post(op, key, "v", description=f"about {key}")

    def keys(**params: Any) -> tuple[list[str], int]:
        response = op.get(URL, params=params)
        assert response.status_code == 200, response.text
        body = response.json()
        return [v["key"] for v in body["variables"]], body["total_entries"]

    assert keys() == (["etl_source", "etl_target", "ETL_MODE", "api_url", "cfg%x"], 5)
    assert keys(variable_key_pattern="etl") == (["etl_source", "etl_target", "ETL_MODE"], 3)
    assert keys(variable_key_pattern="api|target") == (["etl_target", "api_url"], 2)
    assert keys(variable_key_pattern="~")[1] == 5
    assert keys(variable_key_prefix_pattern="etl_") == (["etl_source", "etl_target"], 2)
    assert keys(variable_key_prefix_pattern="ETL") == (["ETL_MODE"], 1)
    assert keys(order_by="key") == (
        sorted(["etl_source", "etl_target", "ETL_MODE", "api_url", "cfg%x"]),
        5,
    )
    assert keys(order_by="-key", limit=2) == (["etl_target", "etl_source"], 5)
    assert keys(order_by="key", limit=2, offset=2)[0] == ["cfg%x", "etl_source"]
    assert keys(order_by=["description", "-id"], limit=1)[0] == ["ETL_MODE"]
    bad = op.get(URL, params={"order_by": "value"})
    assert bad.status_code == 400
    assert "'value'" in bad.json()["detail"]
    assert op.get(URL, params={"limit": -1}).status_code == 422


@pytest.mark.integration
def test_listing_runs_on_postgresql(pg_db: Database, api_db: Database) -> None:
    from slipstream.config import get_config

    config = get_config()
    with pg_db.begin() as session:
        for key in ("Abc", "abd", "xyz"):
            variables.set_variable(session, key, "v", config=config)
    with pg_db.session() as session:
        order = (("team_name", True), ("key", True), ("_val", False), ("is_encrypted", False))
        found, total = variables.find_variables(
            session, Page(10, 0, order), pattern="AB", config=config
        )
        assert ([v.key for v in found], total) == (["abd", "Abc"], 2)


# -- roles and audit -----------------------------------------------------------------------


@pytest.mark.parametrize("role", ["viewer", "user"])
def test_viewers_and_users_may_not_even_read(
    client_as: Callable[[str], TestClient], op: TestClient, role: str
) -> None:
    _post(op, "a", "1")
    client = client_as(role)
    assert client.get(URL).status_code == 403
    assert client.get(f"{URL}/a").status_code == 403
    assert client.post(URL, json={"key": "b", "value": "2"}).status_code == 403
    assert client.delete(f"{URL}/a").status_code == 403
    assert client.patch(URL, json={"actions": []}).status_code == 403


def test_anonymous_callers_are_401(anonymous_client: TestClient) -> None:
    assert anonymous_client.get(URL).status_code == 401
    assert anonymous_client.post(URL, json={"key": "a", "value": "1"}).status_code == 401


def test_changes_are_audited_with_values_masked(
    client_as: Callable[[str], TestClient], api_db: Database
) -> None:
    admin = client_as("admin")
    _post(admin, "db_password", "hunter22")
    admin.patch(f"{URL}/db_password", json={"key": "db_password", "value": "hunter33"})
    admin.patch(
        URL,
        json={
            "actions": [{"action": "create", "entities": [{"key": "x", "value": "plain-secret"}]}]
        },
    )
    admin.delete(f"{URL}/db_password")
    for event in ("post_variable", "patch_variable", "bulk_variables", "delete_variable"):
        [recorded] = _events(api_db, event)
        assert recorded.owner == "admin"
        assert recorded.extra is not None
        assert "hunter" not in recorded.extra and "plain-secret" not in recorded.extra
    [posted] = _events(api_db, "post_variable")
    assert json.loads(posted.extra or "") == {
        "key": "db_password",
        "value": "***",
        "description": None,
    }
    [bulked] = _events(api_db, "bulk_variables")
    assert json.loads(bulked.extra or "")["actions"][0]["entities"] == ["x"]
    assert _events(api_db, "get_variable") == []


def test_a_refused_change_is_not_audited(op: TestClient, api_db: Database) -> None:
    _post(op, "a", "1")
    assert op.post(URL, json={"key": "a", "value": "2"}).status_code == 409
    assert len(_events(api_db, "post_variable")) == 1


# -- bulk ----------------------------------------------------------------------------------


def _bulk(client: TestClient, *actions: dict[str, Any]) -> dict[str, Any]:
    response = client.patch(URL, json={"actions": list(actions)})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _values(db: Database) -> dict[str, str | None]:
    with db.session() as session:
        return {v.key: v.value for v in variables.list_variables(session)}


def test_bulk_create_update_delete(op: TestClient, api_db: Database) -> None:
    _post(op, "old", "1")
    result = _bulk(
        op,
        {"action": "create", "entities": [{"key": "a", "value": "1"}, {"key": "b", "value": [1]}]},
        {"action": "update", "entities": [{"key": "a", "value": "2", "description": "two"}]},
        {"action": "delete", "entities": ["old", {"key": "b", "value": "ignored"}]},
    )
    assert result == {
        "create": {"success": ["a", "b"], "errors": []},
        "update": {"success": ["a"], "errors": []},
        "delete": {"success": ["old", "b"], "errors": []},
    }
    assert _values(api_db) == {"a": "2"}


def test_bulk_create_on_existing_keys_fails_skips_or_overwrites(
    op: TestClient, api_db: Database
) -> None:
    _post(op, "a", "1")
    entities = [{"key": "a", "value": "new"}, {"key": "b", "value": "new"}]
    failed = _bulk(op, {"action": "create", "entities": entities})
    assert failed == {
        "create": {
            "success": [],
            "errors": [{"error": "These variables already exist: a", "status_code": 409}],
        },
        "update": None,
        "delete": None,
    }
    assert _values(api_db) == {"a": "1"}  # the failed action wrote nothing
    skipped = _bulk(op, {"action": "create", "entities": entities, "action_on_existence": "skip"})
    assert skipped["create"] == {"success": ["b"], "errors": []}
    assert _values(api_db) == {"a": "1", "b": "new"}
    _bulk(op, {"action": "create", "entities": entities, "action_on_existence": "overwrite"})
    assert _values(api_db) == {"a": "new", "b": "new"}


def test_bulk_update_and_delete_of_missing_keys(op: TestClient, api_db: Database) -> None:
    _post(op, "a", "1")
    entities = [{"key": "a", "value": "2"}, {"key": "ghost", "value": "2"}]
    result = _bulk(
        op,
        {"action": "update", "entities": entities},
        {"action": "update", "entities": entities, "action_on_non_existence": "skip"},
        {"action": "delete", "entities": ["ghost"]},
        {"action": "delete", "entities": ["ghost"], "action_on_non_existence": "skip"},
    )
    assert result["update"] == {
        "success": ["a"],
        "errors": [{"error": "These variables were not found: ghost", "status_code": 404}],
    }
    assert result["delete"] == {
        "success": [],
        "errors": [{"error": "These variables were not found: ghost", "status_code": 404}],
    }
    assert _values(api_db) == {"a": "2"}


def test_bulk_update_with_a_mask_and_bad_actions(op: TestClient, api_db: Database) -> None:
    _post(op, "a", "1", description="one")
    result = _bulk(
        op,
        {
            "action": "update",
            "entities": [{"key": "a", "value": "2", "description": "two"}],
            "update_mask": ["description"],
        },
        {"action": "update", "entities": [{"key": "a", "value": "3"}], "update_mask": ["nope"]},
        {"action": "create", "entities": [{"key": "c", "value": "1"}, {"key": "c", "value": "2"}]},
    )
    assert result["update"]["success"] == ["a"]
    assert result["update"]["errors"][0]["status_code"] == 400
    assert "nope" in result["update"]["errors"][0]["error"]
    assert result["create"]["errors"] == [
        {"error": "These variables appear more than once: c", "status_code": 400}
    ]
    with api_db.session() as session:
        assert variables.get_variable_entry(session, "a") == variables.VariableEntry(
            "a", "1", "two"
        )
        assert variables.get_variable(session, "c") is None


def test_malformed_bulk_bodies_are_422(op: TestClient) -> None:
    assert (
        op.patch(URL, json={"actions": [{"action": "rename", "entities": []}]}).status_code == 422
    )
    assert op.patch(URL, json={"actions": [], "dry_run": True}).status_code == 422
    bad_entity = {"action": "create", "entities": [{"key": "a"}]}
    assert op.patch(URL, json={"actions": [bad_entity]}).status_code == 422
    bad_option = {"action": "create", "entities": [], "action_on_existence": "merge"}
    assert op.patch(URL, json={"actions": [bad_option]}).status_code == 422


# -- the official client against the real server --------------------------------------------


@pytest.mark.integration
def test_official_client_covers_every_route(airflow_client: Callable[[str], Any]) -> None:
    import airflow_client.client as af
    from airflow_client.client.models.actions_inner4 import ActionsInner4
    from airflow_client.client.models.entities_inner4 import EntitiesInner4

    api = af.VariableApi(airflow_client("op"))
    created = api.post_variable(af.VariableBody(key="region", value="eu", description="d"))
    assert (created.key, created.value, created.is_encrypted) == ("region", "eu", True)
    api.post_variable(af.VariableBody(key="db_password", value="hunter22"))
    assert api.get_variable("db_password").value == "***"
    listed = api.get_variables(variable_key_pattern="reg", order_by=["-key"], limit=10)
    assert (listed.total_entries, [v.key for v in listed.variables]) == (1, ["region"])
    patched = api.patch_variable(
        "region", af.VariableBody(key="region", value="us"), update_mask=["value"]
    )
    assert (patched.value, patched.description) == ("us", "d")
    result = api.bulk_variables(
        af.BulkBodyVariableBody(
            actions=[
                ActionsInner4(
                    af.BulkCreateActionVariableBody(
                        action="create", entities=[af.VariableBody(key="x", value="1")]
                    )
                ),
                ActionsInner4(
                    af.BulkDeleteActionVariableBody(
                        action="delete",
                        entities=[EntitiesInner4("db_password")],
                    )
                ),
            ]
        )
    )
    assert result.create is not None and result.create.success == ["x"]
    assert result.delete is not None and result.delete.success == ["db_password"]
    api.delete_variable("region")
    with pytest.raises(af.exceptions.NotFoundException):
        api.get_variable("region")
    with pytest.raises(af.exceptions.ForbiddenException):
        af.VariableApi(airflow_client("viewer")).get_variables()

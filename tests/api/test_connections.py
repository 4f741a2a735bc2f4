"""`/api/v2/connections`: CRUD, listing, bulk actions, testing, default connections, masking of
passwords and extras, roles and the audit log."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from slipstream.db.engine import Database
from slipstream.db.models import Connection as ConnectionRow
from slipstream.db.store import audit as audit_log
from slipstream.db.store import connections
from slipstream.db.store.paging import Page

from .conftest import PASSWORDS

URL = "/api/v2/connections"
PG = {
    "connection_id": "warehouse",
    "conn_type": "postgres",
    "host": "db.example.com",
    "login": "etl",
    "password": "hunter22",
    "schema": "analytics",
    "port": 5432,
    "extra": json.dumps({"sslmode": "require", "api_key": "k-123456"}),
}


@pytest.fixture
def op(client_as: Callable[[str], TestClient]) -> TestClient:
    return client_as("op")


def _post(client: TestClient, **fields: Any) -> dict[str, Any]:
    response = client.post(URL, json=fields)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _stored(db: Database, conn_id: str) -> connections.Connection | None:
    with db.session() as session:
        return connections.get_connection(session, conn_id)


def _events(db: Database, event: str) -> list[audit_log.AuditEvent]:
    with db.session() as session:
        return audit_log.list_events(session, events=[event])


# -- one connection ------------------------------------------------------------------------


def test_create_read_update_delete(op: TestClient, api_db: Database) -> None:
    created = _post(op, **PG, description="the warehouse")
    assert created == {
        "connection_id": "warehouse",
        "conn_type": "postgres",
        "description": "the warehouse",
        "host": "db.example.com",
        "login": "etl",
        "schema": "analytics",
        "port": 5432,
        "password": "***",
        "extra": json.dumps({"sslmode": "require", "api_key": "***"}),
        "team_name": None,
    }
    assert op.get(f"{URL}/warehouse").json() == created

    moved = op.patch(
        f"{URL}/warehouse",
        json={"connection_id": "warehouse", "conn_type": "postgres", "host": "db2.example.com"},
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["host"] == "db2.example.com"
    stored = _stored(api_db, "warehouse")
    assert stored is not None
    assert (stored.password, stored.login, stored.port) == ("hunter22", "etl", 5432)

    masked = op.patch(
        f"{URL}/warehouse",
        params={"update_mask": ["port", "login"]},
        json={**PG, "port": 6543, "host": "ignored", "login": None},
    )
    assert masked.status_code == 200, masked.text
    assert (masked.json()["port"], masked.json()["host"], masked.json()["login"]) == (
        6543,
        "db2.example.com",
        None,
    )

    assert op.delete(f"{URL}/warehouse").status_code == 204
    missing = op.get(f"{URL}/warehouse")
    assert missing.status_code == 404
    assert missing.json() == {
        "detail": "The Connection with connection_id: `warehouse` was not found"
    }


def test_secrets_are_stored_encrypted_and_tasks_read_them(op: TestClient, api_db: Database) -> None:
    _post(op, **PG)
    with api_db.session() as session:
        row = session.scalars(select(ConnectionRow)).one()
    assert row.is_encrypted and row.is_extra_encrypted
    assert "hunter22" not in (row.password or "") and "k-123456" not in (row.extra or "")
    conn = _stored(api_db, "warehouse")
    assert conn is not None
    assert conn.get_uri().startswith("postgres://etl:hunter22@db.example.com:5432/analytics")
    assert conn.extra_dejson == {"sslmode": "require", "api_key": "k-123456"}


def test_a_masked_password_or_extra_sent_back_keeps_the_secrets(
    op: TestClient, api_db: Database
) -> None:
    _post(op, **PG)
    shown = op.get(f"{URL}/warehouse").json()
    extra = {**json.loads(shown["extra"]), "sslmode": "disable"}
    response = op.patch(
        f"{URL}/warehouse", json={**shown, "description": "edited", "extra": json.dumps(extra)}
    )
    assert response.status_code == 200, response.text
    stored = _stored(api_db, "warehouse")
    assert stored is not None
    assert stored.password == "hunter22"
    assert stored.extra_dejson == {"sslmode": "disable", "api_key": "k-123456"}
    assert stored.description == "edited"
    cleared = op.patch(f"{URL}/warehouse", json={**shown, "password": None, "extra": None})
    assert cleared.json()["password"] is None and cleared.json()["extra"] is None


def test_bad_input_is_a_clear_4xx(op: TestClient) -> None:
    _post(op, **PG)
    duplicate = op.post(URL, json=PG)
    assert duplicate.status_code == 409
    assert "`conn_id`=warehouse already exists" in duplicate.json()["detail"]
    no_type = op.post(URL, json={"connection_id": "x"})
    assert no_type.status_code == 422
    assert no_type.json()["detail"][0]["loc"] == ["body", "conn_type"]
    cases = [
        {"connection_id": "x", "conn_type": "http", "colour": "red"},
        {"connection_id": "has space", "conn_type": "http"},
        {"connection_id": "x", "conn_type": "http", "extra": "not json"},
        {"connection_id": "x", "conn_type": "http", "extra": "[1, 2]"},
        {"connection_id": "x", "conn_type": "http", "port": 70000},
        {"connection_id": "x", "conn_type": "http", "team_name": "blue"},
        {"connection_id": "x" * 201, "conn_type": "http"},
    ]
    for body in cases:
        response = op.post(URL, json=body)
        assert response.status_code == 422, (body, response.text)
    assert "JSON object" in op.post(URL, json=cases[2]).text
    assert (
        op.post(URL, json={"connection_id": "e", "conn_type": "http", "extra": ""}).json()["extra"]
        == "{}"
    )


def test_patch_refuses_an_id_change_unknown_mask_fields_and_missing_ids(op: TestClient) -> None:
    _post(op, **PG)
    renamed = op.patch(f"{URL}/warehouse", json={**PG, "connection_id": "lake"})
    assert renamed.status_code == 400
    assert "'lake'" in renamed.json()["detail"]
    unknown = op.patch(f"{URL}/warehouse", params={"update_mask": ["hostname"]}, json=PG)
    assert unknown.status_code == 400
    assert "hostname" in unknown.json()["detail"]
    ghost = {**PG, "connection_id": "ghost"}
    assert op.patch(f"{URL}/ghost", json=ghost).status_code == 404
    assert op.delete(f"{URL}/ghost").status_code == 404


# -- listing -------------------------------------------------------------------------------


def test_list_filters_pages_and_sorts(op: TestClient) -> None:
    for conn_id, conn_type in (("pg_main", "postgres"), ("pg_replica", "postgres"), ("s3", "aws")):
        _post(op, connection_id=conn_id, conn_type=conn_type, password="pw-secret")

    def ids(**params: Any) -> tuple[list[str], int]:
        response = op.get(URL, params=params)
        assert response.status_code == 200, response.text
        body = response.json()
        assert all(c["password"] == "***" for c in body["connections"])
        return [c["connection_id"] for c in body["connections"]], body["total_entries"]

    assert ids() == (["pg_main", "pg_replica", "s3"], 3)
    assert ids(connection_id_pattern="REPLICA|s3") == (["pg_replica", "s3"], 2)
    assert ids(connection_id_prefix_pattern="pg_") == (["pg_main", "pg_replica"], 2)
    assert ids(connection_id_prefix_pattern="PG") == ([], 0)
    assert ids(order_by=["conn_type", "-connection_id"]) == (["s3", "pg_replica", "pg_main"], 3)
    assert ids(order_by="-conn_id", limit=1, offset=1) == (["pg_replica"], 3)
    assert op.get(URL, params={"order_by": "password"}).status_code == 400


@pytest.mark.integration
def test_listing_runs_on_postgresql(pg_db: Database, api_db: Database) -> None:
    from slipstream.config import get_config

    config = get_config()
    with pg_db.begin() as session:
        for conn_id in ("pg_a", "pg_b", "s3"):
            connections.set_connection(session, connections.Connection(conn_id, "x"), config=config)
    with pg_db.session() as session:
        order = (("team_name", False), ("port", True), ("connection_id", True))
        found, total = connections.find_connections(
            session, Page(10, 0, order), prefix="pg_", config=config
        )
        assert ([c.conn_id for c in found], total) == (["pg_b", "pg_a"], 2)


# -- masking settings ----------------------------------------------------------------------


def test_masking_follows_the_configuration(
    monkeypatch: pytest.MonkeyPatch, api_db: Database
) -> None:
    monkeypatch.setenv("SLIPSTREAM__CORE__SENSITIVE_VAR_CONN_NAMES", "sslmode")
    with _app_client(monkeypatch, api_db) as client:
        shown = _post(client, **PG)
    assert json.loads(shown["extra"]) == {"sslmode": "***", "api_key": "***"}
    monkeypatch.setenv("SLIPSTREAM__CORE__HIDE_SENSITIVE_VAR_CONN_FIELDS", "False")
    with _app_client(monkeypatch, api_db) as client:
        shown = client.get(f"{URL}/warehouse").json()
    assert json.loads(shown["extra"])["api_key"] == "k-123456"
    assert shown["password"] == "***"  # passwords are never shown


def _app_client(monkeypatch: pytest.MonkeyPatch, db: Database) -> TestClient:
    """An op client of an application made with the current environment's configuration."""
    from slipstream.api import create_app
    from slipstream.config import reset_config_cache

    reset_config_cache()
    client = TestClient(create_app(db=db), raise_server_exceptions=False)
    token = client.post("/auth/token", json={"username": "op", "password": PASSWORDS["op"]})
    client.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
    return client


# -- testing -------------------------------------------------------------------------------


def test_testing_is_forbidden_unless_enabled(op: TestClient) -> None:
    refused = op.post(f"{URL}/test", json=PG)
    assert refused.status_code == 403
    assert "[core] test_connection" in refused.json()["detail"]
    assert op.post(f"{URL}/enqueue-test", json=PG).status_code == 403
    headers = {"Airflow-Connection-Test-Token": "abc"}
    assert op.get(f"{URL}/enqueue-test", headers=headers).status_code == 403


@pytest.fixture
def testing_enabled(monkeypatch: pytest.MonkeyPatch, api_db: Database) -> Iterator[TestClient]:
    monkeypatch.setenv("SLIPSTREAM__CORE__TEST_CONNECTION", "Enabled")
    with _app_client(monkeypatch, api_db) as client:
        yield client


def test_an_enabled_test_reports_what_it_could_not_test(testing_enabled: TestClient) -> None:
    response = testing_enabled.post(f"{URL}/test", json=PG)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "status": False,
        "message": "Slipstream cannot test connections of type 'postgres': no installed hook "
        "implements test_connection",
    }
    queued = testing_enabled.post(f"{URL}/enqueue-test", json=PG)
    assert queued.status_code == 422
    assert "POST /api/v2/connections/test" in queued.json()["detail"]
    headers = {"Airflow-Connection-Test-Token": "abc"}
    assert testing_enabled.get(f"{URL}/enqueue-test", headers=headers).status_code == 404


# -- default connections -------------------------------------------------------------------


def test_default_connections_are_added_without_touching_existing_ones(
    op: TestClient, api_db: Database
) -> None:
    _post(op, connection_id="http_default", conn_type="http", host="mine.example.com")
    assert op.post(f"{URL}/defaults").status_code == 204
    listed = op.get(URL, params={"limit": 100}).json()
    ids = {c["connection_id"] for c in listed["connections"]}
    assert {"fs_default", "postgres_default", "sqlite_default", "http_default"} <= ids
    assert op.get(f"{URL}/http_default").json()["host"] == "mine.example.com"
    assert op.get(f"{URL}/postgres_default").json()["password"] == "***"
    [event] = _events(api_db, "create_default_connections")
    assert "http_default" not in json.loads(event.extra or "")["added"]
    assert op.post(f"{URL}/defaults").status_code == 204  # again: nothing to add
    assert op.get(URL).json()["total_entries"] == listed["total_entries"]


# -- roles and audit -----------------------------------------------------------------------


@pytest.mark.parametrize("role", ["viewer", "user"])
def test_viewers_and_users_may_not_even_read(
    client_as: Callable[[str], TestClient], op: TestClient, role: str
) -> None:
    _post(op, **PG)
    client = client_as(role)
    assert client.get(URL).status_code == 403
    assert client.get(f"{URL}/warehouse").status_code == 403
    assert client.post(URL, json={**PG, "connection_id": "x"}).status_code == 403
    assert client.post(f"{URL}/test", json=PG).status_code == 403
    assert client.post(f"{URL}/defaults").status_code == 403
    assert client.delete(f"{URL}/warehouse").status_code == 403


def test_anonymous_callers_are_401(anonymous_client: TestClient) -> None:
    assert anonymous_client.get(URL).status_code == 401
    assert anonymous_client.get(f"{URL}/x").status_code == 401


def test_changes_are_audited_with_secrets_masked(
    client_as: Callable[[str], TestClient], api_db: Database
) -> None:
    admin = client_as("admin")
    _post(admin, **PG)
    admin.patch(f"{URL}/warehouse", json={**PG, "password": "hunter33"})
    admin.patch(
        URL, json={"actions": [{"action": "create", "entities": [{**PG, "connection_id": "w2"}]}]}
    )
    admin.delete(f"{URL}/warehouse")
    for event in ("post_connection", "patch_connection", "bulk_connections", "delete_connection"):
        [recorded] = _events(api_db, event)
        assert recorded.owner == "admin"
        assert "hunter" not in (recorded.extra or "") and "k-123456" not in (recorded.extra or "")
    [posted] = _events(api_db, "post_connection")
    extra = json.loads(posted.extra or "")
    assert (extra["connection_id"], extra["host"], extra["password"], extra["extra"]) == (
        "warehouse",
        "db.example.com",
        "***",
        "***",
    )


# -- bulk ----------------------------------------------------------------------------------


def _bulk(client: TestClient, *actions: dict[str, Any]) -> dict[str, Any]:
    response = client.patch(URL, json={"actions": list(actions)})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_bulk_create_update_delete(op: TestClient, api_db: Database) -> None:
    _post(op, **PG)
    lake = {"connection_id": "lake", "conn_type": "aws", "login": "AKIA", "password": "pw-lake"}
    result = _bulk(
        op,
        {"action": "create", "entities": [lake, {**PG, "connection_id": "tmp"}]},
        {
            "action": "update",
            "entities": [{**PG, "host": "new.example.com", "password": "***"}],
            "update_mask": ["host", "password"],
        },
        {"action": "delete", "entities": ["tmp"]},
    )
    assert result == {
        "create": {"success": ["lake", "tmp"], "errors": []},
        "update": {"success": ["warehouse"], "errors": []},
        "delete": {"success": ["tmp"], "errors": []},
    }
    warehouse = _stored(api_db, "warehouse")
    assert warehouse is not None
    assert (warehouse.host, warehouse.password) == ("new.example.com", "hunter22")
    assert _stored(api_db, "tmp") is None
    lake_stored = _stored(api_db, "lake")
    assert lake_stored is not None and lake_stored.password == "pw-lake"


def test_bulk_existence_rules(op: TestClient, api_db: Database) -> None:
    _post(op, **PG)
    new = {"connection_id": "new", "conn_type": "http"}
    clash = {**PG, "host": "other"}
    result = _bulk(
        op,
        {"action": "create", "entities": [new, clash]},
        {"action": "create", "entities": [new, clash], "action_on_existence": "skip"},
        {"action": "update", "entities": [{"connection_id": "ghost", "conn_type": "http"}]},
        {
            "action": "delete",
            "entities": [{"connection_id": "ghost", "conn_type": "http"}, "new"],
            "action_on_non_existence": "skip",
        },
    )
    assert result["create"] == {
        "success": ["new"],
        "errors": [{"error": "These connections already exist: warehouse", "status_code": 409}],
    }
    assert result["update"]["errors"] == [
        {"error": "These connections were not found: ghost", "status_code": 404}
    ]
    assert result["delete"] == {"success": ["new"], "errors": []}
    stored = _stored(api_db, "warehouse")
    assert stored is not None and stored.host == "db.example.com"
    overwrite = _bulk(
        op, {"action": "create", "entities": [clash], "action_on_existence": "overwrite"}
    )
    assert overwrite["create"]["success"] == ["warehouse"]
    stored = _stored(api_db, "warehouse")
    assert stored is not None and stored.host == "other"


def test_bulk_bodies_are_validated_like_single_ones(op: TestClient) -> None:
    no_type = {"action": "create", "entities": [{"connection_id": "x"}]}
    assert op.patch(URL, json={"actions": [no_type]}).status_code == 422
    bad_extra = {"action": "create", "entities": [{**PG, "extra": "nope"}]}
    assert op.patch(URL, json={"actions": [bad_extra]}).status_code == 422


# -- the official client against the real server --------------------------------------------


@pytest.mark.integration
def test_official_client_covers_every_route(airflow_client: Callable[[str], Any]) -> None:
    import airflow_client.client as af
    from airflow_client.client.models.actions_inner2 import ActionsInner2
    from airflow_client.client.models.entities_inner2 import EntitiesInner2

    api = af.ConnectionApi(airflow_client("op"))
    created = api.post_connection(af.ConnectionBody(**PG))
    assert (created.connection_id, created.var_schema, created.password) == (
        "warehouse",
        "analytics",
        "***",
    )
    listed = api.get_connections(connection_id_pattern="ware", order_by=["-connection_id"])
    assert (listed.total_entries, listed.connections[0].port) == (1, 5432)
    patched = api.patch_connection(
        "warehouse",
        af.ConnectionBody(connection_id="warehouse", conn_type="postgres", host="h2"),
        update_mask=["host"],
    )
    assert (patched.host, patched.login) == ("h2", "etl")
    assert api.get_connection("warehouse").host == "h2"
    result = api.bulk_connections(
        af.BulkBodyConnectionBody(
            actions=[
                ActionsInner2(
                    af.BulkCreateActionConnectionBody(
                        action="create",
                        entities=[af.ConnectionBody(connection_id="tmp", conn_type="http")],
                    )
                ),
                ActionsInner2(
                    af.BulkDeleteActionConnectionBody(
                        action="delete", entities=[EntitiesInner2("tmp")]
                    )
                ),
            ]
        )
    )
    assert result.create is not None and result.create.success == ["tmp"]
    assert result.delete is not None and result.delete.success == ["tmp"]
    api.create_default_connections()
    assert api.get_connection("fs_default").conn_type == "fs"
    with pytest.raises(af.exceptions.ForbiddenException):
        api.test_connection(af.ConnectionBody(connection_id="warehouse", conn_type="postgres"))
    api.delete_connection("warehouse")
    with pytest.raises(af.exceptions.NotFoundException):
        api.get_connection("warehouse")
    with pytest.raises(af.exceptions.ForbiddenException):
        af.ConnectionApi(airflow_client("user")).get_connections()

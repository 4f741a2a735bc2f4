"""`/api/v2/pools`: CRUD, listing, slots in use, bulk actions, the default pool's limits, roles
and the audit log."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from slipstream.db.engine import Database
from slipstream.db.store import audit as audit_log
from slipstream.db.store import pools
from slipstream.db.store.paging import Page
from slipstream.sdk import DAG
from slipstream.sdk.operators.empty import EmptyOperator
from tests.scheduler.helpers import START, Harness

URL = "/api/v2/pools"


@pytest.fixture
def op(client_as: Callable[[str], TestClient]) -> TestClient:
    return client_as("op")


def _post(client: TestClient, name: str, slots: int, **fields: Any) -> dict[str, Any]:
    response = client.post(URL, json={"name": name, "slots": slots, **fields})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _events(db: Database, event: str) -> list[audit_log.AuditEvent]:
    with db.session() as session:
        return audit_log.list_events(session, events=[event])


def _stored(db: Database, name: str) -> pools.PoolInfo | None:
    with db.session() as session:
        return pools.get_pool(session, name)


# -- one pool ------------------------------------------------------------------------------


def test_create_read_update_delete(op: TestClient, api_db: Database) -> None:
    created = _post(op, "etl", 4, description="for ETL")
    assert created == {
        "name": "etl",
        "slots": 4,
        "description": "for ETL",
        "include_deferred": False,
        "occupied_slots": 0,
        "running_slots": 0,
        "queued_slots": 0,
        "scheduled_slots": 0,
        "deferred_slots": 0,
        "open_slots": 4,
        "team_name": None,
    }
    assert op.get(f"{URL}/etl").json() == created

    patched = op.patch(f"{URL}/etl", json={"slots": 8, "include_deferred": True})
    assert patched.status_code == 200, patched.text
    assert (patched.json()["slots"], patched.json()["include_deferred"]) == (8, True)
    assert patched.json()["description"] == "for ETL"  # not given: kept

    masked = op.patch(
        f"{URL}/etl",
        params={"update_mask": ["description"]},
        json={"pool": "etl", "slots": 1, "description": "nightly"},
    )
    assert (masked.json()["slots"], masked.json()["description"]) == (8, "nightly")

    assert op.delete(f"{URL}/etl").status_code == 204
    missing = op.get(f"{URL}/etl")
    assert missing.status_code == 404
    assert missing.json() == {"detail": "The Pool with name: `etl` was not found"}
    assert op.delete(f"{URL}/etl").status_code == 404
    assert op.patch(f"{URL}/etl", json={"slots": 1}).status_code == 404


def test_unlimited_pools_and_names_with_slashes(op: TestClient) -> None:
    assert _post(op, "team/a", -1)["open_slots"] == -1
    assert op.get(f"{URL}/team/a").json()["slots"] == -1


def test_bad_input_is_a_clear_4xx(op: TestClient) -> None:
    _post(op, "etl", 4)
    duplicate = op.post(URL, json={"name": "etl", "slots": 1})
    assert duplicate.status_code == 409
    assert duplicate.json()["detail"] == "The Pool with name: `etl` already exists"
    negative = op.post(URL, json={"name": "x", "slots": -2})
    assert negative.status_code == 422
    assert negative.json()["detail"][0]["loc"] == ["body", "slots"]
    for body in (
        {"name": "x"},
        {"slots": 1},
        {"name": "x", "slots": 1, "size": 3},
        {"name": "x", "slots": "many"},
        {"name": "", "slots": 1},
        {"name": "x" * 257, "slots": 1},
        {"name": "x", "slots": 1, "team_name": "blue"},
        {"name": "x", "slots": 2**31},
    ):
        assert op.post(URL, json=body).status_code == 422, body
    assert op.patch(f"{URL}/etl", json={"slots": -5}).status_code == 422
    assert op.patch(f"{URL}/etl", json={"colour": "red"}).status_code == 422
    null_slots = op.patch(f"{URL}/etl", json={"slots": None})
    assert null_slots.status_code == 400
    assert "slots cannot be null" in null_slots.json()["detail"]


def test_a_pool_cannot_be_renamed(op: TestClient) -> None:
    _post(op, "etl", 4)
    renamed = op.patch(f"{URL}/etl", json={"pool": "elt", "slots": 2})
    assert renamed.status_code == 400
    assert "cannot be renamed" in renamed.json()["detail"]
    unknown = op.patch(f"{URL}/etl", params={"update_mask": ["size"]}, json={"slots": 2})
    assert unknown.status_code == 400
    assert "size" in unknown.json()["detail"]
    assert op.get(f"{URL}/etl").json()["slots"] == 4


def test_the_default_pool_keeps_its_name_and_description(op: TestClient) -> None:
    refused = op.delete(f"{URL}/default_pool")
    assert refused.status_code == 400
    assert "default_pool cannot be deleted" in refused.json()["detail"]
    resized = op.patch(f"{URL}/default_pool", json={"slots": 64, "include_deferred": True})
    assert resized.status_code == 200, resized.text
    assert resized.json()["slots"] == 64
    shown = resized.json()
    unchanged = {"pool": "default_pool", "slots": 32, "description": shown["description"]}
    assert op.patch(f"{URL}/default_pool", json=unchanged).status_code == 200
    described = op.patch(f"{URL}/default_pool", json={"description": "mine"})
    assert described.status_code == 400
    assert described.json()["detail"] == (
        "Only slots and include_deferred can be changed on default_pool"
    )
    renamed = op.patch(f"{URL}/default_pool", json={"pool": "main"})
    assert renamed.status_code == 400
    assert op.get(f"{URL}/default_pool").json()["slots"] == 32


# -- slots in use --------------------------------------------------------------------------


def test_slots_in_use_follow_the_task_instances(op: TestClient, api_harness: Harness) -> None:
    _post(op, "etl", 5)
    with DAG("loads", schedule=None, start_date=START) as dag:
        EmptyOperator(task_id="big", pool="etl", pool_slots=2)
        EmptyOperator(task_id="small", pool="etl")
        EmptyOperator(task_id="elsewhere")
    api_harness.add_dag(dag)
    api_harness.trigger("loads")
    api_harness.tick()
    [big] = [w for w in api_harness.executor.pending.values() if w.task_id == "big"]
    assert api_harness.claim(big)  # now running
    etl = op.get(f"{URL}/etl").json()
    assert {
        k: etl[k] for k in ("running_slots", "queued_slots", "occupied_slots", "open_slots")
    } == {
        "running_slots": 2,
        "queued_slots": 1,
        "occupied_slots": 3,
        "open_slots": 2,
    }
    listed = {p["name"]: p for p in op.get(URL).json()["pools"]}
    assert listed["etl"]["occupied_slots"] == 3
    assert listed["default_pool"]["queued_slots"] == 1
    api_harness.play("big")
    assert op.get(f"{URL}/etl").json()["running_slots"] == 0


# -- listing -------------------------------------------------------------------------------


def test_list_filters_pages_and_sorts(op: TestClient) -> None:
    for name in ("etl_small", "etl_big", "api"):
        _post(op, name, 1)

    def names(**params: Any) -> tuple[list[str], int]:
        response = op.get(URL, params=params)
        assert response.status_code == 200, response.text
        body = response.json()
        return [p["name"] for p in body["pools"]], body["total_entries"]

    assert names() == (["default_pool", "etl_small", "etl_big", "api"], 4)
    assert names(pool_name_pattern="ETL") == (["etl_small", "etl_big"], 2)
    assert names(pool_name_pattern="api|default") == (["default_pool", "api"], 2)
    assert names(pool_name_prefix_pattern="etl_b") == (["etl_big"], 1)
    assert names(order_by="name") == (["api", "default_pool", "etl_big", "etl_small"], 4)
    assert names(order_by="-pool", limit=2) == (["etl_small", "etl_big"], 4)
    assert names(order_by="-id", limit=1, offset=1) == (["etl_big"], 4)
    assert op.get(URL, params={"order_by": "slots"}).status_code == 400


@pytest.mark.integration
def test_listing_runs_on_postgresql(pg_db: Database) -> None:
    with pg_db.begin() as session:
        for name in ("etl_a", "Etl_b", "api"):
            pools.set_pool(session, name, 2)
    with pg_db.session() as session:
        found, total = pools.find_pools(session, Page(10, 0, (("id", True),)), pattern="ETL")
        assert ([p.name for p in found], total) == (["Etl_b", "etl_a"], 2)
        found, total = pools.find_pools(session, Page(1, 0, (("name", False),)), prefix="Etl")
        assert ([p.name for p in found], total) == (["Etl_b"], 1)


# -- roles and audit -----------------------------------------------------------------------


def test_viewers_read_but_only_ops_change(client_as: Callable[[str], TestClient]) -> None:
    for role in ("viewer", "user"):
        client = client_as(role)
        assert client.get(URL).status_code == 200
        assert client.get(f"{URL}/default_pool").status_code == 200
        assert client.post(URL, json={"name": "x", "slots": 1}).status_code == 403
        assert client.patch(f"{URL}/default_pool", json={"slots": 1}).status_code == 403
        assert client.delete(f"{URL}/default_pool").status_code == 403
        assert client.patch(URL, json={"actions": []}).status_code == 403
    assert client_as("admin").post(URL, json={"name": "x", "slots": 1}).status_code == 201


def test_anonymous_callers_are_401(anonymous_client: TestClient) -> None:
    assert anonymous_client.get(URL).status_code == 401


def test_changes_are_audited(client_as: Callable[[str], TestClient], api_db: Database) -> None:
    admin = client_as("admin")
    _post(admin, "etl", 4)
    admin.patch(f"{URL}/etl", json={"slots": 6})
    admin.patch(URL, json={"actions": [{"action": "delete", "entities": ["etl"]}]})
    _post(admin, "tmp", 1)
    admin.delete(f"{URL}/tmp")
    [posted] = _events(api_db, "post_pool")[-1:]
    assert posted.owner == "admin"
    assert json.loads(posted.extra or "")["name"] == "etl"
    [patched] = _events(api_db, "patch_pool")
    assert json.loads(patched.extra or "") == {"pool": "etl", "slots": 6, "update_mask": None}
    [bulked] = _events(api_db, "bulk_pools")
    assert json.loads(bulked.extra or "")["actions"][0]["entities"] == ["etl"]
    [deleted] = _events(api_db, "delete_pool")
    assert json.loads(deleted.extra or "") == {"pool": "tmp"}


# -- bulk ----------------------------------------------------------------------------------


def _bulk(client: TestClient, *actions: dict[str, Any]) -> dict[str, Any]:
    response = client.patch(URL, json={"actions": list(actions)})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_bulk_create_update_delete(op: TestClient, api_db: Database) -> None:
    _post(op, "old", 1)
    result = _bulk(
        op,
        {"action": "create", "entities": [{"name": "a", "slots": 2}, {"name": "b", "slots": 3}]},
        {
            "action": "update",
            "entities": [{"name": "a", "slots": 9, "description": "A"}],
            "update_mask": ["slots"],
        },
        {"action": "update", "entities": [{"name": "default_pool", "slots": 16}]},
        {"action": "delete", "entities": ["old", {"name": "b", "slots": 0}]},
    )
    assert result == {
        "create": {"success": ["a", "b"], "errors": []},
        "update": {"success": ["a", "default_pool"], "errors": []},
        "delete": {"success": ["old", "b"], "errors": []},
    }
    assert _stored(api_db, "a") == pools.PoolInfo("a", 9)
    default = _stored(api_db, "default_pool")
    assert default is not None and default.slots == 16
    assert _stored(api_db, "old") is None and _stored(api_db, "b") is None


def test_bulk_existence_rules_and_the_default_pool(op: TestClient, api_db: Database) -> None:
    _post(op, "a", 1)
    entities = [{"name": "a", "slots": 5}, {"name": "b", "slots": 5}]
    result = _bulk(
        op,
        {"action": "create", "entities": entities},
        {"action": "create", "entities": entities, "action_on_existence": "skip"},
        {"action": "update", "entities": [{"name": "ghost", "slots": 1}]},
        {"action": "delete", "entities": ["ghost", "b"], "action_on_non_existence": "skip"},
        {"action": "delete", "entities": ["default_pool", "a"]},
    )
    assert result["create"] == {
        "success": ["b"],
        "errors": [{"error": "These pools already exist: a", "status_code": 409}],
    }
    assert result["update"]["errors"] == [
        {"error": "These pools were not found: ghost", "status_code": 404}
    ]
    assert result["delete"]["success"] == ["b"]
    assert result["delete"]["errors"] == [
        {"error": "default_pool cannot be deleted", "status_code": 400}
    ]
    stored = _stored(api_db, "a")
    assert stored is not None and stored.slots == 1  # neither overwritten nor deleted
    _bulk(op, {"action": "create", "entities": entities, "action_on_existence": "overwrite"})
    stored = _stored(api_db, "a")
    assert stored is not None and stored.slots == 5


def test_malformed_bulk_bodies_are_422(op: TestClient) -> None:
    negative = {"action": "create", "entities": [{"name": "x", "slots": -3}]}
    assert op.patch(URL, json={"actions": [negative]}).status_code == 422
    assert op.patch(URL, json={"actions": "all"}).status_code == 422


# -- the official client against the real server --------------------------------------------


@pytest.mark.integration
def test_official_client_covers_every_route(airflow_client: Callable[[str], Any]) -> None:
    import airflow_client.client as af
    from airflow_client.client.models.actions_inner3 import ActionsInner3
    from airflow_client.client.models.entities_inner3 import EntitiesInner3

    api = af.PoolApi(airflow_client("op"))
    created = api.post_pool(af.PoolBody(name="etl", slots=4, description="for ETL"))
    assert (created.name, created.open_slots, created.occupied_slots) == ("etl", 4, 0)
    listed = api.get_pools(pool_name_pattern="etl", order_by=["-name"])
    assert (listed.total_entries, [p.name for p in listed.pools]) == (1, ["etl"])
    patched = api.patch_pool("etl", af.PoolPatchBody(slots=6), update_mask=["slots"])
    assert (patched.slots, patched.description) == (6, "for ETL")
    assert api.get_pool("default_pool").name == "default_pool"
    result = api.bulk_pools(
        af.BulkBodyPoolBody(
            actions=[
                ActionsInner3(
                    af.BulkCreateActionPoolBody(
                        action="create", entities=[af.PoolBody(name="tmp", slots=1)]
                    )
                ),
                ActionsInner3(
                    af.BulkDeleteActionPoolBody(action="delete", entities=[EntitiesInner3("tmp")])
                ),
            ]
        )
    )
    assert result.create is not None and result.create.success == ["tmp"]
    assert result.delete is not None and result.delete.success == ["tmp"]
    with pytest.raises(af.exceptions.BadRequestException):
        api.delete_pool("default_pool")
    api.delete_pool("etl")
    with pytest.raises(af.exceptions.NotFoundException):
        api.get_pool("etl")
    viewer = af.PoolApi(airflow_client("viewer"))
    assert viewer.get_pools().total_entries == 1
    with pytest.raises(af.exceptions.ForbiddenException):
        viewer.post_pool(af.PoolBody(name="x", slots=1))

"""Assets through the API: listing and reading assets, their events (with the runs they went
into), recording an event by hand (which triggers the DAGs scheduled on the asset, as a task's
outlet event does), aliases (none yet) and queued asset updates."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from slipstream.db.engine import Database
from slipstream.db.models import Asset as AssetRow
from slipstream.db.store import audit
from slipstream.sdk import DAG
from slipstream.sdk.assets import Asset
from slipstream.sdk.operators.empty import EmptyOperator
from tests.scheduler.helpers import START, Harness

DATA = Asset("s3://bucket/data")
MODEL = Asset("s3://bucket/model")
URL = "/api/v2/assets"


@pytest.fixture
def world(api_harness: Harness) -> Harness:
    """`producer` (task `make`, outlet DATA) ran once; `consumer` is scheduled on DATA and
    `trainer` (paused) on DATA and MODEL; the producer's event triggered one consumer run."""
    with DAG("producer", schedule=None, start_date=START) as producer:
        EmptyOperator(task_id="make", outlets=[DATA])
    with DAG("consumer", schedule=[DATA], start_date=START) as consumer:
        EmptyOperator(task_id="use")
    with DAG("trainer", schedule=[DATA, MODEL], start_date=START) as trainer:
        EmptyOperator(task_id="train")
    api_harness.add_dag(producer)
    api_harness.add_dag(consumer)
    api_harness.add_dag(trainer, paused=True)
    api_harness.trigger("producer", run_id="p1")
    api_harness.tick()
    api_harness.play("make", outlets=[DATA])
    api_harness.tick()
    return api_harness


def _asset_ids(db: Database) -> dict[str, int]:
    with db.session() as session:
        return {row.uri: row.id for row in session.query(AssetRow)}


# --- assets ----------------------------------------------------------------------------------


def test_lists_assets_with_their_dags_and_last_event(
    client_as: Callable[[str], TestClient], world: Harness, api_db: Database
) -> None:
    ids = _asset_ids(api_db)
    response = client_as("viewer").get(URL)
    assert response.status_code == 200
    body = response.json()
    assert body["total_entries"] == 2
    data, model = body["assets"]
    assert (data["id"], data["uri"], data["name"], data["group"]) == (
        ids[DATA.uri],
        DATA.uri,
        DATA.uri,
        "asset",
    )
    assert [d["dag_id"] for d in data["scheduled_dags"]] == ["consumer", "trainer"]
    assert [d["dag_id"] for d in model["scheduled_dags"]] == ["trainer"]
    assert data["last_asset_event"]["id"] is not None
    assert data["last_asset_event"]["timestamp"] is not None
    assert model["last_asset_event"] == {"id": None, "timestamp": None}
    for key in ("producing_tasks", "consuming_tasks", "aliases", "watchers"):
        assert data[key] == []
    assert data["updated_at"] is not None


def test_asset_filters_order_and_pages(admin_client: TestClient, world: Harness) -> None:
    def uris(**params: Any) -> list[str]:
        response = admin_client.get(URL, params=params)
        assert response.status_code == 200, response.text
        return [a["uri"] for a in response.json()["assets"]]

    assert uris(uri_pattern="MODEL") == [MODEL.uri]
    assert uris(name_pattern="data|model") == [DATA.uri, MODEL.uri]
    assert uris(uri_prefix_pattern="s3://bucket/d") == [DATA.uri]
    assert uris(dag_ids=["trainer"]) == [DATA.uri, MODEL.uri]
    assert uris(dag_ids=["producer"]) == [DATA.uri]  # it recorded events of DATA
    assert uris(dag_ids=["nobody"]) == []
    assert uris(order_by="-uri") == [MODEL.uri, DATA.uri]
    assert uris(limit=1, offset=1) == [MODEL.uri]
    assert uris(only_active=False) == [DATA.uri, MODEL.uri]
    bad = admin_client.get(URL, params={"order_by": "group"})
    assert bad.status_code == 400 and "'group'" in bad.json()["detail"]


def test_get_asset_and_404(admin_client: TestClient, world: Harness, api_db: Database) -> None:
    asset_id = _asset_ids(api_db)[MODEL.uri]
    response = admin_client.get(f"{URL}/{asset_id}")
    assert response.status_code == 200
    assert response.json()["uri"] == MODEL.uri
    missing = admin_client.get(f"{URL}/4242")
    assert missing.status_code == 404
    assert missing.json() == {"detail": "The Asset with ID: `4242` was not found"}
    assert admin_client.get(f"{URL}/not-a-number").status_code == 422


# --- asset events ----------------------------------------------------------------------------


def test_lists_events_with_the_runs_they_triggered(
    client_as: Callable[[str], TestClient], world: Harness, api_db: Database
) -> None:
    response = client_as("viewer").get(f"{URL}/events")
    assert response.status_code == 200
    body = response.json()
    assert body["total_entries"] == 1
    event = body["asset_events"][0]
    assert event["asset_id"] == _asset_ids(api_db)[DATA.uri]
    assert (event["uri"], event["name"], event["group"]) == (DATA.uri, DATA.uri, "asset")
    assert (event["source_dag_id"], event["source_task_id"], event["source_run_id"]) == (
        "producer",
        "make",
        "p1",
    )
    assert event["source_map_index"] == -1
    [run] = event["created_dagruns"]
    assert run["dag_id"] == "consumer"
    assert run["run_id"].startswith("asset_triggered__")
    assert run["triggering"] is True
    assert run["start_date"] is not None


def test_create_event_triggers_scheduled_dags_like_an_outlet(
    client_as: Callable[[str], TestClient], world: Harness, api_db: Database
) -> None:
    asset_id = _asset_ids(api_db)[DATA.uri]
    world.run_to_end()
    before = [r.run_id for r in world.runs("consumer")]
    response = client_as("op").post(
        f"{URL}/events", json={"asset_id": asset_id, "extra": {"rows": 5, "api_token": "abc"}}
    )
    assert response.status_code == 200, response.text
    event = response.json()
    assert event["asset_id"] == asset_id
    assert event["extra"] == {"rows": 5, "api_token": "***", "from_rest_api": True}
    assert event["source_dag_id"] is None and event["source_map_index"] == -1
    assert event["created_dagruns"] == []

    queued = client_as("viewer").get("/api/v2/dags/consumer/assets/queuedEvents").json()
    assert [(q["dag_id"], q["asset_id"]) for q in queued["queued_events"]] == [
        ("consumer", asset_id)
    ]
    assert client_as("viewer").get("/api/v2/dags/trainer/assets/queuedEvents").json() == {
        "queued_events": [],
        "total_entries": 0,
    }  # paused: not queued, as for outlet events

    world.tick()
    new = [r for r in world.runs("consumer") if r.run_id not in before]
    assert [(r.run_type, r.triggered_by) for r in new] == [("asset_triggered", "asset")]
    listed = client_as("viewer").get(f"{URL}/events", params={"order_by": "-timestamp"}).json()
    latest = listed["asset_events"][0]
    assert latest["id"] == event["id"]
    assert [r["run_id"] for r in latest["created_dagruns"]] == [new[0].run_id]
    assert latest["created_dagruns"][0]["triggering"] is True

    with api_db.session() as session:
        [logged] = audit.list_events(session, events=["create_asset_event"])
    assert logged.owner == "op"
    assert json.loads(logged.extra or "{}")["asset_id"] == asset_id


def test_create_event_refusals(
    client_as: Callable[[str], TestClient], world: Harness, api_db: Database
) -> None:
    asset_id = _asset_ids(api_db)[DATA.uri]
    op = client_as("op")
    missing = op.post(f"{URL}/events", json={"asset_id": 999})
    assert missing.status_code == 404
    assert missing.json() == {"detail": "Asset with ID: `999` was not found"}
    assert op.post(f"{URL}/events", json={"extra": {}}).status_code == 422
    assert op.post(f"{URL}/events", json={"asset_id": asset_id, "x": 1}).status_code == 422
    partitioned = op.post(f"{URL}/events", json={"asset_id": asset_id, "partition_key": "p"})
    assert partitioned.status_code == 400
    assert "partition_key" in partitioned.json()["detail"]
    teams = op.post(
        f"{URL}/events",
        json={"asset_id": asset_id, "access_control": {"consumer_teams": ["a"]}},
    )
    assert teams.status_code == 400
    assert client_as("user").post(f"{URL}/events", json={"asset_id": asset_id}).status_code == 403
    with api_db.session() as session:
        assert audit.list_events(session, events=["create_asset_event"]) == []


def test_event_filters_and_order(
    admin_client: TestClient, world: Harness, api_db: Database
) -> None:
    ids = _asset_ids(api_db)
    for asset_id in (ids[MODEL.uri], ids[DATA.uri]):
        assert admin_client.post(f"{URL}/events", json={"asset_id": asset_id}).status_code == 200

    def sources(**params: Any) -> list[tuple[str | None, int]]:
        response = admin_client.get(f"{URL}/events", params=params)
        assert response.status_code == 200, response.text
        return [(e["source_dag_id"], e["asset_id"]) for e in response.json()["asset_events"]]

    assert sources() == [("producer", ids[DATA.uri]), (None, ids[MODEL.uri]), (None, ids[DATA.uri])]
    assert sources(asset_id=ids[MODEL.uri]) == [(None, ids[MODEL.uri])]
    assert sources(source_dag_id="producer", source_task_id="make", source_run_id="p1") == [
        ("producer", ids[DATA.uri])
    ]
    assert sources(source_map_index=0) == []
    assert sources(name_pattern="model") == [(None, ids[MODEL.uri])]
    assert sources(name_prefix_pattern="s3://bucket/da") == [
        ("producer", ids[DATA.uri]),
        (None, ids[DATA.uri]),
    ]
    assert sources(timestamp_gt="2100-01-01T00:00:00Z") == []
    assert len(sources(timestamp_lte="2100-01-01T00:00:00")) == 3
    assert sources(order_by="-source_dag_id", limit=1) == [("producer", ids[DATA.uri])]
    assert admin_client.get(f"{URL}/events", params={"order_by": "extra"}).status_code == 400


# --- aliases and queued updates --------------------------------------------------------------


def test_aliases_are_empty(admin_client: TestClient) -> None:
    assert admin_client.get(f"{URL}/aliases").json() == {"asset_aliases": [], "total_entries": 0}
    missing = admin_client.get(f"{URL}/aliases/1")
    assert missing.status_code == 404
    assert missing.json()["detail"].startswith("The Asset Alias with ID: `1` was not found")
    assert admin_client.get(f"{URL}/aliases", params={"order_by": "uri"}).status_code == 400


def test_queued_events_read_and_delete(
    client_as: Callable[[str], TestClient], world: Harness, api_db: Database
) -> None:
    ids = _asset_ids(api_db)
    op = client_as("op")
    world.set_paused("trainer", False)
    for asset_id in ids.values():
        op.post(f"{URL}/events", json={"asset_id": asset_id})
    viewer = client_as("viewer")
    trainer = viewer.get("/api/v2/dags/trainer/assets/queuedEvents").json()
    assert sorted(q["asset_id"] for q in trainer["queued_events"]) == sorted(ids.values())
    assert trainer["total_entries"] == 2
    assert trainer["queued_events"][0]["dag_display_name"] == "trainer"
    by_asset = viewer.get(f"{URL}/{ids[DATA.uri]}/queuedEvents").json()
    assert sorted(q["dag_id"] for q in by_asset["queued_events"]) == ["consumer", "trainer"]
    one = viewer.get(f"/api/v2/dags/trainer/assets/{ids[MODEL.uri]}/queuedEvents")
    assert one.status_code == 200 and one.json()["asset_id"] == ids[MODEL.uri]
    early = viewer.get(
        "/api/v2/dags/trainer/assets/queuedEvents", params={"before": "2000-01-01T00:00:00"}
    )
    assert early.json()["total_entries"] == 0
    bad = viewer.get("/api/v2/dags/trainer/assets/queuedEvents", params={"before": "soon"})
    assert bad.status_code == 400 and "`soon`" in bad.json()["detail"]

    assert viewer.delete(f"{URL}/{ids[DATA.uri]}/queuedEvents").status_code == 403
    path = f"/api/v2/dags/trainer/assets/{ids[MODEL.uri]}/queuedEvents"
    assert op.delete(path).status_code == 204
    gone = viewer.get(path)
    assert gone.status_code == 404
    assert gone.json()["detail"] == (
        f"Queued event with dag_id: `trainer` and asset_id: `{ids[MODEL.uri]}` was not found"
    )
    assert op.delete(f"{URL}/{ids[DATA.uri]}/queuedEvents").status_code == 204
    assert viewer.get(f"{URL}/{ids[DATA.uri]}/queuedEvents").json()["total_entries"] == 0
    again = op.delete("/api/v2/dags/trainer/assets/queuedEvents")
    assert again.status_code == 404
    assert again.json() == {"detail": "Queue event with dag_id: `trainer` was not found"}
    with api_db.session() as session:
        by_op = audit.list_events(session, owner="op", newest_first=False)
    assert [e.event for e in by_op if e.event.startswith("delete")] == [
        "delete_dag_asset_queued_event",
        "delete_asset_queued_events",
    ]


def test_needs_a_login(anonymous_client: TestClient) -> None:
    assert anonymous_client.get(URL).status_code == 401
    assert anonymous_client.post(f"{URL}/events", json={"asset_id": 1}).status_code == 401


@pytest.mark.integration
def test_official_client_reads_assets_and_records_events(
    airflow_client: Callable[[str], Any], world: Harness, api_db: Database
) -> None:
    import airflow_client.client as af

    api = af.AssetApi(airflow_client("op"))
    assets = api.get_assets(order_by=["uri"])
    assert [a.uri for a in assets.assets] == [DATA.uri, MODEL.uri]
    data_id = assets.assets[0].id
    assert [d.dag_id for d in api.get_asset(data_id).scheduled_dags] == ["consumer", "trainer"]
    events = api.get_asset_events(asset_id=data_id)
    assert events.total_entries == 1
    assert events.asset_events[0].created_dagruns[0].dag_id == "consumer"
    created = api.create_asset_event(af.CreateAssetEventsBody(asset_id=data_id, extra={"n": 1}))
    assert created.extra == {"n": 1, "from_rest_api": True}
    queued = api.get_dag_asset_queued_events("consumer")
    assert [q.asset_id for q in queued.queued_events] == [data_id]
    assert api.get_dag_asset_queued_event("consumer", data_id).dag_id == "consumer"
    assert api.get_asset_queued_events(data_id).total_entries == 1
    assert api.get_asset_aliases().total_entries == 0
    api.delete_dag_asset_queued_events("consumer")
    with pytest.raises(af.exceptions.NotFoundException):
        api.get_dag_asset_queued_event("consumer", data_id)
    with pytest.raises(af.exceptions.NotFoundException):
        api.get_asset(999)

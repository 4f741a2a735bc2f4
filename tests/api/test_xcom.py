"""XCom entries through the API: listing with `~` and filters, reading values three ways,
creating and changing entries (audited), and what a task pulls afterwards."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from slipstream.db.engine import Database
from slipstream.db.store import audit
from slipstream.db.store import runs as run_store
from slipstream.db.store import xcoms as xcom_store
from slipstream.sdk import DAG
from slipstream.sdk.operators.empty import EmptyOperator
from tests.scheduler.helpers import START, Harness

D1 = dt.datetime(2024, 3, 1, tzinfo=dt.UTC)
D2 = dt.datetime(2024, 3, 2, tzinfo=dt.UTC)
BASE = "/api/v2/dags/{dag}/dagRuns/{run}/taskInstances/{task}/xcomEntries"


def url(dag: str = "etl", run: str = "r1", task: str = "extract", key: str | None = None) -> str:
    path = BASE.format(dag=dag, run=run, task=task)
    return path if key is None else f"{path}/{key}"


def _dag(dag_id: str) -> DAG:
    with DAG(dag_id, schedule=None, start_date=START) as dag:
        EmptyOperator(task_id="extract") >> EmptyOperator(task_id="load")
    return dag


def _set(db: Database, dag_id: str, run_id: str, task_id: str, key: str, value: Any, **kw: Any):
    with db.begin() as session:
        run = run_store.get_run(session, dag_id, run_id)
        assert run is not None
        xcom_store.xcom_set(
            session,
            dag_run_id=run.id,
            dag_id=dag_id,
            run_id=run_id,
            task_id=task_id,
            map_index=kw.get("map_index", -1),
            key=key,
            value=value if isinstance(value, str) and kw.get("raw") else json.dumps(value),
            now=kw.get("now", D1),
        )


@pytest.fixture
def xcoms(api_harness: Harness, api_db: Database) -> Harness:
    """DAGs `etl` (runs r1 on D1, r2 on D2) and `report` (run r1), with these XComs:
    etl/r1/extract: return_value {"rows": 3}, path "s3://x", (map 0) part 0, (map 1) part 1;
    etl/r2/extract: return_value 7; report/r1/load: tuple record (1, 2)."""
    for dag_id in ("etl", "report"):
        api_harness.add_dag(_dag(dag_id))
    api_harness.trigger("etl", run_id="r1", logical_date=D1)
    api_harness.trigger("etl", run_id="r2", logical_date=D2)
    api_harness.trigger("report", run_id="r1", logical_date=D1)
    _set(api_db, "etl", "r1", "extract", "return_value", {"rows": 3})
    _set(api_db, "etl", "r1", "extract", "path", "s3://x")
    _set(api_db, "etl", "r1", "extract", "part", 0, map_index=0)
    _set(api_db, "etl", "r1", "extract", "part", 1, map_index=1)
    _set(api_db, "etl", "r2", "extract", "return_value", 7, now=D2)
    record = json.dumps({"__classname__": "builtins.tuple", "__version__": 1, "__data__": [1, 2]})
    _set(api_db, "report", "r1", "load", "return_value", record, raw=True)
    return api_harness


def _listed(client: TestClient, path: str, **params: Any) -> list[tuple[str, str, str, int, str]]:
    response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total_entries"] >= len(body["xcom_entries"])
    return [
        (e["dag_id"], e["run_id"], e["task_id"], e["map_index"], e["key"])
        for e in body["xcom_entries"]
    ]


# --- listing ---------------------------------------------------------------------------------


def test_lists_one_task_instances_entries(
    client_as: Callable[[str], TestClient], xcoms: Harness
) -> None:
    response = client_as("viewer").get(url())
    assert response.status_code == 200
    body = response.json()
    assert body["total_entries"] == 4
    assert [(e["key"], e["map_index"]) for e in body["xcom_entries"]] == [
        ("path", -1),
        ("return_value", -1),
        ("part", 0),
        ("part", 1),
    ]
    first = body["xcom_entries"][0]
    assert first == {
        "key": "path",
        "timestamp": "2024-03-01T00:00:00Z",
        "logical_date": "2024-03-01T00:00:00Z",
        "map_index": -1,
        "task_id": "extract",
        "dag_id": "etl",
        "run_id": "r1",
        "dag_display_name": "etl",
        "task_display_name": "extract",
        "run_after": "2024-03-01T00:00:00Z",
    }


def test_tilde_lists_across_dags_runs_and_tasks(admin_client: TestClient, xcoms: Harness) -> None:
    everything = _listed(admin_client, url("~", "~", "~"))
    assert len(everything) == 6
    assert everything[0][:3] == ("etl", "r1", "extract")
    assert everything[-1] == ("report", "r1", "load", -1, "return_value")
    assert _listed(admin_client, url("~", "r1", "~"), xcom_key="return_value") == [
        ("etl", "r1", "extract", -1, "return_value"),
        ("report", "r1", "load", -1, "return_value"),
    ]
    assert _listed(admin_client, url("nope", "~", "~")) == []


def test_list_filters(admin_client: TestClient, xcoms: Harness) -> None:
    every = url("~", "~", "~")
    assert [e[3] for e in _listed(admin_client, every, map_index=1)] == [1]
    assert [e[3] for e in _listed(admin_client, every, map_index_filter=0)] == [0]
    assert {e[4] for e in _listed(admin_client, every, xcom_key_pattern="PA")} == {"path", "part"}
    assert {e[4] for e in _listed(admin_client, every, xcom_key_prefix_pattern="pat")} == {"path"}
    assert {e[0] for e in _listed(admin_client, every, dag_display_name_pattern="rep")} == {
        "report"
    }
    assert {e[1] for e in _listed(admin_client, every, run_id_prefix_pattern="r2")} == {"r2"}
    assert {e[2] for e in _listed(admin_client, every, task_id_pattern="oa")} == {"load"}
    after_d1 = _listed(admin_client, every, logical_date_gt="2024-03-01T00:00:00Z")
    assert after_d1 == [("etl", "r2", "extract", -1, "return_value")]
    through_d1 = _listed(admin_client, every, run_after_lte="2024-03-01T00:00:00")
    assert len(through_d1) == 5


def test_list_order_and_pages(admin_client: TestClient, xcoms: Harness) -> None:
    every = url("~", "~", "~")
    newest = _listed(admin_client, every, order_by=["-run_after", "key"], limit=2)
    assert newest[0] == ("etl", "r2", "extract", -1, "return_value")
    response = admin_client.get(every, params={"limit": 2, "offset": 4})
    assert response.json()["total_entries"] == 6
    assert len(response.json()["xcom_entries"]) == 2
    bad = admin_client.get(every, params={"order_by": "value"})
    assert bad.status_code == 400
    assert "'value'" in bad.json()["detail"]
    assert admin_client.get(every, params={"map_index": -2}).status_code == 422


# --- reading one -----------------------------------------------------------------------------


def test_get_entry_value_as_stored_deserialized_or_stringified(
    client_as: Callable[[str], TestClient], xcoms: Harness
) -> None:
    client = client_as("viewer")
    stored = client.get(url(key="return_value"))
    assert stored.status_code == 200
    assert stored.json()["value"] == '{"rows": 3}'
    assert stored.json()["run_after"] == "2024-03-01T00:00:00Z"
    native = client.get(url(key="return_value"), params={"deserialize": True})
    assert native.json()["value"] == {"rows": 3}
    text = client.get(url(key="return_value"), params={"deserialize": True, "stringify": True})
    assert text.json()["value"] == "{'rows': 3}"
    mapped = client.get(url(key="part"), params={"map_index": 1, "deserialize": True})
    assert mapped.json()["value"] == 1
    record = client.get(url("report", "r1", "load", "return_value"), params={"deserialize": True})
    assert record.json()["value"] == "builtins.tuple@version=1(1,2)"


def test_get_missing_entry_is_404_naming_it(admin_client: TestClient, xcoms: Harness) -> None:
    response = admin_client.get(url(key="nope"))
    assert response.status_code == 404
    detail = response.json()["detail"]
    assert detail.startswith("XCom entry with key: `nope` not found")
    assert "`extract`" in detail and "`r1`" in detail and "`etl`" in detail
    assert admin_client.get(url(key="part"), params={"map_index": 7}).status_code == 404
    assert admin_client.get(url(key="part"), params={"map_index": -5}).status_code == 422


# --- creating and changing -------------------------------------------------------------------


def test_create_entry_is_stored_as_json_and_audited(
    client_as: Callable[[str], TestClient], xcoms: Harness, api_db: Database
) -> None:
    body = {"key": "config", "value": {"batch": [1, 2], "on": True}, "map_index": 2}
    response = client_as("user").post(url(task="load"), json=body)
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["key"] == "config"
    assert created["map_index"] == 2
    assert created["task_id"] == "load"
    assert json.loads(created["value"]) == body["value"]
    with api_db.session() as session:
        run = run_store.get_run(session, "etl", "r1")
        assert run is not None
        stored = xcom_store.xcom_get(session, run.id, "load", 2, "config")
        events = audit.list_events(session, events=["create_xcom_entry"])
    assert stored is not None and json.loads(stored) == body["value"]
    assert len(events) == 1
    event = events[0]
    assert (event.owner, event.dag_id, event.run_id, event.task_id, event.map_index) == (
        "user",
        "etl",
        "r1",
        "load",
        2,
    )
    assert json.loads(event.extra or "{}") == {"key": "config", "value": "***", "map_index": 2}


def test_create_refuses_taken_keys_and_unknown_ids(
    admin_client: TestClient, xcoms: Harness, api_db: Database
) -> None:
    taken = admin_client.post(url(), json={"key": "path", "value": 1})
    assert taken.status_code == 409
    assert "`path`" in taken.json()["detail"]
    cases = {
        url(dag="nope"): "The Dag with ID: `nope` was not found",
        url(run="nope"): "Dag Run with ID: `nope` not found for dag: `etl`",
        url(task="nope"): "Task with ID: `nope` not found in dag: `etl`",
    }
    for path, detail in cases.items():
        response = admin_client.post(path, json={"key": "k", "value": 1})
        assert response.status_code == 404
        assert response.json()["detail"].startswith(detail)
    assert admin_client.post(url(), json={"value": 1}).status_code == 422
    assert admin_client.post(url(), json={"key": "k", "value": 1, "extra": 2}).status_code == 422
    with api_db.session() as session:
        assert audit.list_events(session, events=["create_xcom_entry"]) == []


def test_update_entry_changes_the_value_tasks_pull(
    admin_client: TestClient, xcoms: Harness, api_db: Database
) -> None:
    response = admin_client.patch(url(key="part"), json={"value": "changed", "map_index": 1})
    assert response.status_code == 200, response.text
    assert response.json()["value"] == '"changed"'
    assert response.json()["timestamp"] == "2024-03-01T00:00:00Z"
    with api_db.session() as session:
        run = run_store.get_run(session, "etl", "r1")
        assert run is not None
        assert xcom_store.xcom_get_many(session, run.id, "extract", [0, 1], "part") == [
            "0",
            '"changed"',
        ]
        events = audit.list_events(session, events=["update_xcom_entry"])
    assert [(e.owner, e.map_index, e.task_id) for e in events] == [("admin", 1, "extract")]
    assert json.loads(events[0].extra or "{}")["key"] == "part"


def test_update_missing_entry_is_404(admin_client: TestClient, xcoms: Harness) -> None:
    response = admin_client.patch(url(key="part"), json={"value": 1})  # map index -1: none
    assert response.status_code == 404
    assert response.json()["detail"].startswith(
        "The XCom with key: `part` with mentioned task instance doesn't exist"
    )
    assert admin_client.patch(url(key="part"), json={"map_index": 0}).status_code == 422


def test_roles(client_as: Callable[[str], TestClient], anonymous_client: TestClient) -> None:
    viewer = client_as("viewer")
    assert viewer.post(url(), json={"key": "k", "value": 1}).status_code == 403
    assert viewer.patch(url(key="k"), json={"value": 1}).status_code == 403
    assert anonymous_client.get(url()).status_code == 401


@pytest.mark.integration
def test_official_client_reads_and_writes_xcom(
    airflow_client: Callable[[str], Any], xcoms: Harness
) -> None:
    import airflow_client.client as af

    api = af.XComApi(airflow_client("user"))
    at_load = {"dag_id": "etl", "dag_run_id": "r1", "task_id": "load"}
    at_extract = {**at_load, "task_id": "extract"}
    listed = api.get_xcom_entries(**at_extract, limit=10)
    assert listed.total_entries == 4
    assert listed.xcom_entries[0].run_after == D1
    one = api.get_xcom_entry(**at_extract, xcom_key="return_value", deserialize=True)
    assert one.actual_instance.value == {"rows": 3}
    text = api.get_xcom_entry(**at_extract, xcom_key="path", stringify=True)
    assert text.actual_instance.value == '"s3://x"'
    created = api.create_xcom_entry(
        **at_load, x_com_create_body=af.XComCreateBody(key="made", value=[1, "two"])
    )
    assert json.loads(created.value) == [1, "two"]
    updated = api.update_xcom_entry(
        **at_load, xcom_key="made", x_com_update_body=af.XComUpdateBody(value=5)
    )
    assert updated.value == "5"
    with pytest.raises(af.exceptions.ConflictException):
        api.create_xcom_entry(**at_load, x_com_create_body=af.XComCreateBody(key="made", value=1))
    with pytest.raises(af.exceptions.NotFoundException):
        api.get_xcom_entry(**at_load, xcom_key="missing")

"""`GET /api/v2/eventLogs` and `/eventLogs/{id}`: reading the audit log with filters and pages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from slipstream.db.engine import Database
from slipstream.db.store import audit

T0 = dt.datetime(2024, 5, 1, 12, tzinfo=dt.UTC)
URL = "/api/v2/eventLogs"


@pytest.fixture
def events(api_db: Database) -> list[int]:
    """Six events, a second apart: ids in time order."""
    rows: list[dict[str, Any]] = [
        {"event": "trigger_dag_run", "owner": "ann", "dag_id": "etl_daily", "run_id": "r1"},
        {"event": "patch_dag", "owner": "bob", "dag_id": "etl_daily"},
        {
            "event": "clear_task",
            "owner": "ann",
            "dag_id": "Reports",
            "run_id": "r2",
            "task_id": "extract",
            "map_index": 3,
            "try_number": 2,
        },
        {"event": "cli_variables_set", "owner": "carol", "extra": {"key": "k"}},
        {"event": "trigger_dag_run", "owner": "bob", "dag_id": "s3_sync", "run_id": "r3"},
        {"event": "patch_dag", "owner": "ann", "dag_id": "reports_weekly"},
    ]
    with api_db.begin() as session:
        for n, row in enumerate(rows):
            audit.record(session, when=T0 + dt.timedelta(seconds=n), **row)
    with api_db.session() as session:
        listed = audit.list_events(session, newest_first=False)
    return [e.event_log_id for e in listed]


def _ids(client: TestClient, **params: Any) -> list[int]:
    response = client.get(URL, params=params)
    assert response.status_code == 200, response.text
    return [e["event_log_id"] for e in response.json()["event_logs"]]


def test_lists_every_event_oldest_first_with_airflows_fields(
    client_as: Callable[[str], TestClient], events: list[int]
) -> None:
    response = client_as("viewer").get(URL)
    assert response.status_code == 200
    body = response.json()
    assert body["total_entries"] == 6
    assert [e["event_log_id"] for e in body["event_logs"]] == events
    clear = body["event_logs"][2]
    assert clear == {
        "event_log_id": events[2],
        "when": "2024-05-01T12:00:02Z",
        "dag_id": "Reports",
        "task_id": "extract",
        "run_id": "r2",
        "map_index": 3,
        "try_number": 2,
        "event": "clear_task",
        "logical_date": None,
        "owner": "ann",
        "extra": None,
        "dag_display_name": "Reports",
        "task_display_name": "extract",
    }
    assert body["event_logs"][3]["extra"] == '{"key": "k"}'


def test_exact_filters(admin_client: TestClient, events: list[int]) -> None:
    assert _ids(admin_client, dag_id="etl_daily") == events[:2]
    assert _ids(admin_client, owner="ann", event="patch_dag") == [events[5]]
    assert _ids(admin_client, task_id="extract", map_index=3, try_number=2) == [events[2]]
    assert _ids(admin_client, run_id="r3") == [events[4]]
    assert _ids(admin_client, map_index=0) == []


def test_included_and_excluded_events(admin_client: TestClient, events: list[int]) -> None:
    included = _ids(admin_client, included_events=["patch_dag", "clear_task"])
    assert included == [events[1], events[2], events[5]]
    excluded = _ids(admin_client, excluded_events=["patch_dag", "trigger_dag_run"])
    assert excluded == [events[2], events[3]]


def test_time_window_is_exclusive(admin_client: TestClient, events: list[int]) -> None:
    after = (T0 + dt.timedelta(seconds=1)).isoformat()
    before = (T0 + dt.timedelta(seconds=4)).isoformat()
    assert _ids(admin_client, after=after, before=before) == events[2:4]
    assert _ids(admin_client, before="2024-05-01T12:00:01") == [events[0]]  # naive is UTC


def test_patterns_and_prefix_patterns(admin_client: TestClient, events: list[int]) -> None:
    assert _ids(admin_client, dag_id_pattern="REPORT") == [events[2], events[5]]
    assert _ids(admin_client, dag_id_pattern="etl|sync") == [events[0], events[1], events[4]]
    assert _ids(admin_client, dag_id_pattern="~") == events
    assert _ids(admin_client, event_pattern="dag%run") == [events[0], events[4]]
    assert _ids(admin_client, dag_id_prefix_pattern="reports") == [events[5]]  # case-sensitive
    assert _ids(admin_client, dag_id_prefix_pattern="s3://") == [events[4]]  # trailing :// dropped
    assert _ids(admin_client, owner_prefix_pattern="car|bo") == [events[1], events[3], events[4]]


def test_order_by_and_pages(admin_client: TestClient, events: list[int]) -> None:
    assert _ids(admin_client, order_by="-when") == events[::-1]
    assert _ids(admin_client, order_by=["owner", "-event_log_id"]) == [
        events[5],
        events[2],
        events[0],
        events[4],
        events[1],
        events[3],
    ]
    response = admin_client.get(URL, params={"limit": 2, "offset": 3})
    assert [e["event_log_id"] for e in response.json()["event_logs"]] == events[3:5]
    assert response.json()["total_entries"] == 6


def test_bad_order_by_is_400_naming_the_field(admin_client: TestClient, events: list[int]) -> None:
    response = admin_client.get(URL, params={"order_by": "password"})
    assert response.status_code == 400
    assert "'password'" in response.json()["detail"]


def test_bad_input_is_422(admin_client: TestClient) -> None:
    assert admin_client.get(URL, params={"limit": -1}).status_code == 422
    assert admin_client.get(URL, params={"map_index": "x"}).status_code == 422
    assert admin_client.get(URL, params={"after": "yesterday"}).status_code == 422


def test_get_one_and_404(admin_client: TestClient, events: list[int]) -> None:
    response = admin_client.get(f"{URL}/{events[3]}")
    assert response.status_code == 200
    assert response.json()["event"] == "cli_variables_set"
    missing = admin_client.get(f"{URL}/999999")
    assert missing.status_code == 404
    assert missing.json() == {"detail": "The Event Log with id: `999999` not found"}


def test_needs_a_login(anonymous_client: TestClient) -> None:
    assert anonymous_client.get(URL).status_code == 401
    assert anonymous_client.get(f"{URL}/1").status_code == 401


@pytest.mark.integration
def test_official_client_reads_event_logs(
    airflow_client: Callable[[str], Any], events: list[int]
) -> None:
    import airflow_client.client as af

    api = af.EventLogApi(airflow_client("viewer"))
    page = api.get_event_logs(owner="ann", order_by=["-event_log_id"], limit=2)
    assert page.total_entries == 3
    assert [e.event_log_id for e in page.event_logs] == [events[5], events[2]]
    assert page.event_logs[1].map_index == 3
    one = api.get_event_log(events[2])
    assert one.when == T0 + dt.timedelta(seconds=2)
    assert one.task_id == "extract"
    with pytest.raises(af.exceptions.NotFoundException):
        api.get_event_log(987654)

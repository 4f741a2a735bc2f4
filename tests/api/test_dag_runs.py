"""DAG runs through the API: listing (one DAG or `~`, filters, paging by offset and cursor, the
batch listing), triggering (conf checked like `dags trigger`, conflicts, a scheduler wake-up),
marking, notes, clearing, deleting, the asset events behind a run, roles and the audit log."""

from __future__ import annotations

import datetime as dt
import json
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from slipstream.core.exceptions import ParamValidationError
from slipstream.db.engine import Database
from slipstream.db.models import DagRun, TaskInstance, TaskInstanceHistory, XCom
from slipstream.db.store import audit, jobs, xcoms
from slipstream.db.store import runs as run_store
from slipstream.sdk import DAG, Asset, Param
from slipstream.sdk.operators.empty import EmptyOperator
from tests.scheduler.helpers import START, Harness

D1 = dt.datetime(2024, 1, 10, tzinfo=dt.UTC)
D2 = dt.datetime(2024, 1, 11, tzinfo=dt.UTC)
D3 = dt.datetime(2024, 1, 12, tzinfo=dt.UTC)
RUNS = "/api/v2/dags/{dag}/dagRuns"


def runs_url(dag: str = "etl", run: str | None = None, tail: str = "") -> str:
    path = RUNS.format(dag=dag)
    return path if run is None else f"{path}/{run}{tail}"


def _etl() -> DAG:
    with DAG(
        "etl",
        schedule=None,
        start_date=START,
        dag_display_name="ETL pipeline",
        params={"size": Param(5, type="integer", minimum=1)},
    ) as dag:
        EmptyOperator(task_id="extract") >> EmptyOperator(task_id="load")
    return dag


def _report() -> DAG:
    with DAG("report", schedule=None, start_date=START) as dag:
        EmptyOperator(task_id="render")
    return dag


def _minute_per_tick(harness: Harness) -> None:
    harness.clock.advance(60)


@pytest.fixture
def runs(api_harness: Harness) -> Harness:
    """`etl` run `ok` (D1, success, took minutes), `bad` (D2, failed at extract), `waiting`
    (D3, queued, conf size 7); `report` run `rep` (D1, queued)."""
    api_harness.add_dag(_etl())
    api_harness.add_dag(_report())
    api_harness.trigger("etl", run_id="ok", logical_date=D1)
    api_harness.run_to_end(check=_minute_per_tick)
    api_harness.trigger("etl", run_id="bad", logical_date=D2)
    api_harness.run_to_end({"extract": "failed"}, check=_minute_per_tick)
    api_harness.trigger("etl", run_id="waiting", logical_date=D3, conf={"size": 7})
    api_harness.trigger("report", run_id="rep", logical_date=D1)
    return api_harness


def listed(client: TestClient, path: str = runs_url(), **params: Any) -> list[str]:
    response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total_entries"] >= len(body["dag_runs"])
    return [run["dag_run_id"] for run in body["dag_runs"]]


def events(db: Database, event: str) -> list[audit.AuditEvent]:
    with db.session() as session:
        return audit.list_events(session, events=[event])


# --- listing -------------------------------------------------------------------------------


def test_lists_the_runs_of_a_dag_with_airflows_fields(
    runs: Harness, client_as: Callable[[str], TestClient]
) -> None:
    response = client_as("viewer").get(runs_url())
    assert response.status_code == 200
    body = response.json()
    assert body["total_entries"] == 3
    by_id = {run["dag_run_id"]: run for run in body["dag_runs"]}
    assert [run["dag_run_id"] for run in body["dag_runs"]] == ["ok", "bad", "waiting"]
    ok = by_id["ok"]
    assert (ok["dag_id"], ok["state"], ok["run_type"]) == ("etl", "success", "manual")
    assert ok["triggered_by"] == "cli"
    assert ok["dag_display_name"] == "ETL pipeline"
    assert ok["logical_date"] == "2024-01-10T00:00:00Z"
    assert ok["duration"] is not None and ok["duration"] >= 60
    assert ok["conf"] == {} and by_id["waiting"]["conf"] == {"size": 7}
    [version] = ok["dag_versions"]
    assert (version["version_number"], version["dag_id"]) == (1, "etl")
    assert version["id"].startswith("00000000-0000-0000-0000-")
    assert version["dag_display_name"] == "ETL pipeline"
    assert by_id["bad"]["state"] == "failed"
    assert by_id["waiting"]["state"] == "queued" and by_id["waiting"]["start_date"] is None


def test_tilde_lists_the_runs_of_every_dag_and_unknown_dags_are_404(
    runs: Harness, admin_client: TestClient
) -> None:
    assert sorted(listed(admin_client, runs_url("~"))) == ["bad", "ok", "rep", "waiting"]
    assert listed(admin_client, runs_url("~"), dag_id_pattern="rep") == ["rep"]
    response = admin_client.get(runs_url("nope"))
    assert response.status_code == 404
    assert "nope" in response.json()["detail"]


def test_filters_by_state_type_dates_version_and_patterns(
    runs: Harness, admin_client: TestClient
) -> None:
    def ids(**params: Any) -> list[str]:
        return sorted(listed(admin_client, runs_url("~"), **params))

    assert ids(state=["failed", "queued"]) == ["bad", "rep", "waiting"]
    assert ids(run_type="manual") == ["bad", "ok", "rep", "waiting"]
    assert ids(run_type="scheduled") == []
    assert ids(logical_date_gte=D2.isoformat()) == ["bad", "waiting"]
    assert ids(logical_date_lt=D2.isoformat(), logical_date_gt="2024-01-01T00:00:00Z") == [
        "ok",
        "rep",
    ]
    assert ids(logical_date_lte="2024-01-10T00:00:00") == ["ok", "rep"]  # naive: UTC
    assert ids(start_date_gte="2000-01-01T00:00:00Z") == ["bad", "ok"]
    assert ids(end_date_lte="2100-01-01T00:00:00Z") == ["bad", "ok"]
    assert ids(run_after_gte=D3.isoformat()) == ["waiting"]
    assert ids(updated_at_gte="2000-01-01T00:00:00Z") == ["bad", "ok", "rep", "waiting"]
    assert ids(dag_version=1) == ["bad", "ok", "rep", "waiting"]
    assert ids(dag_version=2) == []
    assert ids(run_id_pattern="A") == ["bad", "waiting"]
    assert ids(run_id_pattern="o|re") == ["ok", "rep"]
    assert ids(run_id_prefix_pattern="wa") == ["waiting"]
    assert ids(run_id_prefix_pattern="WA") == []
    assert ids(run_id_pattern="~") == ["bad", "ok", "rep", "waiting"]
    assert ids(conf_contains='"size"') == ["waiting"]
    assert ids(duration_gte=60) == ["bad", "ok"]
    assert ids(duration_lt=1) == []
    assert ids(triggering_user_name_pattern="admin") == []
    assert ids(triggering_user_name_pattern="~") == ["bad", "ok", "rep", "waiting"]
    assert ids(partition_key_pattern="x") == []


def test_bad_filter_values_are_4xx_naming_them(runs: Harness, admin_client: TestClient) -> None:
    response = admin_client.get(runs_url(), params={"state": "sleeping"})
    assert response.status_code == 422
    assert "sleeping" in response.json()["detail"]
    response = admin_client.get(runs_url(), params={"run_type": "weird"})
    assert response.status_code == 422
    assert "weird" in response.json()["detail"]
    response = admin_client.get(runs_url(), params={"logical_date_gte": "yesterday"})
    assert response.status_code == 422
    response = admin_client.get(runs_url(), params={"order_by": "color"})
    assert response.status_code == 400
    assert "color" in response.json()["detail"]


def test_pages_and_orders(runs: Harness, admin_client: TestClient) -> None:
    everything = runs_url("~")
    assert listed(admin_client, everything, order_by="-id") == ["rep", "waiting", "bad", "ok"]
    assert listed(admin_client, everything, order_by=["dag_id", "-logical_date"]) == [
        "waiting",
        "bad",
        "ok",
        "rep",
    ]
    assert listed(admin_client, everything, order_by="-dag_run_id", limit=2) == ["waiting", "rep"]
    assert listed(admin_client, everything, order_by="dag_run_id", limit=2, offset=1) == [
        "ok",
        "rep",
    ]
    assert listed(admin_client, everything, order_by="-duration", limit=1) in (["ok"], ["bad"])
    assert listed(admin_client, everything, order_by="conf", limit=10) != []
    body = admin_client.get(everything, params={"limit": 1}).json()
    assert body["total_entries"] == 4 and len(body["dag_runs"]) == 1


def test_cursor_paging_walks_every_run_once(runs: Harness, admin_client: TestClient) -> None:
    seen: list[str] = []
    cursor = ""
    previous: list[str | None] = []
    while cursor is not None:
        response = admin_client.get(runs_url("~"), params={"cursor": cursor, "limit": 3})
        assert response.status_code == 200, response.text
        body = response.json()
        assert (body["total_entries"], body["total_entries_limit"]) == (4, 10_000)
        seen += [run["dag_run_id"] for run in body["dag_runs"]]
        previous.append(body["previous_cursor"])
        cursor = body["next_cursor"]
    assert seen == ["ok", "bad", "waiting", "rep"]
    assert previous[0] is None and previous[1] is not None
    back = admin_client.get(runs_url("~"), params={"cursor": previous[1], "limit": 3}).json()
    assert [run["dag_run_id"] for run in back["dag_runs"]] == ["ok", "bad", "waiting"]
    response = admin_client.get(runs_url("~"), params={"cursor": "not-a-cursor"})
    assert response.status_code == 400
    assert "cursor" in response.json()["detail"]


def test_batch_listing_takes_filters_in_the_body(
    runs: Harness, client_as: Callable[[str], TestClient]
) -> None:
    viewer = client_as("viewer")
    url = runs_url("~", "list")
    response = viewer.post(url, json={"dag_ids": ["etl"], "states": ["failed", "success"]})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total_entries"] == 2
    assert sorted(r["dag_run_id"] for r in body["dag_runs"]) == ["bad", "ok"]
    body = viewer.post(
        url,
        json={
            "order_by": "-logical_date",
            "page_limit": 2,
            "page_offset": 1,
            "logical_date_lte": D3.isoformat(),
        },
    ).json()
    assert body["total_entries"] == 4
    assert [r["dag_run_id"] for r in body["dag_runs"]] == ["bad", "ok"]
    body = viewer.post(url, json={"duration_gte": 60, "conf_contains": "size"}).json()
    assert body["total_entries"] == 0
    assert viewer.post(runs_url("etl", "list"), json={}).status_code == 422
    assert viewer.post(url, json={"colour": "red"}).status_code == 422
    assert viewer.post(url, json={"logical_date_gte": "2024-01-01T00:00:00"}).status_code == 422
    assert viewer.post(url, json={"order_by": "colour"}).status_code == 400


def test_gets_one_run_and_404s_naming_it(runs: Harness, admin_client: TestClient) -> None:
    response = admin_client.get(runs_url("etl", "bad"))
    assert response.status_code == 200
    assert (response.json()["dag_run_id"], response.json()["state"]) == ("bad", "failed")
    response = admin_client.get(runs_url("etl", "rep"))
    assert response.status_code == 404
    assert "rep" in response.json()["detail"] and "etl" in response.json()["detail"]


def test_reads_need_a_token(runs: Harness, anonymous_client: TestClient) -> None:
    assert anonymous_client.get(runs_url()).status_code == 401
    assert anonymous_client.post(runs_url("~", "list"), json={}).status_code == 401


# --- triggering ----------------------------------------------------------------------------


def test_trigger_creates_a_queued_manual_run(
    runs: Harness, api_db: Database, client_as: Callable[[str], TestClient]
) -> None:
    body = {
        "dag_run_id": "from_api",
        "logical_date": "2024-02-01T00:00:00Z",
        "conf": {"size": 3},
        "note": "by hand",
    }
    response = client_as("user").post(runs_url(), json=body)
    assert response.status_code == 200, response.text
    run = response.json()
    assert (run["dag_run_id"], run["state"], run["run_type"]) == ("from_api", "queued", "manual")
    assert (run["triggered_by"], run["conf"], run["note"]) == ("rest_api", {"size": 3}, "by hand")
    assert run["logical_date"] == run["data_interval_start"] == "2024-02-01T00:00:00Z"
    assert run["dag_versions"][0]["version_number"] == 1
    assert runs.states("from_api", "etl") == {"extract": None, "load": None}
    [event] = events(api_db, "trigger_dag_run")
    assert (event.owner, event.dag_id, event.run_id) == ("user", "etl", "from_api")
    assert json.loads(event.extra or "{}")["conf"] == {"size": 3}


def test_trigger_without_a_logical_date_makes_a_run_without_one(
    runs: Harness, admin_client: TestClient
) -> None:
    response = admin_client.post(runs_url(), json={"logical_date": None})
    assert response.status_code == 200, response.text
    run = response.json()
    assert run["logical_date"] is None and run["data_interval_start"] is None
    assert run["dag_run_id"].startswith("manual__")
    assert run["conf"] == {}
    after = admin_client.post(runs_url(), json={"run_after": "2030-01-01T00:00:00"})
    assert after.status_code == 200, after.text
    assert after.json()["run_after"] == "2030-01-01T00:00:00Z"
    assert after.json()["dag_run_id"] == "manual__2030-01-01T00:00:00+00:00"
    with_interval = admin_client.post(
        runs_url(),
        json={
            "logical_date": "2024-03-01T00:00:00Z",
            "data_interval_start": "2024-02-01T00:00:00Z",
            "data_interval_end": "2024-03-01T00:00:00Z",
        },
    ).json()
    assert with_interval["data_interval_start"] == "2024-02-01T00:00:00Z"


def test_trigger_checks_conf_against_params_like_the_cli(
    runs: Harness, api_db: Database, admin_client: TestClient
) -> None:
    with api_db.session() as session, pytest.raises(ParamValidationError) as cli_error:
        run_store.trigger_run(
            session, "etl", now=dt.datetime.now(dt.UTC), conf={"size": 0}, run_id="cli"
        )
    response = admin_client.post(runs_url(), json={"logical_date": None, "conf": {"size": 0}})
    assert response.status_code == 400
    assert response.json()["detail"] == str(cli_error.value)
    assert "size" in response.json()["detail"]
    assert len(runs.runs("etl")) == 3
    assert events(api_db, "trigger_dag_run") == []


def test_trigger_refuses_taken_ids_unknown_dags_and_bad_bodies(
    runs: Harness, api_db: Database, client_as: Callable[[str], TestClient]
) -> None:
    admin = client_as("admin")
    taken = admin.post(runs_url(), json={"dag_run_id": "ok"})
    assert taken.status_code == 409
    assert "ok" in taken.json()["detail"]
    same_date = admin.post(runs_url(), json={"logical_date": D1.isoformat()})
    assert same_date.status_code == 409
    unknown = admin.post(runs_url("nope"), json={})
    assert unknown.status_code == 404
    assert "nope" in unknown.json()["detail"]
    assert admin.post(runs_url(), json={"logical_date": "2024-01-01T00:00:00"}).status_code == 422
    assert admin.post(runs_url(), json={"conf": [1, 2]}).status_code == 422
    assert admin.post(runs_url(), json={"colour": "red"}).status_code == 422
    half = admin.post(runs_url(), json={"data_interval_start": "2024-01-01T00:00:00Z"})
    assert half.status_code == 422
    partitioned = admin.post(runs_url(), json={"partition_key": "p1"})
    assert partitioned.status_code == 400 and "partition" in partitioned.json()["detail"]
    for bad_id in ("a/b", "has space", "q?x"):
        refused = admin.post(runs_url(), json={"dag_run_id": bad_id})
        assert refused.status_code == 400, bad_id
        assert "allowed_run_id_pattern" in refused.json()["detail"]
    assert client_as("viewer").post(runs_url(), json={}).status_code == 403
    assert len(runs.runs("etl")) == 3


def test_trigger_refuses_dags_with_import_errors(runs: Harness, admin_client: TestClient) -> None:
    from slipstream.db.models import DagModel

    with runs.db.begin() as session:
        model = session.get(DagModel, "etl")
        assert model is not None
        model.has_import_errors = True
    response = admin_client.post(runs_url(), json={})
    assert response.status_code == 400
    assert "import errors" in response.json()["detail"]


@pytest.fixture
def listening_scheduler(api_db: Database, tmp_path: Path) -> Iterator[socket.socket]:
    """A datagram socket registered as a live scheduler's wake address on this host."""
    path = str(tmp_path / "wake.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(5)
    with api_db.begin() as session:
        jobs.register(session, "scheduler", wake_address=path)
    yield sock
    sock.close()


def test_trigger_and_clear_wake_the_scheduler_like_the_cli(
    runs: Harness, listening_scheduler: socket.socket, admin_client: TestClient
) -> None:
    from slipstream.core.wake import WAKE, is_wake

    assert admin_client.post(runs_url(), json={}).status_code == 200
    data = listening_scheduler.recv(100)
    assert data == WAKE and is_wake(data)
    cleared = admin_client.post(runs_url("etl", "bad", "/clear"), json={"dry_run": False})
    assert cleared.status_code == 200
    assert is_wake(listening_scheduler.recv(100))


# --- marking and notes ---------------------------------------------------------------------


def test_mark_success_settles_unfinished_task_instances(
    runs: Harness, api_db: Database, client_as: Callable[[str], TestClient]
) -> None:
    response = client_as("user").patch(runs_url("etl", "waiting"), json={"state": "success"})
    assert response.status_code == 200, response.text
    run = response.json()
    assert run["state"] == "success" and run["end_date"] is not None
    assert runs.states("waiting", "etl") == {"extract": "success", "load": "success"}
    [event] = events(api_db, "patch_dag_run")
    assert (event.owner, event.run_id) == ("user", "waiting")
    assert json.loads(event.extra or "{}")["state"] == "success"


def test_mark_failed_fails_running_tasks_and_skips_the_rest(
    runs: Harness, admin_client: TestClient
) -> None:
    runs.tick()  # `waiting` and `rep` start; their first tasks are queued
    for workload in list(runs.executor.pending.values()):
        if workload.run_id == "waiting":
            assert runs.claim(workload)
    assert runs.states("waiting", "etl") == {"extract": "running", "load": None}
    response = admin_client.patch(runs_url("etl", "waiting"), json={"state": "failed"})
    assert response.status_code == 200
    assert response.json()["state"] == "failed"
    assert runs.states("waiting", "etl") == {"extract": "failed", "load": "skipped"}


def test_mark_queued_and_note_with_update_mask(runs: Harness, admin_client: TestClient) -> None:
    url = runs_url("etl", "bad")
    before = admin_client.get(url).json()
    response = admin_client.patch(
        url, params={"update_mask": "note"}, json={"state": "queued", "note": "look at this"}
    )
    assert response.status_code == 200
    assert (response.json()["state"], response.json()["note"]) == ("failed", "look at this")
    response = admin_client.patch(url, json={"state": "queued"})
    run = response.json()
    assert (run["state"], run["note"], run["start_date"]) == ("queued", "look at this", None)
    assert run["queued_at"] != before["queued_at"]
    assert runs.states("bad", "etl") == {"extract": "failed", "load": "upstream_failed"}
    assert admin_client.patch(url, json={"note": None}).json()["note"] is None


def test_marking_again_keeps_the_end_date(runs: Harness, admin_client: TestClient) -> None:
    first = admin_client.get(runs_url("etl", "ok")).json()
    again = admin_client.patch(runs_url("etl", "ok"), json={"state": "success"}).json()
    assert again["end_date"] == first["end_date"]


def test_patch_refuses_bad_input(
    runs: Harness, api_db: Database, client_as: Callable[[str], TestClient]
) -> None:
    admin = client_as("admin")
    url = runs_url("etl", "bad")
    assert admin.patch(url, json={"state": "running"}).status_code == 422
    assert admin.patch(url, json={"note": "x" * 1001}).status_code == 422
    assert admin.patch(url, json={"colour": "red"}).status_code == 422
    masked = admin.patch(url, params={"update_mask": "colour"}, json={"note": "n"})
    assert masked.status_code == 400 and "colour" in masked.json()["detail"]
    assert admin.patch(runs_url("etl", "gone"), json={"note": "n"}).status_code == 404
    assert client_as("viewer").patch(url, json={"note": "n"}).status_code == 403
    assert admin.get(url).json()["note"] is None
    assert events(api_db, "patch_dag_run") == []


# --- clearing ------------------------------------------------------------------------------


def test_dry_run_clear_lists_task_instances_without_changing_them(
    runs: Harness, api_db: Database, admin_client: TestClient
) -> None:
    from airflow_client.client.models.task_instance_response import TaskInstanceResponse

    url = runs_url("etl", "bad", "/clear")
    response = admin_client.post(url, json={"only_failed": True})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total_entries"] == 2
    listed_tis = {(ti["task_id"], ti["state"]) for ti in body["task_instances"]}
    assert listed_tis == {("extract", "failed"), ("load", "upstream_failed")}
    for ti in body["task_instances"]:
        TaskInstanceResponse.from_dict(ti)  # the official client's model accepts it
    everything = admin_client.post(url, json={}).json()
    assert everything["total_entries"] == 2
    success = admin_client.post(runs_url("etl", "ok", "/clear"), json={"only_failed": True})
    assert success.json() == {"task_instances": [], "total_entries": 0}
    assert runs.run("bad", "etl").state == "failed"
    assert events(api_db, "clear_dag_run") == []


def test_clear_resets_task_instances_and_requeues_the_run(
    runs: Harness, api_db: Database, client_as: Callable[[str], TestClient]
) -> None:
    response = client_as("user").post(
        runs_url("etl", "ok", "/clear"), json={"dry_run": False, "note": "again"}
    )
    assert response.status_code == 200, response.text
    run = response.json()
    assert (run["dag_run_id"], run["state"], run["note"]) == ("ok", "queued", "again")
    assert run["start_date"] is None and run["end_date"] is None
    assert runs.states("ok", "etl") == {"extract": None, "load": None}
    with api_db.session() as session:
        kept = session.scalars(
            select(TaskInstanceHistory.task_id).where(TaskInstanceHistory.run_id == "ok")
        )
        assert sorted(kept) == ["extract", "load"]  # the tries before the clear
    [event] = events(api_db, "clear_dag_run")
    assert (event.owner, event.run_id) == ("user", "ok")
    assert json.loads(event.extra or "{}")["cleared"] == 2
    runs.run_to_end()
    assert runs.run("ok", "etl").state == "success"


def test_clear_refuses_what_slipstream_cannot_do(runs: Harness, admin_client: TestClient) -> None:
    url = runs_url("etl", "bad", "/clear")
    only_new = admin_client.post(url, json={"only_new": True})
    assert only_new.status_code == 400 and "only_new" in only_new.json()["detail"]
    both = admin_client.post(url, json={"only_new": True, "only_failed": True})
    assert both.status_code == 422
    latest = admin_client.post(url, json={"run_on_latest_version": True})
    assert latest.status_code == 200  # the run is on the latest version already
    assert admin_client.post(runs_url("etl", "gone", "/clear"), json={}).status_code == 404


# --- deleting ------------------------------------------------------------------------------


def test_delete_removes_the_run_its_task_instances_and_xcoms(
    runs: Harness, api_db: Database, client_as: Callable[[str], TestClient]
) -> None:
    ok = runs.run("ok", "etl")
    with api_db.begin() as session:
        xcoms.xcom_set(
            session,
            dag_run_id=ok.id,
            dag_id="etl",
            run_id="ok",
            task_id="extract",
            map_index=-1,
            key="return_value",
            value="1",
            now=D1,
        )
    response = client_as("user").delete(runs_url("etl", "ok"))
    assert response.status_code == 204
    assert response.content == b""
    with api_db.session() as session:
        assert session.scalar(select(func.count()).where(DagRun.run_id == "ok")) == 0
        left = session.scalar(select(func.count()).where(TaskInstance.dag_run_id == ok.id))
        assert left == 0
        assert session.scalar(select(func.count()).select_from(XCom)) == 0
    [event] = events(api_db, "delete_dag_run")
    assert (event.owner, event.dag_id, event.run_id) == ("user", "etl", "ok")
    assert client_as("user").delete(runs_url("etl", "ok")).status_code == 404


def test_delete_refuses_running_runs_and_viewers(
    runs: Harness, client_as: Callable[[str], TestClient]
) -> None:
    runs.tick()
    assert runs.run("waiting", "etl").state == "running"
    response = client_as("admin").delete(runs_url("etl", "waiting"))
    assert response.status_code == 409
    assert "running" in response.json()["detail"]
    assert client_as("viewer").delete(runs_url("etl", "bad")).status_code == 403
    assert {r.run_id for r in runs.runs("etl")} == {"ok", "bad", "waiting"}


# --- asset events --------------------------------------------------------------------------


@pytest.fixture
def asset_run(api_harness: Harness) -> str:
    """`consumer` triggered by an update of `s3://bucket/data` from `producer`; its run id."""
    data = Asset(name="data", uri="s3://bucket/data")
    with DAG("producer", schedule=None, start_date=START) as producer:
        EmptyOperator(task_id="make", outlets=[data])
    with DAG("consumer", schedule=[data], start_date=START) as consumer:
        EmptyOperator(task_id="use")
    api_harness.add_dag(producer)
    api_harness.add_dag(consumer)
    api_harness.trigger("producer", run_id="p1")
    api_harness.tick()
    api_harness.play("make", outlets=[data])
    api_harness.tick()
    [run] = api_harness.runs("consumer")
    return run.run_id


def test_upstream_asset_events_of_an_asset_triggered_run(
    asset_run: str, admin_client: TestClient
) -> None:
    response = admin_client.get(runs_url("consumer", asset_run, "/upstreamAssetEvents"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total_entries"] == 1
    [event] = body["asset_events"]
    assert (event["uri"], event["name"], event["source_dag_id"]) == (
        "s3://bucket/data",
        "data",
        "producer",
    )
    assert (event["source_task_id"], event["source_run_id"]) == ("make", "p1")
    [consumer] = event["created_dagruns"]
    assert (consumer["dag_id"], consumer["run_id"], consumer["triggering"]) == (
        "consumer",
        asset_run,
        True,
    )
    assert consumer["start_date"] is not None
    manual = admin_client.get(runs_url("producer", "p1", "/upstreamAssetEvents")).json()
    assert manual == {"asset_events": [], "total_entries": 0}
    missing = admin_client.get(runs_url("consumer", "nope", "/upstreamAssetEvents"))
    assert missing.status_code == 404


def test_consuming_asset_pattern_finds_runs_by_asset(
    asset_run: str, admin_client: TestClient
) -> None:
    assert listed(admin_client, runs_url("~"), consuming_asset_pattern="BUCKET/d") == [asset_run]
    assert listed(admin_client, runs_url("~"), consuming_asset_pattern="%") == []


# --- many runs at once, and waiting ----------------------------------------------------------


def _push(db: Database, dag_id: str, run_id: str, task_id: str, value: Any, map_index: int = -1):
    with db.begin() as session:
        run = run_store.get_run(session, dag_id, run_id)
        assert run is not None
        xcoms.xcom_set(
            session,
            dag_run_id=run.id,
            dag_id=dag_id,
            run_id=run_id,
            task_id=task_id,
            map_index=map_index,
            key="return_value",
            value=json.dumps(value),
            now=D1,
        )


def test_bulk_marks_notes_and_deletes_runs(
    runs: Harness, api_db: Database, client_as: Callable[[str], TestClient]
) -> None:
    actions = [
        {
            "action": "update",
            "entities": [
                {"dag_run_id": "waiting", "state": "success", "note": "done by hand"},
                {"dag_run_id": "rep", "dag_id": "report", "note": "other DAG"},
            ],
        },
        {"action": "delete", "entities": ["bad"]},
        {"action": "create", "entities": [{"dag_run_id": "new"}]},
    ]
    response = client_as("user").patch(runs_url(), json={"actions": actions})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["update"] == {"success": ["etl.waiting", "report.rep"], "errors": []}
    assert body["delete"] == {"success": ["etl.bad"], "errors": []}
    assert body["create"]["success"] == []
    assert body["create"]["errors"][0]["status_code"] == 405
    assert runs.run("waiting", "etl").state == "success"
    assert runs.states("waiting", "etl") == {"extract": "success", "load": "success"}
    assert (runs.run("rep", "report").note, runs.run("rep", "report").state) == (
        "other DAG",
        "queued",
    )
    assert {r.run_id for r in runs.runs("etl")} == {"ok", "waiting"}
    [event] = events(api_db, "bulk_dag_runs")
    assert event.owner == "user"
    recorded = json.loads(event.extra or "{}")["actions"]
    assert recorded[1] == {
        "action": "delete",
        "action_on_non_existence": "fail",
        "entities": ["etl.bad"],
    }


def test_bulk_actions_fail_whole_and_name_the_problem(
    runs: Harness, client_as: Callable[[str], TestClient]
) -> None:
    admin = client_as("admin")
    runs.tick()  # `waiting` runs
    actions = [
        {"action": "delete", "entities": ["ok", "waiting"]},
        {
            "action": "update",
            "entities": [{"dag_run_id": "ok", "note": "x"}, {"dag_run_id": "gone"}],
        },
        {
            "action": "update",
            "action_on_non_existence": "skip",
            "update_mask": ["state"],
            "entities": [
                {"dag_run_id": "bad", "state": "queued", "note": "ignored"},
                {"dag_run_id": "gone"},
            ],
        },
    ]
    body = admin.patch(runs_url(), json={"actions": actions}).json()
    [running] = body["delete"]["errors"]
    assert running["status_code"] == 409 and "etl.waiting" in running["error"]
    [missing] = body["update"]["errors"]
    assert missing["status_code"] == 404 and "etl.gone" in missing["error"]
    assert body["update"]["success"] == ["etl.bad"]
    assert {r.run_id for r in runs.runs("etl")} == {"ok", "bad", "waiting"}
    assert runs.run("ok", "etl").note is None
    assert (runs.run("bad", "etl").state, runs.run("bad", "etl").note) == ("queued", None)
    tilde = admin.patch(
        runs_url("~"), json={"actions": [{"action": "delete", "entities": ["ok"]}]}
    ).json()
    assert tilde["delete"]["errors"][0]["status_code"] == 400
    assert "dag_id" in tilde["delete"]["errors"][0]["error"]
    by_entity = admin.patch(
        runs_url("~"),
        json={
            "actions": [{"action": "delete", "entities": [{"dag_run_id": "ok", "dag_id": "etl"}]}]
        },
    ).json()
    assert by_entity["delete"]["success"] == ["etl.ok"]
    assert client_as("viewer").patch(runs_url(), json={"actions": []}).status_code == 403
    bad_body = admin.patch(runs_url(), json={"actions": [{"action": "update", "entities": [{}]}]})
    assert bad_body.status_code == 422


def test_clear_dag_runs_clears_several_runs_at_once(
    runs: Harness, api_db: Database, admin_client: TestClient
) -> None:
    url = "/api/v2/dags/~/clearDagRuns"
    chosen = [{"dag_run_id": "ok", "dag_id": "etl"}, {"dag_run_id": "bad", "dag_id": "etl"}]
    dry = admin_client.post(url, json={"dag_runs": chosen, "only_failed": True})
    assert dry.status_code == 200, dry.text
    assert {(t["dag_run_id"], t["task_id"]) for t in dry.json()["task_instances"]} == {
        ("bad", "extract"),
        ("bad", "load"),
    }
    assert runs.run("bad", "etl").state == "failed"
    response = admin_client.post(url, json={"dag_runs": chosen, "dry_run": False, "note": "rerun"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total_entries"] == 2
    assert [(r["dag_run_id"], r["state"], r["note"]) for r in body["dag_runs"]] == [
        ("ok", "queued", "rerun"),
        ("bad", "queued", "rerun"),
    ]
    assert runs.states("bad", "etl") == {"extract": None, "load": None}
    [event] = events(api_db, "clear_dag_runs")
    assert json.loads(event.extra or "{}")["dag_runs"] == ["etl.ok", "etl.bad"]
    missing = admin_client.post(
        runs_url().replace("dagRuns", "clearDagRuns"),
        json={"dag_runs": [{"dag_run_id": "ok"}, {"dag_run_id": "gone"}], "dry_run": False},
    )
    assert missing.status_code == 404 and "gone" in missing.json()["detail"]
    assert runs.run("ok", "etl").note == "rerun"
    assert admin_client.post(url, json={"dag_runs": []}).status_code == 422
    by_key = admin_client.post(url, json={"partition_key": "2024-01", "dry_run": False}).json()
    assert by_key == {
        "dag_runs": [],
        "total_entries": 0,
        "next_cursor": None,
        "previous_cursor": None,
        "total_entries_limit": None,
    }
    tilde = admin_client.post(url, json={"dag_runs": [{"dag_run_id": "ok"}]})
    assert tilde.status_code == 400


def test_wait_streams_states_until_the_run_ends_with_its_results(
    runs: Harness, api_db: Database, admin_client: TestClient
) -> None:
    _push(api_db, "etl", "waiting", "extract", {"rows": 3})
    _push(api_db, "etl", "waiting", "load", "a", map_index=0)
    _push(api_db, "etl", "waiting", "load", "b", map_index=1)
    url = runs_url("etl", "waiting", "/wait")
    lines = []
    with admin_client.stream("GET", url, params={"interval": 0.02}) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/x-ndjson")
        for line in response.iter_lines():
            lines.append(json.loads(line))
            if len(lines) == 2:  # the run ends while the client waits
                with api_db.begin() as session:
                    run = run_store.get_run(session, "etl", "waiting")
                    assert run is not None
                    run_store.set_run_state(session, run, "success", now=D3)
    assert lines[0] == lines[1] == {"state": "queued"}
    results = {"extract": {"rows": 3}, "load": ["a", "b"]}
    assert lines[-1] == {"state": "success", "results": results}
    only = admin_client.get(url, params={"interval": 1, "result": "extract"})
    assert only.text == json.dumps({"state": "success", "results": {"extract": {"rows": 3}}}) + "\n"
    missing = admin_client.get(runs_url("etl", "nope", "/wait"), params={"interval": 1})
    assert missing.status_code == 404
    assert admin_client.get(url, params={"interval": 0}).status_code == 422


# --- the official client against the real server -------------------------------------------


@pytest.mark.integration
def test_official_client_reads_runs(
    runs: Harness, asset_run: str, airflow_client: Callable[[str], Any]
) -> None:
    import airflow_client.client as af

    with airflow_client("viewer") as api_client:
        api = af.DagRunApi(api_client)
        page = api.get_dag_runs("etl", order_by=["-logical_date"], limit=2)
        assert [r.dag_run_id for r in page.dag_runs] == ["waiting", "bad"]
        assert page.total_entries == 3
        assert page.dag_runs[0].dag_versions[0].version_number == 1
        every = api.get_dag_runs("~", state=["failed", "success"], run_type=["manual"])
        assert sorted(r.dag_run_id for r in every.dag_runs) == ["bad", "ok", "p1"]
        batch = api.get_list_dag_runs_batch(
            "~", af.DAGRunsBatchBody(dag_ids=["etl"], states=["success"])
        )
        assert [r.dag_run_id for r in batch.dag_runs] == ["ok"]
        run = api.get_dag_run("etl", "ok")
        assert (run.state, run.logical_date) == (af.DagRunState.SUCCESS, D1)
        assert run.duration is not None and run.duration >= 60
        upstream = api.get_upstream_asset_events("consumer", asset_run)
        assert upstream.total_entries == 1
        assert upstream.asset_events[0].created_dagruns[0].triggering is True
        with pytest.raises(af.ApiException) as missing:
            api.get_dag_run("etl", "nope")
        assert missing.value.status == 404


@pytest.mark.integration
def test_official_client_changes_runs(
    runs: Harness, api_db: Database, airflow_client: Callable[[str], Any]
) -> None:
    import airflow_client.client as af

    with airflow_client("user") as api_client:
        api = af.DagRunApi(api_client)
        created = api.trigger_dag_run(
            "etl", af.TriggerDAGRunPostBody(dag_run_id="client", conf={"size": 2}, note="n")
        )
        assert (created.dag_run_id, created.state, created.logical_date) == (
            "client",
            af.DagRunState.QUEUED,
            None,
        )
        assert created.triggered_by == af.DagRunTriggeredByType.REST_API
        with pytest.raises(af.ApiException) as bad_conf:
            api.trigger_dag_run("etl", af.TriggerDAGRunPostBody(conf={"size": "big"}))
        assert bad_conf.value.status == 400 and "size" in str(bad_conf.value.body)
        with pytest.raises(af.ApiException) as taken:
            api.trigger_dag_run("etl", af.TriggerDAGRunPostBody(dag_run_id="client"))
        assert taken.value.status == 409
        patched = api.patch_dag_run(
            "etl", "client", af.DAGRunPatchBody(state=af.DagRunMutableStates.FAILED)
        )
        assert patched.state == af.DagRunState.FAILED
        noted = api.patch_dag_run(
            "etl", "client", af.DAGRunPatchBody(note="why"), update_mask=["note"]
        )
        assert noted.note == "why"
        raw = api.clear_dag_run_without_preload_content(
            "etl", "bad", af.DAGRunClearBody(dry_run=True, only_failed=True)
        )
        dry = af.ClearTaskInstanceCollectionResponse.from_dict(
            {"task_instances": [], "total_entries": json.loads(raw.data)["total_entries"]}
        )
        assert dry is not None and dry.total_entries == 2
        for ti in json.loads(raw.data)["task_instances"]:
            assert af.TaskInstanceResponse.from_dict(ti) is not None
        waited = api.wait_dag_run_until_finished_without_preload_content(
            "etl", "client", interval=0.1
        )
        assert json.loads(waited.data.splitlines()[0]) == {"state": "failed"}
        bulk = api.bulk_dag_runs(
            "etl",
            af.BulkBodyBulkDAGRunBody(
                actions=[
                    af.ActionsInner(
                        af.BulkUpdateActionBulkDAGRunBody(
                            action="update",
                            entities=[af.BulkDAGRunBody(dag_run_id="ok", note="bulk")],
                        )
                    )
                ]
            ),
        )
        assert bulk.update is not None and bulk.update.success == ["etl.ok"]
        many = api.clear_dag_runs(
            "etl",
            af.BulkDAGRunClearBody(dag_runs=[af.BulkDAGRunBody(dag_run_id="ok")], dry_run=False),
        )
        assert isinstance(many.actual_instance, af.DAGRunCollectionResponse)
        assert [(r.dag_run_id, r.note) for r in many.actual_instance.dag_runs] == [("ok", "bulk")]
        cleared = api.clear_dag_run("etl", "bad", af.DAGRunClearBody(dry_run=False))
        assert isinstance(cleared.actual_instance, af.DAGRunResponse)
        assert cleared.actual_instance.state == af.DagRunState.QUEUED
        api.delete_dag_run("etl", "client")
        with pytest.raises(af.ApiException) as gone:
            api.get_dag_run("etl", "client")
        assert gone.value.status == 404
    owners = {e.event: e.owner for e in events(api_db, "trigger_dag_run")}
    assert owners == {"trigger_dag_run": "user"}
    assert [e.run_id for e in events(api_db, "delete_dag_run")] == ["client"]


# --- the store functions behind the routes, on every database ------------------------------


def test_run_listing_and_operations_on_every_database(any_db: Database) -> None:
    from slipstream.db.store import run_listing, run_operations
    from slipstream.db.store.paging import Page
    from slipstream.db.store.run_listing import Bounds, RunFilters

    harness = Harness(any_db)
    harness.add_dag(_etl())
    harness.trigger("etl", run_id="ok", logical_date=D1, conf={"size": 2})
    harness.run_to_end(check=_minute_per_tick)
    harness.trigger("etl", run_id="waiting", logical_date=D2)
    with any_db.session() as session:
        for field in sorted(run_listing.ORDER_FIELDS):
            for descending in (False, True):
                page = Page(limit=10, order_by=((field, descending),))
                found, total = run_listing.find_runs_page(session, RunFilters(), page)
                assert (len(found), total) == (2, 2), field
        slow = RunFilters(duration=Bounds(gte=120), conf_contains="size")
        found, total = run_listing.find_runs_page(session, slow, Page())
        assert ([r.run_id for r in found], total) == (["ok"], 1)
        _, capped = run_listing.find_runs_page(session, RunFilters(), Page(), count_limit=1)
        assert capped == 1
        versions = run_listing.versions_of(session, found)
        assert [v.dag_display_name for v in versions.values()] == ["ETL pipeline"]
    with any_db.begin() as session:
        ok = run_store.get_run(session, "etl", "ok")
        assert ok is not None
        cleared = run_operations.clear_run(session, ok, now=D3, dry_run=True)
        assert sorted(ti.task_id for ti in cleared) == ["extract", "load"]
        assert run_operations.delete_run(session, ok)
    with any_db.session() as session:
        assert session.scalar(select(func.count()).select_from(TaskInstanceHistory)) == 0
        assert [r.run_id for r in session.scalars(select(DagRun))] == ["waiting"]

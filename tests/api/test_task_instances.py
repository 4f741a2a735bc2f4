"""Task instances through the API: listings (filters, `~`, paging, cursors), one instance, its
tries, marking by hand (with dry runs and notes), clearing (which the scheduler then re-runs),
what blocks an instance, roles, the audit log, and the official client's view of all of it."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from slipstream.db.engine import Database
from slipstream.db.models import DagRun, Log, TaskInstance
from slipstream.sdk import DAG, TaskGroup, task
from slipstream.sdk.operators.empty import EmptyOperator
from tests.scheduler.helpers import START, Harness

D1 = dt.datetime(2024, 3, 1, tzinfo=dt.UTC)
D2 = dt.datetime(2024, 3, 2, tzinfo=dt.UTC)
TIS = "/api/v2/dags/{dag}/dagRuns/{run}/taskInstances"
CLEAR = "/api/v2/dags/{dag}/clearTaskInstances"


def tis(dag: str = "etl", run: str = "r1", *rest: object) -> str:
    return "/".join([TIS.format(dag=dag, run=run), *map(str, rest)])


def etl_dag() -> DAG:
    with DAG("etl", dag_display_name="ETL", schedule=None, start_date=START) as dag:
        extract = EmptyOperator(task_id="extract", retries=1, retry_delay=dt.timedelta(0))
        transform = EmptyOperator(task_id="transform", task_display_name="Transform it")
        extract >> transform >> EmptyOperator(task_id="load", pool="default_pool")
    return dag


def mapping_dag() -> DAG:
    with DAG("mapping", schedule=None, start_date=START) as dag:

        @task
        def make() -> list[int]:
            return [1, 2, 3]

        @task
        def double(x: int) -> int:
            return 2 * x

        double.expand(x=make())
    return dag


def _make(harness: Harness, workload: Any) -> None:
    harness.finish(workload, xcom=[1, 2, 3])


@pytest.fixture
def world(api_harness: Harness) -> Harness:
    """`etl` run r1 (D1): extract failed twice, transform and load upstream_failed; run r2 (D2):
    all success. `mapping` run m1 (D1): make, double[0..2] success."""
    api_harness.add_dag(etl_dag())
    api_harness.add_dag(mapping_dag())
    api_harness.trigger("etl", run_id="r1", logical_date=D1)
    api_harness.run_to_end({"extract": "failed"})
    api_harness.trigger("etl", run_id="r2", logical_date=D2)
    api_harness.run_to_end()
    api_harness.trigger("mapping", run_id="m1", logical_date=D1)
    api_harness.run_to_end({"make": _make})
    assert api_harness.run("r1", "etl").state == "failed"
    assert api_harness.states("m1")["double[2]"] == "success"
    return api_harness


def _ok(response: Any, code: int = 200) -> Any:
    assert response.status_code == code, response.text
    return response.json()


def _keys(body: dict[str, Any]) -> list[tuple[str, str, str, int]]:
    return [
        (t["dag_id"], t["dag_run_id"], t["task_id"], t["map_index"]) for t in body["task_instances"]
    ]


def _events(db: Database, event: str) -> list[Log]:
    with db.session() as session:
        return list(session.scalars(select(Log).where(Log.event == event).order_by(Log.id)))


# --- listing ----------------------------------------------------------------------------------


def test_list_of_a_run_has_every_field_airflow_requires(world: Harness, client_as: Any) -> None:
    body = _ok(client_as("viewer").get(tis("etl", "r1")))
    assert body["total_entries"] == 3
    by_task = {t["task_id"]: t for t in body["task_instances"]}
    assert {t: v["state"] for t, v in by_task.items()} == {
        "extract": "failed", "transform": "upstream_failed", "load": "upstream_failed",
    }  # fmt: skip
    extract = by_task["extract"]
    with world.db.session() as session:
        ti = session.query(TaskInstance).filter_by(run_id="r1", task_id="extract").one()
    assert extract["id"] == str(uuid.UUID(int=ti.id))
    assert (extract["try_number"], extract["max_tries"]) == (2, 1)
    assert extract["dag_display_name"] == "ETL"
    assert by_task["transform"]["task_display_name"] == "Transform it"
    assert extract["logical_date"].startswith("2024-03-01T00:00:00")
    assert extract["run_after"].startswith("2024-03-01T00:00:00")
    assert extract["operator"] == "EmptyOperator"
    assert extract["executor_config"] == "{}"
    assert extract["rendered_fields"] == {}
    assert (extract["trigger"], extract["triggerer_job"], extract["unixname"]) == (None, None, None)
    version = extract["dag_version"]
    assert (version["version_number"], version["dag_id"], version["dag_display_name"]) == (
        1, "etl", "ETL",
    )  # fmt: skip
    uuid.UUID(version["id"])


def test_tilde_lists_every_dag_and_run_with_filters(
    world: Harness, admin_client: TestClient
) -> None:
    everything = _ok(admin_client.get(tis("~", "~"), params={"limit": 100}))
    assert everything["total_entries"] == 10
    cases: list[tuple[dict[str, Any], set[tuple[str, str, str, int]]]] = [
        ({"state": "failed"}, {("etl", "r1", "extract", -1)}),
        ({"state": ["failed", "upstream_failed"], "task_id": "load"}, {("etl", "r1", "load", -1)}),
        ({"dag_id_pattern": "MAPP", "map_index": [0, 2]},
         {("mapping", "m1", "double", 0), ("mapping", "m1", "double", 2)}),
        ({"try_number": 2}, {("etl", "r1", "extract", -1)}),
        ({"run_id_prefix_pattern": "r", "task_display_name_pattern": "ANSF"},
         {("etl", "r1", "transform", -1), ("etl", "r2", "transform", -1)}),
        ({"run_id_prefix_pattern": "R"}, set()),  # prefixes are case-sensitive
        ({"logical_date_gte": "2024-03-02T00:00:00Z", "task_id": "extract"},
         {("etl", "r2", "extract", -1)}),
        ({"logical_date_lt": "2024-03-02T00:00:00", "dag_id_pattern": "etl", "state": "none"}, set()),
        ({"operator": "EmptyOperator", "version_number": 1, "pool": "default_pool",
          "run_id_pattern": "r2", "duration_gte": 0, "task_id": "load"},
         {("etl", "r2", "load", -1)}),
    ]  # fmt: skip
    for params, expected in cases:
        body = _ok(admin_client.get(tis("~", "~"), params=params))
        assert set(_keys(body)) == expected, params
        assert body["total_entries"] == len(expected)


def test_run_id_alone_and_task_groups(world: Harness, admin_client: TestClient) -> None:
    body = _ok(admin_client.get(tis("~", "r2")))
    assert {k[2] for k in _keys(body)} == {"extract", "transform", "load"}
    assert admin_client.get(tis("~", "nope")).status_code == 404
    group = admin_client.get(tis("~", "~"), params={"task_group_id": "g"})
    assert group.status_code == 400


def test_paging_and_ordering(world: Harness, admin_client: TestClient) -> None:
    path = tis("mapping", "m1")
    first = _ok(admin_client.get(path, params={"order_by": "-map_index", "limit": 2}))
    assert [t["map_index"] for t in first["task_instances"]] == [2, 1]
    assert first["total_entries"] == 4
    rest = _ok(admin_client.get(path, params={"order_by": "-map_index", "limit": 2, "offset": 2}))
    assert [t["map_index"] for t in rest["task_instances"]] == [0, -1]
    by_two = _ok(admin_client.get(tis("~", "~"), params={"order_by": ["-logical_date", "id"]}))
    assert by_two["task_instances"][0]["dag_run_id"] == "r2"
    bad = admin_client.get(path, params={"order_by": "colour"})
    assert bad.status_code == 400 and "colour" in bad.json()["detail"]


def test_cursor_pages_through_everything(world: Harness, admin_client: TestClient) -> None:
    seen: list[str] = []
    cursor = ""
    previous = []
    for _ in range(10):
        body = _ok(admin_client.get(tis("~", "~"), params={"cursor": cursor, "limit": 4}))
        assert (body["total_entries"], body["total_entries_limit"]) == (10, 10_000)
        seen += [t["id"] for t in body["task_instances"]]
        previous.append(body["previous_cursor"])
        if body["next_cursor"] is None:
            break
        cursor = body["next_cursor"]
    assert len(seen) == len(set(seen)) == 10
    assert previous[0] is None and all(previous[1:])
    back = _ok(admin_client.get(tis("~", "~"), params={"cursor": previous[1], "limit": 4}))
    assert [t["id"] for t in back["task_instances"]] == seen[:4]
    assert admin_client.get(tis("~", "~"), params={"cursor": "%%"}).status_code == 400


def test_bad_list_input_is_4xx_naming_it(world: Harness, admin_client: TestClient) -> None:
    state = admin_client.get(tis("~", "~"), params={"state": "sleepy"})
    assert state.status_code == 422 and "sleepy" in state.text
    dag = admin_client.get(tis("nope", "~"))
    assert dag.status_code == 404 and "nope" in dag.json()["detail"]
    run = admin_client.get(tis("etl", "r9"))
    assert run.status_code == 404 and "r9" in run.json()["detail"]
    assert admin_client.get(tis("etl", "~"), params={"limit": -1}).status_code == 422


def test_numbers_too_large_for_the_database_are_422(
    world: Harness, admin_client: TestClient
) -> None:
    big = 10**20
    gets = [
        (tis("~", "~"), {"map_index": big}),
        (tis("~", "~"), {"try_number": big}),
        (tis("~", "~"), {"version_number": big}),
        (tis("~", "~"), {"offset": big}),
        (tis("etl", "r1", "extract", big), {}),
        (tis("etl", "r1", "extract", "tries", big), {}),
        (tis("etl", "r1", "extract", "tries"), {"map_index": big}),
    ]
    for path, params in gets:
        assert admin_client.get(path, params=params).status_code == 422, (path, params)
    writes = [
        admin_client.post(tis("~", "~", "list"), json={"page_offset": big}),
        admin_client.patch(tis("etl", "r1", "extract", big), json={"new_state": "success"}),
        admin_client.patch(tis("etl", "r1", "extract"), params={"map_index": big}, json={}),
        admin_client.post(CLEAR.format(dag="etl"), json={"task_ids": [["extract", big]]}),
    ]
    assert [w.status_code for w in writes] == [422] * 4
    cursor = admin_client.get(tis("~", "~"), params={"cursor": "bzoxMDAwMDAwMDAwMDAwMDAwMDAwMDAw"})
    assert cursor.status_code == 400


def test_batch_list_filters_by_body(world: Harness, client_as: Any) -> None:
    viewer = client_as("viewer")
    body = {"dag_ids": ["etl"], "state": ["success", None], "order_by": "-id", "page_limit": 2}
    found = _ok(viewer.post(tis("~", "~", "list"), json=body))
    assert found["total_entries"] == 3
    assert [k[1] for k in _keys(found)] == ["r2", "r2"]
    ids = [uuid.UUID(t["id"]).int for t in found["task_instances"]]
    assert ids == sorted(ids, reverse=True)
    dates = {"dag_run_ids": ["r1", "m1"], "logical_date_lte": "2024-03-01T00:00:00Z"}
    assert _ok(viewer.post(tis("~", "~", "list"), json=dates))["total_entries"] == 7
    assert viewer.post(tis("~", "~", "list"), json={"colour": 1}).status_code == 422
    assert viewer.post(tis("etl", "~", "list"), json={}).status_code == 422
    naive = viewer.post(tis("~", "~", "list"), json={"start_date_gte": "2024-01-01T00:00:00"})
    assert naive.status_code == 422


# --- one task instance, mapped ones, tries ----------------------------------------------------


def test_one_task_instance_and_mapped_ones(world: Harness, admin_client: TestClient) -> None:
    one = _ok(admin_client.get(tis("etl", "r2", "load")))
    assert (one["task_id"], one["state"], one["map_index"]) == ("load", "success", -1)
    mapped = admin_client.get(tis("mapping", "m1", "double"))
    assert mapped.status_code == 404 and "map_index" in mapped.json()["detail"]
    index = _ok(admin_client.get(tis("mapping", "m1", "double", 1)))
    assert (index["map_index"], index["state"]) == (1, "success")
    missing = admin_client.get(tis("mapping", "m1", "double", 7))
    assert missing.status_code == 404 and "`7`" in missing.json()["detail"]
    assert admin_client.get(tis("etl", "r2", "nope")).status_code == 404


def test_list_mapped(world: Harness, admin_client: TestClient) -> None:
    path = tis("mapping", "m1", "double", "listMapped")
    body = _ok(admin_client.get(path, params={"order_by": "-map_index"}))
    assert [t["map_index"] for t in body["task_instances"]] == [2, 1, 0]
    assert body["total_entries"] == 3
    filtered = _ok(admin_client.get(path, params={"map_index": 1, "state": "success"}))
    assert filtered["total_entries"] == 1
    empty = _ok(admin_client.get(path, params={"state": "failed"}))
    assert empty == {**empty, "task_instances": [], "total_entries": 0}
    unmapped = admin_client.get(tis("mapping", "m1", "make", "listMapped"))
    assert unmapped.status_code == 404 and "not mapped" in unmapped.json()["detail"]
    assert admin_client.get(tis("mapping", "m1", "nope", "listMapped")).status_code == 404
    assert admin_client.get(tis("mapping", "m9", "double", "listMapped")).status_code == 404


def test_tries_come_from_the_history(world: Harness, admin_client: TestClient) -> None:
    body = _ok(admin_client.get(tis("etl", "r1", "extract", "tries")))
    assert body["total_entries"] == 2
    assert [(t["try_number"], t["state"]) for t in body["task_instances"]] == [
        (1, "failed"), (2, "failed"),
    ]  # fmt: skip
    first = body["task_instances"][0]
    assert (first["pool_slots"], first["max_tries"], first["task_display_name"]) == (
        1,
        1,
        "extract",
    )
    detail = _ok(admin_client.get(tis("etl", "r1", "extract", "tries", 1)))
    assert (detail["try_number"], detail["state"]) == (1, "failed")
    assert admin_client.get(tis("etl", "r1", "extract", "tries", 9)).status_code == 404
    mapped = _ok(admin_client.get(tis("mapping", "m1", "double", 2, "tries")))
    assert [(t["map_index"], t["try_number"]) for t in mapped["task_instances"]] == [(2, 1)]
    assert _ok(admin_client.get(tis("mapping", "m1", "double", 2, "tries", 1)))["map_index"] == 2
    assert admin_client.get(tis("etl", "r1", "nope", "tries")).status_code == 404


def test_a_task_waiting_for_its_upstream_says_why(
    api_harness: Harness, admin_client: TestClient
) -> None:
    api_harness.add_dag(etl_dag())
    api_harness.trigger("etl", run_id="w1", logical_date=D1)
    queued = _ok(admin_client.get(tis("etl", "w1", "transform", "dependencies")))
    assert [d["name"] for d in queued["dependencies"]] == ["Dagrun Running", "Trigger Rule"]
    assert "extract" in queued["dependencies"][1]["reason"]
    api_harness.tick()
    running = _ok(admin_client.get(tis("etl", "w1", "transform", "dependencies")))
    assert [d["name"] for d in running["dependencies"]] == ["Trigger Rule"]
    assert _ok(admin_client.get(tis("etl", "w1", "extract", "dependencies"))) == {
        "dependencies": []
    }
    by_index = admin_client.get(tis("etl", "w1", "extract", 3, "dependencies"))
    assert by_index.status_code == 404


# --- marking ----------------------------------------------------------------------------------


def test_mark_success_resumes_the_failed_run(world: Harness, client_as: Any) -> None:
    user = client_as("user")
    preview = _ok(user.patch(tis("etl", "r1", "extract", "dry_run"), json={"new_state": "success"}))
    assert _keys(preview) == [("etl", "r1", "extract", -1)]
    assert world.states("r1", "etl")["extract"] == "failed"  # a dry run changes nothing
    body = _ok(user.patch(tis("etl", "r1", "extract"), json={"new_state": "success"}))
    assert [(t["task_id"], t["state"]) for t in body["task_instances"]] == [("extract", "success")]
    assert world.states("r1", "etl") == {"extract": "success", "transform": None, "load": None}
    assert world.run("r1", "etl").state == "running"
    [event] = _events(world.db, "patch_task_instance")
    assert (event.owner, event.dag_id, event.run_id, event.task_id) == (
        "user",
        "etl",
        "r1",
        "extract",
    )
    assert '"new_state": "success"' in event.extra
    world.run_to_end()
    assert world.run("r1", "etl").state == "success"
    again = user.patch(tis("etl", "r1", "extract"), json={"new_state": "success"})
    assert again.status_code == 409 and "already in success" in again.json()["detail"]


def test_mark_with_relatives_and_other_runs(world: Harness, admin_client: TestClient) -> None:
    body = {"new_state": "skipped", "include_downstream": True, "include_past": True}
    preview = _ok(admin_client.patch(tis("etl", "r2", "transform", "dry_run"), json=body))
    assert sorted(_keys(preview)) == [
        ("etl", "r1", "load", -1), ("etl", "r1", "transform", -1),
        ("etl", "r2", "load", -1), ("etl", "r2", "transform", -1),
    ]  # fmt: skip
    done = _ok(admin_client.patch(tis("etl", "r2", "transform"), json=body))
    assert _keys(done) == [("etl", "r2", "transform", -1)]  # the task's own instances
    assert world.states("r1", "etl")["load"] == "skipped"
    assert world.states("r2", "etl") == {
        "extract": "success",
        "transform": "skipped",
        "load": "skipped",
    }
    future = admin_client.patch(
        tis("etl", "r2", "load"), json={"new_state": "failed", "include_future": True}
    )
    assert _keys(_ok(future)) == [("etl", "r2", "load", -1)]


def test_mark_one_map_index_and_notes(world: Harness, admin_client: TestClient) -> None:
    body = _ok(admin_client.patch(tis("mapping", "m1", "double", 1), json={"new_state": "failed"}))
    assert [(t["map_index"], t["state"]) for t in body["task_instances"]] == [(1, "failed")]
    assert world.states("m1")["double[0]"] == "success"
    noted = _ok(admin_client.patch(tis("mapping", "m1", "double"), json={"note": "checked"}))
    assert [t["note"] for t in noted["task_instances"]] == ["checked"] * 3
    kept = _ok(admin_client.patch(tis("mapping", "m1", "double", 0), json={"note": None}))
    assert kept["task_instances"][0]["note"] == "checked"  # null without a mask: no change
    masked = admin_client.patch(
        tis("mapping", "m1", "double", 0),
        params={"update_mask": "note"},
        json={"note": None, "new_state": "skipped"},
    )
    assert [(t["note"], t["state"]) for t in _ok(masked)["task_instances"]] == [(None, "success")]


def test_marking_refuses_bad_input(world: Harness, client_as: Any) -> None:
    admin = client_as("admin")
    for bad in (
        {"new_state": "running"},
        {"new_state": None},
        {"colour": "red"},
        {"note": "x" * 1001},
    ):
        assert admin.patch(tis("etl", "r1", "extract"), json=bad).status_code == 422, bad
    missing = {
        tis("nope", "r1", "extract"): "nope",
        tis("etl", "r1", "nope"): "nope",
        tis("etl", "r9", "extract"): "r9",
        tis("etl", "r1", "extract", 4): "`4`",
    }
    for path, named in missing.items():
        response = admin.patch(path, json={"new_state": "success"})
        assert response.status_code == 404 and named in response.json()["detail"], path
    viewer = client_as("viewer").patch(tis("etl", "r1", "extract"), json={"new_state": "success"})
    assert viewer.status_code == 403
    with world.db.begin() as session:
        session.execute(update(DagRun).where(DagRun.run_id == "r2").values(logical_date=None))
    past = admin.patch(
        tis("etl", "r2", "extract"), json={"new_state": "failed", "include_past": True}
    )
    assert past.status_code == 400 and "logical date" in past.json()["detail"]
    assert world.states("r1", "etl")["extract"] == "failed"


def grouped_dag() -> DAG:
    with DAG("grouped", schedule=None, start_date=START) as dag:
        with TaskGroup("g") as group:
            EmptyOperator(task_id="a") >> EmptyOperator(task_id="b")
            with TaskGroup("inner"):
                EmptyOperator(task_id="c")
        EmptyOperator(task_id="start") >> group >> EmptyOperator(task_id="end")
    return dag


def test_task_groups_list_and_mark(api_harness: Harness, client_as: Any) -> None:
    api_harness.add_dag(grouped_dag())
    api_harness.trigger("grouped", run_id="g1", logical_date=D1)
    api_harness.tick()
    user = client_as("user")
    listed = _ok(user.get(tis("grouped", "g1"), params={"task_group_id": "g"}))
    assert sorted(k[2] for k in _keys(listed)) == ["g.a", "g.b", "g.inner.c"]
    nested = _ok(user.get(tis("grouped", "~"), params={"task_group_id": "g.inner"}))
    assert [k[2] for k in _keys(nested)] == ["g.inner.c"]
    path = "/api/v2/dags/grouped/dagRuns/g1/taskGroupInstances/g"
    body = {"new_state": "success", "include_downstream": True}
    preview = _ok(user.patch(path + "/dry_run", json=body))
    assert sorted(k[2] for k in _keys(preview)) == ["end", "g.a", "g.b", "g.inner.c"]
    assert api_harness.states("g1")["g.a"] is None
    done = _ok(user.patch(path, json={**body, "note": "by hand"}))
    assert sorted((k[2], t["state"]) for k, t in zip(_keys(done), done["task_instances"])) == [
        ("end", "success"), ("g.a", "success"), ("g.b", "success"), ("g.inner.c", "success"),
    ]  # fmt: skip
    assert api_harness.states("g1")["start"] == "queued"
    [event] = _events(api_harness.db, "patch_task_group_instances")
    assert '"group_id": "g"' in event.extra
    notes = _ok(user.get(tis("grouped", "g1"), params={"task_group_id": "g"}))
    assert {t["note"] for t in notes["task_instances"]} == {"by hand"}
    assert user.patch(path, json=body).status_code == 409
    missing = user.patch("/api/v2/dags/grouped/dagRuns/g1/taskGroupInstances/nope", json=body)
    assert missing.status_code == 404 and "nope" in missing.json()["detail"]
    assert client_as("viewer").patch(path, json=body).status_code == 403


# --- clearing ---------------------------------------------------------------------------------


def test_clear_is_a_dry_run_of_failed_ones_by_default(
    world: Harness, admin_client: TestClient
) -> None:
    body = _ok(admin_client.post(CLEAR.format(dag="etl"), json={}))
    assert sorted(k[2] for k in _keys(body)) == ["extract", "load", "transform"]
    assert body["total_entries"] == 3
    assert world.states("r1", "etl")["extract"] == "failed"
    assert _events(world.db, "post_clear_task_instances") == []


def test_clear_then_the_scheduler_runs_them_again(world: Harness, client_as: Any) -> None:
    body = {
        "dry_run": False,
        "only_failed": False,
        "dag_run_id": "r2",
        "task_ids": ["transform"],
        "include_downstream": True,
        "note": "rerun",
    }
    cleared = _ok(client_as("user").post(CLEAR.format(dag="etl"), json=body))
    assert sorted((k[2], t["state"], t["note"]) for k, t in zip(_keys(cleared), cleared["task_instances"])) == [
        ("load", None, "rerun"), ("transform", None, "rerun"),
    ]  # fmt: skip
    run = world.run("r2", "etl")
    assert (run.state, run.clear_number) == ("queued", 1)
    [event] = _events(world.db, "post_clear_task_instances")
    assert (event.owner, event.dag_id, event.run_id) == ("user", "etl", "r2")
    played = world.run_to_end()
    assert played == ["transform", "load"]
    assert world.run("r2", "etl").state == "success"
    tries = _ok(client_as("viewer").get(tis("etl", "r2", "transform", "tries")))
    assert [t["try_number"] for t in tries["task_instances"]] == [1, 2]


def test_clear_by_dates_map_index_and_without_resetting_runs(
    world: Harness, admin_client: TestClient
) -> None:
    pairs = {"dry_run": False, "only_failed": False, "task_ids": [["double", 1]]}
    one = _ok(admin_client.post(CLEAR.format(dag="mapping"), json=pairs))
    assert _keys(one) == [("mapping", "m1", "double", 1)]
    assert world.states("m1")["double[0]"] == "success"
    dates = {
        "only_failed": False,
        "task_ids": ["load"],
        "start_date": "2024-03-02T00:00:00Z",
        "reset_dag_runs": False,
        "dry_run": False,
    }
    body = _ok(admin_client.post(CLEAR.format(dag="etl"), json=dates))
    assert _keys(body) == [("etl", "r2", "load", -1)]
    assert world.run("r2", "etl").state == "success"  # the run was left alone
    past = {"dag_run_id": "r2", "include_past": True, "task_ids": ["extract"]}
    both = _ok(admin_client.post(CLEAR.format(dag="etl"), json=past))
    assert _keys(both) == [("etl", "r1", "extract", -1)]  # only failed ones, by default


def test_clear_refuses_running_tasks_when_asked(
    api_harness: Harness, admin_client: TestClient
) -> None:
    api_harness.add_dag(etl_dag())
    api_harness.trigger("etl", run_id="busy", logical_date=D1)
    api_harness.tick()
    assert api_harness.claim(api_harness.executor.workloads[0])
    body = {
        "dry_run": False,
        "only_running": True,
        "only_failed": False,
        "prevent_running_task": True,
    }
    refused = admin_client.post(CLEAR.format(dag="etl"), json=body)
    assert refused.status_code == 409 and "extract" in refused.json()["detail"]
    assert api_harness.states("busy")["extract"] == "running"
    body["prevent_running_task"] = False
    cleared = _ok(admin_client.post(CLEAR.format(dag="etl"), json=body))
    assert [t["state"] for t in cleared["task_instances"]] == ["restarting"]


def test_clear_refuses_bad_input(world: Harness, client_as: Any) -> None:
    admin = client_as("admin")
    bad_bodies = [
        {"only_failed": True, "only_running": True},
        {"start_date": "2024-03-02T00:00:00Z", "end_date": "2024-03-01T00:00:00Z"},
        {"dag_run_id": "r1", "start_date": "2024-03-01T00:00:00Z"},
        {"task_ids": []},
        {"task_ids": [["double", "x"]]},
        {"colour": 1},
        {"start_date": "2024-03-01T00:00:00"},
    ]
    for bad in bad_bodies:
        assert admin.post(CLEAR.format(dag="etl"), json=bad).status_code == 422, bad
    assert admin.post(CLEAR.format(dag="nope"), json={}).status_code == 404
    run = admin.post(CLEAR.format(dag="etl"), json={"dag_run_id": "r9"})
    assert run.status_code == 404 and "r9" in run.json()["detail"]
    with world.db.begin() as session:
        session.execute(update(DagRun).where(DagRun.run_id == "r1").values(logical_date=None))
    future = admin.post(CLEAR.format(dag="etl"), json={"dag_run_id": "r1", "include_future": True})
    assert future.status_code == 400 and "logical date" in future.json()["detail"]
    assert client_as("viewer").post(CLEAR.format(dag="etl"), json={}).status_code == 403


# --- the official client against the real server ---------------------------------------------


@pytest.mark.integration
def test_official_client_reads_task_instances(
    world: Harness, airflow_client: Callable[..., Any]
) -> None:
    import airflow_client.client as af

    api = af.TaskInstanceApi(airflow_client("viewer"))
    listed = api.get_task_instances("~", "~", state=["failed"], order_by=["id"])
    assert [(t.dag_id, t.task_id, t.state.value) for t in listed.task_instances] == [
        ("etl", "extract", "failed")
    ]
    one = api.get_task_instance("etl", "r2", "transform")
    assert (one.task_display_name, one.dag_version.version_number) == ("Transform it", 1)
    assert api.get_mapped_task_instance("mapping", "m1", "double", 2).map_index == 2
    mapped = api.get_mapped_task_instances("mapping", "m1", "double", order_by=["-map_index"])
    assert [t.map_index for t in mapped.task_instances] == [2, 1, 0]
    tries = api.get_task_instance_tries("etl", "r1", "extract")
    assert [t.try_number for t in tries.task_instances] == [1, 2]
    assert api.get_task_instance_try_details("etl", "r1", "extract", 2).state.value == "failed"
    assert api.get_mapped_task_instance_tries("mapping", "m1", "double", 0).total_entries == 1
    assert api.get_mapped_task_instance_try_details("mapping", "m1", "double", 1, 0).try_number == 1
    batch = api.get_task_instances_batch("~", "~", af.TaskInstancesBatchBody(dag_ids=["mapping"]))
    assert batch.total_entries == 4
    deps = api.get_task_instance_dependencies("etl", "r1", "load")
    assert deps.dependencies == []
    assert (
        api.get_task_instance_dependencies_by_map_index("mapping", "m1", "double", 0).dependencies
        == []
    )
    with pytest.raises(af.exceptions.NotFoundException):
        api.get_task_instance("etl", "r1", "nope")


@pytest.mark.integration
def test_official_client_marks_and_clears(
    world: Harness, airflow_client: Callable[..., Any]
) -> None:
    import airflow_client.client as af

    api = af.TaskInstanceApi(airflow_client("user"))
    success = af.PatchTaskInstanceBody(new_state=af.TaskInstanceState.SUCCESS)
    preview = api.patch_task_instance_dry_run("etl", "r1", "extract", success)
    assert [t.task_id for t in preview.task_instances] == ["extract"]
    marked = api.patch_task_instance("etl", "r1", "extract", success)
    assert marked.task_instances[0].state.value == "success"
    failed = af.PatchTaskInstanceBody(new_state=af.TaskInstanceState.FAILED)
    one = api.patch_task_instance_dry_run_by_map_index("mapping", "m1", "double", 0, failed)
    assert [t.map_index for t in one.task_instances] == [0]
    done = api.patch_task_instance_by_map_index("mapping", "m1", "double", 0, failed)
    assert done.task_instances[0].state.value == "failed"
    body = af.ClearTaskInstancesBody(
        dry_run=False,
        dag_run_id="m1",
        task_ids=[af.ClearTaskInstancesBodyTaskIdsInner(["double", 0])],
    )
    cleared = api.post_clear_task_instances("mapping", body)
    assert [(t.task_id, t.map_index, t.state) for t in cleared.task_instances] == [
        ("double", 0, None)
    ]
    assert world.states("m1")["double[0]"] is None
    with pytest.raises(af.exceptions.ConflictException):
        api.patch_task_instance("etl", "r1", "extract", success)
    world.add_dag(grouped_dag())
    world.trigger("grouped", run_id="g1", logical_date=D1)
    group = api.patch_task_group_instances_dry_run("grouped", "g1", "g", success)
    assert sorted(t.task_id for t in group.task_instances) == ["g.a", "g.b", "g.inner.c"]
    group = api.patch_task_group_instances("grouped", "g1", "g", success)
    assert {t.state.value for t in group.task_instances} == {"success"}

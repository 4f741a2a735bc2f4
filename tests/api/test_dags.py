"""`/api/v2/dags`, `/dagSources` and `/dagTags`: listing, filtering, pausing and deleting DAGs as
Airflow 3's REST API does, from what the DAG processor stored (no DAG file is imported)."""

from __future__ import annotations

import copy
import datetime as dt
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, func, insert, select

from slipstream.db.engine import Database
from slipstream.db.models import DagModel, DagRun, SerializedDagModel, TaskInstance
from slipstream.db.store import audit as audit_log
from slipstream.db.store import dags as dag_store
from slipstream.db.store import serialized_dags
from tests.api import dag_files
from tests.scheduler.helpers import Harness

Client = Callable[[str], TestClient]
LISTED = ["consumer", "etl_daily", "etl_hourly", "report"]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path / "dags"


@pytest.fixture
def catalog(api_db: Database, api_harness: Harness, folder: Path) -> Path:
    """Four DAGs in three files, a stale DAG and a file that does not load."""
    dag_files.write(
        folder,
        {
            "etl.py": dag_files.ETL,
            "report.py": dag_files.REPORT,
            "consumer.py": dag_files.CONSUMER,
            "retired.py": dag_files.REPORT.replace('"report"', '"retired"'),
            "broken.py": dag_files.BROKEN,
        },
    )
    dag_files.parse_into(api_db, folder, api_harness.clock.now())
    with api_db.begin() as session:
        dag_store.mark_stale(session, ["retired"])
    return folder


@pytest.fixture
def with_runs(catalog: Path, api_harness: Harness) -> Harness:
    """A successful run of etl_daily, then (an hour later) a failed run of etl_hourly."""
    api_harness.trigger("etl_daily")
    api_harness.run_to_end()
    api_harness.clock.advance(dt.timedelta(hours=1))
    api_harness.trigger("etl_hourly")
    api_harness.run_to_end({"sync": "failed"})
    return api_harness


def ids(response: Any) -> list[str]:
    assert response.status_code == 200, response.text
    return [dag["dag_id"] for dag in response.json()["dags"]]


def events(db: Database, name: str) -> list[audit_log.AuditEvent]:
    with db.session() as session:
        return audit_log.list_events(session, events=[name], newest_first=False)


# --- listing ----------------------------------------------------------------------------------


def test_list_shows_active_dags_with_airflow_fields(catalog: Path, client_as: Client) -> None:
    response = client_as("viewer").get("/api/v2/dags")
    assert ids(response) == LISTED
    body = response.json()
    assert body["total_entries"] == 4
    etl = next(d for d in body["dags"] if d["dag_id"] == "etl_daily")
    assert etl["dag_display_name"] == "ETL Daily"
    assert etl["description"] == "Loads the warehouse"
    assert etl["tags"] == [
        {"name": "etl", "dag_id": "etl_daily", "dag_display_name": "ETL Daily"},
        {"name": "team_a", "dag_id": "etl_daily", "dag_display_name": "ETL Daily"},
    ]
    assert etl["owners"] == ["alice"]
    assert etl["fileloc"] == str(catalog / "etl.py") and etl["relative_fileloc"] == "etl.py"
    assert etl["timetable_summary"] == "0 0 * * *"
    assert etl["timetable_periodic"] is True and etl["is_backfillable"] is True
    assert etl["has_task_concurrency_limits"] is True
    assert etl["next_dagrun_logical_date"].startswith("2030-01-01")
    assert etl["is_paused"] is False and etl["is_stale"] is False
    assert isinstance(etl["file_token"], str) and etl["file_token"]
    report = next(d for d in body["dags"] if d["dag_id"] == "report")
    assert report["owners"] == ["alice", "carol"]
    assert report["timetable_summary"] is None and report["is_backfillable"] is False
    assert report["has_task_concurrency_limits"] is False
    consumer = next(d for d in body["dags"] if d["dag_id"] == "consumer")
    assert consumer["timetable_periodic"] is False and consumer["is_backfillable"] is False


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("tags=etl", ["etl_daily", "etl_hourly"]),
        ("tags=etl&tags=team_a", ["etl_daily", "etl_hourly", "report"]),
        ("tags=etl&tags=team_a&tags_match_mode=all", ["etl_daily"]),
        ("tags=50%25", ["report"]),
        ("tags=team", []),
        ("owners=carol", ["report"]),
        ("owners=alice", ["etl_daily", "report"]),
        ("owners=bob&owners=carol", ["etl_hourly", "report"]),
        ("dag_id_pattern=ETL", ["etl_daily", "etl_hourly"]),
        ("dag_id_pattern=etl_%25ly", ["etl_daily", "etl_hourly"]),
        ("dag_id_pattern=report|consumer", ["consumer", "report"]),
        ("dag_id_pattern=~", LISTED),
        ("dag_id_prefix_pattern=etl_", ["etl_daily", "etl_hourly"]),
        ("dag_id_prefix_pattern=ETL", []),
        ("dag_display_name_pattern=weekly", ["report"]),
        ("dag_display_name_pattern=etl", ["etl_daily", "etl_hourly"]),
        ("dag_display_name_prefix_pattern=ETL D", ["etl_daily"]),
        ("exclude_stale=false", ["consumer", "etl_daily", "etl_hourly", "report", "retired"]),
        ("has_asset_schedule=true", ["consumer"]),
        ("has_asset_schedule=false", ["etl_daily", "etl_hourly", "report"]),
        ("asset_dependency=ORDERS", ["consumer"]),
        ("asset_dependency=s3://bucket", ["consumer"]),
        ("asset_dependency=nothing", []),
        ("has_import_errors=false", LISTED),
        ("paused=true", []),
    ],
)
def test_list_filters(catalog: Path, client_as: Client, query: str, expected: list[str]) -> None:
    assert ids(client_as("viewer").get(f"/api/v2/dags?{query}")) == expected


def test_list_filters_on_the_last_run(with_runs: Harness, client_as: Client) -> None:
    client = client_as("viewer")
    assert ids(client.get("/api/v2/dags?last_dag_run_state=success")) == ["etl_daily"]
    assert ids(client.get("/api/v2/dags?dag_run_state=failed")) == ["etl_hourly"]
    both = "/api/v2/dags?dag_run_state=failed&dag_run_state=success"
    assert ids(client.get(both)) == ["etl_daily", "etl_hourly"]
    later = with_runs.runs("etl_hourly")[0].start_date
    assert later is not None
    since = later.isoformat().replace("+00:00", "Z")
    assert ids(client.get(f"/api/v2/dags?dag_run_start_date_gte={since}")) == ["etl_hourly"]
    naive = later.replace(tzinfo=None).isoformat()
    assert ids(client.get(f"/api/v2/dags?dag_run_start_date_lt={naive}")) == ["etl_daily"]
    assert ids(client.get(f"/api/v2/dags?dag_run_end_date_gte={since}")) == ["etl_hourly"]
    assert ids(client.get("/api/v2/dags?order_by=-last_run_start_date&dag_id_pattern=etl")) == [
        "etl_hourly",
        "etl_daily",
    ]
    assert ids(client.get("/api/v2/dags?order_by=last_run_state&dag_run_state=failed")) == [
        "etl_hourly"
    ]
    bad = client.get("/api/v2/dags?last_dag_run_state=exploded")
    assert bad.status_code == 422


def test_list_pages_and_orders(catalog: Path, client_as: Client) -> None:
    client = client_as("viewer")
    response = client.get("/api/v2/dags?limit=2&offset=1")
    assert ids(response) == ["etl_daily", "etl_hourly"]
    assert response.json()["total_entries"] == 4
    assert ids(client.get("/api/v2/dags?order_by=-dag_id")) == list(reversed(LISTED))
    # consumer shows its id as display name: consumer < ETL Daily < etl_hourly < Weekly Report
    by_name = ids(client.get("/api/v2/dags?order_by=dag_display_name"))
    assert by_name == ["consumer", "etl_daily", "etl_hourly", "report"]
    assert ids(client.get("/api/v2/dags?order_by=-dag_display_name"))[0] == "report"
    assert ids(client.get("/api/v2/dags?order_by=-next_dagrun&dag_id_pattern=etl")) == [
        "etl_hourly",
        "etl_daily",
    ]
    bad = client.get("/api/v2/dags?order_by=fileloc")
    assert bad.status_code == 400 and "fileloc" in bad.json()["detail"]
    assert client.get("/api/v2/dags?limit=-1").status_code == 422


def test_list_refuses_filters_slipstream_cannot_apply(catalog: Path, client_as: Client) -> None:
    response = client_as("viewer").get("/api/v2/dags?bundle_name=dags-folder")
    assert response.status_code == 400 and "bundle_name" in response.json()["detail"]


def test_list_needs_a_login(catalog: Path, anonymous_client: TestClient) -> None:
    assert anonymous_client.get("/api/v2/dags").status_code == 401


def test_list_of_a_thousand_dags_takes_a_fixed_number_of_queries(
    api_db: Database, client_as: Client
) -> None:
    _add_many(api_db, 1000)
    client = client_as("viewer")
    with _count_statements(api_db) as small:
        assert len(ids(client.get("/api/v2/dags?limit=10"))) == 10
    with _count_statements(api_db) as large:
        response = client.get("/api/v2/dags?limit=100&offset=500&order_by=-dag_display_name")
    assert ids(response)[0] == "dag_0499" and response.json()["total_entries"] == 1000
    assert response.json()["dags"][0]["tags"][0]["name"] == "group_9"
    # The caller's user is looked up once per request; the listing itself takes at most 4.
    listing = [
        [q for q in queries if not q.startswith("SELECT user.")] for queries in (small, large)
    ]
    assert len(listing[0]) <= 4 and len(listing[1]) <= 4, large
    params = {"tags": "group_3", "dag_display_name_pattern": "DAG 00"}
    filtered = client.get("/api/v2/dags", params=params)
    assert ids(filtered) == [f"dag_00{n}3" for n in range(10)]


# --- one DAG ----------------------------------------------------------------------------------


def test_get_dag_and_its_details(with_runs: Harness, client_as: Client) -> None:
    client = client_as("viewer")
    dag = client.get("/api/v2/dags/etl_daily")
    assert dag.status_code == 200 and dag.json()["dag_display_name"] == "ETL Daily"
    details = client.get("/api/v2/dags/etl_daily/details").json()
    assert details["dag_id"] == "etl_daily" and details["catchup"] is False
    assert details["doc_md"] == "# ETL"
    assert details["params"]["target"]["value"] == "warehouse"
    assert details["dag_run_timeout"] == "PT1H"
    assert details["template_search_path"] == ["/opt/templates"]
    assert details["owner_links"] == {"alice": "mailto:alice@example.com"}
    assert details["default_args"]["owner"] == "alice"
    assert details["timezone"] == "UTC"
    assert details["start_date"].startswith("2030-01-01")
    assert details["concurrency"] == details["max_active_tasks"] == 16
    assert details["active_runs_count"] == 0
    assert details["render_template_as_native_obj"] is False
    version = details["latest_dag_version"]
    assert version["version_number"] == 1 and version["dag_id"] == "etl_daily"
    with with_runs.db.session() as session:
        stored = serialized_dags.get_version(session, "etl_daily")
    assert stored is not None and uuid.UUID(version["id"]).int == stored.id


def test_details_count_active_runs(catalog: Path, api_harness: Harness, client_as: Client) -> None:
    api_harness.trigger("report")
    details = client_as("viewer").get("/api/v2/dags/report/details").json()
    assert details["active_runs_count"] == 1


def test_unknown_dag_is_404(catalog: Path, client_as: Client) -> None:
    client = client_as("viewer")
    for path in ("/api/v2/dags/nope", "/api/v2/dags/nope/details", "/api/v2/dagSources/nope"):
        response = client.get(path)
        assert response.status_code == 404 and "nope" in response.json()["detail"]


# --- pausing ----------------------------------------------------------------------------------


def test_pause_and_unpause_are_audited(catalog: Path, api_db: Database, client_as: Client) -> None:
    client = client_as("user")
    paused = client.patch("/api/v2/dags/etl_daily", json={"is_paused": True})
    assert paused.status_code == 200 and paused.json()["is_paused"] is True
    with api_db.session() as session:
        assert dag_store.get_dag_model(session, "etl_daily").is_paused  # type: ignore[union-attr]
    masked = client.patch("/api/v2/dags/etl_daily?update_mask=is_paused", json={"is_paused": False})
    assert masked.status_code == 200 and masked.json()["is_paused"] is False
    recorded = events(api_db, "patch_dag")
    assert [(e.owner, e.dag_id) for e in recorded] == [("user", "etl_daily")] * 2
    assert '"is_paused": true' in (recorded[0].extra or "")


def test_pause_refuses_bad_input(catalog: Path, api_db: Database, client_as: Client) -> None:
    client = client_as("user")
    mask = client.patch("/api/v2/dags/etl_daily?update_mask=description", json={"is_paused": True})
    assert mask.status_code == 400 and "is_paused" in mask.json()["detail"]
    extra = client.patch("/api/v2/dags/etl_daily", json={"is_paused": True, "owner": "me"})
    assert extra.status_code == 422
    assert client.patch("/api/v2/dags/etl_daily", json={}).status_code == 422
    missing = client.patch("/api/v2/dags/nope", json={"is_paused": True})
    assert missing.status_code == 404 and "nope" in missing.json()["detail"]
    assert events(api_db, "patch_dag") == []


def test_viewers_may_not_pause_or_delete(catalog: Path, client_as: Client) -> None:
    client = client_as("viewer")
    assert client.patch("/api/v2/dags/report", json={"is_paused": True}).status_code == 403
    assert (
        client.patch("/api/v2/dags?dag_id_pattern=~", json={"is_paused": True}).status_code == 403
    )
    assert client.delete("/api/v2/dags/report").status_code == 403


def test_bulk_pause_by_pattern(catalog: Path, api_db: Database, client_as: Client) -> None:
    client = client_as("op")
    response = client.patch("/api/v2/dags?dag_id_pattern=etl&limit=1", json={"is_paused": True})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total_entries"] == 2
    assert [(d["dag_id"], d["is_paused"]) for d in body["dags"]] == [("etl_daily", True)]
    viewer = client_as("viewer")
    assert ids(viewer.get("/api/v2/dags?paused=true")) == ["etl_daily", "etl_hourly"]
    assert sorted(e.dag_id or "" for e in events(api_db, "patch_dags")) == [
        "etl_daily",
        "etl_hourly",
    ]
    again = client.patch("/api/v2/dags?dag_id_pattern=etl", json={"is_paused": True})
    assert again.json()["total_entries"] == 2 and len(events(api_db, "patch_dags")) == 2


def test_bulk_pause_needs_a_dag_id_pattern(catalog: Path, client_as: Client) -> None:
    client = client_as("user")
    nothing = client.patch("/api/v2/dags?tags=etl", json={"is_paused": True})
    assert nothing.json() == {"dags": [], "total_entries": 0}
    everything = client.patch(
        "/api/v2/dags?dag_id_pattern=~&paused=false", json={"is_paused": True}
    )
    assert everything.json()["total_entries"] == 4
    assert ids(client.get("/api/v2/dags?paused=false")) == []
    prefix = client.patch(
        "/api/v2/dags?dag_id_prefix_pattern=rep&exclude_stale=false", json={"is_paused": False}
    )
    assert [d["dag_id"] for d in prefix.json()["dags"]] == ["report"]
    bad = client.patch("/api/v2/dags?dag_id_pattern=~&update_mask=tags", json={"is_paused": True})
    assert bad.status_code == 400


# --- deleting ---------------------------------------------------------------------------------


def test_delete_forgets_runs_and_is_audited(
    with_runs: Harness, api_db: Database, client_as: Client, catalog: Path
) -> None:
    client = client_as("user")
    with api_db.session() as session:
        last_id = session.scalar(select(func.max(SerializedDagModel.id)))
    response = client.delete("/api/v2/dags/etl_daily")
    assert response.status_code == 204 and response.content == b""
    with api_db.session() as session:
        assert dag_store.get_dag_model(session, "etl_daily") is None
        for model in (DagRun, TaskInstance, SerializedDagModel):
            count = select(func.count()).select_from(model).where(model.dag_id == "etl_daily")
            assert session.scalar(count) == 0
        hourly = select(func.count()).select_from(DagRun).where(DagRun.dag_id == "etl_hourly")
        assert session.scalar(hourly) == 1
    [recorded] = events(api_db, "delete_dag")
    assert recorded.owner == "user" and recorded.dag_id == "etl_daily"
    assert '"dag_run": 1' in (recorded.extra or "")
    assert '"serialized_dag": 1' in (recorded.extra or "")
    assert client.get("/api/v2/dags/etl_daily").status_code == 404
    assert client.delete("/api/v2/dags/etl_daily").status_code == 404
    # The file is still there: the next parse brings the DAG back as a new DAG, without its runs
    # and with its versions numbered from 1 again (as Airflow does), under an id never used.
    dag_files.parse_into(api_db, catalog, with_runs.clock.now())
    back = client.get("/api/v2/dags/etl_daily/details").json()
    assert back["latest_dag_version"]["version_number"] == 1
    with api_db.session() as session:
        again = serialized_dags.get_version(session, "etl_daily")
    assert again is not None and again.id > last_id
    assert client.get("/api/v2/dags?last_dag_run_state=success").json()["dags"] == []


def test_delete_refuses_while_a_task_runs(
    catalog: Path, api_harness: Harness, api_db: Database, client_as: Client
) -> None:
    api_harness.trigger("report")
    api_harness.tick()
    [workload] = api_harness.executor.pending.values()
    assert api_harness.claim(workload)
    response = client_as("user").delete("/api/v2/dags/report")
    assert response.status_code == 409 and "report" in response.json()["detail"]
    with api_db.session() as session:
        assert session.get(DagModel, "report") is not None
    assert events(api_db, "delete_dag") == []


# --- source and tags --------------------------------------------------------------------------


def test_dag_source_as_json_and_text(catalog: Path, client_as: Client) -> None:
    client = client_as("viewer")
    expected = (catalog / "report.py").read_text()
    response = client.get("/api/v2/dagSources/report")
    assert response.status_code == 200
    assert response.json() == {
        "content": expected,
        "dag_id": "report",
        "version_number": 1,
        "dag_display_name": "Weekly Report",
    }
    text = client.get("/api/v2/dagSources/report", headers={"Accept": "text/plain"})
    assert text.status_code == 200 and text.text == expected
    assert text.headers["content-type"].startswith("text/plain")
    refused = client.get("/api/v2/dagSources/report", headers={"Accept": "image/png"})
    assert refused.status_code == 406


def test_dag_source_of_versions(
    catalog: Path, api_db: Database, api_harness: Harness, client_as: Client
) -> None:
    (catalog / "report.py").write_text(dag_files.REPORT.replace('"send"', '"mail"'))
    dag_files.parse_into(api_db, catalog, api_harness.clock.now())
    client = client_as("viewer")
    newest = client.get("/api/v2/dagSources/report").json()
    assert newest["version_number"] == 2 and '"mail"' in newest["content"]
    old = client.get("/api/v2/dagSources/report?version_number=1").json()
    assert old["version_number"] == 1 and old["content"] is None  # no copy of old files is kept
    missing = client.get("/api/v2/dagSources/report?version_number=7")
    assert missing.status_code == 404 and "7" in missing.json()["detail"]


def test_dag_tags(catalog: Path, client_as: Client) -> None:
    client = client_as("viewer")
    everything = client.get("/api/v2/dagTags").json()
    assert everything == {"tags": ["50%", "etl", "team_a"], "total_entries": 3}
    assert client.get("/api/v2/dagTags?order_by=-name&limit=1").json() == {
        "tags": ["team_a"],
        "total_entries": 3,
    }
    assert client.get("/api/v2/dagTags?tag_name_pattern=TEAM|5_%25").json()["tags"] == [
        "50%",
        "team_a",
    ]
    assert client.get("/api/v2/dagTags?tag_name_prefix_pattern=et").json()["tags"] == ["etl"]
    assert client.get("/api/v2/dagTags?order_by=dag_id").status_code == 400


# --- the official client against the real server ------------------------------------------


@pytest.mark.integration
def test_official_client_reads_and_changes_dags(
    catalog: Path, api_db: Database, airflow_client: Callable[[str], Any]
) -> None:
    import airflow_client.client as af

    with airflow_client("user") as api_client:
        api = af.DAGApi(api_client)
        listed = api.get_dags(tags=["etl"], order_by=["-dag_id"], limit=10)
        assert [d.dag_id for d in listed.dags] == ["etl_hourly", "etl_daily"]
        assert listed.total_entries == 2 and listed.dags[1].tags[0].name == "etl"
        dag = api.get_dag("report")
        assert dag.owners == ["alice", "carol"] and dag.is_backfillable is False
        details = api.get_dag_details("etl_daily")
        assert details.catchup is False and details.latest_dag_version is not None
        assert details.latest_dag_version.version_number == 1
        patched = api.patch_dag(
            "report", af.DAGPatchBody(is_paused=True), update_mask=["is_paused"]
        )
        assert patched.is_paused is True
        bulk = api.patch_dags(af.DAGPatchBody(is_paused=True), dag_id_pattern="etl")
        assert bulk.total_entries == 2 and all(d.is_paused for d in bulk.dags)
        tags = api.get_dag_tags()
        assert tags.tags == ["50%", "etl", "team_a"]
        source = af.DagSourceApi(api_client).get_dag_source("consumer")
        assert source.content == (catalog / "consumer.py").read_text()
        api.delete_dag("consumer")
        with pytest.raises(af.ApiException) as missing:
            api.get_dag("consumer")
        assert missing.value.status == 404
    assert [e.dag_id for e in events(api_db, "delete_dag")] == ["consumer"]


# --- helpers ----------------------------------------------------------------------------------


def _add_many(db: Database, count: int) -> None:
    """`count` DAGs, each with a stored version, a tag and a display name (bulk inserts)."""
    import pendulum

    from slipstream.db.models import SerializedDagModel
    from slipstream.sdk import DAG
    from slipstream.sdk.operators.empty import EmptyOperator
    from slipstream.serialization import serialize_dag

    with DAG("template", schedule="@daily", start_date=pendulum.datetime(2030, 1, 1)) as dag:
        EmptyOperator(task_id="only")
    data = serialize_dag(dag)
    now = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    dags, versions = [], []
    for n in range(count):
        dag_id = f"dag_{n:04}"
        version = copy.deepcopy(data)
        version["dag"].update(dag_id=dag_id, dag_display_name=f"DAG {n:04}")
        dags.append(
            {
                "dag_id": dag_id,
                "is_paused": False,
                "is_stale": False,
                "fileloc": "/dags/many.py",
                "owners": "airflow",
                "tags": [f"group_{n % 10}"],
                "max_active_tasks": 16,
                "max_consecutive_failed_dag_runs": 0,
                "has_import_errors": False,
            }
        )
        versions.append(
            {
                "dag_id": dag_id,
                "version_number": 1,
                "dag_hash": f"{n:064}",
                "data": version,
                "fileloc": "/dags/many.py",
                "created_at": now,
            }
        )
    with db.begin() as session:
        session.execute(insert(DagModel), dags)
        session.execute(insert(SerializedDagModel), versions)


class _count_statements:
    """Collects the SQL statements run on `db` inside the block."""

    def __init__(self, db: Database) -> None:
        self.engine = db.engine
        self.statements: list[str] = []

    def _record(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            self.statements.append(statement)

    def __enter__(self) -> list[str]:
        event.listen(self.engine, "before_cursor_execute", self._record)
        return self.statements

    def __exit__(self, *exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._record)


@pytest.mark.integration
def test_the_store_queries_work_on_postgresql(pg_db: Database, tmp_path: Path) -> None:
    from slipstream.db.store import dag_listing
    from slipstream.db.store.paging import Page

    folder = tmp_path / "dags"
    dag_files.write(
        folder,
        {"etl.py": dag_files.ETL, "report.py": dag_files.REPORT, "consumer.py": dag_files.CONSUMER},
    )
    dag_files.parse_into(pg_db, folder, dt.datetime(2024, 1, 1, tzinfo=dt.UTC))

    def listed(page: Page | None = None, **filters: Any) -> list[str]:
        dag_filter = dag_listing.DagFilter(**filters)
        with pg_db.session() as session:
            rows, total = dag_listing.find_dags(session, dag_filter, page or Page())
        assert total == len(rows)
        return [row.dag_id for row in rows]

    assert listed(owners=["carol"]) == ["report"]
    assert listed(tags=["etl", "team_a"], match_all_tags=True) == ["etl_daily"]
    assert listed(display_name_pattern="weekly|etl d") == ["etl_daily", "report"]
    assert listed(has_asset_schedule=True) == ["consumer"]
    assert listed(asset_dependency="ORDERS") == ["consumer"]
    assert listed(last_run_states=[["success"]]) == []
    by_name = Page(order_by=(("dag_display_name", True), ("last_run_state", False)))
    assert listed(by_name) == ["report", "etl_hourly", "etl_daily", "consumer"]
    with pg_db.session() as session:
        summaries = serialized_dags.latest_summaries(session, ["etl_daily", "consumer"])
        assert summaries["etl_daily"].display_name == "ETL Daily"
        assert summaries["etl_daily"].backfillable and not summaries["consumer"].backfillable
        assert dag_listing.dag_tags(session, Page(), pattern="TEAM") == (["team_a"], 1)
    with pg_db.begin() as session:
        assert dag_store.delete_dag(session, "report")["dag"] == 1
    assert listed() == ["consumer", "etl_daily", "etl_hourly"]

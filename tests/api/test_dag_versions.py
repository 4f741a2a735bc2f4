"""`/api/v2/dags/{dag_id}/dagVersions`: the versions the DAG processor stored of each DAG."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from slipstream.db.engine import Database
from slipstream.db.store import serialized_dags
from tests.api import dag_files
from tests.scheduler.helpers import Harness

Client = Callable[[str], TestClient]


@pytest.fixture
def versions(api_db: Database, api_harness: Harness, tmp_path: Path) -> Path:
    """`report` stored twice (a task renamed in between), `etl_daily` and `etl_hourly` once."""
    folder = tmp_path / "dags"
    dag_files.write(folder, {"etl.py": dag_files.ETL, "report.py": dag_files.REPORT})
    dag_files.parse_into(api_db, folder, api_harness.clock.now())
    (folder / "report.py").write_text(dag_files.REPORT.replace('"send"', '"mail"'))
    dag_files.parse_into(api_db, folder, api_harness.clock.now())
    return folder


def test_a_dags_versions_oldest_first(versions: Path, api_db: Database, client_as: Client) -> None:
    answer = client_as("viewer").get("/api/v2/dags/report/dagVersions")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["total_entries"] == 2
    assert [v["version_number"] for v in body["dag_versions"]] == [1, 2]
    newest = body["dag_versions"][1]
    with api_db.begin() as session:
        stored = serialized_dags.get_version(session, "report")
    assert stored is not None and uuid.UUID(newest["id"]).int == stored.id
    assert newest["dag_id"] == "report" and newest["dag_display_name"] == "Weekly Report"
    assert newest["bundle_name"] is None and newest["created_at"]


def test_ordering_filtering_and_paging(versions: Path, client_as: Client) -> None:
    client = client_as("viewer")
    newest_first = client.get("/api/v2/dags/report/dagVersions?order_by=-version_number").json()
    assert [v["version_number"] for v in newest_first["dag_versions"]] == [2, 1]
    only = client.get("/api/v2/dags/report/dagVersions?version_number=2").json()
    assert only["total_entries"] == 1 and only["dag_versions"][0]["version_number"] == 2
    paged = client.get("/api/v2/dags/report/dagVersions?limit=1&offset=1").json()
    assert paged["total_entries"] == 2
    assert [v["version_number"] for v in paged["dag_versions"]] == [2]


def test_every_dags_versions_with_a_tilde(versions: Path, client_as: Client) -> None:
    body = client_as("viewer").get("/api/v2/dags/~/dagVersions?limit=100").json()
    pairs = sorted((v["dag_id"], v["version_number"]) for v in body["dag_versions"])
    assert pairs == [("etl_daily", 1), ("etl_hourly", 1), ("report", 1), ("report", 2)]


def test_one_version(versions: Path, client_as: Client) -> None:
    client = client_as("viewer")
    found = client.get("/api/v2/dags/report/dagVersions/1")
    assert found.status_code == 200 and found.json()["version_number"] == 1
    missing = client.get("/api/v2/dags/report/dagVersions/9")
    assert missing.status_code == 404 and "`9`" in missing.json()["detail"]


def test_unknown_dag_and_unsupported_input(versions: Path, client_as: Client) -> None:
    client = client_as("viewer")
    unknown = client.get("/api/v2/dags/nope/dagVersions")
    assert unknown.status_code == 404 and "nope" in unknown.json()["detail"]
    bundles = client.get("/api/v2/dags/report/dagVersions?bundle_name=dags-folder")
    assert bundles.status_code == 400 and "bundle_name" in bundles.json()["detail"]
    bad_order = client.get("/api/v2/dags/report/dagVersions?order_by=created_at")
    assert bad_order.status_code == 400 and "version_number" in bad_order.json()["detail"]
    assert client_as("viewer").get("/api/v2/dags/report/dagVersions").status_code == 200


def test_a_token_is_needed(versions: Path, anonymous_client: TestClient) -> None:
    assert anonymous_client.get("/api/v2/dags/report/dagVersions").status_code == 401


@pytest.mark.integration
def test_official_client_reads_versions(
    versions: Path, airflow_client: Callable[[str], Any]
) -> None:
    import airflow_client.client as af

    with airflow_client("viewer") as api_client:
        api = af.DagVersionApi(api_client)
        listed = api.get_dag_versions("report", order_by=["-version_number"])
        assert [v.version_number for v in listed.dag_versions] == [2, 1]
        one = api.get_dag_version("report", 1)
        assert one.dag_id == "report" and one.dag_display_name == "Weekly Report"
        with pytest.raises(af.ApiException) as missing:
            api.get_dag_version("report", 5)
        assert missing.value.status == 404


def test_numbers_beyond_the_database_are_refused(versions: Path, client_as: Client) -> None:
    client = client_as("viewer")
    huge = 2**64
    assert client.get(f"/api/v2/dags/report/dagVersions/{huge}").status_code == 422
    assert client.get(f"/api/v2/dags/report/dagVersions?version_number={huge}").status_code == 422

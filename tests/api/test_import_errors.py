"""`/api/v2/importErrors`: the DAG files that failed to load, as the DAG processor stored them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from slipstream.db.engine import Database
from slipstream.db.store import import_errors
from tests.api import dag_files
from tests.scheduler.helpers import Harness

Client = Callable[[str], TestClient]


@pytest.fixture
def folder(api_db: Database, api_harness: Harness, tmp_path: Path) -> Path:
    """Two files that fail to load (a syntax error, a missing module) and one that loads."""
    folder = tmp_path / "dags"
    dag_files.write(
        folder,
        {
            "broken.py": dag_files.BROKEN,
            "needs_module.py": dag_files.FAILING,
            "report.py": dag_files.REPORT,
        },
    )
    dag_files.parse_into(api_db, folder, api_harness.clock.now())
    return folder


def names(response: Any) -> list[str]:
    assert response.status_code == 200, response.text
    return [Path(e["filename"]).name for e in response.json()["import_errors"]]


def test_list_import_errors(folder: Path, client_as: Client) -> None:
    response = client_as("viewer").get("/api/v2/importErrors")
    assert names(response) == ["broken.py", "needs_module.py"]
    body = response.json()
    assert body["total_entries"] == 2
    broken = body["import_errors"][0]
    assert broken["filename"] == str(folder / "broken.py")
    assert "SyntaxError" in broken["stack_trace"]
    assert broken["bundle_name"] is None
    assert dt.datetime.fromisoformat(broken["timestamp"]).tzinfo is not None
    assert "no_such_module_for_slipstream_tests" in body["import_errors"][1]["stack_trace"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("order_by=-filename", ["needs_module.py", "broken.py"]),
        ("order_by=-import_error_id", ["needs_module.py", "broken.py"]),
        ("order_by=timestamp&order_by=-id", ["needs_module.py", "broken.py"]),
        ("order_by=bundle_name", ["broken.py", "needs_module.py"]),
        ("limit=1&offset=1", ["needs_module.py"]),
        ("filename_pattern=BROKEN", ["broken.py"]),
        ("filename_pattern=broken|needs", ["broken.py", "needs_module.py"]),
        ("filename_pattern=needs_mod%25.py", ["needs_module.py"]),
        ("filename_pattern=~", ["broken.py", "needs_module.py"]),
        ("filename_pattern=report", []),
    ],
)
def test_filters_order_and_pages(
    folder: Path, client_as: Client, query: str, expected: list[str]
) -> None:
    assert names(client_as("viewer").get(f"/api/v2/importErrors?{query}")) == expected


def test_exact_and_prefix_filename(folder: Path, client_as: Client) -> None:
    client = client_as("viewer")
    exact = client.get("/api/v2/importErrors", params={"filename": str(folder / "broken.py")})
    assert names(exact) == ["broken.py"] and exact.json()["total_entries"] == 1
    prefix = client.get(
        "/api/v2/importErrors", params={"filename_prefix_pattern": str(folder / "needs")}
    )
    assert names(prefix) == ["needs_module.py"]
    assert names(client.get("/api/v2/importErrors", params={"filename": "broken.py"})) == []


def test_bad_input(folder: Path, client_as: Client) -> None:
    client = client_as("viewer")
    bad_order = client.get("/api/v2/importErrors?order_by=lineno")
    assert bad_order.status_code == 400 and "lineno" in bad_order.json()["detail"]
    bundle = client.get("/api/v2/importErrors?bundle_name=dags-folder")
    assert bundle.status_code == 400 and "bundle_name" in bundle.json()["detail"]
    assert client.get("/api/v2/importErrors/not-a-number").status_code == 422


def test_one_import_error(folder: Path, api_db: Database, client_as: Client) -> None:
    with api_db.session() as session:
        rows, _ = import_errors.list_import_errors(session)
    broken = next(row for row in rows if row.filename.endswith("broken.py"))
    client = client_as("viewer")
    response = client.get(f"/api/v2/importErrors/{broken.id}")
    assert response.status_code == 200
    assert response.json() == {
        "import_error_id": broken.id,
        "timestamp": response.json()["timestamp"],
        "filename": str(folder / "broken.py"),
        "bundle_name": None,
        "stack_trace": broken.stacktrace,
    }
    missing = client.get("/api/v2/importErrors/999")
    assert missing.status_code == 404 and "999" in missing.json()["detail"]


def test_a_fixed_file_loses_its_error(
    folder: Path, api_db: Database, api_harness: Harness, client_as: Client
) -> None:
    (folder / "broken.py").write_text(dag_files.REPORT.replace('"report"', '"fixed"'))
    dag_files.parse_into(api_db, folder, api_harness.clock.now())
    assert names(client_as("viewer").get("/api/v2/importErrors")) == ["needs_module.py"]


def test_every_role_may_read_but_anonymous_may_not(
    folder: Path, client_as: Client, anonymous_client: TestClient
) -> None:
    for role in ("viewer", "user", "op", "admin"):
        assert client_as(role).get("/api/v2/importErrors").status_code == 200
    assert anonymous_client.get("/api/v2/importErrors").status_code == 401


@pytest.mark.integration
def test_official_client_reads_import_errors(
    folder: Path, airflow_client: Callable[[str], Any]
) -> None:
    import airflow_client.client as af

    with airflow_client("viewer") as api_client:
        api = af.ImportErrorApi(api_client)
        listed = api.get_import_errors(order_by=["-filename"], limit=10)
        assert [Path(e.filename).name for e in listed.import_errors] == [
            "needs_module.py",
            "broken.py",
        ]
        assert listed.total_entries == 2
        one = api.get_import_error(listed.import_errors[1].import_error_id)
        assert one.filename == str(folder / "broken.py") and "SyntaxError" in one.stack_trace
        with pytest.raises(af.ApiException) as missing:
            api.get_import_error(999)
        assert missing.value.status == 404

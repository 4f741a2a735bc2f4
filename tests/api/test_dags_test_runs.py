"""A run of `slipstream dags test` is seen through the REST API like any other: the run, its
task instances and tries, its XComs and each try's log."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from fastapi.testclient import TestClient

from slipstream.db.engine import Database

RUN_ID = "manual__2024-05-01T00:00:00+00:00"
DAG_FILE = """
from airflow.sdk import DAG, task

with DAG("tested", schedule=None):
    @task(retries=1, retry_delay=0)
    def flaky(ti=None):
        print("attempt", ti.try_number)
        if ti.try_number == 1:
            raise ValueError("not yet")
        return 42

    flaky()
"""


def test_a_dags_test_run_through_the_api(
    api_db: Database, admin_client: TestClient, tmp_path: Path
) -> None:
    (tmp_path / "tested.py").write_text(textwrap.dedent(DAG_FILE))
    slipstream = str(Path(sys.executable).with_name("slipstream"))
    proc = subprocess.run(
        [slipstream, "dags", "test", "tested", "2024-05-01", "--dags-folder", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    base = f"/api/v2/dags/tested/dagRuns/{RUN_ID}"

    run = admin_client.get(base).json()
    assert (run["dag_run_id"], run["run_type"], run["state"]) == (RUN_ID, "manual", "success")
    flaky = admin_client.get(f"{base}/taskInstances/flaky").json()
    assert (flaky["state"], flaky["try_number"]) == ("success", 2)
    tries = admin_client.get(f"{base}/taskInstances/flaky/tries").json()
    assert [(t["try_number"], t["state"]) for t in tries["task_instances"]] == [
        (1, "failed"),
        (2, "success"),
    ]
    xcom = admin_client.get(f"{base}/taskInstances/flaky/xcomEntries/return_value").json()
    assert xcom["value"] in (42, "42")
    log = admin_client.get(f"{base}/taskInstances/flaky/logs/1").json()
    events = [line.get("event") for line in log["content"]]
    assert "attempt 1" in events

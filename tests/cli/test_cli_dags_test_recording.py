"""`slipstream dags test` records its run in the metadata database, like runs the scheduler ran:
the run, task instances with tries, XComs, asset events, triggered runs, an audit entry and
per-try log files; `dags list-runs` and `tasks states-for-dag-run` show it. Real commands in a
fresh home (the SQLite database is created on first use)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from slipstream.db.engine import Database
from slipstream.db.models import AssetDagRunQueue, DagRun, Log, TaskInstanceHistory, XCom

Run = Callable[..., subprocess.CompletedProcess[str]]
DATE = "2024-05-01"
RUN_ID = "manual__2024-05-01T00:00:00+00:00"

PIPELINE = """
import pendulum
from airflow.sdk import DAG, Asset, task

data = Asset(uri="s3://bucket/data", name="data")

with DAG("pipeline", schedule=None, start_date=pendulum.datetime(2024, 1, 1)):
    @task(retries=1, retry_delay=0, outlets=[data])
    def extract(ti=None):
        print("extracting, try", ti.try_number)
        if ti.try_number == 1:
            raise ValueError("flaky source")
        return {"rows": 3}

    @task.branch
    def route(batch):
        return "load"

    @task
    def load():
        print("loading")

    @task
    def archive():
        print("never runs")

    route(extract()) >> [load(), archive()]

with DAG("consumer", schedule=[data], start_date=pendulum.datetime(2024, 1, 1)):
    @task
    def eat():
        pass

    eat()
"""

PARENT = """
from airflow.sdk import DAG
from airflow.providers.standard.operators.trigger_dagrun import TriggerDagRunOperator

with DAG("parent", schedule=None):
    TriggerDagRunOperator(task_id="kick", trigger_dag_id="child", trigger_run_id="kid")
"""

CHILD = """
from airflow.sdk import DAG, task

with DAG("child", schedule=None):
    @task
    def hello():
        print("child says hi")

    hello()
"""


@pytest.fixture
def dags(tmp_path: Path) -> Path:
    folder = tmp_path / "dags"
    folder.mkdir()
    for name, text in (("pipeline", PIPELINE), ("parent", PARENT), ("child", CHILD)):
        (folder / f"{name}.py").write_text(textwrap.dedent(text))
    return folder


@pytest.fixture
def dags_test(run_slipstream: Run, dags: Path) -> Run:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return run_slipstream("dags", "test", *args, "--dags-folder", str(dags), "-o", "json")

    return run


def database(home: Path) -> Database:
    return Database(f"sqlite:///{home / 'slipstream.db'}")


def as_json(proc: subprocess.CompletedProcess[str]) -> object:
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_a_run_is_recorded_with_its_tries_xcoms_logs_and_audit_entry(
    dags_test: Run, run_slipstream: Run, slipstream_home: Path
) -> None:
    proc = dags_test("pipeline", DATE)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["state"] == "success"  # stdout holds only the result
    assert (slipstream_home / "slipstream.db").exists()

    (run,) = as_json(run_slipstream("dags", "list-runs", "pipeline", "-o", "json"))  # type: ignore[misc]
    assert (run["run_id"], run["run_type"], run["state"]) == (RUN_ID, "manual", "success")
    tis = as_json(run_slipstream("tasks", "states-for-dag-run", "pipeline", DATE, "-o", "json"))
    by_task = {t["task_id"]: t for t in tis}  # type: ignore[attr-defined]
    assert {k: (t["state"], t["try_number"]) for k, t in by_task.items()} == {
        "extract": ("success", 2),
        "route": ("success", 1),
        "load": ("success", 1),
        "archive": ("skipped", 0),
    }
    assert by_task["extract"]["duration"] is not None

    db = database(slipstream_home)
    try:
        with db.session() as session:
            recorded = session.scalars(select(DagRun)).one()
            assert (recorded.triggered_by, recorded.serialized_dag_id) == ("test", 1)
            tries = session.execute(
                select(TaskInstanceHistory.try_number, TaskInstanceHistory.state)
                .where(TaskInstanceHistory.task_id == "extract")
                .order_by(TaskInstanceHistory.try_number)
            ).all()
            assert [tuple(t) for t in tries] == [(1, "failed"), (2, "success")]
            xcom = session.scalars(select(XCom).where(XCom.task_id == "extract")).one()
            assert json.loads(xcom.value or "null") == {"rows": 3}
            audit = session.scalars(select(Log).where(Log.event == "cli_dags_test")).one()
            assert (audit.dag_id, audit.run_id, json.loads(audit.extra or "{}")) == (
                "pipeline",
                RUN_ID,
                {"state": "success"},
            )
    finally:
        db.dispose()

    logs = slipstream_home / "logs" / "dag_id=pipeline" / f"run_id={RUN_ID}"
    first = (logs / "task_id=extract" / "attempt=1.log").read_text()
    assert "{pipeline.extract} INFO - extracting, try 1" in first
    assert "ValueError: flaky source" in first
    assert "extracting, try 2" in (logs / "task_id=extract" / "attempt=2.log").read_text()
    assert "loading" in (logs / "task_id=load" / "attempt=1.log").read_text()
    assert not (logs / "task_id=archive").exists()


def test_testing_the_same_logical_date_again_replaces_the_run(
    dags_test: Run, run_slipstream: Run
) -> None:
    assert dags_test("pipeline", DATE).returncode == 0
    assert dags_test("pipeline", DATE).returncode == 0
    runs = as_json(run_slipstream("dags", "list-runs", "pipeline", "-o", "json"))
    assert [r["run_id"] for r in runs] == [RUN_ID]  # type: ignore[attr-defined]


def test_a_queued_run_in_the_way_stops_the_test_before_it_runs(
    dags_test: Run, run_slipstream: Run
) -> None:
    assert dags_test("pipeline").returncode == 0  # stores the DAG
    queued = run_slipstream("dags", "trigger", "pipeline", "-l", DATE)
    assert queued.returncode == 0, queued.stderr
    proc = dags_test("pipeline", DATE)
    assert proc.returncode == 1
    assert f"has a queued run '{RUN_ID}'" in proc.stderr and "--no-db" in proc.stderr
    assert "extracting" not in proc.stderr and "Traceback" not in proc.stderr


def test_asset_events_queue_runs_of_unpaused_dags_scheduled_on_them(
    dags_test: Run, run_slipstream: Run, slipstream_home: Path
) -> None:
    assert dags_test("consumer").returncode == 0  # stores both DAGs of the file
    assert run_slipstream("dags", "unpause", "consumer").returncode == 0
    assert dags_test("pipeline", DATE).returncode == 0
    db = database(slipstream_home)
    try:
        with db.session() as session:
            queued = session.scalars(select(AssetDagRunQueue.target_dag_id)).all()
    finally:
        db.dispose()
    assert queued == ["consumer"]


def test_runs_triggered_inline_are_recorded_too(
    dags_test: Run, run_slipstream: Run, slipstream_home: Path
) -> None:
    proc = dags_test("parent", DATE)
    assert proc.returncode == 0, proc.stderr
    (child,) = as_json(run_slipstream("dags", "list-runs", "child", "-o", "json"))  # type: ignore[misc]
    assert (child["run_id"], child["state"], child["triggered_by"]) == (
        "kid",
        "success",
        "operator",
    )
    log = slipstream_home / "logs" / "dag_id=child" / "run_id=kid" / "task_id=hello"
    assert "child says hi" in (log / "attempt=1.log").read_text()


def test_no_db_runs_without_a_database_or_log_files(dags_test: Run, slipstream_home: Path) -> None:
    proc = dags_test("pipeline", "--no-db")
    assert proc.returncode == 0, proc.stderr
    assert not (slipstream_home / "slipstream.db").exists()
    assert not (slipstream_home / "logs").exists()


def test_a_database_at_another_schema_is_a_clear_error(dags_test: Run, migrated_home: Path) -> None:
    with sqlite3.connect(migrated_home / "slipstream.db") as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0001'")
    proc = dags_test("pipeline")
    assert proc.returncode == 1
    assert "schema revision 0001" in proc.stderr and "slipstream db migrate" in proc.stderr
    assert "extracting" not in proc.stderr and "Traceback" not in proc.stderr


def test_an_unusable_database_is_a_clear_error(
    dags_test: Run, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "not_a_folder").write_text("")
    url = f"sqlite:///{tmp_path / 'not_a_folder' / 'slipstream.db'}"
    monkeypatch.setenv("SLIPSTREAM__DATABASE__SQL_ALCHEMY_CONN", url)
    proc = dags_test("pipeline")
    assert proc.returncode == 1
    assert "Error: Cannot use the metadata database" in proc.stderr
    assert "extracting" not in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.integration
def test_runs_are_recorded_in_a_configured_postgresql(
    dags_test: Run, run_slipstream: Run, pg_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLIPSTREAM__DATABASE__SQL_ALCHEMY_CONN", str(pg_db.url))
    proc = dags_test("pipeline", DATE)
    assert proc.returncode == 0, proc.stderr
    with pg_db.session() as session:
        run = session.scalars(select(DagRun)).one()
        assert (run.run_id, run.state, run.triggered_by) == (RUN_ID, "success", "test")
        assert session.scalar(select(XCom.value).where(XCom.task_id == "extract")) == (
            '{"rows": 3}'
        )
    tis = as_json(run_slipstream("tasks", "states-for-dag-run", "pipeline", DATE, "-o", "json"))
    assert len(tis) == 4  # type: ignore[arg-type]


@pytest.mark.integration
def test_an_unmigrated_postgresql_is_never_migrated_by_a_test(
    dags_test: Run, pg_server: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = pg_server.create_database(migrated=False)  # type: ignore[attr-defined]
    monkeypatch.setenv("SLIPSTREAM__DATABASE__SQL_ALCHEMY_CONN", url)
    try:
        proc = dags_test("pipeline")
    finally:
        pg_server.drop_database(url)  # type: ignore[attr-defined]
    assert proc.returncode == 1
    assert "has not been migrated yet" in proc.stderr and "slipstream db migrate" in proc.stderr

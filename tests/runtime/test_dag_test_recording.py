"""What the in-process runner leaves for recording: every try, XComs with their times, asset
events with their assets, inline-triggered runs, per-try log files, and the recorder's say
before each run. `dag.test()` itself records nothing and loads no database code."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from slipstream.runtime import dag_test
from slipstream.runtime.task_instance import DagRunInfo
from slipstream.runtime.try_logs import try_log_path
from slipstream.sdk import DAG, Asset, task
from slipstream.sdk.operators.empty import EmptyOperator
from slipstream.sdk.operators.trigger_dagrun import TriggerDagRunOperator

DATE = dt.datetime(2024, 3, 5, 6, 0, tzinfo=dt.UTC)


class Recorder:
    """A recorder that remembers what it was asked and may refuse runs of one DAG."""

    def __init__(self, log_folder: Path | None = None, refuse: str | None = None) -> None:
        self.log_folder = log_folder
        self.refuse = refuse
        self.started: list[tuple[str, str, str]] = []

    def run_starting(self, dag: Any, dag_run: DagRunInfo) -> None:
        self.started.append((dag.dag_id, dag_run.run_id, dag_run.triggered_by))
        if dag.dag_id == self.refuse:
            raise RuntimeError(f"not recording {dag.dag_id}")


def test_tries_xcoms_and_settled_task_instances_are_kept() -> None:
    with DAG("kept", schedule=None) as d:

        @task(retries=1, retry_delay=0)
        def flaky(ti=None):
            ti.xcom_push(key="attempt", value=ti.try_number)
            if ti.try_number == 1:
                raise ValueError("first try fails")
            return "done"

        @task
        def boom():
            raise ValueError("always")

        flaky() >> boom() >> EmptyOperator(task_id="after")
    before = dt.datetime.now(dt.UTC)
    result = dag_test.test_dag(d, logical_date=DATE)
    flaky_ti = result.ti("flaky")
    assert [(t.try_number, t.state.value) for t in flaky_ti.tries] == [
        (1, "up_for_retry"),
        (2, "success"),
    ]
    assert all(before <= t.start_date <= t.end_date for t in flaky_ti.tries)
    xcoms = {(x.task_id, x.key): x for x in result.xcoms}
    assert set(xcoms) == {("flaky", "attempt"), ("flaky", "return_value")}
    assert json.loads(xcoms[("flaky", "attempt")].value) == 2  # try 1's XComs went with it
    assert xcoms[("flaky", "return_value")].timestamp >= flaky_ti.tries[1].start_date
    after = result.ti("after")
    assert (after.state.value, after.try_number, after.tries) == ("upstream_failed", 0, [])
    assert after.start_date == after.end_date is not None
    assert result.dag_run is not None and result.dag_run.end_date is not None
    assert result.dag_run.state == "failed" and result.dag is d


def test_asset_events_carry_their_asset() -> None:
    data = Asset(uri="s3://bucket/data", name="data", group="lake")
    with DAG("producer", schedule=None) as d:

        @task(outlets=[data])
        def make():
            return 1

        make()
    (event,) = dag_test.test_dag(d, logical_date=DATE).asset_events
    assert (event.asset_uri, event.asset.name, event.asset.group) == (
        "s3://bucket/data",
        "data",
        "lake",
    )
    assert (event.source_task_id, event.source_map_index) == ("make", -1)


def test_recorder_is_asked_before_each_run_and_triggered_runs_are_listed() -> None:
    with DAG("child", schedule=None) as child:
        EmptyOperator(task_id="only")
    with DAG("parent", schedule=None) as parent:
        TriggerDagRunOperator(task_id="kick", trigger_dag_id="child", trigger_run_id="kid")
    recorder = Recorder()
    result = dag_test.test_dag(
        parent,
        logical_date=DATE,
        find_dag=lambda dag_id: child,
        recorder=recorder,
    )
    assert result.state.value == "success"
    assert recorder.started == [
        ("parent", "manual__2024-03-05T06:00:00+00:00", "test"),
        ("child", "kid", "operator"),
    ]
    assert [(r.dag_id, r.run_id, r.triggered) for r in result.triggered] == [("child", "kid", [])]


def test_a_refusing_recorder_stops_the_run_before_any_task() -> None:
    ran = []
    with DAG("refused", schedule=None) as d:

        @task
        def work():
            ran.append(1)

        work()
    with pytest.raises(RuntimeError, match="not recording refused"):
        dag_test.test_dag(d, logical_date=DATE, recorder=Recorder(refuse="refused"))
    assert ran == []


def test_each_try_logs_to_its_own_file(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    with DAG("inner", schedule=None) as inner:

        @task
        def shout():
            print("inner speaks")

        shout()
    with DAG("logged", schedule=None) as d:

        @task(retries=1, retry_delay=0)
        def talk(ti=None):
            print(f"hello from try {ti.try_number}")
            if ti.try_number == 1:
                raise ValueError("once")

        @task
        def kick():
            from slipstream.sdk.context import get_current_context

            get_current_context()["ti"].trigger_dag_run("inner", "r1", None, DATE, False)

        talk() >> kick() >> EmptyOperator(task_id="quiet")
    dag_test.test_dag(
        d, logical_date=DATE, recorder=Recorder(tmp_path), find_dag=lambda dag_id: inner
    )
    run_id = "manual__2024-03-05T06:00:00+00:00"

    def read(dag_id: str, run: str, task_id: str, attempt: int) -> str:
        path = try_log_path(
            tmp_path, dag_id=dag_id, run_id=run, task_id=task_id, map_index=-1, try_number=attempt
        )
        return path.read_text()

    first, second = read("logged", run_id, "talk", 1), read("logged", run_id, "talk", 2)
    assert "{logged.talk} INFO - hello from try 1" in first and "ValueError: once" in first
    assert "hello from try 2" in second and "try 1" not in second
    assert "inner speaks" in read("inner", "r1", "shout", 1)
    assert "inner speaks" not in read("logged", run_id, "kick", 1)
    plain_empty = tmp_path / "dag_id=logged" / f"run_id={run_id}" / "task_id=quiet"
    assert not plain_empty.exists()  # not executed, as in a deployment


def test_dag_test_records_nothing_and_loads_no_database_code(tmp_path: Path) -> None:
    script = textwrap.dedent(
        """
        import sys
        from slipstream.sdk import DAG, task

        with DAG("plain", schedule=None) as d:
            @task
            def one():
                return 1
            one()
        assert d.test().state == "success"
        loaded = [m for m in sys.modules if m.startswith(("sqlalchemy", "slipstream.db", "sqlite3"))]
        print(loaded)
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "SLIPSTREAM_HOME": str(tmp_path / "home")},
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"
    assert not (tmp_path / "home").exists()

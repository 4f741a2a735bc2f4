"""The local executor end to end: real warm worker, supervisors and task processes."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from slipstream.config import load_config
from slipstream.db.engine import Database
from slipstream.db.models import DagRun, TaskInstanceHistory, XCom
from slipstream.executors.local import LocalExecutor
from slipstream.supervisor.log_files import try_log_path

from .helpers import (
    expand,
    get_ti,
    queue_ti,
    run_workload,
    seed_run,
    set_ti,
    wait_for,
    write_dag,
)

pytestmark = pytest.mark.slow  # real worker, supervisor and task processes

SIMPLE = """
    from airflow.sdk import dag, task
    import pendulum

    @dag(schedule=None, start_date=pendulum.datetime(2024, 1, 1))
    def simple():
        @task
        def hello():
            print("hello from the task")
            return {"answer": 42}

        hello()

    simple()
"""


def log_text(
    home: Path, run: object, task_id: str, try_number: int = 1, map_index: int = -1
) -> str:
    path = try_log_path(
        home / "logs",
        dag_id=run.dag_id,  # type: ignore[attr-defined]
        run_id=run.run_id,  # type: ignore[attr-defined]
        task_id=task_id,
        map_index=map_index,
        try_number=try_number,
    )
    return path.read_text()


def _has(text: str, needle: str) -> str | None:
    return text if needle in text else None


def test_a_try_runs_and_records_success_xcom_and_log(
    executor: LocalExecutor, sqlite_db: Database, dags_folder: Path, engine_env: Path
) -> None:
    run = seed_run(sqlite_db, write_dag(dags_folder, "simple", SIMPLE), "simple")
    workload = queue_ti(sqlite_db, run, "hello")
    run_workload(executor, workload)

    ti = get_ti(sqlite_db, workload.ti_id)
    assert ti.state == "success"
    assert ti.start_date is not None and ti.end_date is not None and ti.duration is not None
    assert ti.pid is not None and ti.hostname
    assert executor.running_count == 0
    with sqlite_db.session() as session:
        xcom = session.query(XCom).filter_by(task_id="hello", key="return_value").one()
        assert json.loads(xcom.value or "") == {"answer": 42}
        history = session.query(TaskInstanceHistory).filter_by(task_instance_id=ti.id).one()
        assert (history.try_number, history.state) == (1, "success")
        assert session.get(DagRun, run.dag_run_id).needs_scheduling is True  # type: ignore[union-attr]
    # the event comes as soon as the state is written; the task process then runs callbacks
    text = wait_for(lambda: _has(log_text(engine_env, run, "hello"), "finished: success"))
    assert "{simple.hello} INFO - hello from the task" in text


FLAKY = """
    import datetime as dt
    import pendulum
    from airflow.sdk import dag, task
    from airflow.exceptions import AirflowFailException

    MARK = {mark!r}

    def on_retry(context):
        with open(MARK, "a") as f:
            f.write(f"retry {{context['ti'].state}} {{type(context['exception']).__name__}}\\n")

    def on_failure(context):
        with open(MARK, "a") as f:
            f.write(f"failure {{context['ti'].state}}\\n")

    @dag(schedule=None, start_date=pendulum.datetime(2024, 1, 1))
    def flaky():
        @task(retries=2, retry_delay=dt.timedelta(seconds=30), on_retry_callback=on_retry,
              on_failure_callback=on_failure)
        def boom():
            raise ValueError("boom!")

        @task(retries=3)
        def fatal():
            raise AirflowFailException("no point retrying")

        boom()
        fatal()

    flaky()
"""


def test_failures_retry_by_policy_and_run_the_decided_callback(
    executor: LocalExecutor,
    sqlite_db: Database,
    dags_folder: Path,
    engine_env: Path,
    tmp_path: Path,
) -> None:
    mark = tmp_path / "callbacks.txt"
    run = seed_run(
        sqlite_db, write_dag(dags_folder, "flaky", FLAKY.format(mark=str(mark))), "flaky"
    )

    for try_number in (1, 2):
        run_workload(executor, queue_ti(sqlite_db, run, "boom"))
        ti = get_ti(sqlite_db, run.ti_ids["boom"])
        assert (ti.state, ti.try_number) == ("up_for_retry", try_number)
        assert ti.next_try_at is not None and ti.end_date is not None
        assert abs((ti.next_try_at - ti.end_date).total_seconds() - 30) < 1
    run_workload(executor, queue_ti(sqlite_db, run, "boom"))
    assert get_ti(sqlite_db, run.ti_ids["boom"]).state == "failed"

    run_workload(executor, queue_ti(sqlite_db, run, "fatal"))
    assert get_ti(sqlite_db, run.ti_ids["fatal"]).state == "failed"

    wait_for(lambda: mark.exists() and mark.read_text().count("\n") >= 3)
    assert mark.read_text().splitlines()[:3] == [
        "retry up_for_retry ValueError",
        "retry up_for_retry ValueError",
        "failure failed",
    ]
    with sqlite_db.session() as session:
        states = [
            h.state
            for h in session.query(TaskInstanceHistory)
            .filter_by(task_instance_id=run.ti_ids["boom"])
            .order_by(TaskInstanceHistory.try_number)
        ]
    assert states == ["failed", "failed", "failed"]
    assert "ValueError: boom!" in log_text(engine_env, run, "boom", try_number=2)


def test_a_stale_queue_token_claims_nothing(
    executor: LocalExecutor, sqlite_db: Database, dags_folder: Path, engine_env: Path
) -> None:
    run = seed_run(sqlite_db, write_dag(dags_folder, "simple", SIMPLE), "simple")
    workload = queue_ti(sqlite_db, run, "hello")
    set_ti(sqlite_db, workload.ti_id, queue_token="requeued-by-another-scheduler")

    run_workload(executor, workload)

    ti = get_ti(sqlite_db, workload.ti_id)
    assert (ti.state, ti.queue_token, ti.start_date) == (
        "queued",
        "requeued-by-another-scheduler",
        None,
    )
    assert executor.running_count == 0
    assert not (engine_env / "logs").exists()


def test_a_second_workload_for_a_started_try_claims_nothing(
    executor: LocalExecutor, sqlite_db: Database, dags_folder: Path
) -> None:
    run = seed_run(sqlite_db, write_dag(dags_folder, "simple", SIMPLE), "simple")
    workload = queue_ti(sqlite_db, run, "hello")
    run_workload(executor, workload)
    run_workload(executor, workload)  # delivered twice: the try ran once
    with sqlite_db.session() as session:
        assert session.query(TaskInstanceHistory).count() == 1


MAPPED = """
    import pendulum
    from airflow.sdk import dag, task

    @dag(schedule=None, start_date=pendulum.datetime(2024, 1, 1))
    def mapped():
        @task
        def numbers():
            return [1, 2, 3]

        @task
        def double(x):
            return x * 2

        @task
        def total(values, ti=None):
            first = ti.xcom_pull(task_ids="double", map_indexes=0)
            return {"sum": sum(values), "first": first, "numbers": ti.xcom_pull(task_ids="numbers")}

        total(double.expand(x=numbers()))

    mapped()
"""


def test_xcom_flows_between_tries_and_mapped_pulls_give_lists(
    executor: LocalExecutor, sqlite_db: Database, dags_folder: Path
) -> None:
    run = seed_run(sqlite_db, write_dag(dags_folder, "mapped", MAPPED), "mapped")
    run_workload(executor, queue_ti(sqlite_db, run, "numbers"))
    ids = expand(sqlite_db, run, "double", 3)
    for ti_id in ids:
        run_workload(executor, queue_ti(sqlite_db, run, "double", ti_id=ti_id))
    run_workload(executor, queue_ti(sqlite_db, run, "total"))

    assert [get_ti(sqlite_db, i).state for i in ids] == ["success"] * 3
    with sqlite_db.session() as session:
        value = session.query(XCom).filter_by(task_id="total", key="return_value").one().value
    assert json.loads(value or "") == {"sum": 12, "first": 2, "numbers": [1, 2, 3]}


BRANCHING = """
    import pendulum
    from airflow.sdk import dag, task

    @dag(schedule=None, start_date=pendulum.datetime(2024, 1, 1))
    def branching():
        @task.branch
        def choose():
            return "left"

        @task
        def left():
            pass

        @task
        def right():
            pass

        @task
        def after_right():
            pass

        @task.short_circuit
        def gate():
            return False

        @task
        def gated():
            pass

        r = right()
        choose() >> [left(), r]
        r >> after_right()
        gate() >> gated()

    branching()
"""


def test_branches_and_short_circuits_skip_in_the_database(
    executor: LocalExecutor, sqlite_db: Database, dags_folder: Path
) -> None:
    run = seed_run(sqlite_db, write_dag(dags_folder, "branching", BRANCHING), "branching")
    run_workload(executor, queue_ti(sqlite_db, run, "choose"))
    run_workload(executor, queue_ti(sqlite_db, run, "gate"))

    states = {t: get_ti(sqlite_db, i).state for t, i in run.ti_ids.items()}
    assert states == {
        "choose": "success",
        "left": None,
        "right": "skipped",
        "after_right": None,
        "gate": "success",
        "gated": "skipped",
    }


ASSETS = """
    import pendulum
    from airflow.sdk import Asset, dag, task

    REPORT = Asset("s3://bucket/report.csv")

    @dag(schedule=None, start_date=pendulum.datetime(2024, 1, 1))
    def producer():
        @task(outlets=[REPORT])
        def publish(outlet_events=None):
            outlet_events[REPORT].extra = {"rows": 10}

        publish()

    producer()
"""


def test_outlets_record_asset_events_and_queue_consumers(
    executor: LocalExecutor, sqlite_db: Database, dags_folder: Path
) -> None:
    from slipstream.db.models import (
        Asset,
        AssetDagRunQueue,
        AssetEvent,
        DagModel,
        DagScheduleAssetReference,
    )

    run = seed_run(sqlite_db, write_dag(dags_folder, "producer", ASSETS), "producer")
    now = dt.datetime.now(dt.UTC)
    with sqlite_db.begin() as session:
        asset = Asset(name="s3://bucket/report.csv", uri="s3://bucket/report.csv", created_at=now)
        session.add_all([asset, DagModel(dag_id="consumer", is_paused=False)])
        session.flush()
        session.add(DagScheduleAssetReference(asset_id=asset.id, dag_id="consumer"))

    run_workload(executor, queue_ti(sqlite_db, run, "publish"))

    with sqlite_db.session() as session:
        event = session.query(AssetEvent).one()
        assert (event.extra, event.source_dag_id, event.source_task_id) == (
            {"rows": 10},
            "producer",
            "publish",
        )
        queued = session.query(AssetDagRunQueue).one()
        assert queued.target_dag_id == "consumer"


SENSOR = """
    import pendulum
    from airflow.sdk import dag
    from airflow.providers.standard.sensors.python import PythonSensor

    @dag(schedule=None, start_date=pendulum.datetime(2024, 1, 1))
    def sensing():
        PythonSensor(task_id="wait", python_callable=lambda: False, mode="reschedule",
                     poke_interval=60, timeout=3600)

    sensing()
"""


def test_a_rescheduling_sensor_keeps_its_try_and_records_the_reschedule(
    executor: LocalExecutor, sqlite_db: Database, dags_folder: Path
) -> None:
    from slipstream.db.models import TaskReschedule

    run = seed_run(sqlite_db, write_dag(dags_folder, "sensing", SENSOR), "sensing")
    run_workload(executor, queue_ti(sqlite_db, run, "wait"))
    ti = get_ti(sqlite_db, run.ti_ids["wait"])
    assert (ti.state, ti.try_number) == ("up_for_reschedule", 1)
    assert ti.next_try_at is not None and ti.end_date is not None
    assert abs((ti.next_try_at - ti.end_date).total_seconds() - 60) < 2

    run_workload(executor, queue_ti(sqlite_db, run, "wait"))  # the next poke, same try
    with sqlite_db.session() as session:
        rows = session.query(TaskReschedule).filter_by(task_instance_id=ti.id).all()
        assert [r.try_number for r in rows] == [1, 1]
        assert session.query(TaskInstanceHistory).count() == 0


def test_new_interpreter_mode_runs_the_try(
    make_executor: Callable[..., LocalExecutor],
    sqlite_db: Database,
    dags_folder: Path,
    engine_env: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SLIPSTREAM__CORE__EXECUTE_TASKS_NEW_PYTHON_INTERPRETER", "true")
    executor = make_executor(load_config())
    run = seed_run(sqlite_db, write_dag(dags_folder, "simple", SIMPLE), "simple")
    run_workload(executor, queue_ti(sqlite_db, run, "hello"))
    assert get_ti(sqlite_db, run.ti_ids["hello"]).state == "success"
    text = wait_for(lambda: _has(log_text(engine_env, run, "hello"), "finished: success"))
    assert "hello from the task" in text


def test_end_waits_for_running_tries(
    make_executor: Callable[..., LocalExecutor], sqlite_db: Database, dags_folder: Path
) -> None:
    source = SIMPLE.replace('print("hello from the task")', "import time; time.sleep(1)")
    run = seed_run(sqlite_db, write_dag(dags_folder, "simple", source), "simple")
    executor = make_executor()
    executor.queue_workload(queue_ti(sqlite_db, run, "hello"))
    executor.end(timeout=30)
    assert executor.running_count == 0
    assert get_ti(sqlite_db, run.ti_ids["hello"]).state == "success"


TRIGGERING = """
    import pendulum
    from airflow.sdk import dag, task
    from airflow.providers.standard.operators.trigger_dagrun import TriggerDagRunOperator

    @dag(schedule=None, start_date=pendulum.datetime(2024, 1, 1))
    def target():
        @task
        def noop():
            pass

        noop()

    @dag(schedule=None, start_date=pendulum.datetime(2024, 1, 1))
    def trigger():
        TriggerDagRunOperator(
            task_id="kick", trigger_dag_id="target", trigger_run_id="from_kick",
            conf={"x": 1}, logical_date="2024-02-01T00:00:00+00:00",
        )
        TriggerDagRunOperator(
            task_id="kick_again", trigger_dag_id="target", trigger_run_id="from_kick",
            logical_date="2024-02-01T00:00:00+00:00", reset_dag_run=True,
        )

    target()
    trigger()
"""


def test_trigger_dag_run_creates_a_queued_run_and_resets_it_on_request(
    executor: LocalExecutor, sqlite_db: Database, dags_folder: Path
) -> None:
    path = write_dag(dags_folder, "triggering", TRIGGERING)
    seed_run(sqlite_db, path, "target", run_id="seeded")
    run = seed_run(sqlite_db, path, "trigger", logical_date=dt.datetime(2024, 3, 1, tzinfo=dt.UTC))

    run_workload(executor, queue_ti(sqlite_db, run, "kick"))
    run_workload(executor, queue_ti(sqlite_db, run, "kick_again"))

    assert get_ti(sqlite_db, run.ti_ids["kick"]).state == "success"
    assert get_ti(sqlite_db, run.ti_ids["kick_again"]).state == "success"
    with sqlite_db.session() as session:
        triggered = session.query(DagRun).filter_by(dag_id="target", run_id="from_kick").one()
        assert (triggered.state, triggered.conf, triggered.triggered_by) == (
            "queued",
            {"x": 1},
            "operator",
        )
        value = session.query(XCom).filter_by(task_id="kick", key="trigger_run_id").one().value
        assert json.loads(value or "") == "from_kick"

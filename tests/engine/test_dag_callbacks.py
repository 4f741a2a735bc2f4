"""DAG-level callbacks through the real scheduler: `on_success_callback` and
`on_failure_callback` of a DAG run in a process forked from the warm worker, with the run's
context, logging to `dag_callbacks.log`; a failing or hanging callback is logged, never fatal."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from .stack import EngineStack, wait_for, write_dag

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]

RECORDING = """
    import json
    import os
    import pendulum
    from airflow.sdk import Variable, dag, task

    OUT = {out}

    def broken(context):
        raise RuntimeError("this callback is broken")

    def record(context):
        ti = context.get("ti")
        line = {
            "dag_id": context["dag"].dag_id,
            "run_id": context["run_id"],
            "reason": context["reason"],
            "state": context["dag_run"].state,
            "conf": context["dag_run"].conf,
            "who": context["params"]["who"],
            "task": None if ti is None else ti.task_id,
            "xcom": None if ti is None else ti.xcom_pull(task_ids="work"),
            "ds": context.get("ds"),
            "variable": Variable.get("greeting", default=None),
            "db_url_visible": any("SQL_ALCHEMY_CONN" in k for k in os.environ),
        }
        with open(OUT, "a") as handle:
            handle.write(json.dumps(line) + "\\n")
        print("recorded the callback")

    @dag(
        schedule=None,
        start_date=pendulum.datetime(2024, 1, 1),
        catchup=False,
        params={"who": "world"},
        on_success_callback=[broken, record],
        on_failure_callback=record,
    )
    def with_callbacks():
        @task
        def work(params=None):
            if params["who"] == "fail":
                raise ValueError("asked to fail")
            return "hello " + params["who"]

        @task
        def after(value):
            return value

        after(work())

    with_callbacks()
"""

HANGING = """
    import time
    import pendulum
    from airflow.sdk import dag, task

    def hang(context):
        time.sleep(600)

    @dag(
        schedule=None,
        start_date=pendulum.datetime(2024, 1, 1),
        catchup=False,
        on_success_callback=hang,
    )
    def hanging_callback():
        @task
        def work():
            return 1

        work()

    hanging_callback()
"""


def _records(path: Path) -> dict[str, dict[str, Any]]:
    if not path.exists():
        return {}
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    return {line["run_id"]: line for line in lines}


def _callbacks_log(stack: EngineStack, dag_id: str, run_id: str) -> Path:
    return stack.home / "logs" / f"dag_id={dag_id}" / f"run_id={run_id}" / "dag_callbacks.log"


def test_dag_callbacks_run_with_the_runs_context(stack: EngineStack, tmp_path: Path) -> None:
    out = tmp_path / "callbacks.jsonl"
    write_dag(stack.dags_folder, "with_callbacks", RECORDING, out=str(out))
    stack.start("dag-processor")
    stack.start("scheduler")
    assert stack.cli("variables", "set", "greeting", "hi").returncode == 0
    stack.wait_parsed("with_callbacks")
    ok = stack.trigger("with_callbacks", "ok_run", conf={"who": "you"})
    failing = stack.trigger("with_callbacks", "failing_run", conf={"who": "fail"})
    assert stack.wait_run("with_callbacks", ok) == "success"
    assert stack.wait_run("with_callbacks", failing) == "failed"

    records = wait_for(
        lambda: (r := _records(out)).keys() >= {ok, failing} and r, 30, "both callbacks", stack
    )
    assert records[ok] == {
        "dag_id": "with_callbacks",
        "run_id": ok,
        "reason": "success",
        "state": "success",
        "conf": {"who": "you"},
        "who": "you",
        "task": "after",
        "xcom": "hello you",
        "ds": records[ok]["ds"],
        "variable": "hi",
        "db_url_visible": False,
    }
    assert records[ok]["ds"]
    assert records[failing]["reason"] == "task_failure"
    assert records[failing]["state"] == "failed"
    assert records[failing]["task"] == "work"  # the task that failed
    assert records[failing]["xcom"] is None

    log = wait_for(
        lambda: (
            "recorded the callback" in (t := _read(_callbacks_log(stack, "with_callbacks", ok)))
            and t
        ),
        10,
        "the callback's log",
        stack,
    )
    assert "Running the on_success_callback of run ok_run (reason: success)" in log
    assert "Error when executing on_success_callback callback" in log
    assert "RuntimeError: this callback is broken" in log
    failing_log = _read(_callbacks_log(stack, "with_callbacks", failing))
    assert (
        "Running the on_failure_callback of run failing_run (reason: task_failure)" in failing_log
    )


def _read(path: Path) -> str:
    return path.read_text() if path.exists() else ""


def test_a_hanging_callback_is_killed_and_the_scheduler_carries_on(stack: EngineStack) -> None:
    write_dag(stack.dags_folder, "hanging_callback", HANGING)
    stack.env["SLIPSTREAM__DAG_PROCESSOR__DAG_FILE_PROCESSOR_TIMEOUT"] = "2"
    stack.start("dag-processor")
    scheduler = stack.start("scheduler")
    stack.wait_parsed("hanging_callback")
    first = stack.trigger("hanging_callback", "first")
    assert stack.wait_run("hanging_callback", first) == "success"
    second = stack.trigger("hanging_callback", "second")  # while the first callback hangs
    assert stack.wait_run("hanging_callback", second) == "success"

    log_path = _callbacks_log(stack, "hanging_callback", first)
    log = wait_for(lambda: "killed by signal" in (t := _read(log_path)) and t, 15, "the kill")
    assert "ran longer than 2 s" in log
    assert "The callback process was killed by signal SIGKILL" in log
    assert scheduler.poll() is None

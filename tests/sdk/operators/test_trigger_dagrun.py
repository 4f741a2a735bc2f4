"""TriggerDagRunOperator: triggering through the task instance, the run-id XCom, waiting."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pendulum
import pytest

from slipstream.core.exceptions import (
    AirflowException,
    AirflowSkipException,
    UnsupportedFeatureError,
)
from slipstream.sdk.operators.trigger_dagrun import XCOM_RUN_ID, TriggerDagRunOperator


def test_triggers_and_pushes_the_run_id(make_context: Any, make_ti: Any) -> None:
    op = TriggerDagRunOperator(
        task_id="trigger",
        trigger_dag_id="target",
        trigger_run_id="my_run",
        conf={"k": 1},
        logical_date="2024-01-02T03:04:05",
        reset_dag_run=True,
    )
    ti = make_ti(op)
    assert op.execute(make_context(op, ti)) is None
    call = ti.triggered[0]
    assert call["dag_id"] == "target"
    assert call["run_id"] == "my_run"
    assert call["conf"] == {"k": 1}
    assert call["logical_date"] == pendulum.datetime(2024, 1, 2, 3, 4, 5, tz="UTC")
    assert call["reset_dag_run"] is True
    assert ti.xcoms[XCOM_RUN_ID] == "my_run"
    assert ti.state_checks == []


def test_default_run_id_and_logical_date(make_context: Any, make_ti: Any) -> None:
    op = TriggerDagRunOperator(task_id="trigger", trigger_dag_id="target")
    ti = make_ti(op)
    before = pendulum.now("UTC")
    op.execute(make_context(op, ti))
    call = ti.triggered[0]
    assert before <= call["logical_date"] <= pendulum.now("UTC")
    assert call["run_id"] == f"manual__{call['logical_date'].isoformat()}"
    assert ti.xcoms[XCOM_RUN_ID] == call["run_id"]


def test_no_logical_date(make_context: Any, make_ti: Any) -> None:
    op = TriggerDagRunOperator(task_id="trigger", trigger_dag_id="target", logical_date=None)
    ti = make_ti(op)
    op.execute(make_context(op, ti))
    assert ti.triggered[0]["logical_date"] is None
    assert ti.triggered[0]["run_id"].startswith("manual__")


def test_conf_json_string_and_non_serializable_conf(make_context: Any, make_ti: Any) -> None:
    op = TriggerDagRunOperator(task_id="trigger", trigger_dag_id="t", conf='{"a": [1, 2]}')
    ti = make_ti(op)
    op.execute(make_context(op, ti))
    assert ti.triggered[0]["conf"] == {"a": [1, 2]}
    bad = TriggerDagRunOperator(task_id="bad", trigger_dag_id="t", conf={"when": dt.date.today()})
    with pytest.raises(ValueError, match="JSON Serializable"):
        bad.execute(make_context(bad))


def test_wait_for_completion_until_allowed_state(make_context: Any, make_ti: Any) -> None:
    op = TriggerDagRunOperator(
        task_id="trigger",
        trigger_dag_id="target",
        trigger_run_id="r1",
        wait_for_completion=True,
        poke_interval=0,
    )
    ti = make_ti(op, run_states=["queued", "running", "success"])
    op.execute(make_context(op, ti))
    assert ti.state_checks == [("target", "r1")] * 3


def test_wait_for_completion_failed_state_fails(make_context: Any, make_ti: Any) -> None:
    op = TriggerDagRunOperator(
        task_id="trigger",
        trigger_dag_id="target",
        wait_for_completion=True,
        poke_interval=0,
        allowed_states=["success", "failed"],
        failed_states=["running"],
    )
    ti = make_ti(op, run_states=["queued", "running"])
    with pytest.raises(AirflowException, match="target failed with failed states running"):
        op.execute(make_context(op, ti))


def test_existing_run(make_context: Any, make_ti: Any) -> None:
    kwargs = {"trigger_dag_id": "target", "trigger_run_id": "dup"}
    skip = TriggerDagRunOperator(task_id="skip", skip_when_already_exists=True, **kwargs)
    with pytest.raises(AirflowSkipException):
        skip.execute(make_context(skip, make_ti(skip, existing_runs=["dup"])))
    fail = TriggerDagRunOperator(task_id="fail", **kwargs)
    with pytest.raises(AirflowException, match="'dup' of DAG 'target' already exists"):
        fail.execute(make_context(fail, make_ti(fail, existing_runs=["dup"])))
    reset = TriggerDagRunOperator(task_id="reset", reset_dag_run=True, **kwargs)
    ti = make_ti(reset, existing_runs=["dup"])
    reset.execute(make_context(reset, ti))
    assert ti.xcoms[XCOM_RUN_ID] == "dup"


def test_argument_validation() -> None:
    with pytest.raises(ValueError, match="'t1': allowed_states"):
        TriggerDagRunOperator(task_id="t1", trigger_dag_id="x", allowed_states=["done"])
    with pytest.raises(TypeError, match="logical_date"):
        TriggerDagRunOperator(task_id="t2", trigger_dag_id="x", logical_date=5)
    with pytest.raises(UnsupportedFeatureError, match="fail_when_dag_is_paused"):
        TriggerDagRunOperator(task_id="t3", trigger_dag_id="x", fail_when_dag_is_paused=True)
    assert "conf" in TriggerDagRunOperator.template_fields

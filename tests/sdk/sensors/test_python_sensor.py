"""PythonSensor and `@task.sensor`."""

from __future__ import annotations

from typing import Any

import pytest

from slipstream.core.exceptions import AirflowSensorTimeout
from slipstream.sdk import DAG, PokeReturnValue, task
from slipstream.sdk.decorators.sensor import DecoratedSensorOperator
from slipstream.sdk.sensors.python import PythonSensor


def test_python_sensor_passes_arguments_and_context(make_context: Any) -> None:
    calls: list[tuple[Any, ...]] = []

    def ready(limit: int, *, step: int, ds: str, templates_dict: Any) -> bool:
        calls.append((limit, step, ds, templates_dict))
        return len(calls) >= limit

    op = PythonSensor(
        task_id="py",
        python_callable=ready,
        op_args=[3],
        op_kwargs={"step": 1},
        templates_dict={"t": "v"},
        poke_interval=0.01,
    )
    assert op.execute(make_context(op)) is None
    assert calls == [(3, 1, "2024-03-05", {"t": "v"})] * 3


def test_python_sensor_poke_return_value(make_context: Any) -> None:
    op = PythonSensor(
        task_id="prv",
        python_callable=lambda: PokeReturnValue(is_done=True, xcom_value="found"),
    )
    assert op.execute(make_context(op)) == "found"


def test_python_sensor_times_out(make_context: Any) -> None:
    op = PythonSensor(task_id="never", python_callable=lambda: 0, poke_interval=0.01, timeout=0.03)
    with pytest.raises(AirflowSensorTimeout):
        op.execute(make_context(op))


def test_task_sensor_decorator(make_context: Any) -> None:
    seen: list[int] = []

    with DAG("sensor_deco", schedule=None):

        @task.sensor(poke_interval=0.01, timeout=5, mode="poke")
        def wait_for(target: int, ti: Any = None) -> PokeReturnValue:
            seen.append(ti.task_id == "wait_for")
            return PokeReturnValue(is_done=len(seen) >= target, xcom_value={"pokes": len(seen)})

        ref = wait_for(2)
    op = ref.operator
    assert isinstance(op, DecoratedSensorOperator)
    assert op.custom_operator_name == "@task.sensor"
    assert (op.poke_interval, op.timeout, op.mode) == (0.01, 5.0, "poke")
    assert op.multiple_outputs is False
    assert op.execute(make_context(op)) == {"pokes": 2}
    assert seen == [True, True]


def test_task_sensor_reschedule_mode_and_bool_return(make_context: Any) -> None:
    with DAG("sensor_deco_bool", schedule=None):

        @task.sensor(mode="reschedule", soft_fail=True)
        def ready() -> bool:
            return True

        op = ready().operator
    assert op.reschedule and op.soft_fail
    assert op.execute(make_context(op)) is None

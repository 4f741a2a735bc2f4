"""The operator behind `@task.sensor`: the decorated function is the sensor's poke."""

from __future__ import annotations

from typing import Any

from slipstream.sdk.sensors.python import PythonSensor


class DecoratedSensorOperator(PythonSensor):
    """Pokes the decorated function (arguments and context values by name, as for `@task`).

    It returns a bool or a `PokeReturnValue`; once done, the `PokeReturnValue.xcom_value` is the
    task's return value. Sensor arguments (`poke_interval`, `timeout`, `mode`, `soft_fail`, …)
    come from the decorator. As in Airflow, `multiple_outputs` is always off for sensors.
    """

    template_fields = ("op_args", "op_kwargs")
    template_fields_renderers = {"op_args": "py", "op_kwargs": "py"}
    custom_operator_name = "@task.sensor"
    _is_decorated = True

    def __init__(self, *, multiple_outputs: bool = False, **kwargs: Any) -> None:
        super().__init__(multiple_outputs=False, **kwargs)

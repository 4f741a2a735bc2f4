"""PythonSensor: pokes a Python callable until it returns a truthy value."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

from slipstream.sdk.operators.python import determine_kwargs
from slipstream.sdk.sensors.base import BaseSensorOperator, PokeReturnValue

__all__ = ["PythonSensor"]


class PythonSensor(BaseSensorOperator):
    """Calls `python_callable(*op_args, **op_kwargs)` on every poke; done when it returns a truthy
    value, or a `PokeReturnValue` whose `xcom_value` then becomes the task's return value.

    Context values are passed to the callable by parameter name, as for `PythonOperator`.
    """

    template_fields: Sequence[str] = ("templates_dict", "op_args", "op_kwargs")
    template_fields_renderers = {"templates_dict": "json", "op_args": "py", "op_kwargs": "py"}

    def __init__(
        self,
        *,
        python_callable: Callable[..., Any],
        op_args: Collection[Any] | None = None,
        op_kwargs: Mapping[str, Any] | None = None,
        templates_dict: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if not callable(python_callable):
            raise TypeError(
                f"Task '{self.task_id}': python_callable must be callable, got {python_callable!r}"
            )
        self.python_callable = python_callable
        self.op_args = list(op_args or [])
        self.op_kwargs = dict(op_kwargs or {})
        self.templates_dict = templates_dict

    def poke(self, context: Any) -> PokeReturnValue:
        merged = {**context, **self.op_kwargs, "templates_dict": self.templates_dict}
        kwargs = determine_kwargs(self.python_callable, self.op_args, merged)
        self.log.info("Poking callable: %s", self.python_callable)
        result = self.python_callable(*self.op_args, **kwargs)
        if isinstance(result, PokeReturnValue):
            return result
        return PokeReturnValue(bool(result))

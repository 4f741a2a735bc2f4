"""The operators behind `@task`, `@task.branch` and `@task.short_circuit`."""

from __future__ import annotations

from typing import Any

from slipstream.sdk.operators.python import (
    BranchPythonOperator,
    PythonOperator,
    ShortCircuitOperator,
)


class _PythonDecoratedOperator(PythonOperator):
    custom_operator_name = "@task"
    _is_decorated = True

    def __init__(self, *, multiple_outputs: bool = False, **kwargs: Any) -> None:
        super().__init__(multiple_outputs=multiple_outputs, **kwargs)


class _BranchPythonDecoratedOperator(BranchPythonOperator):
    custom_operator_name = "@task.branch"
    _is_decorated = True


class _ShortCircuitDecoratedOperator(ShortCircuitOperator):
    custom_operator_name = "@task.short_circuit"
    _is_decorated = True

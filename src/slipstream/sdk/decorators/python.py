"""The operators behind `@task`, `@task.branch` and `@task.short_circuit`."""

from __future__ import annotations

from slipstream.sdk.operators.python import (
    BranchPythonOperator,
    PythonOperator,
    ShortCircuitOperator,
)


class _PythonDecoratedOperator(PythonOperator):
    custom_operator_name = "@task"
    _is_decorated = True


class _BranchPythonDecoratedOperator(BranchPythonOperator):
    custom_operator_name = "@task.branch"
    _is_decorated = True


class _ShortCircuitDecoratedOperator(ShortCircuitOperator):
    custom_operator_name = "@task.short_circuit"
    _is_decorated = True

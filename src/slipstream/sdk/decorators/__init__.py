"""`@task` and its variants, `@setup` and `@teardown`: the TaskFlow API."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slipstream.sdk.decorators.base import TaskDecorator, make_decorator


def _python() -> type:
    from slipstream.sdk.decorators.python import _PythonDecoratedOperator

    return _PythonDecoratedOperator


def _branch() -> type:
    from slipstream.sdk.decorators.python import _BranchPythonDecoratedOperator

    return _BranchPythonDecoratedOperator


def _short_circuit() -> type:
    from slipstream.sdk.decorators.python import _ShortCircuitDecoratedOperator

    return _ShortCircuitDecoratedOperator


def _bash() -> type:
    from slipstream.sdk.decorators.bash import _BashDecoratedOperator

    return _BashDecoratedOperator


def _sensor() -> type:
    from slipstream.sdk.decorators.sensor import DecoratedSensorOperator

    return DecoratedSensorOperator


def _unsupported(name: str) -> Callable[..., Any]:
    def decorator(*args: Any, **kwargs: Any) -> Any:
        from slipstream.core.exceptions import UnsupportedFeatureError

        raise UnsupportedFeatureError(f"Slipstream does not support @task.{name} yet")

    return decorator


class TaskDecoratorCollection:
    """`task`: `@task`, `@task.python`, `@task.branch`, `@task.short_circuit`, `@task.bash`,
    `@task.sensor`."""

    python = staticmethod(make_decorator(_python))
    branch = staticmethod(make_decorator(_branch))
    short_circuit = staticmethod(make_decorator(_short_circuit))
    bash = staticmethod(make_decorator(_bash))
    sensor = staticmethod(make_decorator(_sensor))

    def __call__(
        self, python_callable: Any = None, multiple_outputs: bool | None = None, **kwargs: Any
    ) -> Any:
        return self.python(python_callable, multiple_outputs=multiple_outputs, **kwargs)

    def __getattr__(self, name: str) -> Any:
        if name in {
            "virtualenv",
            "external_python",
            "docker",
            "kubernetes",
            "branch_virtualenv",
            "branch_external_python",
            "pyspark",
            "snowpark",
            "run_if",
            "skip_if",
        }:
            return _unsupported(name)
        raise AttributeError(f"task has no decorator '{name}'")


task = TaskDecoratorCollection()


def setup(func: Any = None, **kwargs: Any) -> Any:
    """`@setup`: a task that prepares resources; teardowns downstream run even after failures."""

    def wrap(f: Any) -> TaskDecorator:
        decorated = f if isinstance(f, TaskDecorator) else task(f, **kwargs)
        return _SetupTeardownDecorator(decorated, setup=True)

    return wrap(func) if func is not None else wrap


def teardown(func: Any = None, *, on_failure_fail_dagrun: bool = False, **kwargs: Any) -> Any:
    """`@teardown`: a task that releases resources; runs once its setups and work are done."""

    def wrap(f: Any) -> TaskDecorator:
        decorated = f if isinstance(f, TaskDecorator) else task(f, **kwargs)
        return _SetupTeardownDecorator(
            decorated, setup=False, on_failure_fail_dagrun=on_failure_fail_dagrun
        )

    return wrap(func) if func is not None else wrap


class _SetupTeardownDecorator(TaskDecorator):
    def __init__(
        self, inner: TaskDecorator, *, setup: bool, on_failure_fail_dagrun: bool = False
    ) -> None:
        super().__init__(inner.function, inner.operator_class, inner.multiple_outputs, inner.kwargs)
        self._setup = setup
        self._fail_dagrun = on_failure_fail_dagrun

    def override(self, **kwargs: Any) -> TaskDecorator:
        inner = TaskDecorator(
            self.function, self.operator_class, self.multiple_outputs, self.kwargs
        ).override(**kwargs)
        return _SetupTeardownDecorator(
            inner, setup=self._setup, on_failure_fail_dagrun=self._fail_dagrun
        )

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        ref = super().__call__(*args, **kwargs)
        operator = ref.operator
        if self._setup:
            operator.as_setup()
        else:
            operator.as_teardown(on_failure_fail_dagrun=self._fail_dagrun)
        return ref


__all__ = ["setup", "task", "teardown"]

"""How a decorated function becomes a task: ids, argument binding, `.override()` and mapping."""

from __future__ import annotations

import contextlib
import functools
import inspect
import re
import typing
import weakref
from collections.abc import Callable
from types import FunctionType
from typing import Any

from slipstream.sdk.dag_definition import DagContext
from slipstream.sdk.taskgroup import TaskGroupContext
from slipstream.sdk.xcom_arg import PlainXComArg, XComArg


def unique_task_id(task_id: str, dag: Any, task_group: Any) -> str:
    """Airflow's rule for a decorated task used twice: `name`, `name__1`, `name__2`, …"""
    if dag is None:
        return task_id
    group = task_group or TaskGroupContext.current(dag)
    full = group.child_id(task_id) if group is not None else task_id
    if full not in dag.task_dict:
        return task_id
    core = re.split(r"__\d+$", task_id)[0]
    full_core = group.child_id(core) if group is not None else core
    pattern = re.compile(rf"^{re.escape(full_core)}__(\d+)$")
    suffixes = [int(m.group(1)) for tid in dag.task_dict if (m := pattern.match(tid))]
    return f"{core}__{max(suffixes, default=0) + 1}"


def infer_multiple_outputs(function: Callable[..., Any]) -> bool:
    """A function annotated to return a dict pushes each key as its own XCom, as in Airflow."""
    try:
        hints = typing.get_type_hints(function)
    except Exception:
        return False
    ret = hints.get("return")
    if ret is None:
        return False
    origin = typing.get_origin(ret) or ret
    return origin in (dict, typing.Dict) or (  # noqa: UP006
        isinstance(origin, type) and issubclass(origin, dict) and origin is not type(None)
    )


_SIGNATURES: weakref.WeakKeyDictionary[Callable[..., Any], _Signature] = weakref.WeakKeyDictionary()


class _Signature:
    """A function's signature, with what tells at once that a call binds: a DAG file may call one
    decorated function (or its `override` copies) for thousands of tasks."""

    __slots__ = ("keyword_names", "max_positional", "positional_names", "signature")

    def __init__(self, signature: inspect.Signature) -> None:
        params = list(signature.parameters.values())
        self.signature = signature
        self.positional_names = tuple(
            p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        )
        var_positional = any(p.kind == p.VAR_POSITIONAL for p in params)
        self.max_positional = None if var_positional else len(self.positional_names)
        self.keyword_names = frozenset(
            p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
        )

    def binds(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
        """True if `bind_partial(*args, **kwargs)` surely succeeds (False: ask it)."""
        if self.max_positional is not None and len(args) > self.max_positional:
            return False
        if not kwargs:
            return True
        taken = self.positional_names[: len(args)]
        return all(k in self.keyword_names and k not in taken for k in kwargs)


def _signature_info(function: Callable[..., Any]) -> _Signature:
    try:
        return _SIGNATURES[function]
    except (KeyError, TypeError):
        pass
    info = _Signature(inspect.signature(function))
    with contextlib.suppress(TypeError):  # not weakly referenceable: not cached
        _SIGNATURES[function] = info
    return info


def _signature(function: Callable[..., Any]) -> inspect.Signature:
    """`inspect.signature(function)`, computed once per function."""
    return _signature_info(function).signature


_STANDARD_WRAPPER_ATTRIBUTES = functools.WRAPPER_ASSIGNMENTS == (
    "__module__",
    "__name__",
    "__qualname__",
    "__doc__",
    "__annotations__",
) and functools.WRAPPER_UPDATES == ("__dict__",)


class TaskDecorator:
    """A function wrapped by `@task` (or a variant); calling it inside a DAG creates a task."""

    def __init__(
        self,
        function: Callable[..., Any],
        operator_class: type,
        multiple_outputs: bool | None = None,
        kwargs: dict[str, Any] | None = None,
    ) -> None:
        if not callable(function):
            raise TypeError(f"@task needs a function, got {function!r}")
        self.function = function
        self.operator_class = operator_class
        self.kwargs = dict(kwargs or {})
        if multiple_outputs is None:
            multiple_outputs = infer_multiple_outputs(function)
        self.multiple_outputs = multiple_outputs
        if function.__class__ is FunctionType and _STANDARD_WRAPPER_ATTRIBUTES:
            # `functools.update_wrapper(self, function)`, spelled out: a plain function has
            # every attribute it copies, and `.override()` builds one decorator per task.
            self.__module__ = function.__module__
            self.__name__ = function.__name__
            self.__qualname__ = function.__qualname__
            self.__doc__ = function.__doc__
            self.__annotations__ = function.__annotations__
            if function.__dict__:
                self.__dict__.update(function.__dict__)
            self.__wrapped__ = function
        else:
            functools.update_wrapper(self, function)

    @property
    def task_id(self) -> str:
        return self.kwargs.get("task_id") or self.function.__name__

    def override(self, **kwargs: Any) -> TaskDecorator:
        """A copy with other operator arguments (task_id, retries, trigger_rule, …)."""
        multiple_outputs = kwargs.pop("multiple_outputs", self.multiple_outputs)
        return type(self)(
            self.function, self.operator_class, multiple_outputs, {**self.kwargs, **kwargs}
        )

    def _operator_kwargs(self) -> dict[str, Any]:
        kwargs = dict(self.kwargs)
        dag = kwargs.get("dag") or DagContext.current()
        kwargs["task_id"] = unique_task_id(self.task_id, dag, kwargs.get("task_group"))
        kwargs.setdefault("multiple_outputs", self.multiple_outputs)
        if "doc_md" not in kwargs and self.function.__doc__:
            kwargs["doc_md"] = inspect.cleandoc(self.function.__doc__)
        return kwargs

    def __call__(self, *args: Any, **kwargs: Any) -> PlainXComArg:
        self._check_arguments(args, kwargs)
        operator = self.operator_class(
            python_callable=self.function,
            op_args=list(args),
            op_kwargs=kwargs,
            **self._operator_kwargs(),
        )
        return PlainXComArg(operator)

    def _check_arguments(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        info = _signature_info(self.function)
        if info.binds(args, kwargs):
            return
        try:
            info.signature.bind_partial(*args, **kwargs)
        except TypeError as err:
            raise TypeError(f"@task {self.function.__name__}(): {err}") from None

    # --- mapping ---------------------------------------------------------------------

    def partial(self, **kwargs: Any) -> Any:
        """Fix some of the function's arguments; `.expand()` maps over the others."""
        from slipstream.sdk.mapping import OperatorPartial

        self._check_arguments((), kwargs)
        op_kwargs = self._operator_kwargs()
        op_kwargs.update(python_callable=self.function, op_args=[], op_kwargs=kwargs)
        return _DecoratedPartial(
            self, OperatorPartial(self.operator_class, op_kwargs, expand_target="op_kwargs")
        )

    def expand(self, **kwargs: Any) -> Any:
        return self.partial().expand(**kwargs)

    def expand_kwargs(self, value: Any) -> Any:
        return self.partial().expand_kwargs(value)


class _DecoratedPartial:
    def __init__(self, decorator: TaskDecorator, partial: Any) -> None:
        self.decorator = decorator
        self.partial = partial

    def expand(self, **kwargs: Any) -> XComArg:
        signature = _signature(self.decorator.function)
        accepts_var = any(p.kind == p.VAR_KEYWORD for p in signature.parameters.values())
        unknown = [k for k in kwargs if k not in signature.parameters and not accepts_var]
        if unknown:
            raise TypeError(
                f"@task {self.decorator.function.__name__}.expand() got unexpected "
                f"argument(s): {', '.join(unknown)}"
            )
        return XComArg(self.partial.expand(**kwargs))

    def expand_kwargs(self, value: Any) -> XComArg:
        return XComArg(self.partial.expand_kwargs(value))


def make_decorator(
    operator_class_getter: Callable[[], type], **defaults: Any
) -> Callable[..., Any]:
    """Build a `@task.<variant>` decorator usable bare or with arguments."""

    def decorator(python_callable: Any = None, multiple_outputs: bool | None = None, **kwargs: Any):
        def wrap(function: Callable[..., Any]) -> TaskDecorator:
            return TaskDecorator(
                function, operator_class_getter(), multiple_outputs, {**defaults, **kwargs}
            )

        if python_callable is not None:
            return wrap(python_callable)
        return wrap

    return decorator

"""Python callables as tasks: PythonOperator, BranchPythonOperator, ShortCircuitOperator."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import Any

from slipstream.sdk.baseoperator import BaseOperator


def determine_kwargs(
    func: Callable[..., Any], args: Collection[Any], kwargs: Mapping[str, Any]
) -> dict[str, Any]:
    """The keyword arguments `func` accepts out of `kwargs` (op_kwargs merged into the context).

    A function with `**kwargs` gets everything; otherwise only the names it declares, minus the
    ones already filled positionally by `args`.
    """
    signature = inspect.signature(func)
    params = list(signature.parameters.values())
    if any(p.kind == p.VAR_KEYWORD for p in params):
        positional = {p.name for p in params[: len(args)] if p.kind != p.VAR_POSITIONAL}
        return {k: v for k, v in kwargs.items() if k not in positional}
    names = [
        p.name
        for p in params
        if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and p.kind != p.VAR_POSITIONAL
    ]
    filled = (
        set(names[: len(args)]) if not any(p.kind == p.VAR_POSITIONAL for p in params) else set()
    )
    return {k: kwargs[k] for k in names if k in kwargs and k not in filled}


class PythonOperator(BaseOperator):
    """Calls `python_callable(*op_args, **op_kwargs)`, passing context values it names."""

    template_fields: Sequence[str] = ("templates_dict", "op_args", "op_kwargs")
    template_fields_renderers = {"templates_dict": "json", "op_args": "py", "op_kwargs": "py"}
    ui_color = "#ffefeb"

    def __init__(
        self,
        *,
        python_callable: Callable[..., Any],
        op_args: Collection[Any] | None = None,
        op_kwargs: Mapping[str, Any] | None = None,
        templates_dict: dict[str, Any] | None = None,
        templates_exts: list[str] | None = None,
        show_return_value_in_logs: bool = True,
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
        if templates_exts:
            self.template_ext = templates_exts
        self.show_return_value_in_logs = show_return_value_in_logs

    def execute(self, context: Any) -> Any:
        merged = {**context, **self.op_kwargs, "templates_dict": self.templates_dict}
        kwargs = determine_kwargs(self.python_callable, self.op_args, merged)
        return_value = self.execute_callable(kwargs)
        if self.show_return_value_in_logs:
            self.log.info("Done. Returned value was: %s", return_value)
        else:
            self.log.info("Done. Returned value not shown")
        return return_value

    def execute_callable(self, kwargs: dict[str, Any]) -> Any:
        return self.python_callable(*self.op_args, **kwargs)


class BranchMixin:
    """Follows the returned task ids (or task group ids) and skips the other direct children."""

    def do_branch(self, context: Any, branches: str | Iterable[str] | None) -> Any:
        """Tell the runner which ids (tasks or task groups) to follow; it skips the rest."""
        if branches is None:
            branches = []
        elif isinstance(branches, str):
            branches = [branches]
        else:
            branches = list(branches)
        self.log.info("Branch %s follows %s", self.task_id, branches)  # type: ignore[attr-defined]
        context["ti"].follow_branches(branches)
        return branches


class BranchPythonOperator(BranchMixin, PythonOperator):
    """A PythonOperator whose callable returns the task id(s) to follow."""

    def execute(self, context: Any) -> Any:
        return self.do_branch(context, super().execute(context))


class ShortCircuitOperator(PythonOperator):
    """Skips downstream tasks when the callable returns a falsy value."""

    def __init__(self, *, ignore_downstream_trigger_rules: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.ignore_downstream_trigger_rules = ignore_downstream_trigger_rules

    def execute(self, context: Any) -> Any:
        condition = super().execute(context)
        self.log.info("Condition result is %s", condition)
        if condition:
            self.log.info("Proceeding with downstream tasks...")
            return condition
        self.log.info("Skipping downstream tasks")
        context["ti"].short_circuit(self.ignore_downstream_trigger_rules)
        return condition


def get_current_context() -> Any:
    """The running task's context (only valid while a task executes)."""
    from slipstream.sdk.context import get_current_context as current

    return current()

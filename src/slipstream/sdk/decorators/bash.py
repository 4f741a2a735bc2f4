"""The operator behind `@task.bash`: the function returns the Bash command to run."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Collection, Mapping
from typing import Any

from slipstream.sdk.operators.bash import BashOperator, is_script_file
from slipstream.sdk.operators.python import determine_kwargs


class _BashDecoratedOperator(BashOperator):
    """Calls the decorated function at run time (arguments and context values by name, as for
    `@task`), renders the returned string as a Jinja template with the task's context, and runs
    it like `BashOperator`. The function must return a non-empty string."""

    template_fields = ("op_args", "op_kwargs", *BashOperator.template_fields)
    template_fields_renderers = {
        "op_args": "py",
        "op_kwargs": "py",
        **BashOperator.template_fields_renderers,
    }
    custom_operator_name = "@task.bash"
    _is_decorated = True

    def __init__(
        self,
        *,
        python_callable: Callable[..., Any],
        op_args: Collection[Any] | None = None,
        op_kwargs: Mapping[str, Any] | None = None,
        multiple_outputs: bool = False,
        **kwargs: Any,
    ) -> None:
        if multiple_outputs:
            warnings.warn(
                f"`multiple_outputs=True` is not supported in {self.custom_operator_name} "
                "tasks. Ignoring.",
                UserWarning,
                stacklevel=3,
            )
        super().__init__(bash_command=None, multiple_outputs=False, **kwargs)
        self.python_callable = python_callable
        self.op_args = list(op_args or [])
        self.op_kwargs = dict(op_kwargs or {})

    def execute(self, context: Any) -> Any:
        merged = {**context, **self.op_kwargs}
        kwargs = determine_kwargs(self.python_callable, self.op_args, merged)
        command = self.python_callable(*self.op_args, **kwargs)
        if not isinstance(command, str) or not command.strip():
            raise TypeError(
                f"Task '{self.task_id}': the @task.bash function must return a non-empty string "
                f"(the Bash command to run), got {command!r}"
            )
        self._is_inline_cmd = not is_script_file(command)
        self.bash_command = self.render_template(command, context)
        return super().execute(context)

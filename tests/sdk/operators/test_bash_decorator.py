"""`@task.bash`: the function returns the command, which is rendered and run like BashOperator."""

from __future__ import annotations

from typing import Any

import pytest

from slipstream.core.exceptions import AirflowSkipException
from slipstream.sdk import DAG, task
from slipstream.sdk.decorators.bash import _BashDecoratedOperator


def test_returned_command_is_rendered_and_run(make_context: Any) -> None:
    with DAG("bash_deco", schedule=None, params={"who": "world"}):

        @task.bash
        def greet(greeting: str) -> str:
            return f"echo {greeting}; echo '{{{{ params.who }}}} {{{{ ds }}}}'"

        ref = greet("hello")
    op = ref.operator
    assert isinstance(op, _BashDecoratedOperator)
    assert op.custom_operator_name == "@task.bash"
    assert "op_kwargs" in op.template_fields and "bash_command" in op.template_fields
    context = make_context(op)
    assert op.execute(context) == "world 2024-03-05"
    assert op.bash_command == "echo hello; echo 'world 2024-03-05'"


def test_context_values_and_decorator_kwargs(make_context: Any) -> None:
    with DAG("bash_deco_ctx", schedule=None):

        @task.bash(env={"GREETING": "hi"})
        def cmd(ti: Any = None, run_id: str | None = None) -> str:
            return f'echo "$GREETING {ti.task_id} {run_id}"'

        op = cmd().operator
    assert op.execute(make_context(op)) == "hi cmd manual__2024-03-05T00:00:00+00:00"


def test_skip_exit_code(make_context: Any) -> None:
    with DAG("bash_deco_skip", schedule=None):

        @task.bash
        def skipper() -> str:
            return "exit 99"

        op = skipper().operator
    with pytest.raises(AirflowSkipException):
        op.execute(make_context(op))


@pytest.mark.parametrize("returned", ["", "   ", None, 5])
def test_non_string_or_empty_return_is_a_type_error(make_context: Any, returned: Any) -> None:
    with DAG("bash_deco_bad", schedule=None):

        @task.bash
        def bad() -> Any:
            return returned

        op = bad().operator
    with pytest.raises(TypeError, match=r"'bad'.*non-empty string"):
        op.execute(make_context(op))


def test_multiple_outputs_is_ignored_with_a_warning() -> None:
    with DAG("bash_deco_mo", schedule=None):

        @task.bash(multiple_outputs=True)
        def multi() -> str:
            return "echo x"

        with pytest.warns(UserWarning, match="multiple_outputs"):
            op = multi().operator
    assert op.multiple_outputs is False

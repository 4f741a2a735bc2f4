"""BashOperator: command execution, environment, cwd, exit codes and the last-line XCom."""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from slipstream.core.exceptions import AirflowException, AirflowSkipException
from slipstream.sdk import DAG
from slipstream.sdk.operators.bash import BashOperator, context_env_vars


def run(make_context: Any, **kwargs: Any) -> Any:
    op = BashOperator(task_id="bash", **kwargs)
    return op.execute(make_context(op))


def test_airflow_class_attributes() -> None:
    assert BashOperator.template_fields == ("bash_command", "env", "cwd")
    assert BashOperator.template_ext == (".sh", ".bash")


def test_returns_last_line_of_output(make_context: Any) -> None:
    assert run(make_context, bash_command="echo first; echo second") == "second"


def test_stderr_is_merged_and_logged(make_context: Any, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO):
        result = run(make_context, bash_command="echo out; echo err >&2")
    assert result == "err"
    messages = [r.getMessage() for r in caplog.records]
    assert "out" in messages and "err" in messages


def test_output_processor(make_context: Any) -> None:
    result = run(
        make_context,
        bash_command="echo '{\"a\": 1}'",
        output_processor=json.loads,
    )
    assert result == {"a": 1}


def test_env_replaces_the_worker_environment(
    make_context: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLIP_OUTER", "outer")
    result = run(make_context, bash_command='echo "$FOO-${SLIP_OUTER:-unset}"', env={"FOO": "bar"})
    assert result == "bar-unset"


def test_append_env_merges_over_the_worker_environment(
    make_context: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLIP_OUTER", "outer")
    result = run(
        make_context,
        bash_command='echo "$SLIP_OUTER-$FOO"',
        env={"FOO": "bar"},
        append_env=True,
    )
    assert result == "outer-bar"


def test_worker_environment_is_inherited_without_env(
    make_context: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLIP_OUTER", "outer")
    assert run(make_context, bash_command="echo $SLIP_OUTER") == "outer"


def test_context_variables_are_exported(make_context: Any, make_ti: Any) -> None:
    with DAG("ctx_dag", schedule=None):
        op = BashOperator(task_id="ctx", bash_command="unused", owner="ann")
    ti = make_ti(op, try_number=2)
    context = make_context(op, ti)
    op.bash_command = (
        'echo "$AIRFLOW_CTX_DAG_ID $SLIPSTREAM_CTX_TASK_ID $AIRFLOW_CTX_TRY_NUMBER '
        '$AIRFLOW_CTX_DAG_RUN_ID $AIRFLOW_CTX_LOGICAL_DATE $AIRFLOW_CTX_DAG_OWNER"'
    )
    assert op.execute(context) == (
        "ctx_dag ctx 2 manual__2024-03-05T00:00:00+00:00 2024-03-05T00:00:00+00:00 ann"
    )
    env = context_env_vars(context)
    assert env["SLIPSTREAM_CTX_DAG_ID"] == env["AIRFLOW_CTX_DAG_ID"] == "ctx_dag"


def test_env_values_must_be_strings(make_context: Any) -> None:
    with pytest.raises(TypeError, match=r"'bash'.*env"):
        run(make_context, bash_command="true", env={"N": 1})


def test_cwd_is_used(make_context: Any, tmp_path: Path) -> None:
    assert Path(run(make_context, bash_command="pwd -P", cwd=str(tmp_path))) == tmp_path.resolve()


def test_default_cwd_is_a_temporary_directory_removed_afterwards(make_context: Any) -> None:
    used = run(make_context, bash_command="pwd")
    assert used != os.getcwd()
    assert not os.path.exists(used)


def test_missing_cwd_fails_naming_it(make_context: Any, tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    with pytest.raises(AirflowException, match=f"can not find the cwd: {missing}"):
        run(make_context, bash_command="true", cwd=str(missing))


def test_cwd_must_be_a_directory(make_context: Any, tmp_path: Path) -> None:
    file = tmp_path / "file.txt"
    file.write_text("x")
    with pytest.raises(AirflowException, match=f"{file} must be a directory"):
        run(make_context, bash_command="true", cwd=str(file))


def test_exit_99_skips(make_context: Any) -> None:
    with pytest.raises(AirflowSkipException, match="exit code 99"):
        run(make_context, bash_command="exit 99")


def test_custom_skip_codes(make_context: Any) -> None:
    with pytest.raises(AirflowSkipException):
        run(make_context, bash_command="exit 3", skip_on_exit_code=[2, 3])
    with pytest.raises(AirflowException, match="non-zero exit code 99"):
        run(make_context, bash_command="exit 99", skip_on_exit_code=None)


def test_non_zero_exit_fails_with_the_code(make_context: Any) -> None:
    with pytest.raises(AirflowException) as info:
        run(make_context, bash_command="echo partial; exit 1")
    assert not isinstance(info.value, AirflowSkipException)
    assert str(info.value) == ("Bash command failed. The command returned a non-zero exit code 1.")


def test_bash_command_must_be_a_string_at_run_time(make_context: Any) -> None:
    with pytest.raises(TypeError, match="'bash': bash_command must be a string"):
        run(make_context, bash_command=None)


def test_script_template_file_runs_its_rendered_text(make_context: Any, tmp_path: Path) -> None:
    (tmp_path / "job.sh").write_text('echo "value={{ params.x }}"\necho "sum=$((1 + 2))"\n')
    with DAG("script_dag", schedule=None, template_searchpath=str(tmp_path)):
        op = BashOperator(task_id="script", bash_command="job.sh", params={"x": 7})
    context = make_context(op)
    op.render_template_fields(context)
    assert op.bash_command.startswith('echo "value=7"')
    assert op.execute(context) == "sum=3"


def test_trailing_space_keeps_a_script_path_a_plain_command(
    make_context: Any, tmp_path: Path
) -> None:
    script = tmp_path / "run.sh"
    script.write_text('echo "ran {{ not rendered }}"\n')
    script.chmod(0o755)
    with DAG("space_dag", schedule=None):
        op = BashOperator(task_id="space", bash_command=f"{script} ")
    op.render_template_fields(make_context(op))
    assert op.execute(make_context(op)) == "ran {{ not rendered }}"


def test_on_kill_stops_the_process_group(make_context: Any) -> None:
    op = BashOperator(task_id="slow", bash_command="sleep 30 & sleep 30; wait")
    outcome: dict[str, BaseException] = {}

    def target() -> None:
        try:
            op.execute(make_context(op))
        except BaseException as err:
            outcome["error"] = err

    thread = threading.Thread(target=target)
    started = time.monotonic()
    thread.start()
    while op._process is None and time.monotonic() - started < 5:
        time.sleep(0.01)
    op.on_kill()
    thread.join(5)
    assert not thread.is_alive()
    assert isinstance(outcome["error"], AirflowException)
    assert time.monotonic() - started < 5

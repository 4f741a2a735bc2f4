"""BashOperator: runs a Bash command or script; its last line of output is the task's XCom.

Airflow 3 semantics: the command runs under `bash -c` (a `bash_command` that named a `.sh`/`.bash`
template file runs as a script holding the rendered file), in its own process group, in `cwd` or a
fresh temporary directory; stdout and stderr are merged and logged line by line. The environment is
`env` when given (merged over the worker's with `append_env=True`), else the worker's, plus the
`AIRFLOW_CTX_*` variables (and `SLIPSTREAM_CTX_*` twins). An exit code in `skip_on_exit_code`
(default 99) skips the task; any other non-zero code fails it.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Callable, Container, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from logging import Logger
from typing import Any, NamedTuple

from slipstream.core.exceptions import AirflowException, AirflowSkipException
from slipstream.sdk.baseoperator import BaseOperator

__all__ = ["BashOperator", "SubprocessResult", "context_env_vars", "run_subprocess"]

SCRIPT_EXTENSIONS = (".sh", ".bash")


class SubprocessResult(NamedTuple):
    """How a command ended: its exit code and its last line of output."""

    exit_code: int
    output: str


def run_subprocess(
    command: list[str],
    *,
    log: Logger,
    env: Mapping[str, str] | None = None,
    cwd: str | None = None,
    output_encoding: str = "utf-8",
    on_start: Callable[[subprocess.Popen[bytes]], None] | None = None,
) -> SubprocessResult:
    """Run `command` in a new process group, logging each output line (stderr merged).

    `on_start` receives the process (so `on_kill` can signal it). If this function is
    interrupted (an execution timeout, a signal), the whole process group is killed.
    """
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        cwd=cwd,
        env=env,
        close_fds=True,
        start_new_session=True,
    )
    if on_start is not None:
        on_start(process)
    last_line = ""
    try:
        assert process.stdout is not None
        with process.stdout:
            log.info("Output:")
            for raw in iter(process.stdout.readline, b""):
                last_line = raw.decode(output_encoding, errors="backslashreplace").rstrip()
                log.info("%s", last_line)
        process.wait()
    except BaseException:
        kill_process_group(process, signal.SIGKILL)
        process.wait()
        raise
    log.info("Command exited with return code %s", process.returncode)
    return SubprocessResult(process.returncode, last_line)


def kill_process_group(process: subprocess.Popen[bytes] | None, sig: int = signal.SIGTERM) -> None:
    """Send `sig` to the process group of `process` (started with its own session)."""
    if process is None or process.poll() is not None:
        return
    try:
        os.killpg(os.getpgid(process.pid), sig)
    except ProcessLookupError:
        pass


@contextmanager
def working_directory(cwd: str | None) -> Iterator[str]:
    """`cwd` itself, or a temporary directory removed afterwards when `cwd` is None."""
    if cwd is not None:
        yield cwd
        return
    with tempfile.TemporaryDirectory(prefix="slipstreamtmp") as tmp_dir:
        yield tmp_dir


_CONTEXT_VARS = (
    ("task", "email", "DAG_EMAIL"),
    ("task", "owner", "DAG_OWNER"),
    ("dag", "dag_id", "DAG_ID"),
    ("task", "task_id", "TASK_ID"),
    ("dag_run", "logical_date", "LOGICAL_DATE"),
    ("ti", "try_number", "TRY_NUMBER"),
    ("dag_run", "run_id", "DAG_RUN_ID"),
)


def context_env_vars(context: Mapping[str, Any]) -> dict[str, str]:
    """`AIRFLOW_CTX_DAG_ID`, `…_TASK_ID`, `…_LOGICAL_DATE`, `…_TRY_NUMBER`, `…_DAG_RUN_ID`,
    `…_DAG_OWNER`, `…_DAG_EMAIL` for the running task (unset values left out), each also as
    `SLIPSTREAM_CTX_*`."""
    found: dict[str, str] = {}
    for source, attr, name in _CONTEXT_VARS:
        value = getattr(context.get(source), attr, None)
        if not value:
            continue
        if isinstance(value, datetime):
            text = value.isoformat()
        elif isinstance(value, (list, tuple)):
            text = ",".join(str(v) for v in value)
        else:
            text = str(value)
        found[f"AIRFLOW_CTX_{name}"] = text
        found[f"SLIPSTREAM_CTX_{name}"] = text
    return found


def _identity(output: str) -> Any:
    return output


def _exit_codes(value: int | Container[int] | None) -> Container[int]:
    if value is None:
        return ()
    if isinstance(value, int):
        return (value,)
    return value


def is_script_file(bash_command: str) -> bool:
    """Whether `bash_command` names a script template file (which Airflow renders, then runs)."""
    return bash_command.endswith(SCRIPT_EXTENSIONS)


class BashOperator(BaseOperator):
    """Execute a Bash command, a set of commands, or a `.sh`/`.bash` script template.

    :param bash_command: the command(s), or the path of a script template (templated).
    :param env: environment of the command instead of the worker's (templated).
    :param append_env: add `env` to the worker's environment instead of replacing it.
    :param output_encoding: encoding of the command's output.
    :param skip_on_exit_code: exit code(s) that skip the task (default 99; None: none).
    :param cwd: working directory (templated); default a fresh temporary directory.
    :param output_processor: turns the last output line into the returned value.
    """

    template_fields: Sequence[str] = ("bash_command", "env", "cwd")
    template_fields_renderers = {"bash_command": "bash", "env": "json"}
    template_ext = SCRIPT_EXTENSIONS
    ui_color = "#f0ede4"

    def __init__(
        self,
        *,
        bash_command: Any,
        env: dict[str, str] | None = None,
        append_env: bool = False,
        output_encoding: str = "utf-8",
        skip_on_exit_code: int | Container[int] | None = 99,
        cwd: str | None = None,
        output_processor: Callable[[str], Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.bash_command = bash_command
        self.env = env
        self.append_env = append_env
        self.output_encoding = output_encoding
        self.skip_on_exit_code = _exit_codes(skip_on_exit_code)
        self.cwd = cwd
        self.output_processor = output_processor or _identity
        # Decided before rendering: a script path is replaced by the script's rendered text.
        self._is_inline_cmd: bool | None = (
            not is_script_file(bash_command) if isinstance(bash_command, str) else None
        )
        self._process: subprocess.Popen[bytes] | None = None

    def get_env(self, context: Mapping[str, Any]) -> dict[str, str]:
        """The environment of the command: `env` or the worker's, plus the context variables."""
        if self.env is None:
            env = dict(os.environ)
        elif self.append_env:
            env = {**os.environ, **self.env}
        else:
            env = dict(self.env)
        for key, value in env.items():
            if not isinstance(key, str) or not isinstance(value, str):
                raise TypeError(
                    f"Task '{self.task_id}': env must map strings to strings, got "
                    f"{key!r}: {value!r}"
                )
        env.update(context_env_vars(context))
        return env

    def execute(self, context: Any) -> Any:
        command = self.bash_command
        if not isinstance(command, str):
            raise TypeError(
                f"Task '{self.task_id}': bash_command must be a string, got {command!r}"
            )
        self._check_cwd()
        env = self.get_env(context)
        inline = self._is_inline_cmd if self._is_inline_cmd is not None else True
        result = self._run(command, inline=inline, env=env)
        if result.exit_code in self.skip_on_exit_code:
            raise AirflowSkipException(
                f"Bash command returned exit code {result.exit_code}. Skipping."
            )
        if result.exit_code != 0:
            raise AirflowException(
                "Bash command failed. The command returned a non-zero exit code "
                f"{result.exit_code}."
            )
        return self.output_processor(result.output)

    def _check_cwd(self) -> None:
        if self.cwd is None:
            return
        if not os.path.exists(self.cwd):
            raise AirflowException(f"Task '{self.task_id}': can not find the cwd: {self.cwd}")
        if not os.path.isdir(self.cwd):
            raise AirflowException(f"Task '{self.task_id}': the cwd {self.cwd} must be a directory")

    def _run(self, command: str, *, inline: bool, env: dict[str, str]) -> SubprocessResult:
        bash = shutil.which("bash") or "bash"
        with working_directory(self.cwd) as cwd:
            if inline:
                return self._run_command([bash, "-c", command], env=env, cwd=cwd)
            # A rendered script file: run its text from a private file, in the same cwd.
            with tempfile.TemporaryDirectory(prefix="slipstreamscript") as script_dir:
                script = os.path.join(script_dir, f"{self.task_id}.sh")
                with open(script, "w", encoding="utf-8") as handle:
                    handle.write(command)
                return self._run_command([bash, script], env=env, cwd=cwd)

    def _run_command(
        self, command: list[str], *, env: dict[str, str], cwd: str
    ) -> SubprocessResult:
        self.log.info("Running command: %s", command)

        def started(process: subprocess.Popen[bytes]) -> None:
            self._process = process

        try:
            return run_subprocess(
                command,
                log=self.log,
                env=env,
                cwd=cwd,
                output_encoding=self.output_encoding,
                on_start=started,
            )
        finally:
            self._process = None

    def on_kill(self) -> None:
        """Stop the running command and everything it started (its process group)."""
        process = self._process
        if process is not None:
            self.log.info("Sending SIGTERM to the command's process group")
            kill_process_group(process, signal.SIGTERM)

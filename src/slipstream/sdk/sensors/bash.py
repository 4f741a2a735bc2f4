"""BashSensor: runs a Bash command on every poke; done when it exits with 0."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Sequence
from typing import Any

from slipstream.core.exceptions import AirflowFailException
from slipstream.sdk.operators.bash import kill_process_group, run_subprocess
from slipstream.sdk.sensors.base import BaseSensorOperator

__all__ = ["BashSensor"]


class BashSensor(BaseSensorOperator):
    """Done when the command exits with 0.

    With `retry_exit_code` set, that code means "not yet" and any other non-zero code fails the
    task at once (`AirflowFailException`); without it, every non-zero code means "not yet".
    The command runs as a script in a temporary directory; `env` replaces the worker's environment
    when given (no context variables are added, as in Airflow).

    :param bash_command: the command(s) to run (templated).
    :param env: environment of the command instead of the worker's (templated).
    :param output_encoding: encoding of the command's output.
    :param retry_exit_code: the exit code that means "poke again later".
    """

    template_fields: Sequence[str] = ("bash_command", "env")

    def __init__(
        self,
        *,
        bash_command: str,
        env: dict[str, str] | None = None,
        output_encoding: str = "utf-8",
        retry_exit_code: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.bash_command = bash_command
        self.env = env
        self.output_encoding = output_encoding
        self.retry_exit_code = retry_exit_code
        self._process: subprocess.Popen[bytes] | None = None

    def poke(self, context: Any) -> bool:
        with tempfile.TemporaryDirectory(prefix="slipstreamtmp") as tmp_dir:
            script = os.path.join(tmp_dir, f"{self.task_id}.sh")
            with open(script, "w", encoding="utf-8") as handle:
                handle.write(str(self.bash_command))
            self.log.info("Running command: %s", self.bash_command)
            try:
                code = run_subprocess(
                    [shutil.which("bash") or "bash", script],
                    log=self.log,
                    env=self.env,
                    cwd=tmp_dir,
                    output_encoding=self.output_encoding,
                    on_start=self._started,
                ).exit_code
            finally:
                self._process = None
        if code == 0:
            return True
        if self.retry_exit_code is None:
            self.log.info("Non-zero return code and no retry code set, will retry later")
            return False
        if code == self.retry_exit_code:
            self.log.info("Return code matches retry code, will retry later")
            return False
        raise AirflowFailException(f"Task '{self.task_id}': command exited with return code {code}")

    def _started(self, process: subprocess.Popen[bytes]) -> None:
        self._process = process

    def on_kill(self) -> None:
        kill_process_group(self._process, signal.SIGTERM)

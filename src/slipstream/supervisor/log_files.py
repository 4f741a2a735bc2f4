"""Where the log of each task try lives, and the supervisor's own lines in it.

One file per try, Airflow's layout under `[logging] base_log_folder`
(`slipstream.logs.layout`, shared with the API that reads them):
`dag_id=<dag>/run_id=<run>/task_id=<task>/[map_index=<i>/]attempt=<try>.log`. The task process
writes its lines there (stdout and stderr point at the file); the supervisor appends what only
it can know, such as the signal that killed the task.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from slipstream.logs.layout import try_log_path
from slipstream.runtime.task_logging import LOG_FORMAT

__all__ = ["TryLog", "open_log", "task_label", "try_log_path"]


def open_log(path: Path) -> int:
    """Open (create) a try's log file for appending; returns the file descriptor."""
    path.parent.mkdir(parents=True, exist_ok=True)
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o644)


class TryLog:
    """The supervisor's lines in a try's log, in the task's format (`{dag.task[i]}` labels)."""

    def __init__(self, fd: int, label: str) -> None:
        self.fd = fd
        self.label = label
        self._formatter = logging.Formatter(LOG_FORMAT)

    def info(self, message: str) -> None:
        self.write(logging.INFO, message)

    def warning(self, message: str) -> None:
        self.write(logging.WARNING, message)

    def error(self, message: str) -> None:
        self.write(logging.ERROR, message)

    def write(self, level: int, message: str) -> None:
        record = logging.LogRecord("slipstream.supervisor", level, "", 0, message, None, None)
        record.task_label = self.label
        line = self._formatter.format(record) + "\n"
        try:
            os.write(self.fd, line.encode("utf-8", "replace"))
        except OSError:
            pass

    def close(self) -> None:
        try:
            os.close(self.fd)
        except OSError:
            pass


def task_label(dag_id: str, task_id: str, map_index: int) -> str:
    """`dag.task` or `dag.task[i]`, the label of every line of a try's log."""
    suffix = f"[{map_index}]" if map_index >= 0 else ""
    return f"{dag_id}.{task_id}{suffix}"

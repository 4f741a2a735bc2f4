"""Task log lines carry the task they came from: `[time] {dag.task[idx]} LEVEL - message`."""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Iterator
from contextvars import ContextVar
from typing import TextIO

_current_task: ContextVar[str] = ContextVar("slipstream_task_label", default="-")

LOG_FORMAT = "[%(asctime)s] {%(task_label)s} %(levelname)s - %(message)s"


class TaskLabelFilter(logging.Filter):
    """Adds `task_label` (the running task, or `-`) to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.task_label = _current_task.get()
        return True


@contextlib.contextmanager
def task_label(label: str) -> Iterator[None]:
    token = _current_task.set(label)
    try:
        yield
    finally:
        _current_task.reset(token)


def configure(stream: TextIO | None = None, level: int = logging.INFO) -> None:
    """Send logs to `stream` (stderr) with task labels, replacing the root handlers."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(TaskLabelFilter())
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)

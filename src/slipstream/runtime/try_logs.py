"""Per-try log files for tries run in this process (`dags test`), where the supervisor writes
them and the API reads them (`slipstream.logs.layout.try_log_path`).

A file gets the lines its try logs (its prints included) in the task log format, while they still
go to stderr too. Lines are told apart by their task label, so the tries of a DAG run triggered
inline, during another try, keep to their own files.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from slipstream.logs.layout import try_log_path
from slipstream.runtime.task_logging import LOG_FORMAT, TaskLabelFilter

__all__ = ["TryLogFiles", "try_log_path"]


class TryLogFiles(logging.Handler):
    """A handler on the root logger for the length of a run (`with TryLogFiles() as files:`);
    `files.writing(path, label)` sends the records of task `label` to `path` while inside.

    One handler for all tries, rather than one per try: a hundred tries would otherwise spend
    more time adding and removing handlers than logging.
    """

    def __init__(self) -> None:
        super().__init__()
        self.addFilter(TaskLabelFilter())
        self.setFormatter(logging.Formatter(LOG_FORMAT))
        self._files: dict[str, TextIO] = {}

    def __enter__(self) -> TryLogFiles:
        logging.getLogger().addHandler(self)
        return self

    def __exit__(self, *exc: object) -> None:
        logging.getLogger().removeHandler(self)
        self.close()

    @contextlib.contextmanager
    def writing(self, path: Path, label: str) -> Iterator[None]:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a", encoding="utf-8", errors="replace") as stream:
            self._files[label] = stream
            try:
                yield
            finally:
                del self._files[label]

    def emit(self, record: logging.LogRecord) -> None:
        stream = self._files.get(getattr(record, "task_label", ""))
        if stream is None:
            return
        try:
            stream.write(self.format(record) + "\n")
        except Exception:
            self.handleError(record)

"""FileSensor: waits for a file, a non-empty folder or a glob match to appear on a filesystem.

The path is `filepath` joined to the `path` extra of the `fs_conn_id` connection (an absolute
`filepath` ignores it). Decision: when the connection is the default `fs_default` and it is not
defined, Slipstream logs a warning and uses no base path; Airflow 3 fails the task instead, because
`airflow db migrate` no longer creates default connections (design notes §4.9). Any other missing
connection id fails the task, as in Airflow.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from glob import glob
from typing import Any

from slipstream.core.exceptions import AirflowNotFoundException
from slipstream.sdk.sensors.base import BaseSensorOperator, log_not_deferred

__all__ = ["FileSensor"]

DEFAULT_FS_CONN_ID = "fs_default"


class FileSensor(BaseSensorOperator):
    """Done when `filepath` (a glob, relative to the connection's base path) matches a file, or
    a directory holding at least one file at any depth.

    :param filepath: file or folder name, may be a glob (templated).
    :param fs_conn_id: connection whose extra `{"path": ...}` is the base path.
    :param recursive: let `**` in the glob match any number of directories.
    """

    template_fields: Sequence[str] = ("filepath",)
    ui_color = "#91818a"

    def __init__(
        self,
        *,
        filepath: str | os.PathLike[str],
        fs_conn_id: str = DEFAULT_FS_CONN_ID,
        recursive: bool = False,
        deferrable: bool = False,
        start_from_trigger: bool = False,
        trigger_kwargs: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.filepath = filepath
        self.fs_conn_id = fs_conn_id
        self.recursive = recursive
        self.deferrable = deferrable
        self.start_from_trigger = start_from_trigger
        self.trigger_kwargs = trigger_kwargs
        self._basepath: str | None = None

    @property
    def path(self) -> str:
        """The full path (or glob) the sensor looks for."""
        return os.path.join(self._base_path(), os.fspath(self.filepath))

    def _base_path(self) -> str:
        if self._basepath is None:
            self._basepath = _connection_base_path(self)
        return self._basepath

    def execute(self, context: Any) -> Any:
        if self.deferrable:
            log_not_deferred(self, f"poking in {self.mode} mode")
        return super().execute(context)

    def poke(self, context: Any) -> bool:
        pattern = self.path
        self.log.info("Poking for file %s", pattern)
        for match in glob(pattern, recursive=self.recursive):
            if os.path.isfile(match):
                modified = dt.datetime.fromtimestamp(os.path.getmtime(match))
                self.log.info("Found file %s last modified: %s", match, modified)
                return True
            for _, _, files in os.walk(match):
                if files:
                    self.log.info("Found non-empty folder %s", match)
                    return True
        return False


def _connection_base_path(task: FileSensor) -> str:
    from slipstream.sdk.connections import Connection

    try:
        connection = Connection.get(task.fs_conn_id)
    except AirflowNotFoundException:
        if task.fs_conn_id != DEFAULT_FS_CONN_ID:
            raise
        task.log.warning(
            "Task '%s': connection '%s' is not defined; using no base path for %r "
            "(Airflow 3 would fail here: define AIRFLOW_CONN_FS_DEFAULT to set a base path)",
            task.task_id,
            DEFAULT_FS_CONN_ID,
            os.fspath(task.filepath),
        )
        return ""
    return str(connection.extra_dejson.get("path", "") or "")

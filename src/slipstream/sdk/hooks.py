"""`BaseHook`: the base of hooks (clients of external systems): connection lookup and a logger."""

from __future__ import annotations

import logging
from typing import Any, ClassVar

from slipstream.sdk.connections import Connection

__all__ = ["BaseHook"]


class BaseHook:
    """Base for hooks.

    Subclasses set `conn_name_attr`, `default_conn_name`, `conn_type`, `hook_name` and implement
    `get_conn()`; `get_connection(conn_id)` reads a connection from the configured sources.
    """

    conn_name_attr: ClassVar[str] = ""
    default_conn_name: ClassVar[str] = "default_conn_id"
    conn_type: ClassVar[str] = ""
    hook_name: ClassVar[str] = ""

    def __init__(self, logger_name: str | None = None) -> None:
        self._logger_name = logger_name
        self._log: logging.Logger | None = None

    @property
    def log(self) -> logging.Logger:
        """The logger `slipstream.task.hooks.<module>.<Class>`, or the `logger_name` given."""
        log = getattr(self, "_log", None)
        if log is None:
            cls = type(self)
            name = getattr(self, "_logger_name", None)
            log = logging.getLogger(
                name or f"slipstream.task.hooks.{cls.__module__}.{cls.__qualname__}"
            )
            self._log = log
        return log

    @classmethod
    def get_connection(cls, conn_id: str) -> Connection:
        """The connection `conn_id`; raises `AirflowNotFoundException` when it is not defined."""
        return Connection.get(conn_id)

    def get_conn(self) -> Any:
        """Return a client for the external system; hooks implement this."""
        raise NotImplementedError(f"{type(self).__name__} does not implement get_conn()")

    @classmethod
    def get_connection_form_widgets(cls) -> dict[str, Any]:
        """Extra connection-form fields for the UI (none by default)."""
        return {}

    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        """How the UI shows the standard connection fields (unchanged by default)."""
        return {}

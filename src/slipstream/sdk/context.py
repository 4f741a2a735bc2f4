"""The task context: what templates and callables see while a task runs."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, MutableMapping
from contextvars import ContextVar
from typing import Any

Context = MutableMapping[str, Any]

_current_context: ContextVar[Context | None] = ContextVar("slipstream_context", default=None)


def get_current_context() -> Context:
    """The context of the task executing in this process; only valid inside a running task."""
    context = _current_context.get()
    if context is None:
        from slipstream.core.exceptions import AirflowException

        raise AirflowException(
            "Current context was requested but no context was found! Are you running within a task?"
        )
    return context


@contextlib.contextmanager
def set_current_context(context: Context) -> Iterator[Context]:
    """Make `context` current while a task executes (the runtime calls this)."""
    token = _current_context.set(context)
    try:
        yield context
    finally:
        _current_context.reset(token)

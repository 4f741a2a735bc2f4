"""Retries: whether a failed try is retried, and how long to wait before the next one.

`try_number` is the number of the try that just failed; the first try is 1 (Airflow 3).
"""

from __future__ import annotations

import math
from datetime import timedelta

from slipstream.core.exceptions import (
    AirflowFailException,
    AirflowSensorTimeout,
    AirflowTaskTerminated,
)
from slipstream.core.states import TaskInstanceState

from .graph import TaskNode

MAX_RETRY_DELAY = timedelta(hours=24)
"""Airflow's `[core] max_task_retry_delay` default: the cap of every exponential-backoff delay."""

_NO_RETRY_ERRORS = (AirflowFailException, AirflowSensorTimeout, AirflowTaskTerminated)


def fails_without_retry(error: BaseException) -> bool:
    """Errors that end a task as failed whatever its retries (AirflowFailException and friends)."""
    return isinstance(error, _NO_RETRY_ERRORS)


def next_state_after_failure(
    task: TaskNode,
    try_number: int,
    *,
    force_fail: bool = False,
    fail_fast: bool = False,
    max_tries: int | None = None,
) -> TaskInstanceState:
    """UP_FOR_RETRY while `try_number <= retries`, else FAILED.

    `force_fail` (the caller saw e.g. AirflowFailException) fails at once. `max_tries` overrides
    `task.retries` for a TI whose budget grew when it was cleared. `fail_fast` is the DAG setting
    and does not change the result: Airflow still retries a task of a fail-fast DAG and only stops
    the other tasks once it has failed for good (see `fail_fast_transitions`).
    """
    del fail_fast
    if force_fail:
        return TaskInstanceState.FAILED
    budget = task.retries if max_tries is None else max_tries
    if budget and try_number <= budget:
        return TaskInstanceState.UP_FOR_RETRY
    return TaskInstanceState.FAILED


def backoff_multiplier(value: bool | float | None) -> float:
    """`retry_exponential_backoff` as a multiplier: True is 2.0, False/None/0 is off (0.0)."""
    if value is True:
        return 2.0
    if value is False or value is None:
        return 0.0
    return float(value)


def retry_delay_for(task: TaskNode, try_number: int) -> timedelta:
    """How long after the failed try `try_number` the next try may start.

    Without backoff (multiplier 0, 1 or negative) this is `retry_delay`. With backoff it is
    `retry_delay * multiplier ** (try_number - 1)`, rounded up to whole seconds, at least 1 s, at
    most 24 h and at most `max_retry_delay` when set. Airflow adds a hash-based jitter of up to
    the same amount again; we leave it out so delays are deterministic and testable, i.e. we
    always wait Airflow's shortest delay.
    """
    delay = _as_timedelta(task.retry_delay)
    multiplier = backoff_multiplier(task.retry_exponential_backoff)
    if multiplier <= 0 or multiplier == 1.0:
        return delay
    cap = int(MAX_RETRY_DELAY.total_seconds())
    try:
        seconds = math.ceil(delay.total_seconds() * multiplier ** (try_number - 1))
    except OverflowError:
        seconds = cap
    backoff = timedelta(seconds=min(max(seconds, 1), cap))
    max_delay = task.max_retry_delay
    if max_delay:
        backoff = min(backoff, _as_timedelta(max_delay))
    return backoff


def _as_timedelta(value: timedelta | float) -> timedelta:
    return value if isinstance(value, timedelta) else timedelta(seconds=value)

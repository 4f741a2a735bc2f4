"""One try of one task, in this process: render, execute, push XCom, decide the outcome.

Used by `dags test` now and by the task process under a supervisor later. It never decides
retries or downstream effects itself; it reports what happened.
"""

from __future__ import annotations

import contextlib
import copy
import logging
import signal
import threading
import time
import traceback
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from slipstream.core.exceptions import (
    AirflowException,
    AirflowFailException,
    AirflowRescheduleException,
    AirflowSensorTimeout,
    AirflowSkipException,
    AirflowTaskTimeout,
    TaskDeferred,
)
from slipstream.core.states import TaskInstanceState
from slipstream.runtime.task_instance import RuntimeTaskInstance
from slipstream.runtime.xcom import RETURN_VALUE_KEY

log = logging.getLogger("slipstream.task_runner")


@dataclass
class TryOutcome:
    """What one try ended as. `state` is success, skipped, failed or up_for_reschedule;
    `retryable` says whether a failure may be retried (AirflowFailException may not)."""

    state: TaskInstanceState
    error: BaseException | None = None
    retryable: bool = True
    reschedule_date: datetime | None = None
    traceback: str | None = None


def run_try(ti: RuntimeTaskInstance, context: dict[str, Any]) -> TryOutcome:
    """Execute `ti.task` once with `context`; never raises for task errors."""
    from slipstream.sdk.context import set_current_context

    task = ti.task
    try:
        with set_current_context(context):
            task.render_template_fields(context)
            call_callbacks(task.on_execute_callback, context, "on_execute_callback")
            task.pre_execute(context)
            with _timeout(task.execution_timeout, task.task_id):
                result = task.execute(context)
            _push_result(ti, task, result)
            task.post_execute(context, result)
    except AirflowSkipException as err:
        log.info("Task %s skipped: %s", task.task_id, err or "skip requested")
        return TryOutcome(TaskInstanceState.SKIPPED, error=err)
    except AirflowRescheduleException as err:
        return TryOutcome(TaskInstanceState.UP_FOR_RESCHEDULE, reschedule_date=err.reschedule_date)
    except TaskDeferred as err:
        return _failed(err, retryable=False)
    except (AirflowFailException, AirflowSensorTimeout) as err:
        return _failed(err, retryable=False)
    except (Exception, SystemExit) as err:
        return _failed(err, retryable=True)
    return TryOutcome(TaskInstanceState.SUCCESS)


def prepare_task(task: Any) -> Any:
    """A copy of the task for one try, so rendering never changes the DAG's definition."""
    return copy.copy(task)


def _failed(err: BaseException, *, retryable: bool) -> TryOutcome:
    text = "".join(traceback.format_exception(err))
    log.error("Task failed with exception\n%s", text.rstrip())
    return TryOutcome(TaskInstanceState.FAILED, error=err, retryable=retryable, traceback=text)


def _push_result(ti: RuntimeTaskInstance, task: Any, result: Any) -> None:
    if ti.map_index < 0 and _feeds_mapping(task):
        _check_mappable(task, result if task.do_xcom_push else None)
    if not task.do_xcom_push:
        return
    if task.multiple_outputs:
        if not isinstance(result, dict):
            raise AirflowException(
                f"Returned output was type {type(result).__name__} expected dictionary for "
                f"multiple_outputs (task '{task.task_id}')"
            )
        for key, value in result.items():
            if not isinstance(key, str):
                raise AirflowException(
                    f"Returned dictionary keys must be strings when using multiple_outputs, "
                    f"found {key!r} ({type(key).__name__}) in task '{task.task_id}'"
                )
            ti.xcom_push(key, value)
    if result is not None:
        ti.xcom_push(RETURN_VALUE_KEY, result)


def _feeds_mapping(task: Any) -> bool:
    """Whether a downstream mapped task expands over this task's output."""
    dag = task.dag
    for down_id in task.downstream_task_ids if dag is not None else ():
        down = dag.task_dict.get(down_id)
        if getattr(down, "is_mapped", False) and any(
            ref.operator.task_id == task.task_id for ref in down.expand_input.iter_references()
        ):
            return True
    return False


def _check_mappable(task: Any, result: Any) -> None:
    """As in Airflow, the task fails (not the mapped one) when it gives nothing to map over."""
    if result is None:
        raise AirflowException(f"Task '{task.task_id}' did not push XCom for task mapping")
    if not isinstance(result, (Sequence, dict)) or isinstance(result, (str, bytes, bytearray)):
        raise AirflowException(
            f"Task '{task.task_id}' pushed an unmappable return type "
            f"{type(result).__qualname__!r} for task mapping (needs a list or dict)"
        )


def call_callbacks(callbacks: Any, context: dict[str, Any], name: str) -> None:
    """Run a task's or DAG's callback(s); a failing callback is logged, never fatal."""
    if not callbacks:
        return
    for callback in callbacks if isinstance(callbacks, (list, tuple)) else [callbacks]:
        try:
            callback(context)
        except Exception:
            log.exception("Error when executing %s callback %r", name, callback)


@contextlib.contextmanager
def _timeout(limit: Any, task_id: str) -> Iterator[None]:
    """Raise AirflowTaskTimeout in the task's code once `limit` passes (main thread only)."""
    if limit is None or threading.current_thread() is not threading.main_thread():
        yield
        return
    seconds = limit.total_seconds()
    if seconds <= 0:
        raise AirflowTaskTimeout(f"Task '{task_id}' has a non-positive execution_timeout")

    def on_alarm(signum: int, frame: Any) -> None:
        raise AirflowTaskTimeout(f"Timeout, PID: task '{task_id}' ran longer than {limit}")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    outer_delay, outer_interval = signal.setitimer(signal.ITIMER_REAL, seconds)
    started = time.monotonic()
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if outer_delay:
            # Re-arm an alarm set before the task ran (a supervisor's, pytest-timeout's): it
            # fires when it would have, or at once if it fell due while the task ran.
            remaining = max(outer_delay - (time.monotonic() - started), 1e-6)
            signal.setitimer(signal.ITIMER_REAL, remaining, outer_interval)

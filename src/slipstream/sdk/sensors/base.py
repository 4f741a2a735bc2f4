"""BaseSensorOperator: a task that pokes a condition until it holds, times out, or gives up.

Airflow 3 semantics:

* `mode="poke"`: one try loops `poke()` and sleeps between pokes; `timeout` counts from the try's
  start. Slipstream never sleeps past the timeout: the last sleep is shortened so the final poke
  happens at the deadline.
* `mode="reschedule"`: each try pokes once; when not done it raises `AirflowRescheduleException`
  and the runner frees the slot until the reschedule date. `timeout` counts from the first poke of
  the first try (`ti.get_first_reschedule_date()`).
* On timeout: `AirflowSensorTimeout` (not retried), or `AirflowSkipException` with `soft_fail`.
* Errors raised by `poke()`: `AirflowSensorTimeout`, `AirflowTaskTimeout` and
  `AirflowFailException` become a skip with `soft_fail` or `never_fail`; `AirflowSkipException`
  passes through; any other error is logged and counted as "not done" with `silent_fail`, becomes
  a skip with `never_fail`, and otherwise fails the try (retried by the task's `retries`).
* `exponential_backoff`: waits grow as `poke_interval * 2**(n-2)` (at least 1 s) with a
  deterministic jitter of up to one more such step, capped by `max_wait` and the time left.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
import traceback
from collections.abc import Callable, Sequence
from typing import Any, ClassVar, TypeVar

from slipstream.core.exceptions import (
    AirflowException,
    AirflowFailException,
    AirflowRescheduleException,
    AirflowSensorTimeout,
    AirflowSkipException,
    AirflowTaskTimeout,
)
from slipstream.sdk.baseoperator import BaseOperator

__all__ = ["DEFAULT_SENSOR_TIMEOUT", "BaseSensorOperator", "PokeReturnValue", "poke_mode_only"]

# Airflow's `[sensors] default_timeout`: seven days, in seconds.
DEFAULT_SENSOR_TIMEOUT = 7 * 24 * 60 * 60.0

# Errors from poke() that soft_fail (and never_fail) turn into a skip.
_SOFT_FAIL_ERRORS = (AirflowSensorTimeout, AirflowTaskTimeout, AirflowFailException)

_MAX_BACKOFF_EXPONENT = 48


class PokeReturnValue:
    """What `poke()` may return instead of a bool: whether the sensor is done and, once done,
    the value the sensor task returns (its `return_value` XCom)."""

    def __init__(self, is_done: bool, xcom_value: Any | None = None) -> None:
        self.is_done = is_done
        self.xcom_value = xcom_value

    def __bool__(self) -> bool:
        return bool(self.is_done)

    def __repr__(self) -> str:
        return f"PokeReturnValue(is_done={self.is_done!r}, xcom_value={self.xcom_value!r})"


class BaseSensorOperator(BaseOperator):
    """Waits until `poke(context)` returns a truthy value (or a done `PokeReturnValue`).

    :param poke_interval: wait between pokes, seconds or timedelta (default 60).
    :param timeout: give up after this long, seconds or timedelta (default 7 days).
    :param soft_fail: end as skipped instead of failed on timeout (exclusive with `never_fail`).
    :param mode: `"poke"` (sleep inside one try) or `"reschedule"` (one poke per try).
    :param exponential_backoff: grow the wait between pokes exponentially.
    :param max_wait: the longest wait between pokes when backing off, seconds or timedelta.
    :param silent_fail: log errors raised by `poke()` and keep poking.
    :param never_fail: end as skipped when `poke()` raises.
    """

    ui_color = "#e6f1f2"
    valid_modes: Sequence[str] = ("poke", "reschedule")
    _is_sensor: ClassVar[bool] = True

    def __init__(
        self,
        *,
        poke_interval: dt.timedelta | float = 60,
        timeout: dt.timedelta | float | None = None,
        soft_fail: bool = False,
        mode: str = "poke",
        exponential_backoff: bool = False,
        max_wait: dt.timedelta | float | None = None,
        silent_fail: bool = False,
        never_fail: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.poke_interval = _seconds(self.task_id, "poke_interval", poke_interval)
        if timeout is None:
            timeout = DEFAULT_SENSOR_TIMEOUT
        self.timeout = _seconds(self.task_id, "timeout", timeout)
        self.max_wait = (
            None
            if max_wait is None
            else dt.timedelta(seconds=_seconds(self.task_id, "max_wait", max_wait))
        )
        if soft_fail and never_fail:
            raise ValueError(
                f"Sensor '{self.task_id}': soft_fail and never_fail are mutually exclusive, "
                "you can not provide both."
            )
        self.soft_fail = soft_fail
        self.never_fail = never_fail
        self.silent_fail = silent_fail
        self.exponential_backoff = exponential_backoff
        if mode not in self.valid_modes:
            raise ValueError(
                f"Sensor '{self.task_id}': the mode must be one of {list(self.valid_modes)}; "
                f"received {mode!r}."
            )
        self.mode = mode

    @property
    def reschedule(self) -> bool:
        """Whether the sensor frees its slot between pokes (`mode="reschedule"`)."""
        return self.mode == "reschedule"

    def poke(self, context: Any) -> bool | PokeReturnValue:
        """Check the condition once; subclasses override this."""
        raise AirflowException(f"{type(self).__name__} must override poke(context)")

    # --- the poke loop ------------------------------------------------------------------

    def execute(self, context: Any) -> Any:
        started_at, elapsed = self._start_clock(context)
        poke_count = 1
        while True:
            result = self._poke_once(context)
            if result:
                self.log.info("Success criteria met. Exiting.")
                return result.xcom_value if isinstance(result, PokeReturnValue) else None
            duration = elapsed()
            if duration > self.timeout:
                self._time_out(duration)
            interval = self._get_next_poke_interval(started_at, elapsed, poke_count)
            interval = max(min(interval, self.timeout - duration), 0.0)
            if self.reschedule:
                reschedule_date = _utcnow() + dt.timedelta(seconds=interval)
                self.log.info("Not done yet; rescheduling to %s", reschedule_date)
                raise AirflowRescheduleException(reschedule_date)
            time.sleep(interval)
            poke_count += 1

    def _start_clock(self, context: Any) -> tuple[Any, Callable[[], float]]:
        """When this sensor started waiting, and a function giving the seconds since then."""
        if not self.reschedule:
            start = time.monotonic()
            return start, lambda: time.monotonic() - start
        ti = context["ti"]
        first = getattr(ti, "get_first_reschedule_date", lambda: None)()
        started = _as_aware(first) if first is not None else _utcnow()
        return started, lambda: (_utcnow() - started).total_seconds()

    def _poke_once(self, context: Any) -> Any:
        try:
            return self.poke(context)
        except _SOFT_FAIL_ERRORS as err:
            if self.soft_fail:
                raise AirflowSkipException("Skipping due to soft_fail is set to True.") from err
            if self.never_fail:
                raise AirflowSkipException("Skipping due to never_fail is set to True.") from err
            raise
        except AirflowSkipException:
            raise
        except Exception as err:
            if self.silent_fail:
                self.log.error("Sensor poke failed: \n %s", traceback.format_exc())
                return False
            if self.never_fail:
                raise AirflowSkipException("Skipping due to never_fail is set to True.") from err
            raise

    def _time_out(self, duration: float) -> None:
        message = (
            f"Sensor '{self.task_id}' has timed out; run duration of {duration:.2f} seconds "
            f"exceeds the specified timeout of {self.timeout}."
        )
        if self.soft_fail:
            raise AirflowSkipException(message)
        raise AirflowSensorTimeout(message)

    # --- waiting between pokes -------------------------------------------------------------

    def _get_next_poke_interval(
        self, started_at: Any, elapsed: Callable[[], float], poke_count: int
    ) -> float:
        """Seconds until the next poke: `poke_interval`, or the exponential backoff step."""
        if not self.exponential_backoff:
            return self.poke_interval
        if self.reschedule:
            poke_count = self._estimate_poke_count(started_at, elapsed())
        interval = min(self._backoff(started_at, poke_count), self.timeout - int(elapsed()))
        if self.max_wait:
            interval = min(interval, self.max_wait.total_seconds())
        self.log.info("new %s interval is %s", self.mode, interval)
        return float(interval)

    def _backoff(self, started_at: Any, poke_count: int) -> float:
        """Step `poke_count` of the backoff: between `b` and `2b` where `b` doubles each poke."""
        exponent = min(poke_count - 2, _MAX_BACKOFF_EXPONENT)
        base = max(int(self.poke_interval * 2.0**exponent), 1)
        seed = f"{self.dag_id}#{self.task_id}#{started_at}#{poke_count}".encode()
        jitter = int(hashlib.sha1(seed, usedforsecurity=False).hexdigest(), 16) % base
        return float(min(base + jitter, dt.timedelta.max.total_seconds() - 1))

    def _estimate_poke_count(self, started_at: Any, elapsed: float) -> int:
        """In reschedule mode each try is new: count the backoff steps that fit in `elapsed`."""
        count, total = 0, 0.0
        while total <= elapsed:
            count += 1
            total += self._backoff(started_at, count)
        return max(count, 1)


_S = TypeVar("_S", bound=type)


def poke_mode_only(cls: _S) -> _S:
    """Class decorator: the sensor may only run in `poke` mode (setting another mode fails)."""
    if not (isinstance(cls, type) and issubclass(cls, BaseSensorOperator)):
        raise ValueError(f"poke_mode_only can only decorate a BaseSensorOperator subclass: {cls!r}")

    def get_mode(self: Any) -> str:
        return "poke"

    def set_mode(self: Any, value: str) -> None:
        if value != "poke":
            raise ValueError(f"Cannot set mode to '{value}'. Only 'poke' is acceptable")

    setattr(cls, "mode", property(get_mode, set_mode))  # a poke-only property over `mode`
    return cls


def _seconds(task_id: str, name: str, value: Any) -> float:
    """A non-negative duration in seconds from a timedelta or a number; errors name the task."""
    if isinstance(value, dt.timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value)
    else:
        raise ValueError(
            f"Sensor '{task_id}': {name} must be a timedelta or a non-negative number of "
            f"seconds, got {value!r}"
        )
    if seconds < 0:
        raise ValueError(f"Sensor '{task_id}': {name} must be non-negative, got {value!r}")
    return seconds


def _utcnow() -> Any:
    import pendulum

    return pendulum.now("UTC")


def _as_aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def log_not_deferred(task: BaseOperator, how: str) -> None:
    """Deferring (`deferrable=True`) is not supported yet: say so, then wait without deferring.

    The outcome is the same; only the worker slot is held while waiting.
    """
    task.log.warning(
        "Task '%s': deferrable=True is not supported by Slipstream yet; %s instead",
        task.task_id,
        how,
    )

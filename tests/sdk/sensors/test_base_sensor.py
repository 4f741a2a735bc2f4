"""BaseSensorOperator: the poke loop, timeouts, soft_fail, reschedule mode, errors and backoff."""

from __future__ import annotations

import itertools
import time
from datetime import timedelta
from typing import Any

import pendulum
import pytest

from slipstream.core.exceptions import (
    AirflowException,
    AirflowFailException,
    AirflowRescheduleException,
    AirflowSensorTimeout,
    AirflowSkipException,
)
from slipstream.sdk.sensors.base import BaseSensorOperator, PokeReturnValue, poke_mode_only


class ScriptedSensor(BaseSensorOperator):
    """Returns (or raises) the scripted results in order, then keeps returning the last one."""

    def __init__(self, *, results: list[Any], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.results = results
        self.pokes = 0

    def poke(self, context: Any) -> Any:
        result = self.results[min(self.pokes, len(self.results) - 1)]
        self.pokes += 1
        if isinstance(result, BaseException):
            raise result
        return result


def sensor(results: list[Any], **kwargs: Any) -> ScriptedSensor:
    kwargs.setdefault("poke_interval", 0.01)
    return ScriptedSensor(task_id=kwargs.pop("task_id", "sense"), results=results, **kwargs)


def test_pokes_until_done(make_context: Any) -> None:
    op = sensor([False, False, True])
    assert op.execute(make_context(op)) is None
    assert op.pokes == 3


def test_poke_return_value_becomes_the_xcom(make_context: Any) -> None:
    op = sensor([PokeReturnValue(False, "early"), PokeReturnValue(True, {"rows": 3})])
    assert op.execute(make_context(op)) == {"rows": 3}
    assert bool(PokeReturnValue(False)) is False


def test_timeout_raises_sensor_timeout(make_context: Any) -> None:
    op = sensor([False], timeout=0.05)
    with pytest.raises(AirflowSensorTimeout, match="'sense' has timed out"):
        op.execute(make_context(op))
    assert op.pokes >= 2


def test_soft_fail_timeout_skips(make_context: Any) -> None:
    op = sensor([False], timeout=0.02, soft_fail=True)
    with pytest.raises(AirflowSkipException, match="timed out"):
        op.execute(make_context(op))


def test_sleep_never_passes_the_timeout(make_context: Any) -> None:
    op = sensor([False], poke_interval=30, timeout=0.1)
    started = time.monotonic()
    with pytest.raises(AirflowSensorTimeout):
        op.execute(make_context(op))
    assert time.monotonic() - started < 1
    assert op.pokes == 2  # the first poke, and a last one at the deadline


def test_reschedule_mode_pokes_once_per_try(make_context: Any, make_ti: Any) -> None:
    op = sensor([False], mode="reschedule", poke_interval=30, timeout=3600)
    before = pendulum.now("UTC")
    with pytest.raises(AirflowRescheduleException) as info:
        op.execute(make_context(op))
    assert op.pokes == 1
    delay = (info.value.reschedule_date - before).total_seconds()
    assert 29 < delay < 32


def test_reschedule_mode_times_out_from_the_first_poke(make_context: Any, make_ti: Any) -> None:
    op = sensor([False], mode="reschedule", timeout=60)
    ti = make_ti(op, first_reschedule_date=pendulum.now("UTC").subtract(minutes=5))
    with pytest.raises(AirflowSensorTimeout):
        op.execute(make_context(op, ti))
    soft = sensor([False], mode="reschedule", timeout=60, soft_fail=True)
    ti = make_ti(soft, first_reschedule_date=pendulum.now("UTC").subtract(minutes=5))
    with pytest.raises(AirflowSkipException):
        soft.execute(make_context(soft, ti))


def test_reschedule_date_is_capped_by_the_time_left(make_context: Any, make_ti: Any) -> None:
    op = sensor([False], mode="reschedule", poke_interval=600, timeout=60)
    ti = make_ti(op, first_reschedule_date=pendulum.now("UTC").subtract(seconds=50))
    with pytest.raises(AirflowRescheduleException) as info:
        op.execute(make_context(op, ti))
    assert (info.value.reschedule_date - pendulum.now("UTC")).total_seconds() < 11


def test_reschedule_mode_done_returns_the_value(make_context: Any) -> None:
    op = sensor([PokeReturnValue(True, 42)], mode="reschedule")
    assert op.execute(make_context(op)) == 42


def test_poke_errors_fail_by_default(make_context: Any) -> None:
    op = sensor([ValueError("boom")])
    with pytest.raises(ValueError, match="boom"):
        op.execute(make_context(op))


def test_silent_fail_keeps_poking(make_context: Any) -> None:
    op = sensor([ValueError("flaky"), True], silent_fail=True)
    assert op.execute(make_context(op)) is None
    assert op.pokes == 2


def test_never_fail_skips_on_any_error(make_context: Any) -> None:
    for error in (ValueError("x"), AirflowFailException("y")):
        op = sensor([error], never_fail=True)
        with pytest.raises(AirflowSkipException, match="never_fail"):
            op.execute(make_context(op))


def test_soft_fail_skips_on_fail_exceptions_only(make_context: Any) -> None:
    op = sensor([AirflowFailException("no")], soft_fail=True)
    with pytest.raises(AirflowSkipException, match="soft_fail"):
        op.execute(make_context(op))
    op = sensor([ValueError("real error")], soft_fail=True)
    with pytest.raises(ValueError):
        op.execute(make_context(op))


def test_skip_from_poke_passes_through(make_context: Any) -> None:
    op = sensor([AirflowSkipException("not today")], silent_fail=True)
    with pytest.raises(AirflowSkipException, match="not today"):
        op.execute(make_context(op))


def test_base_poke_must_be_overridden(make_context: Any) -> None:
    op = BaseSensorOperator(task_id="base")
    with pytest.raises(AirflowException, match="must override poke"):
        op.execute(make_context(op))


def test_defaults_and_coercion() -> None:
    op = sensor([True], poke_interval=timedelta(minutes=2), timeout=timedelta(hours=1))
    assert (op.poke_interval, op.timeout) == (120.0, 3600.0)
    default = BaseSensorOperator(task_id="defaults")
    assert default.poke_interval == 60
    assert default.timeout == 7 * 24 * 3600
    assert default.mode == "poke" and not default.reschedule


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"poke_interval": -1}, "'bad': poke_interval must be non-negative"),
        ({"poke_interval": "soon"}, "'bad': poke_interval must be a timedelta"),
        ({"timeout": -5}, "'bad': timeout must be non-negative"),
        ({"max_wait": -1}, "'bad': max_wait"),
        ({"mode": "sometimes"}, "'bad': the mode must be one of"),
        ({"soft_fail": True, "never_fail": True}, "mutually exclusive"),
    ],
)
def test_invalid_arguments_name_the_task(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        BaseSensorOperator(task_id="bad", **kwargs)


def test_exponential_backoff_grows_and_is_capped() -> None:
    op = sensor([False], task_id="backoff", poke_interval=5, exponential_backoff=True, timeout=1e6)
    intervals = [op._get_next_poke_interval(0.0, lambda: 0.0, n) for n in range(1, 8)]
    assert intervals == [op._get_next_poke_interval(0.0, lambda: 0.0, n) for n in range(1, 8)]
    assert all(b > a for a, b in itertools.pairwise(intervals[1:]))
    for n, interval in enumerate(intervals, start=1):
        base = max(int(5 * 2.0 ** (n - 2)), 1)
        assert base <= interval < 2 * base
    capped = sensor([False], poke_interval=5, exponential_backoff=True, max_wait=12)
    assert capped._get_next_poke_interval(0.0, lambda: 0.0, 10) == 12
    short = sensor([False], poke_interval=5, exponential_backoff=True, timeout=30)
    assert short._get_next_poke_interval(0.0, lambda: 25.0, 10) == 5


def test_poke_mode_only() -> None:
    @poke_mode_only
    class PokeOnly(ScriptedSensor):
        pass

    assert PokeOnly(task_id="ok", results=[True]).mode == "poke"
    with pytest.raises(ValueError, match="Only 'poke' is acceptable"):
        PokeOnly(task_id="no", results=[True], mode="reschedule")
    with pytest.raises(ValueError):
        poke_mode_only(int)

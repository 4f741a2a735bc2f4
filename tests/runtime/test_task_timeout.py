"""execution_timeout in the task runner: the alarm it arms must not cancel an outer one."""

from __future__ import annotations

import signal
from datetime import timedelta

import pytest

from slipstream.core.exceptions import AirflowTaskTimeout
from slipstream.runtime.task_runner import _timeout


@pytest.fixture
def outer_alarm():
    """An alarm armed before the task runs, like pytest-timeout's or a supervisor's."""
    previous = signal.signal(signal.SIGALRM, lambda *args: None)
    saved = signal.setitimer(signal.ITIMER_REAL, 30)
    yield
    signal.setitimer(signal.ITIMER_REAL, *saved)
    signal.signal(signal.SIGALRM, previous)


def test_timeout_raises_in_the_task():
    with pytest.raises(AirflowTaskTimeout), _timeout(timedelta(seconds=0.01), "slow"):
        signal.pause()


def test_an_outer_alarm_survives_a_task_that_finishes(outer_alarm):
    with _timeout(timedelta(seconds=5), "quick"):
        pass
    remaining, _ = signal.getitimer(signal.ITIMER_REAL)
    assert 25 < remaining <= 30


def test_an_outer_alarm_survives_a_task_that_times_out(outer_alarm):
    with pytest.raises(AirflowTaskTimeout), _timeout(timedelta(seconds=0.01), "slow"):
        signal.pause()
    remaining, _ = signal.getitimer(signal.ITIMER_REAL)
    assert 25 < remaining <= 30

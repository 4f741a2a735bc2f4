"""Retry decisions and delays (Airflow 3.3.2 TaskInstance.next_retry_datetime, minus the jitter)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from slipstream.core.exceptions import (
    AirflowException,
    AirflowFailException,
    AirflowSensorTimeout,
    AirflowTaskTimeout,
)
from slipstream.core.states import TaskInstanceState
from slipstream.orchestration import (
    MAX_RETRY_DELAY,
    backoff_multiplier,
    fails_without_retry,
    next_state_after_failure,
    retry_delay_for,
)

from .helpers import Node

T = TaskInstanceState


def task(**kw: object) -> Node:
    node = Node("t")
    for name, value in kw.items():
        setattr(node, name, value)
    return node


def test_no_retries_fails_at_once() -> None:
    assert next_state_after_failure(task(retries=0), 1) is T.FAILED


def test_retries_until_budget_spent() -> None:
    t = task(retries=2)
    assert [next_state_after_failure(t, n) for n in (1, 2, 3)] == [
        T.UP_FOR_RETRY,
        T.UP_FOR_RETRY,
        T.FAILED,
    ]


def test_force_fail_ignores_retries() -> None:
    # §4.6: AirflowFailException fails immediately even with retries=3.
    assert next_state_after_failure(task(retries=3), 1, force_fail=True) is T.FAILED


def test_fail_fast_does_not_change_the_decision() -> None:
    assert next_state_after_failure(task(retries=1), 1, fail_fast=True) is T.UP_FOR_RETRY


def test_max_tries_overrides_retries() -> None:
    assert next_state_after_failure(task(retries=1), 3, max_tries=4) is T.UP_FOR_RETRY
    assert next_state_after_failure(task(retries=5), 1, max_tries=0) is T.FAILED


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (AirflowFailException("x"), True),
        (AirflowSensorTimeout("x"), True),
        (AirflowTaskTimeout("x"), False),  # execution_timeout is retried
        (AirflowException("x"), False),
        (ValueError("x"), False),
    ],
)
def test_fails_without_retry(error: BaseException, expected: bool) -> None:
    assert fails_without_retry(error) is expected


@pytest.mark.parametrize(
    ("value", "expected"), [(True, 2.0), (False, 0.0), (None, 0.0), (0, 0.0), (5, 5.0), (1.5, 1.5)]
)
def test_backoff_multiplier(value: bool | float | None, expected: float) -> None:
    assert backoff_multiplier(value) == expected


def test_plain_delay() -> None:
    t = task(retry_delay=timedelta(minutes=5))
    assert [retry_delay_for(t, n) for n in (1, 2, 3)] == [timedelta(minutes=5)] * 3


def test_plain_delay_is_not_capped_by_max_retry_delay() -> None:
    # Airflow applies max_retry_delay only with exponential backoff.
    t = task(retry_delay=timedelta(hours=2), max_retry_delay=timedelta(hours=1))
    assert retry_delay_for(t, 1) == timedelta(hours=2)


def test_multiplier_one_is_constant() -> None:
    t = task(retry_delay=timedelta(seconds=7), retry_exponential_backoff=1.0)
    assert retry_delay_for(t, 5) == timedelta(seconds=7)


def test_true_doubles() -> None:
    t = task(retry_delay=timedelta(seconds=300), retry_exponential_backoff=True)
    assert [retry_delay_for(t, n).total_seconds() for n in (1, 2, 3, 4)] == [300, 600, 1200, 2400]


def test_float_multiplier_matches_airflow_docs_example() -> None:
    # BaseOperator docs: retry_delay=4min, retry_exponential_backoff=5 -> 4min, 20min, 100min.
    t = task(retry_delay=timedelta(minutes=4), retry_exponential_backoff=5)
    assert [retry_delay_for(t, n) for n in (1, 2, 3)] == [
        timedelta(minutes=4),
        timedelta(minutes=20),
        timedelta(minutes=100),
    ]


def test_backoff_capped_by_max_retry_delay() -> None:
    t = task(
        retry_delay=timedelta(minutes=1),
        retry_exponential_backoff=True,
        max_retry_delay=timedelta(minutes=5),
    )
    assert retry_delay_for(t, 2) == timedelta(minutes=2)
    assert retry_delay_for(t, 10) == timedelta(minutes=5)


def test_backoff_capped_at_24h_even_with_larger_max() -> None:
    t = task(
        retry_delay=timedelta(hours=1),
        retry_exponential_backoff=True,
        max_retry_delay=timedelta(days=3),
    )
    assert retry_delay_for(t, 20) == MAX_RETRY_DELAY == timedelta(hours=24)


def test_backoff_overflow_is_capped() -> None:
    t = task(retry_delay=timedelta(seconds=10), retry_exponential_backoff=True)
    assert retry_delay_for(t, 100_000) == MAX_RETRY_DELAY


def test_backoff_rounds_up_to_whole_seconds_and_at_least_one() -> None:
    t = task(retry_delay=timedelta(seconds=1.5), retry_exponential_backoff=True)
    assert retry_delay_for(t, 1) == timedelta(seconds=2)
    zero = task(retry_delay=timedelta(0), retry_exponential_backoff=True)
    assert retry_delay_for(zero, 3) == timedelta(seconds=1)


def test_retry_delay_in_seconds_is_accepted() -> None:
    t = task(retry_delay=30.0, retry_exponential_backoff=2.0, max_retry_delay=45.0)
    assert retry_delay_for(t, 1) == timedelta(seconds=30)
    assert retry_delay_for(t, 2) == timedelta(seconds=45)

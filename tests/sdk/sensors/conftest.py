"""A fake task instance and context, so sensors run through `execute(context)` directly."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pendulum
import pytest

LOGICAL_DATE = pendulum.datetime(2024, 3, 5, tz="UTC")


@dataclass
class FakeDagRun:
    dag_id: str = "test_dag"
    run_id: str = "manual__2024-03-05T00:00:00+00:00"
    logical_date: Any = LOGICAL_DATE
    data_interval_start: Any = LOGICAL_DATE
    data_interval_end: Any = LOGICAL_DATE
    run_type: str = "manual"
    run_after: Any = LOGICAL_DATE


class FakeTI:
    """What sensors use of their task instance: XCom and the first reschedule date."""

    def __init__(
        self,
        task: Any = None,
        *,
        dag_run: FakeDagRun | None = None,
        first_reschedule_date: Any = None,
    ) -> None:
        self.task = task
        self.dag_run = dag_run or FakeDagRun()
        self.task_id = getattr(task, "task_id", "task")
        self.dag_id = self.dag_run.dag_id
        self.run_id = self.dag_run.run_id
        self.try_number = 1
        self.map_index = -1
        self.xcoms: dict[str, Any] = {}
        self._first_reschedule_date = first_reschedule_date

    def xcom_push(self, key: str, value: Any) -> None:
        self.xcoms[key] = value

    def get_first_reschedule_date(self) -> Any:
        return self._first_reschedule_date


def build_context(task: Any, ti: FakeTI | None = None, **extra: Any) -> dict[str, Any]:
    ti = ti or FakeTI(task)
    dag_run = ti.dag_run
    context: dict[str, Any] = {
        "ti": ti,
        "task_instance": ti,
        "task": task,
        "dag": getattr(task, "dag", None),
        "dag_run": dag_run,
        "run_id": dag_run.run_id,
        "logical_date": dag_run.logical_date,
        "data_interval_start": dag_run.data_interval_start,
        "data_interval_end": dag_run.data_interval_end,
        "ds": dag_run.logical_date.strftime("%Y-%m-%d"),
        "params": {},
    }
    context.update(extra)
    return context


@pytest.fixture
def make_context() -> Callable[..., dict[str, Any]]:
    return build_context


@pytest.fixture
def make_ti() -> type[FakeTI]:
    return FakeTI


@pytest.fixture
def make_dag_run() -> type[FakeDagRun]:
    return FakeDagRun

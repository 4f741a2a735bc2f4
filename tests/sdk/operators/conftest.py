"""A fake task instance and context, so operators run through `execute(context)` directly."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
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
    conf: dict[str, Any] = field(default_factory=dict)
    run_after: Any = LOGICAL_DATE


class DagRunExists(Exception):
    """Stands for the runtime's 'already exists' error (matched by class name)."""


DagRunExists.__name__ = "DagRunAlreadyExists"


class FakeTI:
    """Records what a task asks of its runner: XComs, branches, skips, triggered runs."""

    def __init__(
        self,
        task: Any = None,
        *,
        dag_run: FakeDagRun | None = None,
        try_number: int = 1,
        first_reschedule_date: Any = None,
        run_states: Iterable[str | None] = (),
        existing_runs: Iterable[str] = (),
    ) -> None:
        self.task = task
        self.dag_run = dag_run or FakeDagRun()
        self.dag_id = self.dag_run.dag_id
        self.run_id = self.dag_run.run_id
        self.task_id = getattr(task, "task_id", "task")
        self.map_index = -1
        self.try_number = try_number
        self.max_tries = 0
        self.xcoms: dict[str, Any] = {}
        self.skipped: set[str] = set()
        self.followed: list[str] | None = None
        self.triggered: list[dict[str, Any]] = []
        self.state_checks: list[tuple[str, str]] = []
        self._first_reschedule_date = first_reschedule_date
        self._run_states = list(run_states)
        self._existing_runs = set(existing_runs)

    def xcom_push(self, key: str, value: Any) -> None:
        self.xcoms[key] = value

    def xcom_pull(self, task_ids: Any = None, key: str = "return_value", **kwargs: Any) -> Any:
        return self.xcoms.get(key)

    def skip_tasks(self, task_ids: Iterable[str]) -> None:
        self.skipped.update(task_ids)

    def follow_branches(self, branch_ids: Iterable[str]) -> None:
        self.followed = list(branch_ids)

    def get_first_reschedule_date(self) -> Any:
        return self._first_reschedule_date

    def trigger_dag_run(
        self,
        dag_id: str,
        run_id: str | None = None,
        conf: Any = None,
        logical_date: Any = None,
        reset_dag_run: bool = False,
    ) -> str:
        if run_id in self._existing_runs and not reset_dag_run:
            raise DagRunExists(f"{dag_id} {run_id}")
        self.triggered.append(
            {
                "dag_id": dag_id,
                "run_id": run_id,
                "conf": conf,
                "logical_date": logical_date,
                "reset_dag_run": reset_dag_run,
            }
        )
        return run_id or "generated"

    def get_dag_run_state(self, dag_id: str, run_id: str) -> str | None:
        self.state_checks.append((dag_id, run_id))
        return self._run_states.pop(0) if self._run_states else None


def build_context(task: Any, ti: FakeTI | None = None, **extra: Any) -> dict[str, Any]:
    """The keys of the runtime context that operators read."""
    ti = ti or FakeTI(task)
    ti.task = task
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
        "ds": dag_run.logical_date.strftime("%Y-%m-%d") if dag_run.logical_date else None,
        "ts": dag_run.logical_date.isoformat() if dag_run.logical_date else None,
        "params": dict(getattr(task, "params", {}) or {}),
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

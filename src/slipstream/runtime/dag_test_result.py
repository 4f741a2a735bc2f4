"""What an in-process run (`dags test`, `dag.test()`) leaves behind: the run, each task instance
with its tries, the XComs and asset events. Enough to print the outcome, and for the CLI to record
the run in the metadata database as if the scheduler had run it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from slipstream.core.states import DagRunState, TaskInstanceState
from slipstream.runtime.asset_events import AssetEvent
from slipstream.runtime.task_instance import DagRunInfo


@dataclass(frozen=True)
class TryRecord:
    """One finished try of a task instance, or one poke of a sensor that asked to be rescheduled
    (`state` up_for_reschedule, `next_try_at` the date it asked for)."""

    try_number: int
    state: TaskInstanceState
    start_date: datetime
    end_date: datetime
    next_try_at: datetime | None = None


@dataclass
class TIRecord:
    """One task instance of the run, as the runner tracks it."""

    task_id: str
    map_index: int = -1
    state: TaskInstanceState | None = None
    try_number: int = 0
    start_date: datetime | None = None
    end_date: datetime | None = None
    next_try_at: float | None = None
    first_reschedule_date: datetime | None = None
    tries: list[TryRecord] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "task_id": self.task_id,
            "map_index": self.map_index,
            "state": None if self.state is None else self.state.value,
            "try_number": self.try_number,
        }

    @property
    def duration(self) -> float | None:
        if self.start_date is None or self.end_date is None:
            return None
        return (self.end_date - self.start_date).total_seconds()


@dataclass(frozen=True)
class XComRecord:
    """An XCom a task pushed, as stored (`value` is its JSON text)."""

    task_id: str
    map_index: int
    key: str
    value: str
    timestamp: datetime


@dataclass
class DagTestResult:
    """The outcome of a `dags test` run.

    `triggered` holds the runs that TriggerDagRunOperator started and the runner ran inline (and
    those they triggered), in the order they finished.
    """

    dag_id: str
    run_id: str
    state: DagRunState
    logical_date: Any
    tis: list[TIRecord] = field(default_factory=list)
    asset_events: list[AssetEvent] = field(default_factory=list)
    dag_run: DagRunInfo | None = None
    xcoms: list[XComRecord] = field(default_factory=list)
    triggered: list[DagTestResult] = field(default_factory=list)
    dag: Any = field(default=None, repr=False, compare=False)
    priority_weights: dict[str, int] = field(default_factory=dict, repr=False)

    def to_json(self) -> dict[str, Any]:
        return {
            "dag_id": self.dag_id,
            "run_id": self.run_id,
            "state": self.state.value,
            "tasks": [ti.as_dict() for ti in self.tis],
        }

    def ti(self, task_id: str, map_index: int = -1) -> TIRecord:
        for record in self.tis:
            if record.task_id == task_id and record.map_index == map_index:
                return record
        raise KeyError(f"No task instance {task_id}[{map_index}] in run {self.run_id}")

    @property
    def states(self) -> dict[str, str | None]:
        """task_id (with `[i]` for map indexes) → state, handy in tests and scripts."""
        return {
            (r.task_id if r.map_index < 0 else f"{r.task_id}[{r.map_index}]"): (
                None if r.state is None else r.state.value
            )
            for r in self.tis
        }

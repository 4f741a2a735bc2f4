"""The task instance a running task sees as `ti`: its identity, XCom and the runner's services."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from slipstream.core.states import TaskInstanceState
from slipstream.runtime.xcom import RETURN_VALUE_KEY


class RunServices(Protocol):
    """What a task may ask of whoever runs it (in-process runner, or later the supervisor)."""

    def xcom_push(self, ti: RuntimeTaskInstance, key: str, value: Any) -> None: ...

    def xcom_pull(
        self, ti: RuntimeTaskInstance, task_id: str, key: str, map_indexes: Any
    ) -> Any: ...

    def is_mapped(self, task_id: str) -> bool: ...

    def skip_tasks(self, ti: RuntimeTaskInstance, task_ids: set[str]) -> None: ...

    def follow_branches(self, ti: RuntimeTaskInstance, branch_ids: list[str]) -> None: ...

    def short_circuit(
        self, ti: RuntimeTaskInstance, ignore_downstream_trigger_rules: bool
    ) -> None: ...

    def first_reschedule_date(self, ti: RuntimeTaskInstance) -> datetime | None: ...

    def trigger_dag_run(
        self,
        dag_id: str,
        run_id: str | None,
        conf: dict[str, Any] | None,
        logical_date: Any,
        reset_dag_run: bool,
    ) -> str: ...

    def get_dag_run_state(self, dag_id: str, run_id: str) -> str | None: ...


@dataclass
class DagRunInfo:
    """The `dag_run` of the context: the run's identity, dates and conf."""

    dag_id: str
    run_id: str
    logical_date: Any
    data_interval_start: Any
    data_interval_end: Any
    run_type: str = "manual"
    conf: dict[str, Any] = field(default_factory=dict)
    start_date: Any = None
    end_date: Any = None
    state: str = "running"
    run_after: Any = None
    triggered_by: str = "test"

    @property
    def execution_date(self) -> Any:
        return self.logical_date


class RuntimeTaskInstance:
    """One try of one task (or map index), as the task's code sees it."""

    def __init__(
        self,
        *,
        task: Any,
        dag_run: DagRunInfo,
        map_index: int,
        try_number: int,
        max_tries: int,
        services: RunServices,
        start_date: datetime | None = None,
    ) -> None:
        self.task = task
        self.dag_run = dag_run
        self.dag_id = dag_run.dag_id
        self.task_id = task.task_id
        self.run_id = dag_run.run_id
        self.map_index = map_index
        self.try_number = try_number
        self.max_tries = max_tries
        self.start_date = start_date
        self.end_date: datetime | None = None
        self.state: TaskInstanceState | None = TaskInstanceState.RUNNING
        self.hostname = _hostname()
        self._services = services

    def __repr__(self) -> str:
        suffix = f" [{self.map_index}]" if self.map_index >= 0 else ""
        return f"<TaskInstance: {self.dag_id}.{self.task_id} {self.run_id}{suffix} [{self.state}]>"

    @property
    def logical_date(self) -> Any:
        return self.dag_run.logical_date

    @property
    def operator(self) -> str:
        return type(self.task).__name__

    @property
    def key(self) -> tuple[str, str, str, int, int]:
        return (self.dag_id, self.task_id, self.run_id, self.try_number, self.map_index)

    @property
    def pool(self) -> str:
        return self.task.pool

    @property
    def queue(self) -> str:
        return self.task.queue

    @property
    def priority_weight(self) -> int:
        return self.task.priority_weight

    def xcom_push(self, key: str, value: Any) -> None:
        """Store `value` under `key` for this task instance."""
        self._services.xcom_push(self, key, value)

    def xcom_pull(
        self,
        task_ids: str | Iterable[str] | None = None,
        dag_id: str | None = None,
        key: str = RETURN_VALUE_KEY,
        include_prior_dates: bool = False,
        *,
        map_indexes: int | Iterable[int] | None = None,
        default: Any = None,
        run_id: str | None = None,
    ) -> Any:
        """Values other tasks of this run pushed: one task id gives one value, a list a list.

        A mapped task's values come back as a sequence over its map indexes unless
        `map_indexes` picks some.
        """
        if dag_id not in (None, self.dag_id) or run_id not in (None, self.run_id):
            from slipstream.core.exceptions import UnsupportedFeatureError

            raise UnsupportedFeatureError(
                "Slipstream does not support pulling XComs of another DAG or run yet "
                f"(task '{self.task_id}', dag_id={dag_id!r}, run_id={run_id!r})"
            )
        if task_ids is None:
            task_ids = self.task_id
        if isinstance(task_ids, str):
            value = self._services.xcom_pull(self, task_ids, key, map_indexes)
            return default if value is None else value
        values: list[Any] = []
        for task_id in task_ids:
            value = self._services.xcom_pull(self, task_id, key, map_indexes)
            if isinstance(value, list) and self._services.is_mapped(task_id):
                values.extend(value)
            else:
                values.append(default if value is None else value)
        return values

    def skip_tasks(self, task_ids: Iterable[str]) -> None:
        """Mark these (downstream) tasks skipped: what branch and short-circuit operators do."""
        self._services.skip_tasks(self, set(task_ids))

    def follow_branches(self, branch_ids: Iterable[str]) -> None:
        """Follow these task (or task group) ids; the other direct downstream tasks are skipped."""
        self._services.follow_branches(self, list(branch_ids))

    def short_circuit(self, ignore_downstream_trigger_rules: bool = True) -> None:
        """Skip everything downstream (or only the direct children, with False)."""
        self._services.short_circuit(self, ignore_downstream_trigger_rules)

    def get_first_reschedule_date(self) -> datetime | None:
        return self._services.first_reschedule_date(self)

    def trigger_dag_run(
        self,
        dag_id: str,
        run_id: str | None = None,
        conf: dict[str, Any] | None = None,
        logical_date: Any = None,
        reset_dag_run: bool = False,
    ) -> str:
        return self._services.trigger_dag_run(dag_id, run_id, conf, logical_date, reset_dag_run)

    def get_dag_run_state(self, dag_id: str, run_id: str) -> str | None:
        return self._services.get_dag_run_state(dag_id, run_id)

    def get_template_context(self) -> Any:
        from slipstream.sdk.context import get_current_context

        return get_current_context()


_HOSTNAME: str | None = None


def _hostname() -> str:
    global _HOSTNAME
    if _HOSTNAME is None:
        import socket

        _HOSTNAME = socket.gethostname()
    return _HOSTNAME

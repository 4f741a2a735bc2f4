"""The executor contract between the scheduler and whatever runs task tries."""

from __future__ import annotations

import abc
from dataclasses import asdict, dataclass
from typing import Any

from slipstream.core import wake


@dataclass(frozen=True)
class TaskWorkload:
    """Everything needed to run one try of one task instance, and nothing secret.

    `queue_token` guards at-most-once: the try may only start if the task instance is still
    queued with this token and try number (see docs/engine-design.md).
    """

    ti_id: int
    dag_id: str
    run_id: str
    task_id: str
    map_index: int
    try_number: int
    queue_token: str
    fileloc: str
    serialized_dag_id: int | None = None
    pool: str = "default_pool"
    queue: str = "default"
    priority_weight: int = 1

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TaskWorkload:
        return cls(**data)


@dataclass(frozen=True)
class CallbackWorkload:
    """A DAG-level callback to run (on_success_callback / on_failure_callback of a run)."""

    dag_id: str
    run_id: str
    fileloc: str
    kind: str  # "on_success_callback" | "on_failure_callback"
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CallbackWorkload:
        return cls(**data)


class BaseExecutor(abc.ABC):
    """Runs workloads; tells the scheduler (through `wait`/`drain_events`) when tries end.

    The database stays the source of truth for outcomes: an event only means "look now".
    """

    def __init__(self, parallelism: int) -> None:
        self.parallelism = parallelism

    @abc.abstractmethod
    def start(self) -> None:
        """Start worker processes; called once before queueing."""

    @abc.abstractmethod
    def queue_workload(self, workload: TaskWorkload) -> None:
        """Start running `workload` as soon as possible."""

    def queue_callback(self, workload: CallbackWorkload) -> None:
        """Run a DAG-level callback; failures are logged, never fatal."""
        raise NotImplementedError

    @property
    @abc.abstractmethod
    def running_count(self) -> int:
        """Workloads handed over and not yet reported finished."""

    @property
    def open_slots(self) -> int:
        return max(0, self.parallelism - self.running_count)

    @property
    def wake_address(self) -> str | None:
        """Where others on this machine may send a wake-up (`core.wake.send_wake`) that makes
        `wait` return, so the scheduler looks at the database at once; None: nowhere."""
        return None

    @abc.abstractmethod
    def wait(self, timeout: float) -> bool:
        """Block until an event arrives or `timeout` seconds pass; True if there are events."""

    @abc.abstractmethod
    def drain_events(self) -> list[int]:
        """Task instance ids whose try ended since the last call."""

    def heartbeat(self) -> None:  # noqa: B027 - optional hook, a no-op by default
        """Housekeeping between scheduler steps (reap processes, restart a dead worker)."""

    @abc.abstractmethod
    def end(self, timeout: float = 30.0) -> None:
        """Stop taking work; let running tries finish up to `timeout`, then stop workers."""


# The wake-up hint lives in `core.wake` (the API sends it too); named here for the executors.
WAKE = wake.WAKE
send_wake = wake.send_wake
is_wake = wake.is_wake

"""States of task instances and DAG runs, with Airflow's names and values."""

from __future__ import annotations

from enum import StrEnum


class TaskInstanceState(StrEnum):
    """The state of one try-able unit of work (a task, or one index of a mapped task)."""

    SCHEDULED = "scheduled"
    QUEUED = "queued"
    RUNNING = "running"
    SUCCESS = "success"
    FAILED = "failed"
    SKIPPED = "skipped"
    UPSTREAM_FAILED = "upstream_failed"
    UP_FOR_RETRY = "up_for_retry"
    UP_FOR_RESCHEDULE = "up_for_reschedule"
    RESTARTING = "restarting"
    DEFERRED = "deferred"
    REMOVED = "removed"


class DagRunState(StrEnum):
    """The state of one run of a DAG."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCESS = "success"
    FAILED = "failed"


class State:
    """Airflow's grab-bag of state names, for DAG files that use `State.SUCCESS` and friends."""

    NONE = None
    SCHEDULED = TaskInstanceState.SCHEDULED
    QUEUED = TaskInstanceState.QUEUED
    RUNNING = TaskInstanceState.RUNNING
    SUCCESS = TaskInstanceState.SUCCESS
    FAILED = TaskInstanceState.FAILED
    SKIPPED = TaskInstanceState.SKIPPED
    UPSTREAM_FAILED = TaskInstanceState.UPSTREAM_FAILED
    UP_FOR_RETRY = TaskInstanceState.UP_FOR_RETRY
    UP_FOR_RESCHEDULE = TaskInstanceState.UP_FOR_RESCHEDULE
    RESTARTING = TaskInstanceState.RESTARTING
    DEFERRED = TaskInstanceState.DEFERRED
    REMOVED = TaskInstanceState.REMOVED

    task_states = (None, *TaskInstanceState)
    dag_states = tuple(DagRunState)
    finished = frozenset(
        {
            TaskInstanceState.SUCCESS,
            TaskInstanceState.FAILED,
            TaskInstanceState.SKIPPED,
            TaskInstanceState.UPSTREAM_FAILED,
            TaskInstanceState.REMOVED,
        }
    )
    unfinished = frozenset(
        {
            None,
            TaskInstanceState.SCHEDULED,
            TaskInstanceState.QUEUED,
            TaskInstanceState.RUNNING,
            TaskInstanceState.UP_FOR_RETRY,
            TaskInstanceState.UP_FOR_RESCHEDULE,
            TaskInstanceState.RESTARTING,
            TaskInstanceState.DEFERRED,
        }
    )
    failed_states = frozenset({TaskInstanceState.FAILED, TaskInstanceState.UPSTREAM_FAILED})
    success_states = frozenset({TaskInstanceState.SUCCESS, TaskInstanceState.SKIPPED})


FINISHED_TI_STATES = State.finished

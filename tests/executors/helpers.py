"""Rows a try needs (DAG, serialized DAG, run, task instances), made with the models directly,
and small waiting helpers for tests with real processes."""

from __future__ import annotations

import datetime as dt
import os
import textwrap
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select, update

from slipstream.dagfiles.bag import DagBag
from slipstream.db.engine import Database
from slipstream.db.models import DagModel, DagRun, SerializedDagModel, TaskInstance
from slipstream.executors.base import TaskWorkload
from slipstream.executors.local import LocalExecutor
from slipstream.serialization import dag_hash, serialize_dag

LOGICAL_DATE = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


@dataclass
class SeededRun:
    dag_id: str
    run_id: str
    dag_run_id: int
    serialized_dag_id: int
    fileloc: str
    ti_ids: dict[str, int]


def write_dag(folder: Path, name: str, source: str) -> Path:
    """A DAG file `name`.py in `folder` with `source` (dedented)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.py"
    path.write_text(textwrap.dedent(source))
    return path


def seed_run(
    db: Database,
    dag_file: Path,
    dag_id: str,
    *,
    run_id: str = "manual__test",
    conf: dict[str, Any] | None = None,
    paused: bool = False,
    logical_date: dt.datetime = LOGICAL_DATE,
) -> SeededRun:
    """Store `dag_id` of `dag_file` (DAG row and serialized DAG) and one running run with a TI
    (no state, try 0) per task."""
    bag = DagBag(dag_file)
    dag = bag.get_dag(dag_id)
    assert dag is not None, bag.import_errors
    data = serialize_dag(dag)
    now = dt.datetime.now(dt.UTC)
    with db.begin() as session:
        if session.get(DagModel, dag_id) is None:
            session.add(DagModel(dag_id=dag_id, is_paused=paused, fileloc=str(dag_file)))
        version = SerializedDagModel(
            dag_id=dag_id,
            version_number=1
            + len(
                session.scalars(
                    select(SerializedDagModel.id).where(SerializedDagModel.dag_id == dag_id)
                ).all()
            ),
            dag_hash=dag_hash(data),
            data=data,
            fileloc=str(dag_file),
            created_at=now,
        )
        session.add(version)
        session.flush()
        run = DagRun(
            dag_id=dag_id,
            run_id=run_id,
            logical_date=logical_date,
            data_interval_start=logical_date,
            data_interval_end=logical_date,
            run_after=logical_date,
            run_type="manual",
            state="running",
            start_date=now,
            conf=dict(conf or {}),
            serialized_dag_id=version.id,
            needs_scheduling=False,
        )
        session.add(run)
        session.flush()
        tis = [
            TaskInstance(
                dag_run_id=run.id,
                dag_id=dag_id,
                run_id=run_id,
                task_id=task.task_id,
                map_index=-1,
                max_tries=task.retries,
                operator=type(task).__name__,
            )
            for task in dag.task_dict.values()
        ]
        session.add_all(tis)
        session.flush()
        return SeededRun(
            dag_id=dag_id,
            run_id=run_id,
            dag_run_id=run.id,
            serialized_dag_id=version.id,
            fileloc=str(dag_file),
            ti_ids={ti.task_id: ti.id for ti in tis},
        )


def expand(db: Database, run: SeededRun, task_id: str, length: int) -> list[int]:
    """Give a mapped task `length` TIs (map indexes 0..length-1), as the scheduler would."""
    with db.begin() as session:
        placeholder = session.get(TaskInstance, run.ti_ids[task_id])
        assert placeholder is not None
        placeholder.map_index = 0
        extra = [
            TaskInstance(
                dag_run_id=run.dag_run_id,
                dag_id=run.dag_id,
                run_id=run.run_id,
                task_id=task_id,
                map_index=i,
                max_tries=placeholder.max_tries,
            )
            for i in range(1, length)
        ]
        session.add_all(extra)
        session.flush()
        return [placeholder.id] + [ti.id for ti in extra]


def queue_ti(
    db: Database, run: SeededRun, task_id: str, *, ti_id: int | None = None
) -> TaskWorkload:
    """Queue the next try of a TI (as the scheduler does) and return its workload."""
    ti_id = ti_id if ti_id is not None else run.ti_ids[task_id]
    token = uuid.uuid4().hex
    with db.begin() as session:
        ti = session.get(TaskInstance, ti_id)
        assert ti is not None
        keep_try = ti.state == "up_for_reschedule"
        ti.try_number = ti.try_number if keep_try else ti.try_number + 1
        ti.state = "queued"
        ti.queue_token = token
        ti.queued_dttm = dt.datetime.now(dt.UTC)
        try_number, map_index = ti.try_number, ti.map_index
    return TaskWorkload(
        ti_id=ti_id,
        dag_id=run.dag_id,
        run_id=run.run_id,
        task_id=task_id,
        map_index=map_index,
        try_number=try_number,
        queue_token=token,
        fileloc=run.fileloc,
        serialized_dag_id=run.serialized_dag_id,
    )


def set_ti(db: Database, ti_id: int, **values: Any) -> None:
    with db.begin() as session:
        session.execute(update(TaskInstance).where(TaskInstance.id == ti_id).values(**values))


def get_ti(db: Database, ti_id: int) -> TaskInstance:
    with db.session() as session:
        ti = session.get(TaskInstance, ti_id)
        assert ti is not None
        return ti


def wait_for(predicate: Callable[[], Any], timeout: float = 30.0, interval: float = 0.02) -> Any:
    """Poll `predicate` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {predicate}")
        time.sleep(interval)


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie is not alive for our purposes
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split(") ", 1)[1][0] != "Z"
    except OSError:
        return False


def run_workload(executor: LocalExecutor, workload: TaskWorkload, timeout: float = 60) -> None:
    """Queue `workload` and wait for the event that says its try ended."""
    executor.queue_workload(workload)
    wait_event(executor, workload.ti_id, timeout)


def wait_event(executor: LocalExecutor, ti_id: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if executor.wait(0.2) and ti_id in executor.drain_events():
            return
        executor.heartbeat()
    raise AssertionError(f"no event for task instance {ti_id} within {timeout} s")

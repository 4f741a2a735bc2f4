"""A fake executor and a harness that drives `Scheduler.tick()` with a fake clock.

The fake executor only records what it is handed; tests play the workers: they claim a try and
write its outcome with the same store functions a real supervisor uses
(`store.execution.claim_try` / `finish_try`), then tick again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from slipstream.core.clock import FakeClock
from slipstream.core.states import TaskInstanceState
from slipstream.db.engine import Database
from slipstream.db.models import Asset, DagRun, DagScheduleAssetReference, TaskInstance
from slipstream.db.store import dags as dag_store
from slipstream.db.store import execution, serialized_dags, xcoms
from slipstream.db.store import runs as run_store
from slipstream.executors.base import BaseExecutor, CallbackWorkload, TaskWorkload
from slipstream.scheduler import Scheduler, SchedulerSettings, TickResult
from slipstream.serialization import dag_hash, deserialize_dag, serialize_dag

S = TaskInstanceState
START = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


class FakeExecutor(BaseExecutor):
    """Records workloads and callbacks; `finished(ti_id)` plays the end-of-try event."""

    def __init__(self, parallelism: int = 32) -> None:
        super().__init__(parallelism)
        self.workloads: list[TaskWorkload] = []
        self.pending: dict[int, TaskWorkload] = {}
        self.callbacks: list[CallbackWorkload] = []
        self.events: list[int] = []
        self.waits: list[float] = []
        self.started = False
        self.ended = False

    def start(self) -> None:
        self.started = True

    def queue_workload(self, workload: TaskWorkload) -> None:
        self.workloads.append(workload)
        self.pending[workload.ti_id] = workload

    def queue_callback(self, workload: CallbackWorkload) -> None:
        self.callbacks.append(workload)

    @property
    def running_count(self) -> int:
        return len(self.pending)

    def wait(self, timeout: float) -> bool:
        self.waits.append(timeout)
        return bool(self.events)

    def drain_events(self) -> list[int]:
        events, self.events = self.events, []
        return events

    def end(self, timeout: float = 30.0) -> None:
        self.ended = True

    def finished(self, ti_id: int) -> None:
        self.pending.pop(ti_id, None)
        self.events.append(ti_id)

    def pending_tasks(self) -> list[str]:
        return [_label(w) for w in self.pending.values()]


def _label(w: TaskWorkload) -> str:
    return w.task_id if w.map_index < 0 else f"{w.task_id}[{w.map_index}]"


Outcome = str | Callable[["Harness", TaskWorkload], None]


class Harness:
    """One scheduler on one database, with a fake clock and executor, and the worker's part."""

    def __init__(
        self,
        db: Database,
        *,
        clock: FakeClock | None = None,
        executor: FakeExecutor | None = None,
        settings: SchedulerSettings | None = None,
    ) -> None:
        self.db = db
        self.clock = clock or FakeClock(START + dt.timedelta(days=30))
        self.executor = executor or FakeExecutor()
        self.settings = settings or SchedulerSettings()
        self.scheduler = Scheduler(db, self.executor, self.clock, self.settings)

    # --- DAGs and runs ----------------------------------------------------------------------

    def add_dag(self, dag: Any, *, paused: bool = False) -> int:
        """Store `dag` as the DAG processor would: a version, the `dag` row, its next run."""
        data = serialize_dag(dag)
        now = self.clock.now()
        with self.db.begin() as session:
            model = dag_store.get_dag_model(session, dag.dag_id)
            if model is None:
                model = dag_store.add_dag_model(session, dag.dag_id, is_paused=paused)
            versions = serialized_dags.latest_versions(session, [dag.dag_id])
            number = versions[dag.dag_id].version_number + 1 if dag.dag_id in versions else 1
            version_id = serialized_dags.add_version(
                session,
                dag_id=dag.dag_id,
                data=data,
                dag_hash=dag_hash(data),
                fileloc=dag.fileloc or "",
                version_number=number,
                now=now,
            )
            model.fileloc = dag.fileloc or ""
            model.is_paused = paused
            self._set_next_run(session, model, data, now)
            self._reference_assets(session, model.dag_id, data, now)
        return version_id

    def _set_next_run(self, session: Any, model: Any, data: Any, now: dt.datetime) -> None:
        from slipstream.timetables.next_run import compute_next_dagrun

        session.flush()
        info = compute_next_dagrun(deserialize_dag(data), None, now)
        run_store.set_next_dagrun(session, model.dag_id, info, may_create=True)

    def _reference_assets(self, session: Any, dag_id: str, data: Any, now: dt.datetime) -> None:
        condition = getattr(deserialize_dag(data).timetable, "asset_condition", None)
        if condition is None:
            return
        for uri, asset in condition.iter_assets():
            found = session.query(Asset).filter_by(uri=uri).one_or_none()
            if found is None:
                found = Asset(name=asset.get("name") or uri, uri=uri, extra={}, created_at=now)
                session.add(found)
                session.flush()
            session.merge(DagScheduleAssetReference(asset_id=found.id, dag_id=dag_id))

    def set_paused(self, dag_id: str, paused: bool) -> None:
        with self.db.begin() as session:
            dag_store.set_paused(session, dag_id, paused)

    def trigger(self, dag_id: str, **kwargs: Any) -> str:
        now = self.clock.now()
        with self.db.begin() as session:
            run = run_store.trigger_run(session, dag_id, now=now, **kwargs)
            return run.run_id

    # --- the scheduler ----------------------------------------------------------------------

    def tick(self, times: int = 1) -> TickResult:
        result = self.scheduler.tick()
        for _ in range(times - 1):
            result = self.scheduler.tick()
        return result

    def run_to_end(
        self,
        outcomes: Mapping[str, Outcome] | None = None,
        *,
        max_ticks: int = 200,
        check: Callable[[Harness], None] | None = None,
    ) -> list[str]:
        """Tick and play every queued try with its outcome (default success) until nothing is
        pending and a tick changes nothing; returns the labels of the tries, in order."""
        played: list[str] = []
        for _ in range(max_ticks):
            result = self.tick()
            if check is not None:
                check(self)
            pending = list(self.executor.pending.values())
            for workload in pending:
                played.append(_label(workload))
                outcome = (outcomes or {}).get(workload.task_id, "success")
                if callable(outcome):
                    outcome(self, workload)
                elif outcome == "failed":
                    self.fail(workload)
                else:
                    self.finish(workload, outcome)
            if not pending and not result.did_work and not self.executor.events:
                return played
        raise AssertionError(f"the runs did not settle in {max_ticks} ticks: {played}")

    # --- the worker's part ------------------------------------------------------------------

    def claim(self, workload: TaskWorkload) -> bool:
        now = self.clock.now()
        with self.db.begin() as session:
            result = execution.claim_try(
                session,
                ti_id=workload.ti_id,
                try_number=workload.try_number,
                queue_token=workload.queue_token,
                hostname="test",
                pid=1,
                now=now,
            )
        return isinstance(result, execution.ClaimedTry)

    def finish(
        self,
        workload: TaskWorkload,
        state: str = "success",
        *,
        xcom: Any = None,
        next_try_at: dt.datetime | None = None,
        outlets: Iterable[Any] = (),
        skip: Iterable[str] = (),
    ) -> None:
        """Claim the try (unless running already) and end it as `state`; `xcom` is pushed as
        its return value; `outlets` are SDK assets it updated; `skip` lists task ids to skip first (a branch's choice)."""
        import json

        if self.ti(workload.ti_id).state == S.QUEUED:
            assert self.claim(workload), f"could not claim {workload}"
        now = self.clock.now()
        with self.db.begin() as session:
            run_id = session.get(TaskInstance, workload.ti_id).dag_run_id  # type: ignore[union-attr]
            if xcom is not None:
                xcoms.xcom_set(
                    session,
                    dag_run_id=run_id,
                    dag_id=workload.dag_id,
                    run_id=workload.run_id,
                    task_id=workload.task_id,
                    map_index=workload.map_index,
                    key="return_value",
                    value=json.dumps(xcom),
                    now=now,
                )
            if skip:
                execution.skip_task_instances(session, run_id, skip, now=now)
            events = [execution.AssetEventRecord(uri=a.uri, name=a.name) for a in outlets]
            assert execution.finish_try(
                session,
                execution.TryResult(
                    ti_id=workload.ti_id,
                    try_number=workload.try_number,
                    state=TaskInstanceState(state),
                    end_date=now,
                    next_try_at=next_try_at,
                    asset_events=events,
                ),
            )
        self.executor.finished(workload.ti_id)

    def fail(self, workload: TaskWorkload) -> str:
        """End the try as failed: up_for_retry or failed by the task's retry policy."""
        from slipstream.orchestration.retries import next_state_after_failure, retry_delay_for

        with self.db.session() as session:
            dag = dag_store.serialized_dag_by_id(session, workload.serialized_dag_id)  # type: ignore[arg-type]
            max_tries = session.get(TaskInstance, workload.ti_id).max_tries  # type: ignore[union-attr]
        task = dag.task_dict[workload.task_id]  # type: ignore[union-attr]
        state = next_state_after_failure(task, workload.try_number, max_tries=max_tries)
        next_try_at = None
        if state is S.UP_FOR_RETRY:
            next_try_at = self.clock.now() + retry_delay_for(task, workload.try_number)
        self.finish(workload, state.value, next_try_at=next_try_at)
        return state.value

    def play(self, task_id: str, state: str = "success", **kwargs: Any) -> TaskWorkload:
        """Finish the pending workload of `task_id` (the only one, or map index 0)."""
        for workload in list(self.executor.pending.values()):
            if workload.task_id == task_id:
                if state == "failed":
                    self.fail(workload)
                else:
                    self.finish(workload, state, **kwargs)
                return workload
        raise AssertionError(f"no pending workload of {task_id}: {self.executor.pending_tasks()}")

    # --- reading ----------------------------------------------------------------------------

    def ti(self, ti_id: int) -> TaskInstance:
        with self.db.session() as session:
            ti = session.get(TaskInstance, ti_id)
            assert ti is not None
            return ti

    def states(self, run_id: str, dag_id: str | None = None) -> dict[str, str | None]:
        with self.db.session() as session:
            query = session.query(TaskInstance).filter(TaskInstance.run_id == run_id)
            if dag_id is not None:
                query = query.filter(TaskInstance.dag_id == dag_id)
            return {
                (t.task_id if t.map_index < 0 else f"{t.task_id}[{t.map_index}]"): t.state
                for t in query
            }

    def run(self, run_id: str, dag_id: str | None = None) -> DagRun:
        with self.db.session() as session:
            query = session.query(DagRun).filter(DagRun.run_id == run_id)
            if dag_id is not None:
                query = query.filter(DagRun.dag_id == dag_id)
            return query.one()

    def runs(self, dag_id: str) -> list[DagRun]:
        with self.db.session() as session:
            return list(
                session.query(DagRun).filter(DagRun.dag_id == dag_id).order_by(DagRun.run_after)
            )

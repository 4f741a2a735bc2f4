"""Run a whole DAG in this process, with full semantics and no database: `slipstream dags test`.

Tasks run one at a time, as in Airflow's `dags test`. Which task runs next and what its state
becomes are decided by `slipstream.orchestration` — the same rules the scheduler uses — so this
runner only keeps the run's state in memory and executes tries.

The runner never touches the metadata database. A `RunRecorder` (the CLI gives one) is asked
before each run starts and gets per-try log files written; the finished `DagTestResult` holds
every try, XCom and asset event, for the caller to record in one go.
"""

from __future__ import annotations

import contextlib
import heapq
import json
import logging
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from slipstream.core.states import DagRunState, TaskInstanceState
from slipstream.orchestration.decisions import decide
from slipstream.orchestration.graph import as_graph
from slipstream.orchestration.priority import priority_weights
from slipstream.orchestration.retries import next_state_after_failure, retry_delay_for
from slipstream.orchestration.run_state import dag_run_state
from slipstream.orchestration.skips import branch_skip_set, may_skip, short_circuit_skip_set
from slipstream.orchestration.trigger_rules import Decision
from slipstream.runtime import task_logging, try_logs
from slipstream.runtime.asset_events import AssetEvent, events_for_success
from slipstream.runtime.context import build_context
from slipstream.runtime.dag_test_result import DagTestResult, TIRecord, TryRecord, XComRecord
from slipstream.runtime.task_instance import DagRunInfo, RuntimeTaskInstance
from slipstream.runtime.task_runner import TryOutcome, call_callbacks, prepare_task, run_try
from slipstream.runtime.xcom import decode, encode

__all__ = [
    "DagTestResult", "InProcessRun", "RunRecorder", "TIRecord", "TryRecord", "XComRecord",
    "expand_group_ids", "test_dag", "test_task",
]  # fmt: skip

log = logging.getLogger("slipstream.dag_test")
S = TaskInstanceState
_SETTLED = (S.SKIPPED, S.UPSTREAM_FAILED, S.FAILED, S.REMOVED)


class RunRecorder(Protocol):
    """Where the CLI records `dags test` runs (the metadata database); the runner only asks it
    before each run (the DAG's own, and each run it triggers inline) and writes per-try log
    files under its `log_folder`. The caller records the finished result."""

    @property
    def log_folder(self) -> Path | None: ...

    def run_starting(self, dag: Any, dag_run: DagRunInfo) -> None:
        """Called before `dag_run` starts; raises to refuse it (say, a run in the way)."""
        ...


class InProcessRun:
    """One DAG run executed in this process. Implements the task's `RunServices`."""

    def __init__(
        self,
        dag: Any,
        dag_run: DagRunInfo,
        params: dict[str, Any] | None = None,
        *,
        find_dag: Callable[[str], Any] | None = None,
        recorder: RunRecorder | None = None,
    ) -> None:
        self.dag = dag
        self.find_dag = find_dag
        self.recorder = recorder
        self.log_folder = recorder.log_folder if recorder is not None else None
        self.log_files: try_logs.TryLogFiles | None = None
        self.triggered: dict[tuple[str, str], str] = {}
        self.triggered_results: list[DagTestResult] = []
        self.dag_run = dag_run
        self.graph = as_graph(dag.task_dict)
        self.order = {tid: i for i, tid in enumerate(self.graph.topological_order())}
        self.weights = priority_weights(self.graph)
        self.records: dict[str, list[TIRecord]] = {t: [TIRecord(t)] for t in dag.task_dict}
        self.states: dict[str, list[TaskInstanceState | None]] = {t: [None] for t in dag.task_dict}
        self.xcoms: dict[tuple[str, int, str], str] = {}
        self.xcom_times: dict[tuple[str, int, str], datetime] = {}
        self.asset_events: dict[str, list[AssetEvent]] = {}
        self.params = params or {}
        self._to_evaluate: list[tuple[int, str]] = []
        self._queued: set[str] = set()
        self._ready: list[tuple[int, int, int, str]] = []
        self._last_ti: RuntimeTaskInstance | None = None

    # --- the loop --------------------------------------------------------------------

    def run(self) -> DagTestResult:
        with contextlib.ExitStack() as stack:
            if self.log_folder is not None:
                self.log_files = stack.enter_context(try_logs.TryLogFiles())
            self._run_all()
        state = dag_run_state(self.graph, self.states) or DagRunState.FAILED
        self.dag_run.state = state.value
        self.dag_run.end_date = _now()
        self._run_dag_callbacks(state)
        return DagTestResult(
            dag_id=self.dag.dag_id,
            run_id=self.dag_run.run_id,
            state=state,
            logical_date=self.dag_run.logical_date,
            tis=[r for t in self.order for r in self.records[t]],
            asset_events=[e for events in self.asset_events.values() for e in events],
            dag_run=self.dag_run,
            xcoms=[XComRecord(*k, value, self.xcom_times[k]) for k, value in self.xcoms.items()],
            triggered=self.triggered_results,
            dag=self.dag,
            priority_weights=self.weights,
        )

    def _run_all(self) -> None:
        for task_id in self.order:
            self._evaluate_later(task_id)
        while True:
            self._evaluate()
            if self._ready:
                _, _, map_index, task_id = heapq.heappop(self._ready)
                self._run_one(self._record(task_id, map_index))
                continue
            if not self._wait_for_next_try():
                break

    def run_single(self, task_id: str, map_index: int = -1) -> TIRecord:
        """Run one task (one map index of a mapped task) once, whatever its upstream states."""
        task = self.dag.task_dict[task_id]
        if getattr(task, "is_mapped", False):
            if not self._expand(task):
                return self.records[task_id][0]
            if not 0 <= map_index < len(self.records[task_id]):
                raise ValueError(f"Task '{task_id}' has no map index {map_index}")
        record = self._record(task_id, map_index)
        self._run_one(record)
        return record

    def _evaluate_later(self, task_id: str) -> None:
        if task_id not in self._queued:
            self._queued.add(task_id)
            heapq.heappush(self._to_evaluate, (self.order[task_id], task_id))

    def _evaluate(self) -> None:
        """Apply trigger rules to tasks whose upstream changed, in topological order."""
        while self._to_evaluate:
            _, task_id = heapq.heappop(self._to_evaluate)
            self._queued.discard(task_id)
            if None not in self.states[task_id]:
                continue
            decision = decide(self.graph, task_id, self.states)
            if decision is Decision.RUN:
                self._make_runnable(task_id)
            elif decision in (Decision.SKIP, Decision.UPSTREAM_FAILED):
                for record in self.records[task_id]:
                    if record.state is None:
                        self._set_state(record, decision.terminal_state)

    def _make_runnable(self, task_id: str) -> None:
        task = self.dag.task_dict[task_id]
        unexpanded = getattr(task, "is_mapped", False) and self.records[task_id][0].map_index < 0
        if unexpanded and not self._expand(task):
            return
        for record in self.records[task_id]:
            if record.state is None:
                self._schedule(record)

    def _schedule(self, record: TIRecord) -> None:
        self._set_state(record, S.SCHEDULED, propagate=False)
        priority = -self.weights.get(record.task_id, 1)
        heapq.heappush(
            self._ready, (priority, self.order[record.task_id], record.map_index, record.task_id)
        )

    def _expand(self, task: Any) -> bool:
        """Replace a mapped task's placeholder with one record per element; False if settled."""
        placeholder = self.records[task.task_id][0]
        ti = self._runtime_ti(task, placeholder)
        context = build_context(ti, params=self.params)
        try:
            length = task.get_mapped_length(context)
        except Exception as err:
            log.error("Cannot expand mapped task %s: %s", task.task_id, err)
            self._set_state(placeholder, S.FAILED)
            return False
        if length == 0:
            log.info("Mapped task %s expanded to zero task instances: skipped", task.task_id)
            self._set_state(placeholder, S.SKIPPED)
            return False
        self.records[task.task_id] = [TIRecord(task.task_id, i) for i in range(length)]
        self.states[task.task_id] = [None] * length
        return True

    def _wait_for_next_try(self) -> bool:
        """Sleep until the earliest retry or reschedule is due; False when nothing waits."""
        waiting = [
            r
            for records in self.records.values()
            for r in records
            if r.state in (S.UP_FOR_RETRY, S.UP_FOR_RESCHEDULE)
        ]
        if not waiting:
            return False
        due = min(r.next_try_at or 0.0 for r in waiting)
        delay = due - time.time()
        if delay > 0:
            log.info("Waiting %.1f s for the next try", delay)
            time.sleep(delay)
        now = time.time()
        for record in waiting:
            if (record.next_try_at or 0.0) <= now:
                self._schedule(record)
        return True

    # --- one try ---------------------------------------------------------------------

    def _run_one(self, record: TIRecord) -> None:
        task = self.dag.task_dict[record.task_id]
        rescheduled = record.state is S.SCHEDULED and record.first_reschedule_date is not None
        if not rescheduled or record.try_number == 0:
            record.try_number += 1
            if record.try_number > 1:
                self._drop_xcoms(record)
        record.start_date = _now()
        self._set_state(record, S.RUNNING, propagate=False)
        if _is_plain_empty(task):
            record.end_date = record.start_date
            record.tries.append(
                TryRecord(record.try_number, S.SUCCESS, record.start_date, record.end_date)
            )
            self._set_state(record, S.SUCCESS)
            return
        ti = self._runtime_ti(task, record)
        label = record.task_id if record.map_index < 0 else f"{record.task_id}[{record.map_index}]"
        full_label = f"{self.dag.dag_id}.{label}"
        with (
            task_logging.task_label(full_label),
            self._try_log(record, full_label),
            _task_output_to_log(),
        ):
            log.info("Running task %s, try %s of %s", label, record.try_number, task.retries + 1)
            try:
                if getattr(task, "is_mapped", False):
                    expand_ctx = build_context(ti, params=self.params)
                    ti.task = task.unmap(expand_ctx, record.map_index)
                else:
                    ti.task = prepare_task(task)
                context = build_context(
                    ti, params=self._task_params(ti.task), asset_events=self.asset_events
                )
            except Exception as err:
                outcome = TryOutcome(S.FAILED, error=err, retryable=True)
                log.exception("Task %s could not start", label)
                context = {"ti": ti, "task": ti.task, "dag": self.dag, "dag_run": self.dag_run}
            else:
                outcome = run_try(ti, context)
            self._finish(record, ti, context, outcome)

    def _finish(
        self,
        record: TIRecord,
        ti: RuntimeTaskInstance,
        context: dict[str, Any],
        outcome: TryOutcome,
    ) -> None:
        task = ti.task
        record.end_date = _now()
        state = outcome.state
        next_try_at: datetime | None = None
        if state is S.FAILED:
            state = next_state_after_failure(
                task, record.try_number, force_fail=not outcome.retryable
            )
            context["exception"] = outcome.error
        if state is S.UP_FOR_RETRY:
            delay = retry_delay_for(task, record.try_number)
            record.next_try_at = time.time() + delay.total_seconds()
            log.info(
                "Task %s will retry in %s (try %s failed)", task.task_id, delay, record.try_number
            )
        elif state is S.UP_FOR_RESCHEDULE:
            record.first_reschedule_date = record.first_reschedule_date or record.start_date
            record.next_try_at = _timestamp(outcome.reschedule_date)
        if record.next_try_at is not None and state in (S.UP_FOR_RETRY, S.UP_FOR_RESCHEDULE):
            next_try_at = datetime.fromtimestamp(record.next_try_at, UTC)
        start = record.start_date or record.end_date
        record.tries.append(
            TryRecord(record.try_number, state, start, record.end_date, next_try_at)
        )
        if state is S.SUCCESS and "outlet_events" in context:
            self._record_asset_events(ti, context["outlet_events"], record.end_date)
        ti.state = state
        self._set_state(record, state)
        self._last_ti = ti
        callback = {
            S.SUCCESS: "on_success_callback",
            S.FAILED: "on_failure_callback",
            S.UP_FOR_RETRY: "on_retry_callback",
            S.SKIPPED: "on_skipped_callback",
        }.get(state)
        if callback and (state is not S.SKIPPED or outcome.error is not None):
            call_callbacks(getattr(task, callback, None), context, callback)
        log.info("Task %s finished: %s", task.task_id, state.value)

    def _record_asset_events(self, ti: RuntimeTaskInstance, accessors: Any, when: Any) -> None:
        events = events_for_success(
            ti.task,
            accessors,
            dag_id=ti.dag_id,
            run_id=ti.run_id,
            map_index=ti.map_index,
            timestamp=when,
        )
        known = _known_assets(ti.task, accessors)
        for event in events:
            event.asset = known.get(event.asset_uri)
            log.info("Asset event for %s, extra %s", event.asset_uri, event.extra)
            self.asset_events.setdefault(event.asset_uri, []).append(event)

    def _try_log(self, record: TIRecord, label: str) -> contextlib.AbstractContextManager[None]:
        if self.log_files is None or self.log_folder is None:
            return contextlib.nullcontext()
        path = try_logs.try_log_path(
            self.log_folder,
            dag_id=self.dag.dag_id,
            run_id=self.dag_run.run_id,
            task_id=record.task_id,
            map_index=record.map_index,
            try_number=record.try_number,
        )
        return self.log_files.writing(path, label)

    def _drop_xcoms(self, record: TIRecord) -> None:
        """A new try starts without the XComs of the one before, as in a deployment."""
        stale = [k for k in self.xcoms if k[0] == record.task_id and k[1] == record.map_index]
        for key in stale:
            del self.xcoms[key]
            del self.xcom_times[key]

    def _task_params(self, task: Any) -> dict[str, Any]:
        from slipstream.sdk.params import merge_params

        return merge_params(self.dag.params, task.params, self.dag_run.conf)

    def _runtime_ti(self, task: Any, record: TIRecord) -> RuntimeTaskInstance:
        return RuntimeTaskInstance(
            task=task,
            dag_run=self.dag_run,
            map_index=record.map_index,
            try_number=record.try_number,
            max_tries=getattr(task, "retries", 0),
            services=self,
            start_date=record.start_date,
        )

    # --- state bookkeeping -----------------------------------------------------------

    def _record(self, task_id: str, map_index: int) -> TIRecord:
        records = self.records[task_id]
        return records[map_index] if map_index >= 0 else records[0]

    def _set_state(
        self, record: TIRecord, state: TaskInstanceState | None, *, propagate: bool = True
    ) -> None:
        record.state = state
        if state in _SETTLED and record.end_date is None:  # ended without running
            record.start_date = record.end_date = _now()
        index = record.map_index if record.map_index >= 0 else 0
        self.states[record.task_id][index] = state
        if propagate:
            for down in self.graph.downstream[record.task_id]:
                self._evaluate_later(down)

    def _run_dag_callbacks(self, state: DagRunState) -> None:
        name = "on_success_callback" if state is DagRunState.SUCCESS else "on_failure_callback"
        callbacks = getattr(self.dag, name, None)
        if not callbacks:
            return
        self.dag_run.state = state.value
        context: dict[str, Any] = {
            "dag": self.dag,
            "dag_run": self.dag_run,
            "run_id": self.dag_run.run_id,
            "params": self.params,
            "reason": "success" if state is DagRunState.SUCCESS else "task_failure",
        }
        if self._last_ti is not None:
            context.update(ti=self._last_ti, task_instance=self._last_ti, task=self._last_ti.task)
        call_callbacks(callbacks, context, name)

    # --- RunServices: what tasks ask of the runner -----------------------------------

    def xcom_push(self, ti: RuntimeTaskInstance, key: str, value: Any) -> None:
        raw = encode(value, dag_id=ti.dag_id, task_id=ti.task_id, key=key)
        self.xcoms[(ti.task_id, ti.map_index, key)] = raw
        self.xcom_times[(ti.task_id, ti.map_index, key)] = datetime.now(UTC)

    def xcom_pull(self, ti: RuntimeTaskInstance, task_id: str, key: str, map_indexes: Any) -> Any:
        if task_id not in self.records:
            return None
        if isinstance(map_indexes, int):
            return self._xcom(task_id, map_indexes, key)
        if map_indexes is not None:
            return [self._xcom(task_id, i, key) for i in map_indexes]
        task = self.dag.task_dict[task_id]
        if getattr(task, "is_mapped", False):
            records = self.records[task_id]
            if records[0].map_index < 0:
                return None
            return [self._xcom(task_id, r.map_index, key) for r in records]
        return self._xcom(task_id, -1, key)

    def is_mapped(self, task_id: str) -> bool:
        return bool(getattr(self.dag.task_dict.get(task_id), "is_mapped", False))

    def _xcom(self, task_id: str, map_index: int, key: str) -> Any:
        raw = self.xcoms.get((task_id, map_index, key))
        return None if raw is None else decode(raw)

    def skip_tasks(self, ti: RuntimeTaskInstance, task_ids: set[str]) -> None:
        for task_id in task_ids:
            for record in self.records.get(task_id, []):
                if may_skip(record.state):
                    self._set_state(record, S.SKIPPED)
        if task_ids:
            self._ready = [item for item in self._ready if item[3] not in task_ids]
            heapq.heapify(self._ready)

    def follow_branches(self, ti: RuntimeTaskInstance, branch_ids: list[str]) -> None:
        followed = expand_group_ids(self.dag, branch_ids)
        self.skip_tasks(ti, branch_skip_set(self.graph, ti.task_id, followed))

    def short_circuit(self, ti: RuntimeTaskInstance, ignore_downstream_trigger_rules: bool) -> None:
        skip = short_circuit_skip_set(self.graph, ti.task_id, ignore_downstream_trigger_rules)
        self.skip_tasks(ti, skip)

    def first_reschedule_date(self, ti: RuntimeTaskInstance) -> datetime | None:
        return self._record(ti.task_id, ti.map_index).first_reschedule_date

    def trigger_dag_run(
        self,
        dag_id: str,
        run_id: str | None,
        conf: dict[str, Any] | None,
        logical_date: Any,
        reset_dag_run: bool,
    ) -> str:
        """Run the triggered DAG right here, to completion, and remember its state.

        `dags test` has no scheduler to hand the run to; running it inline gives the triggering
        task (and `wait_for_completion`) the outcome a real deployment would reach.
        """
        from slipstream.core.exceptions import DagNotFound
        from slipstream.sdk.operators.trigger_dagrun import DagRunAlreadyExists

        target = self.find_dag(dag_id) if self.find_dag is not None else None
        if target is None:
            raise DagNotFound(f"Dag id {dag_id} not found: it cannot be triggered")
        dag_run, params = _prepare(target, logical_date, conf)
        dag_run.triggered_by = "operator"
        if run_id:
            dag_run.run_id = run_id
        key = (dag_id, dag_run.run_id)
        if key in self.triggered and not reset_dag_run:
            raise DagRunAlreadyExists(f"A run {dag_run.run_id} of DAG {dag_id} already exists")
        if self.recorder is not None:
            self.recorder.run_starting(target, dag_run)
        log.info("Running triggered DAG %s (run %s) in this process", dag_id, dag_run.run_id)
        nested = InProcessRun(
            target, dag_run, params, find_dag=self.find_dag, recorder=self.recorder
        )
        nested.triggered = self.triggered
        nested.triggered_results = self.triggered_results
        result = nested.run()
        result.triggered = []  # the first run's result lists every run triggered inline
        self.triggered[key] = result.state.value
        self.triggered_results[:] = [
            r for r in self.triggered_results if (r.dag_id, r.run_id) != key
        ]
        self.triggered_results.append(result)
        return dag_run.run_id

    def get_dag_run_state(self, dag_id: str, run_id: str) -> str | None:
        return self.triggered.get((dag_id, run_id))


def _prepare(
    dag: Any, logical_date: Any, conf: dict[str, Any] | None
) -> tuple[DagRunInfo, dict[str, Any]]:
    from slipstream.sdk._time import to_aware
    from slipstream.sdk.params import validate_conf

    _ensure_logging()
    logical_date = to_aware(logical_date) if logical_date is not None else _now()
    interval = dag.timetable.infer_manual_data_interval(run_after=logical_date)
    dag_run = DagRunInfo(
        dag_id=dag.dag_id,
        run_id=f"manual__{logical_date.isoformat()}",
        logical_date=logical_date,
        data_interval_start=interval.start,
        data_interval_end=interval.end,
        run_type="manual",
        conf=dict(conf or {}),
        start_date=_now(),
        run_after=logical_date,
    )
    return dag_run, validate_conf(dag.params, dag_run.conf)


def test_task(
    dag: Any,
    task_id: str,
    *,
    logical_date: Any = None,
    map_index: int = -1,
    conf: dict[str, Any] | None = None,
) -> TIRecord:
    """Run one task once, ignoring its dependencies (`slipstream tasks test`)."""
    from slipstream.sdk.secrets import InMemoryBackend, use_runtime_backend

    dag_run, params = _prepare(dag, logical_date, conf)
    run = InProcessRun(dag, dag_run, params)
    with use_runtime_backend(InMemoryBackend()):
        return run.run_single(task_id, map_index)


def test_dag(
    dag: Any,
    *,
    logical_date: Any = None,
    conf: dict[str, Any] | None = None,
    conn_file_path: str | None = None,
    variable_file_path: str | None = None,
    find_dag: Callable[[str], Any] | None = None,
    recorder: RunRecorder | None = None,
) -> DagTestResult:
    """Run `dag` once in this process and return its outcome (what `dag.test()` calls).

    `find_dag(dag_id)` finds the DAGs that TriggerDagRunOperator triggers; by default they are
    looked up in the folder of `dag`'s file. With a `recorder`, each run is announced to it
    before it starts (it may refuse) and every try writes a log file under its `log_folder`;
    recording the result is the caller's job.
    """
    from slipstream.sdk.secrets import InMemoryBackend, use_runtime_backend

    dag_run, params = _prepare(dag, logical_date, conf)
    backend = InMemoryBackend(
        variables=_read_json(variable_file_path), connections=_read_json(conn_file_path)
    )
    if recorder is not None:
        recorder.run_starting(dag, dag_run)
    with use_runtime_backend(backend):
        finder = find_dag or _folder_lookup(dag)
        return InProcessRun(dag, dag_run, params, find_dag=finder, recorder=recorder).run()


def _folder_lookup(dag: Any) -> Callable[[str], Any]:
    def find(dag_id: str) -> Any:
        if dag_id == dag.dag_id:
            return dag
        from pathlib import Path

        from slipstream.dagfiles.bag import load_dag

        fileloc = Path(getattr(dag, "fileloc", "") or ".")
        return load_dag(fileloc.parent if fileloc.is_file() else fileloc, dag_id)[0]

    return find


def _read_json(path: str | None) -> dict[str, Any]:
    if not path:
        return {}
    with open(path, encoding="utf-8") as handle:
        data = json.load(handle)
    if not isinstance(data, dict):
        raise ValueError(f"{path} must hold a JSON object")
    return data


def expand_group_ids(dag: Any, ids: list[str]) -> list[str]:
    """Task ids for a branch's choice: a task group id stands for the group's root tasks."""
    groups = dag.task_group.get_task_group_dict()
    out: list[str] = []
    for item in ids:
        if item not in dag.task_dict and item in groups:
            out.extend(t.task_id for t in groups[item].roots)
        else:
            out.append(item)
    return out


def _known_assets(task: Any, accessors: Any) -> dict[str, Any]:
    """URI → asset object for the outlets of `task` and the assets added to its aliases."""
    known: dict[str, Any] = {}
    for outlet in getattr(task, "outlets", []) or []:
        if getattr(outlet, "uri", None):
            known[outlet.uri] = outlet
        for asset, _ in accessors[outlet].asset_alias_events:
            if getattr(asset, "uri", None):
                known.setdefault(asset.uri, asset)
    return known


def _is_plain_empty(task: Any) -> bool:
    """EmptyOperators without callbacks or outlets finish without executing, as in Airflow."""
    return (
        getattr(task, "inherits_from_empty_operator", False)
        and not getattr(task, "is_mapped", False)
        and not task.on_execute_callback
        and not task.on_success_callback
        and not task.outlets
    )


def _now() -> Any:
    import pendulum

    return pendulum.now("UTC")


def _timestamp(value: Any) -> float:
    if value is None:
        return time.time()
    if isinstance(value, datetime):
        return value.timestamp()
    return float(value)


class _LogWriter:
    """A file-like object that turns a task's prints into log lines."""

    def __init__(self) -> None:
        self._logger = logging.getLogger("slipstream.task.stdout")
        self._buffer = ""

    def write(self, text: str) -> int:
        self._buffer += text
        while "\n" in self._buffer:
            line, self._buffer = self._buffer.split("\n", 1)
            self._logger.info("%s", line)
        return len(text)

    def flush(self) -> None:
        if self._buffer:
            self._logger.info("%s", self._buffer)
            self._buffer = ""


@contextlib.contextmanager
def _task_output_to_log() -> Iterator[None]:
    writer = _LogWriter()
    with contextlib.redirect_stdout(writer):
        try:
            yield
        finally:
            writer.flush()


def _ensure_logging() -> None:
    """Send task logs to stderr when nobody configured logging (a plain `dag.test()`)."""
    if not logging.getLogger().handlers:
        task_logging.configure()

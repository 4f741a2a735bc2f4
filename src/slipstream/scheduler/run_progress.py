"""Step 2 of a tick: move each dirty run forward with the shared rules.

For every run marked `needs_scheduling`, the run's TI states go through
`orchestration.decisions.decide_pending` (trigger rules, setup/teardown, skips and upstream
failures settled transitively); tasks that may run are scheduled (mapped ones expanded first,
`depends_on_past` ones only after their previous run), `fail_fast` is applied, and
`orchestration.run_state.dag_run_state` says whether the run is over. `dagrun_timeout` fails a
run and skips its unfinished TIs, as Airflow does. All TI writes of the step are collected
and made in bulk: one statement per target state.
"""

from __future__ import annotations

import datetime as dt
import logging
import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from slipstream.core.states import FINISHED_TI_STATES, DagRunState, TaskInstanceState
from slipstream.db.models import DagRun
from slipstream.db.store import runs as run_store
from slipstream.db.store import task_instances as ti_store
from slipstream.db.store import xcoms
from slipstream.db.store.dags import serialized_dag_by_id
from slipstream.orchestration.decisions import decide_pending
from slipstream.orchestration.graph import DagGraph
from slipstream.orchestration.run_state import dag_run_state
from slipstream.orchestration.skips import fail_fast_transitions
from slipstream.orchestration.trigger_rules import Decision
from slipstream.scheduler.expansion import MISSING, ExpansionError, Upstreams, mapped_length
from slipstream.serialization import SerializedDAG

log = logging.getLogger("slipstream.scheduler")
S = TaskInstanceState
_PAST_OK = (S.SUCCESS.value, S.SKIPPED.value)
_GRAPHS: weakref.WeakKeyDictionary[SerializedDAG, DagGraph] = weakref.WeakKeyDictionary()


@dataclass(frozen=True)
class FinishedRun:
    """A run this step ended, with what callbacks and the next scheduled run need."""

    id: int
    dag_id: str
    run_id: str
    state: DagRunState
    reason: str
    dag: SerializedDAG | None


@dataclass
class Progress:
    examined: int = 0
    scheduled: int = 0
    settled: int = 0
    expanded: int = 0
    finished: list[FinishedRun] = field(default_factory=list)


@dataclass
class _Writes:
    """TI state changes collected over all runs of the step, applied in bulk."""

    schedule: list[int] = field(default_factory=list)
    settle: dict[str, list[int]] = field(default_factory=dict)  # from no state
    force: dict[str, list[int]] = field(default_factory=dict)  # from any unfinished state

    def merge(self, other: _Writes) -> None:
        self.schedule.extend(other.schedule)
        for mine, theirs in ((self.settle, other.settle), (self.force, other.force)):
            for state, ids in theirs.items():
                mine.setdefault(state, []).extend(ids)

    def apply(self, session: Session, now: dt.datetime) -> tuple[int, int]:
        scheduled = ti_store.schedule(session, self.schedule, now=now)
        settled = 0
        for state, ids in self.settle.items():
            settled += ti_store.settle(session, ids, state, now=now)
        unfinished = [None, *ti_store.UNFINISHED_STATES]
        for state, ids in self.force.items():
            settled += ti_store.set_state(session, ids, state, now=now, from_states=unfinished)
        return scheduled, settled


def graph_of(dag: SerializedDAG) -> DagGraph:
    """The DAG's task graph, built once per deserialized DAG."""
    graph = _GRAPHS.get(dag)
    if graph is None:
        graph = _GRAPHS[dag] = DagGraph(dag.task_dict)
    return graph


def progress_runs(
    session: Session, runs: list[DagRun], *, now: dt.datetime, max_map_length: int
) -> Progress:
    """Apply decisions, expansion, fail-fast, timeouts and run state to `runs` (locked)."""
    progress = Progress(examined=len(runs))
    if not runs:
        return progress
    by_run: dict[int, list[ti_store.TIState]] = {run.id: [] for run in runs}
    for ti in ti_store.states_for_runs(session, list(by_run)):
        by_run[ti.dag_run_id].append(ti)
    writes = _Writes()
    for run in runs:
        try:
            dag = _dag_of(session, run)
        except Exception:  # unreadable stored structure
            log.exception("Cannot read the DAG structure of run %s of %s", run.run_id, run.dag_id)
            continue
        if dag is None:
            log.error("Run %s of DAG %s has no stored DAG structure", run.run_id, run.dag_id)
            continue
        own = _Writes()
        step = _RunStep(session, run, dag, by_run[run.id], now, max_map_length, own)
        try:
            with session.begin_nested():
                finished = step.advance()
        except Exception:  # one broken run must not stop the others
            log.exception("Cannot schedule run %s of DAG %s", run.run_id, run.dag_id)
            continue
        writes.merge(own)
        progress.expanded += step.expanded
        progress.scheduled += step.expanded_tis
        if finished is not None:
            progress.finished.append(finished)
        if any(t.depends_on_past for t in dag.task_dict.values()):
            run_store.mark_later_runs_dirty(session, run)
    scheduled, settled = writes.apply(session, now)
    progress.scheduled += scheduled
    progress.settled += settled
    for done in progress.finished:
        run_store.finish_run(session, done.id, done.state.value, now=now)
    return progress


def _dag_of(session: Session, run: DagRun) -> SerializedDAG | None:
    if run.serialized_dag_id is None:
        from slipstream.db.store.serialized_dags import latest_serialized_dag

        found = latest_serialized_dag(session, run.dag_id)
        return None if found is None else found[1]
    dag: SerializedDAG | None = serialized_dag_by_id(session, run.serialized_dag_id)
    return dag


class _RunStep:
    """One run's pass: its TIs in memory (`view`: task id -> states by map index)."""

    def __init__(
        self,
        session: Session,
        run: DagRun,
        dag: SerializedDAG,
        tis: list[ti_store.TIState],
        now: dt.datetime,
        max_map_length: int,
        writes: _Writes,
    ) -> None:
        self.session = session
        self.run = run
        self.dag = dag
        self.graph = graph_of(dag)
        self.now = now
        self.max_map_length = max_map_length
        self.writes = writes
        self.tis: dict[str, list[ti_store.TIState]] = {task_id: [] for task_id in dag.task_dict}
        for ti in sorted(tis, key=lambda t: t.map_index):
            if ti.task_id in self.tis:
                self.tis[ti.task_id].append(ti)
        self.view: dict[str, list[str | None]] = {
            task_id: [ti.state for ti in items] for task_id, items in self.tis.items() if items
        }
        self.expanded = 0
        self.expanded_tis = 0
        self._past: dict[tuple[str, int], str | None] | None = None

    def advance(self) -> FinishedRun | None:
        if self._timed_out():
            return self._time_out()
        self._decide()
        self._fail_fast()
        state = dag_run_state(self.graph, self.view)
        if state is None:
            return None
        return self._finished(state, self._reason(state))

    # --- decisions ------------------------------------------------------------------------

    def _decide(self) -> None:
        """Decide until no expansion settles a task (its downstream tasks may then settle)."""
        for _ in range(len(self.graph) + 1):
            settled = False
            for task_id, decision in decide_pending(self.graph, self.view).items():
                if decision is Decision.RUN:
                    settled |= self._run(task_id)
                elif decision.terminal_state is not None:
                    self._settle(task_id, decision.terminal_state.value)
            if not settled:
                return

    def _run(self, task_id: str) -> bool:
        """Schedule the task's unset TIs; True when instead it settled (mapped, 0 or error)."""
        task = self.dag.task_dict[task_id]
        if task.depends_on_past and not self._past_allows(task_id):
            return False
        items = self.tis[task_id]
        if task.is_mapped and len(items) == 1 and items[0].map_index == -1:
            return self._expand(task, items[0])
        unset = [i for i, ti in enumerate(items) if self.view[task_id][i] is None]
        self.writes.schedule.extend(items[i].id for i in unset)
        for i in unset:
            self.view[task_id][i] = S.SCHEDULED.value
        return False

    def _settle(self, task_id: str, state: str) -> None:
        states = self.view.get(task_id, [])
        for i, ti in enumerate(self.tis[task_id]):
            if states[i] is None:
                self.writes.settle.setdefault(state, []).append(ti.id)
                states[i] = state

    def _expand(self, task: Any, placeholder: ti_store.TIState) -> bool:
        try:
            length = mapped_length(task, self._upstreams(), max_length=self.max_map_length)
        except ExpansionError as err:
            log.error("%s (run %s of DAG %s)", err, self.run.run_id, self.run.dag_id)
            self._settle(task.task_id, S.FAILED.value)
            return True
        if length == 0:
            log.info("Mapped task %s expanded to zero task instances: skipped", task.task_id)
            self._settle(task.task_id, S.SKIPPED.value)
            return True
        ti_store.expand_mapped(self.session, placeholder.id, length, now=self.now)
        self.tis[task.task_id] = [
            ti_store.TIState(0, placeholder.dag_run_id, task.task_id, i, S.SCHEDULED.value, 1)
            for i in range(length)
        ]
        self.view[task.task_id] = [S.SCHEDULED.value] * length
        self.expanded += 1
        self.expanded_tis += length
        return False

    def _upstreams(self) -> Upstreams:
        from slipstream.runtime.xcom import decode

        def xcom(task_id: str, key: str) -> Any:
            raw = xcoms.xcom_get(self.session, self.run.id, task_id, -1, key)
            return MISSING if raw is None else decode(raw)

        def mapped_count(task_id: str) -> int | None:
            upstream = self.dag.task_dict.get(task_id)
            if upstream is None or not upstream.is_mapped:
                return None
            return sum(1 for ti in self.tis[task_id] if ti.map_index >= 0)

        return Upstreams(xcom=xcom, mapped_count=mapped_count, params=self._params())

    def _params(self) -> Mapping[str, Any]:
        from slipstream.sdk.params import merge_params

        return merge_params(self.dag.params, None, self.run.conf, validate=False)

    def _past_allows(self, task_id: str) -> bool:
        """`depends_on_past`: the task's TIs in the previous run succeeded or were skipped."""
        if self._past is None:
            previous = run_store.previous_run_id(self.session, self.run)
            wanted = [t for t, task in self.dag.task_dict.items() if task.depends_on_past]
            self._past = (
                {} if previous is None else ti_store.states_by_task(self.session, previous, wanted)
            )
        return all(state in _PAST_OK for (t, _), state in self._past.items() if t == task_id)

    # --- fail fast, timeouts, the end ------------------------------------------------------

    def _fail_fast(self) -> None:
        if not self.dag.fail_fast:
            return
        failed = [
            t
            for t in self.graph.topological_order()
            if t not in self.graph.teardowns and S.FAILED.value in self.view.get(t, ())
        ]
        if not failed:
            return
        for (task_id, index), state in fail_fast_transitions(
            self.graph, self.view, failed[0]
        ).items():
            self.writes.force.setdefault(state.value, []).append(self.tis[task_id][index].id)
            self.view[task_id][index] = state.value

    def _timed_out(self) -> bool:
        timeout = self.dag.dagrun_timeout
        start = self.run.start_date
        return bool(timeout and start is not None and self.now - start > timeout)

    def _time_out(self) -> FinishedRun:
        log.info("Run %s of DAG %s timed out", self.run.run_id, self.run.dag_id)
        for task_id, states in self.view.items():
            for i, state in enumerate(states):
                if state not in FINISHED_TI_STATES:
                    self.writes.force.setdefault(S.SKIPPED.value, []).append(
                        self.tis[task_id][i].id
                    )
                    states[i] = S.SKIPPED.value
        return self._finished(DagRunState.FAILED, "timed_out")

    def _reason(self, state: DagRunState) -> str:
        if state is DagRunState.SUCCESS:
            return "success"
        unfinished = any(s not in FINISHED_TI_STATES for v in self.view.values() for s in v)
        return "all_tasks_deadlocked" if unfinished else "task_failure"

    def _finished(self, state: DagRunState, reason: str) -> FinishedRun:
        log.info("Run %s of DAG %s ended: %s", self.run.run_id, self.run.dag_id, state.value)
        return FinishedRun(self.run.id, self.run.dag_id, self.run.run_id, state, reason, self.dag)

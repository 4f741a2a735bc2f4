"""Step 2 of a tick: move each dirty run forward with the shared rules.

For every run marked `needs_scheduling`, the run's TI states go through
`orchestration.decisions.decide_pending` (trigger rules, setup/teardown, skips and upstream
failures settled transitively); tasks that may run are scheduled (mapped ones expanded first,
`depends_on_past` ones only after their previous run), `fail_fast` is applied, and
`orchestration.run_state.dag_run_state` says whether the run is over. `dagrun_timeout` fails a
run and skips its unfinished TIs, as Airflow does. All TI writes of the step are collected
and made in bulk: one statement per target state.

The cost of examining a run follows what changed in it, not its width: the scheduler keeps each
run's TI states between examinations (`run_views`), reads only the rows changed since
(`store.ti_changes`), and decides only the tasks those changes can affect.
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
from slipstream.db.store import ti_changes, xcoms
from slipstream.db.store.dags import serialized_dag_by_id
from slipstream.orchestration.decisions import decide_pending
from slipstream.orchestration.graph import DagGraph
from slipstream.orchestration.run_state import dag_run_state
from slipstream.orchestration.skips import fail_fast_transitions
from slipstream.orchestration.trigger_rules import Decision
from slipstream.scheduler.expansion import MISSING, ExpansionError, Upstreams, mapped_length
from slipstream.scheduler.run_views import RunView, RunViews
from slipstream.serialization import SerializedDAG

log = logging.getLogger("slipstream.scheduler")
S = TaskInstanceState
_PAST_OK = (S.SUCCESS.value, S.SKIPPED.value)
_GRAPHS: weakref.WeakKeyDictionary[SerializedDAG, DagGraph] = weakref.WeakKeyDictionary()
_DEPENDS_ON_PAST: weakref.WeakKeyDictionary[SerializedDAG, frozenset[str]] = (
    weakref.WeakKeyDictionary()
)


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
            settled += ti_store.set_state(
                session, ids, state, now=now, from_states=unfinished, flag_change=False
            )
        return scheduled, settled


def graph_of(dag: SerializedDAG) -> DagGraph:
    """The DAG's task graph, built once per deserialized DAG."""
    graph = _GRAPHS.get(dag)
    if graph is None:
        graph = _GRAPHS[dag] = DagGraph(dag.task_dict)
    return graph


def _depends_on_past(dag: SerializedDAG) -> frozenset[str]:
    """The DAG's tasks with `depends_on_past`, found once per deserialized DAG."""
    found = _DEPENDS_ON_PAST.get(dag)
    if found is None:
        found = frozenset(t for t, task in dag.task_dict.items() if task.depends_on_past)
        _DEPENDS_ON_PAST[dag] = found
    return found


def progress_runs(
    session: Session,
    runs: list[DagRun],
    *,
    now: dt.datetime,
    max_map_length: int,
    views: RunViews | None = None,
) -> Progress:
    """Apply decisions, expansion, fail-fast, timeouts and run state to `runs` (locked).

    `views` are the scheduler's memory of the runs (see `run_views`); without it every run is
    read whole."""
    progress = Progress(examined=len(runs))
    if not runs:
        return progress
    views = views if views is not None else RunViews(max_tis=0)
    kept = {run.id: views.take(run) for run in runs}
    unknown = [r.id for r in runs if kept[r.id] is None]
    whole: dict[int, list[ti_store.TIState]] = {run_id: [] for run_id in unknown}
    whole |= _by_run(ti_store.states_for_runs(session, unknown))
    followed = [r.id for r in runs if kept[r.id] is not None or views.wants(len(whole[r.id]))]
    changes = _by_run(ti_changes.take_changes(session, followed))
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
        view, touched = _current_view(
            session, run, dag, kept[run.id], whole.get(run.id, []), changes.get(run.id, [])
        )
        own = _Writes()
        step = _RunStep(session, run, dag, view, touched, now, max_map_length, own)
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
        elif step.view_is_current:
            views.keep(run, view)
        if _depends_on_past(dag):
            run_store.mark_later_runs_dirty(session, run)
    scheduled, settled = writes.apply(session, now)
    progress.scheduled += scheduled
    progress.settled += settled
    for done in progress.finished:
        run_store.finish_run(session, done.id, done.state.value, now=now)
    return progress


def _by_run(tis: list[ti_store.TIState]) -> dict[int, list[ti_store.TIState]]:
    grouped: dict[int, list[ti_store.TIState]] = {}
    for ti in tis:
        grouped.setdefault(ti.dag_run_id, []).append(ti)
    return grouped


def _current_view(
    session: Session,
    run: DagRun,
    dag: SerializedDAG,
    view: RunView | None,
    whole: list[ti_store.TIState],
    changes: list[ti_store.TIState],
) -> tuple[RunView, set[str] | None]:
    """The run's view with its changes applied, and the tasks whose states changed (None when
    the run was read whole: every task is to be decided)."""
    touched: set[str] | None = set()
    if view is None:
        view, touched = RunView(dag.task_dict, whole), None
    for ti in changes:
        changed = view.apply(ti)
        if changed is None:  # a TI the view does not know: read the run again
            return RunView(dag.task_dict, ti_store.states_for_runs(session, [run.id])), None
        if changed and touched is not None:
            touched.add(ti.task_id)
    return view, touched


def _dag_of(session: Session, run: DagRun) -> SerializedDAG | None:
    if run.serialized_dag_id is None:
        from slipstream.db.store.serialized_dags import latest_serialized_dag

        found = latest_serialized_dag(session, run.dag_id)
        return None if found is None else found[1]
    dag: SerializedDAG | None = serialized_dag_by_id(session, run.serialized_dag_id)
    return dag


class _RunStep:
    """One run's pass over its view (`states`: task id -> TI states by map index).

    `touched` names the tasks whose states changed since the last pass (None: all may have);
    only pending tasks they can affect are decided again, and those waiting on a past run."""

    def __init__(
        self,
        session: Session,
        run: DagRun,
        dag: SerializedDAG,
        view: RunView,
        touched: set[str] | None,
        now: dt.datetime,
        max_map_length: int,
        writes: _Writes,
    ) -> None:
        self.session = session
        self.run = run
        self.dag = dag
        self.graph = graph_of(dag)
        self.view = view
        self.states = view.states
        self.touched = touched
        self.now = now
        self.max_map_length = max_map_length
        self.writes = writes
        self.expanded = 0
        self.expanded_tis = 0
        self.settled: set[str] = set()  # tasks this pass settled without running
        self.view_is_current = True
        self._past: dict[tuple[str, int], str | None] | None = None

    def advance(self) -> FinishedRun | None:
        if self._timed_out():
            return self._time_out()
        self._decide()
        if self._new_failures():
            self._fail_fast()
        if self.view.active:
            return None
        state = dag_run_state(self.graph, self.states)
        if state is None:
            return None
        return self._finished(state, self._reason(state))

    # --- decisions ------------------------------------------------------------------------

    def _decide(self) -> None:
        """Decide until no expansion settles a task (its downstream tasks may then settle)."""
        only = self._to_decide(self.touched)
        for _ in range(len(self.graph) + 1):
            settled: set[str] = set()
            for task_id, decision in decide_pending(self.graph, self.states, only=only).items():
                if decision is Decision.RUN:
                    if self._run(task_id):
                        settled.add(task_id)
                elif decision.terminal_state is not None:
                    self._settle(task_id, decision.terminal_state.value)
            if not settled:
                return
            only = self._to_decide(settled)

    def _to_decide(self, changed: set[str] | None) -> set[str] | None:
        """The changed tasks, those whose decision reads them, and those waiting on a past run."""
        if changed is None:
            return None
        only = set(changed) | _depends_on_past(self.dag)
        for task_id in changed:
            only |= self.graph.dependents(task_id)
        return only

    def _run(self, task_id: str) -> bool:
        """Schedule the task's unset TIs; True when instead it settled (mapped, 0 or error)."""
        task = self.dag.task_dict[task_id]
        if task_id not in self.states:  # no TI in this run
            return False
        if task.depends_on_past and not self._past_allows(task_id):
            return False
        if task.is_mapped and self.view.mapped_count(task_id) == 0:
            return self._expand(task, self.view.ids[task_id][0])
        states, ids = self.states[task_id], self.view.ids[task_id]
        for i, state in enumerate(states):
            if state is None:
                self.writes.schedule.append(ids[i])
                states[i] = S.SCHEDULED.value
        return False

    def _settle(self, task_id: str, state: str) -> None:
        states = self.states.get(task_id)
        if states is None:
            return
        ids = self.view.ids[task_id]
        for i, current in enumerate(states):
            if current is None:
                self.writes.settle.setdefault(state, []).append(ids[i])
                states[i] = state
        self.settled.add(task_id)

    def _expand(self, task: Any, placeholder_id: int) -> bool:
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
        ids = ti_store.expand_mapped(self.session, placeholder_id, length, now=self.now)
        if len(ids) != length:  # another writer changed the placeholder: read the run again
            self.view_is_current = False
            return False
        self.view.replace(task.task_id, ids, [S.SCHEDULED.value] * length, list(range(length)))
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
            return self.view.mapped_count(task_id)

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

    def _new_failures(self) -> bool:
        """A task that changed or settled in this pass (or, read whole, any task) has a failed
        TI: `fail_fast` acts."""
        if not self.dag.fail_fast:
            return False
        tasks = self.states if self.touched is None else self.touched | self.settled
        return any(S.FAILED.value in self.states.get(task_id, ()) for task_id in tasks)

    def _fail_fast(self) -> None:
        failed = [
            t
            for t in self.graph.topological_order()
            if t not in self.graph.teardowns and S.FAILED.value in self.states.get(t, ())
        ]
        if not failed:
            return
        for (task_id, index), state in fail_fast_transitions(
            self.graph, self.states, failed[0]
        ).items():
            self.writes.force.setdefault(state.value, []).append(self.view.ids[task_id][index])
            self.states[task_id][index] = state.value

    def _timed_out(self) -> bool:
        timeout = self.dag.dagrun_timeout
        start = self.run.start_date
        return bool(timeout and start is not None and self.now - start > timeout)

    def _time_out(self) -> FinishedRun:
        log.info("Run %s of DAG %s timed out", self.run.run_id, self.run.dag_id)
        for task_id, states in self.states.items():
            for i, state in enumerate(states):
                if state not in FINISHED_TI_STATES:
                    self.writes.force.setdefault(S.SKIPPED.value, []).append(
                        self.view.ids[task_id][i]
                    )
                    states[i] = S.SKIPPED.value
        return self._finished(DagRunState.FAILED, "timed_out")

    def _reason(self, state: DagRunState) -> str:
        if state is DagRunState.SUCCESS:
            return "success"
        unfinished = any(s not in FINISHED_TI_STATES for v in self.states.values() for s in v)
        return "all_tasks_deadlocked" if unfinished else "task_failure"

    def _finished(self, state: DagRunState, reason: str) -> FinishedRun:
        log.info("Run %s of DAG %s ended: %s", self.run.run_id, self.run.dag_id, state.value)
        return FinishedRun(self.run.id, self.run.dag_id, self.run.run_id, state, reason, self.dag)

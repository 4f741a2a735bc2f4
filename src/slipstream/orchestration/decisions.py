"""A task's next step in a run: its trigger rule plus Airflow's setup/teardown constraints.

`ti_states` maps each task id to the states of its TIs in the run (one per map index; a task not
yet expanded has one). A task missing from the mapping counts as one TI with no state. A decision
applies to the task's TIs that have no state yet.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet

from slipstream.core.trigger_rule import TriggerRule

from .graph import Tasks, as_graph
from .task_states import all_finished, state_counts
from .trigger_rules import (
    Decision,
    StateLike,
    UpstreamSummary,
    evaluate_setup_constraint,
    evaluate_trigger_rule,
)

TIStates = Mapping[str, Sequence[StateLike]]
_UNSET: tuple[StateLike, ...] = (None,)
_SETTLED = (Decision.SKIP, Decision.UPSTREAM_FAILED)


def upstream_summary(tasks: Tasks, task_id: str, ti_states: TIStates) -> UpstreamSummary:
    """Counts over the TIs of `task_id`'s direct upstream tasks."""
    graph = as_graph(tasks)
    main: dict[StateLike, int] = {}
    setup: dict[StateLike, int] = {}
    for upstream_id in graph.upstream[task_id]:
        counts = state_counts(ti_states.get(upstream_id, _UNSET))
        for state, n in counts.items():
            main[state] = main.get(state, 0) + n
        if upstream_id in graph.setups:
            for state, n in counts.items():
                setup[state] = setup.get(state, 0) + n
    return UpstreamSummary.from_counts(main, setup)


def decide(tasks: Tasks, task_id: str, ti_states: TIStates) -> Decision:
    """What `task_id`'s unset TIs do next, as Airflow 3.3's `TriggerRuleDep` decides.

    Besides the trigger rule over direct upstreams: a non-teardown task also needs its indirect
    setups (see `DagGraph.indirect_setups`) to succeed, and a failed or skipped one settles it at
    once; a teardown that may run still waits for every task between its setups and itself.
    """
    graph = as_graph(tasks)
    graph.require(task_id)
    rule = graph.tasks[task_id].trigger_rule
    if not graph.upstream[task_id] or rule == TriggerRule.ALWAYS:
        return Decision.RUN
    if task_id in graph.teardowns:
        decision = evaluate_trigger_rule(rule, upstream_summary(graph, task_id, ti_states))
        if decision is Decision.RUN and not _all_finished(graph.teardown_scope(task_id), ti_states):
            return Decision.WAIT
        return decision
    setups = graph.indirect_setups(task_id)
    setup_decision = Decision.RUN
    if setups:
        setup_decision = evaluate_setup_constraint(_states_of(setups, ti_states))
        if setup_decision in _SETTLED:
            return setup_decision
    decision = evaluate_trigger_rule(rule, upstream_summary(graph, task_id, ti_states))
    if decision in _SETTLED or setup_decision is Decision.RUN:
        return decision
    return Decision.WAIT


def decide_pending(
    tasks: Tasks, ti_states: TIStates, *, only: AbstractSet[str] | None = None
) -> dict[str, Decision]:
    """Decisions for every task with an unset TI, settling skips and upstream failures transitively.

    Tasks are visited in topological order and a SKIP or UPSTREAM_FAILED decision is fed forward
    to their downstream tasks, so one call reaches the states Airflow's scheduler reaches over
    several passes. RUN tasks are not assumed to run: their downstream tasks WAIT.

    `only` limits the visit to these tasks and to the dependents (`DagGraph.dependents`) of those
    the call settles: a scheduler that knows which tasks' states changed since its last call
    decides only what they can affect.
    """
    graph = as_graph(tasks)
    view: dict[str, Sequence[StateLike]] = dict(ti_states)
    decisions: dict[str, Decision] = {}
    visit = None if only is None else set(only)
    for task_id in graph.topological_order():
        if visit is not None and task_id not in visit:
            continue
        states = view.get(task_id, _UNSET)
        if None not in states:
            continue
        decision = decide(graph, task_id, view)
        decisions[task_id] = decision
        if decision in _SETTLED:
            view[task_id] = [decision.terminal_state if s is None else s for s in states]
            if visit is not None:
                visit.update(graph.dependents(task_id))
    return decisions


def _states_of(task_ids: frozenset[str] | set[str], ti_states: TIStates) -> list[StateLike]:
    return [state for task_id in task_ids for state in ti_states.get(task_id, _UNSET)]


def _all_finished(task_ids: frozenset[str], ti_states: TIStates) -> bool:
    return all(all_finished(ti_states.get(task_id, _UNSET)) for task_id in task_ids)

"""The pure rules that decide a task instance's and a DAG run's next state: one import for callers.

Both the in-process `dags test` runner and the scheduler call these; they take plain data (task
nodes, state lists) and import only the standard library and `slipstream.core`. Each topic lives in
its own module: trigger rules (`trigger_rules`), setup/teardown-aware task decisions
(`decisions`), run state (`run_state`), retries (`retries`), graph walks (`graph`), skip sets
(`skips`) and priority weights (`priority`).
"""

from __future__ import annotations

from .decisions import TIStates, decide, decide_pending, upstream_summary
from .graph import (
    DagGraph,
    TaskNode,
    Tasks,
    as_graph,
    downstream_closure,
    find_cycle,
    topological_order,
    upstream_closure,
)
from .priority import priority_weights
from .retries import (
    MAX_RETRY_DELAY,
    backoff_multiplier,
    fails_without_retry,
    next_state_after_failure,
    retry_delay_for,
)
from .run_state import dag_run_state, effective_leaves, is_deadlocked
from .skips import (
    SKIP_PROTECTED_STATES,
    branch_skip_set,
    fail_fast_transitions,
    may_skip,
    short_circuit_skip_set,
)
from .trigger_rules import (
    Decision,
    StateLike,
    UpstreamSummary,
    evaluate_setup_constraint,
    evaluate_trigger_rule,
)

__all__ = [
    "MAX_RETRY_DELAY",
    "SKIP_PROTECTED_STATES",
    "DagGraph",
    "Decision",
    "StateLike",
    "TIStates",
    "TaskNode",
    "Tasks",
    "UpstreamSummary",
    "as_graph",
    "backoff_multiplier",
    "branch_skip_set",
    "dag_run_state",
    "decide",
    "decide_pending",
    "downstream_closure",
    "effective_leaves",
    "evaluate_setup_constraint",
    "evaluate_trigger_rule",
    "fail_fast_transitions",
    "fails_without_retry",
    "find_cycle",
    "is_deadlocked",
    "may_skip",
    "next_state_after_failure",
    "priority_weights",
    "retry_delay_for",
    "short_circuit_skip_set",
    "topological_order",
    "upstream_closure",
    "upstream_summary",
]

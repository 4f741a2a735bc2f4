"""Graph walks: order, cycles, closures; all linear, so big DAGs stay fast; and import purity."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from slipstream.core.exceptions import AirflowDagCycleException, TaskNotFound
from slipstream.core.states import TaskInstanceState
from slipstream.orchestration import (
    DagGraph,
    as_graph,
    branch_skip_set,
    dag_run_state,
    decide_pending,
    downstream_closure,
    effective_leaves,
    find_cycle,
    priority_weights,
    short_circuit_skip_set,
    topological_order,
    upstream_closure,
)

from .helpers import Node, build, link


def test_topological_order_respects_edges_and_mapping_order() -> None:
    tasks = build("c >> a", "b >> a", "d")
    # mapping order is c, a, b, d: among ready tasks the earliest in the mapping goes first
    assert topological_order(tasks) == ["c", "b", "a", "d"]


def test_edges_declared_on_either_end_count() -> None:
    tasks = {"a": Node("a", downstream_task_ids={"b"}), "b": Node("b")}
    graph = DagGraph(tasks)
    assert graph.upstream["b"] == ("a",)
    assert topological_order(tasks) == ["a", "b"]


def test_edges_to_unknown_ids_are_ignored() -> None:
    tasks = {"a": Node("a", upstream_task_ids={"elsewhere"})}
    assert DagGraph(tasks).upstream["a"] == ()


def test_find_cycle_returns_the_path() -> None:
    tasks = build("a >> b >> c >> d", "c >> b")
    assert find_cycle(tasks) == ["b", "c", "b"]
    assert find_cycle(build("a >> b", "a >> c >> b")) is None
    assert find_cycle(build("a >> a")) == ["a", "a"]


def test_topological_order_raises_on_cycle_naming_it() -> None:
    with pytest.raises(AirflowDagCycleException, match="b >> c >> b"):
        topological_order(build("a >> b >> c", "c >> b"))


def test_closures() -> None:
    tasks = build("a >> b >> c", "a >> d", "x >> c")
    assert downstream_closure(tasks, "a") == {"b", "c", "d"}
    assert downstream_closure(tasks, "c") == set()
    assert upstream_closure(tasks, "c") == {"a", "b", "x"}
    with pytest.raises(TaskNotFound):
        downstream_closure(tasks, "zzz")


def test_as_graph_reuses_a_graph() -> None:
    graph = DagGraph(build("a"))
    assert as_graph(graph) is graph


def _fan_out(n: int) -> dict[str, Node]:
    tasks: dict[str, Node] = {}
    for i in range(n):
        link(tasks, "root", f"t{i}")
        link(tasks, f"t{i}", "join")
    return tasks


def _chain(n: int) -> dict[str, Node]:
    tasks = {"t0": Node("t0")}
    for i in range(1, n):
        link(tasks, f"t{i - 1}", f"t{i}")
    return tasks


@pytest.mark.parametrize("make", [_fan_out, _chain], ids=["fan_out", "chain"])
def test_big_dags_are_fast(make) -> None:
    tasks = make(5_000)
    start = time.perf_counter()
    graph = DagGraph(tasks)
    order = graph.topological_order()
    assert find_cycle(graph) is None
    first = order[0]
    downstream_closure(graph, first)
    upstream_closure(graph, order[-1])
    short_circuit_skip_set(graph, first)
    branch_skip_set(graph, first, [order[1]])
    effective_leaves(graph)
    states = {t: [TaskInstanceState.SUCCESS] for t in order}
    assert dag_run_state(graph, states) is not None
    decide_pending(graph, {first: [TaskInstanceState.FAILED]})
    weights = priority_weights(graph)
    elapsed = time.perf_counter() - start
    assert weights[first] == len(tasks)
    assert elapsed < 3.0, elapsed  # quadratic Python loops would take minutes here


def test_orchestration_imports_only_stdlib_and_core() -> None:
    code = (
        "import sys, slipstream.orchestration\n"
        "mods = [m for m in sys.modules if m.startswith('slipstream')]\n"
        "print('\\n'.join(mods))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    allowed = ("slipstream.core", "slipstream.orchestration")
    loaded = [m for m in out.stdout.split() if m != "slipstream"]
    assert loaded
    assert all(m.startswith(allowed) for m in loaded), loaded

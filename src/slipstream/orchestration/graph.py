"""The task graph of one DAG as plain adjacency, and the walks over it that the rules need.

Rules run on SDK operators and on deserialized task records alike, so they see tasks only through
the small `TaskNode` protocol. `DagGraph` indexes a task mapping once (O(nodes + edges)); every
walk here is linear in the part of the graph it visits. Callers that decide many things for one
DAG should build one `DagGraph` and pass it wherever a task mapping is accepted.

Edges may be declared on either end (`upstream_task_ids` or `downstream_task_ids`); edges to ids
that are not in the mapping are ignored, so a caller may pass a sub-graph.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from datetime import timedelta
from typing import Protocol, TypeAlias

from slipstream.core.exceptions import AirflowDagCycleException, TaskNotFound


class TaskNode(Protocol):
    """What the rules read from a task: satisfied by SDK operators and deserialized task records."""

    @property
    def task_id(self) -> str: ...
    @property
    def trigger_rule(self) -> str: ...
    @property
    def upstream_task_ids(self) -> AbstractSet[str]: ...
    @property
    def downstream_task_ids(self) -> AbstractSet[str]: ...
    @property
    def is_setup(self) -> bool: ...
    @property
    def is_teardown(self) -> bool: ...
    @property
    def on_failure_fail_dagrun(self) -> bool: ...
    @property
    def retries(self) -> int: ...
    @property
    def retry_delay(self) -> timedelta: ...
    @property
    def retry_exponential_backoff(self) -> bool | float: ...
    @property
    def max_retry_delay(self) -> timedelta | None: ...


class DagGraph:
    """Both-way adjacency of a DAG's tasks, in the mapping's order, built once in O(N + E)."""

    def __init__(self, tasks: Mapping[str, TaskNode]) -> None:
        self.tasks = tasks
        self.position: dict[str, int] = {task_id: i for i, task_id in enumerate(tasks)}
        up: dict[str, set[str]] = {task_id: set() for task_id in tasks}
        down: dict[str, set[str]] = {task_id: set() for task_id in tasks}
        for task_id, task in tasks.items():
            for other in task.upstream_task_ids:
                if other in up:
                    up[task_id].add(other)
                    down[other].add(task_id)
            for other in task.downstream_task_ids:
                if other in up:
                    down[task_id].add(other)
                    up[other].add(task_id)
        order = self.position.__getitem__
        self.upstream = {k: tuple(sorted(v, key=order)) for k, v in up.items()}
        self.downstream = {k: tuple(sorted(v, key=order)) for k, v in down.items()}
        self.setups = frozenset(k for k, t in tasks.items() if getattr(t, "is_setup", False))
        self.teardowns = frozenset(k for k, t in tasks.items() if getattr(t, "is_teardown", False))
        self._topological: list[str] | None = None
        self._indirect_setups: dict[str, frozenset[str]] | None = None
        self._teardown_scopes: dict[str, frozenset[str]] = {}
        self._dependents: dict[str, frozenset[str]] | None = None

    def __len__(self) -> int:
        return len(self.tasks)

    def require(self, task_id: str) -> None:
        """Raise TaskNotFound unless `task_id` is a task of this graph."""
        if task_id not in self.position:
            raise TaskNotFound(f"Task {task_id!r} not found in the DAG")

    def walk(self, adjacency: Mapping[str, tuple[str, ...]], starts: Iterable[str]) -> set[str]:
        """Every node reachable from `starts` along `adjacency` (the starts only if on a cycle)."""
        seen: set[str] = set()
        stack = [n for s in starts for n in adjacency[s]]
        while stack:
            node = stack.pop()
            if node not in seen:
                seen.add(node)
                stack.extend(adjacency[node])
        return seen

    def topological_order(self) -> list[str]:
        """Task ids, each after all its upstreams; ties keep the mapping's order. Cached."""
        if self._topological is None:
            self._topological = _kahn(self)
        return list(self._topological)

    def indirect_setups(self, task_id: str) -> frozenset[str]:
        """Setups that gate `task_id` without being its direct upstream (empty for teardowns).

        Airflow's rule (`get_upstreams_only_setups`): an upstream setup is *relevant* to a task if
        the setup has no teardown, or one of the setup's teardowns is downstream of the task.
        Computed for every task at once, in O(setups x (N + E)).
        """
        if self._indirect_setups is None:
            self._indirect_setups = self._compute_indirect_setups()
        return self._indirect_setups.get(task_id, frozenset())

    def teardown_scope(self, task_id: str) -> frozenset[str]:
        """Tasks a teardown waits for besides its direct upstreams: those between its setups and it.

        Airflow 3.3 (`_evaluate_teardown_scope`): indirect upstreams of the teardown that are
        downstream of one of its direct upstream setups. Empty for a task that is not a teardown.
        """
        if task_id not in self.teardowns:
            return frozenset()
        if task_id not in self._teardown_scopes:
            self._teardown_scopes[task_id] = self._compute_teardown_scope(task_id)
        return self._teardown_scopes[task_id]

    def dependents(self, task_id: str) -> frozenset[str]:
        """Tasks whose decision reads `task_id`'s states: its direct downstream tasks, tasks it
        is an indirect setup of, and teardowns whose scope holds it. All are downstream of it."""
        if self._dependents is None:
            self._dependents = self._compute_dependents()
        return self._dependents[task_id]

    def _compute_dependents(self) -> dict[str, frozenset[str]]:
        found = {task_id: set(down) for task_id, down in self.downstream.items()}
        for task_id in self.position:
            for watched in self.indirect_setups(task_id) | self.teardown_scope(task_id):
                found[watched].add(task_id)
        return {task_id: frozenset(tasks) for task_id, tasks in found.items()}

    def _compute_indirect_setups(self) -> dict[str, frozenset[str]]:
        found: dict[str, set[str]] = {}
        for setup in self.setups:
            below = self.walk(self.downstream, (setup,))
            own_teardowns = [t for t in self.downstream[setup] if t in self.teardowns]
            if own_teardowns:
                below &= self.walk(self.upstream, own_teardowns)
            direct = set(self.downstream[setup])
            for task_id in below - direct - self.teardowns:
                found.setdefault(task_id, set()).add(setup)
        return {task_id: frozenset(setups) for task_id, setups in found.items()}

    def _compute_teardown_scope(self, task_id: str) -> frozenset[str]:
        setups = [u for u in self.upstream[task_id] if u in self.setups]
        if not setups:
            return frozenset()
        indirect = self.walk(self.upstream, (task_id,)) - set(self.upstream[task_id])
        if not indirect:
            return frozenset()
        return frozenset(indirect & self.walk(self.downstream, setups))


Tasks: TypeAlias = Mapping[str, TaskNode] | DagGraph
"""Every graph function takes a task mapping or an already built `DagGraph`."""


def as_graph(tasks: Tasks) -> DagGraph:
    """`tasks` indexed as a DagGraph (returned as is when it already is one)."""
    return tasks if isinstance(tasks, DagGraph) else DagGraph(tasks)


def _kahn(graph: DagGraph) -> list[str]:
    indegree = {task_id: len(ups) for task_id, ups in graph.upstream.items()}
    ready = [graph.position[t] for t, n in indegree.items() if n == 0]
    heapq.heapify(ready)
    ids = list(graph.position)
    order: list[str] = []
    while ready:
        task_id = ids[heapq.heappop(ready)]
        order.append(task_id)
        for child in graph.downstream[task_id]:
            indegree[child] -= 1
            if indegree[child] == 0:
                heapq.heappush(ready, graph.position[child])
    if len(order) < len(ids):
        cycle = find_cycle(graph) or []
        raise AirflowDagCycleException(f"Cycle detected in DAG: {' >> '.join(cycle)}")
    return order


def topological_order(tasks: Tasks) -> list[str]:
    """Task ids with every task after its upstreams; raises AirflowDagCycleException on a cycle."""
    return as_graph(tasks).topological_order()


def find_cycle(tasks: Tasks) -> list[str] | None:
    """A cycle as a path that starts and ends on the same task (`[a, b, a]`), or None."""
    graph = as_graph(tasks)
    state: dict[str, int] = {}  # 1 = on the current path, 2 = fully explored
    for root in graph.position:
        if root in state:
            continue
        path = [root]
        iters = [iter(graph.downstream[root])]
        state[root] = 1
        while iters:
            child = next(iters[-1], None)
            if child is None:
                state[path.pop()] = 2
                iters.pop()
            elif state.get(child) == 1:
                return [*path[path.index(child) :], child]
            elif child not in state:
                state[child] = 1
                path.append(child)
                iters.append(iter(graph.downstream[child]))
    return None


def downstream_closure(tasks: Tasks, task_id: str) -> set[str]:
    """Every task transitively downstream of `task_id`, not including itself."""
    graph = as_graph(tasks)
    graph.require(task_id)
    return graph.walk(graph.downstream, (task_id,)) - {task_id}


def upstream_closure(tasks: Tasks, task_id: str) -> set[str]:
    """Every task transitively upstream of `task_id`, not including itself."""
    graph = as_graph(tasks)
    graph.require(task_id)
    return graph.walk(graph.upstream, (task_id,)) - {task_id}

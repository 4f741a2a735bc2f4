"""The body of `GET /ui/grid/{dag_id}` and how it is built: a page of runs, the DAG's task tree
(task groups nesting their tasks) and, for every run, the state of each task and group.

The tree comes from the DAG's newest stored version. Tasks an older version had, which only
the shown runs still hold task instances of, are merged into it where they were (in their group
when the newest version still has that group), so old runs keep showing them. Within a group,
tasks and subgroups are in topological order (a child before those downstream of it), ties in
the order the DAG file added them.

A group's state, and a mapped task's, is the most telling of its task instances', in Airflow's
grid order: a failure shows first, then retries, running work, waiting work, then success.
`STATE_PRIORITY` is the one copy of that order: `GET /ui/runs/...` states it to the UI, whose
graph sums states up by it. A mapped task lists its map indexes (`instances`) only when the
request names it as expanded; otherwise it only counts them per state (`state_counts`,
`map_count`).
"""

from __future__ import annotations

import datetime as dt
import heapq
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, Field
from pydantic_core import to_json

from slipstream.db.store.grid import GridMapRow, GridRunRow, GridTIRow

__all__ = [
    "STATE_PRIORITY",
    "GridCell",
    "GridInstance",
    "GridNode",
    "GridResponse",
    "GridRun",
    "TaskTree",
    "aggregate_state",
    "grid_json",
]

STATE_PRIORITY: tuple[str | None, ...] = (
    "failed",
    "upstream_failed",
    "up_for_retry",
    "up_for_reschedule",
    "running",
    "restarting",
    "deferred",
    "queued",
    "scheduled",
    None,
    "success",
    "skipped",
    "removed",
)
"""Task instance states from the most to the least telling: a group shows its first present."""
_RANK = {state: rank for rank, state in enumerate(STATE_PRIORITY)}
NO_STATE = "none"
"""How `state_counts` names task instances without a state."""


# --- the body ---------------------------------------------------------------------------------


class GridNode(BaseModel):
    """A row of the grid: a task, or a task group with its children in display order."""

    id: str = Field(description="The task id, or the group id (both prefixed by their groups)")
    label: str = Field(description="The name to show: the id without its groups' prefix")
    type: Literal["task", "group"]
    operator: str | None = None
    is_mapped: bool = Field(
        default=False, description="A mapped task, or one in a mapped group: one TI per index"
    )
    children: list[GridNode] | None = Field(default=None, description="A group's rows")


class GridInstance(BaseModel):
    """One map index of a mapped task in one run."""

    map_index: int
    state: str | None = None
    try_number: int
    start_date: dt.datetime | None = None
    end_date: dt.datetime | None = None
    duration: float | None = Field(default=None, description="Seconds, once it ended")


class GridCell(BaseModel):
    """A task's or a group's square in one run. Fields without a value are left out."""

    state: str | None = Field(
        default=None, description="The task's state; for groups and mapped tasks, the most telling"
    )
    try_number: int | None = Field(default=None, description="The try (a mapped task's highest)")
    start_date: dt.datetime | None = Field(default=None, description="The earliest start")
    end_date: dt.datetime | None = Field(default=None, description="The latest end")
    duration: float | None = Field(default=None, description="Seconds, once it ended")
    state_counts: dict[str, int] | None = Field(
        default=None,
        description="Groups and mapped tasks: task instances per state (`none`: no state yet)",
    )
    map_count: int | None = Field(
        default=None,
        ge=0,
        description="Mapped tasks: how many map indexes it has in this run (0 before it expands)",
    )
    instances: list[GridInstance] | None = Field(
        default=None,
        description="A mapped task's map indexes, in order: only for the tasks named in the "
        "request's `expanded` (the others only count theirs per state in `state_counts`)",
    )


class GridRun(BaseModel):
    """A run (a column of the grid) and its cells, by task or group id (ids without a task
    instance in this run are left out)."""

    run_id: str
    state: str
    run_type: str
    run_after: dt.datetime
    logical_date: dt.datetime | None = None
    queued_at: dt.datetime | None = None
    start_date: dt.datetime | None = None
    end_date: dt.datetime | None = None
    duration: float | None = Field(default=None, description="Seconds from start to end")
    cells: dict[str, GridCell]


class GridResponse(BaseModel):
    dag_id: str
    runs: list[GridRun] = Field(description="Newest first")
    total_entries: int = Field(description="Runs matching the query, over all pages")
    nodes: list[GridNode] = Field(description="The task tree: top-level tasks and groups")


# --- the task tree ----------------------------------------------------------------------------


@dataclass
class _Node:
    id: str
    label: str
    type: Literal["task", "group"]
    operator: str | None = None
    is_mapped: bool = False
    children: list[_Node] = field(default_factory=list)

    def model(self) -> GridNode:
        if self.type == "task":
            return GridNode(id=self.id, label=self.label, type="task",
                            operator=self.operator, is_mapped=self.is_mapped)  # fmt: skip
        children = [child.model() for child in self.children]
        return GridNode(id=self.id, label=self.label, type="group", children=children)


class TaskTree:
    """The rows of a grid: built from a version's stored record, then completed with tasks of
    older versions (`merge`) and stray task ids (`add_orphans`)."""

    def __init__(self, record: Mapping[str, Any] | None) -> None:
        self.roots: list[_Node] = _tree_of(record) if record else []
        self.nodes: dict[str, _Node] = {}
        self._index(self.roots)

    @property
    def task_ids(self) -> set[str]:
        return {node_id for node_id, node in self.nodes.items() if node.type == "task"}

    def merge(self, record: Mapping[str, Any], keep: set[str]) -> None:
        """Add the tasks of `record` (an older version) whose ids are in `keep` and missing
        here, inside their groups (created when missing), after the rows already there."""
        self._merge_level(self.roots, _prune(_tree_of(record), keep))

    def add_orphans(self, task_ids: Iterable[str]) -> None:
        """Top-level rows for task ids no stored version describes."""
        for task_id in sorted(set(task_ids) - self.task_ids):
            node = _Node(task_id, task_id, "task")
            self.roots.append(node)
            self.nodes[task_id] = node

    def models(self) -> list[GridNode]:
        return [node.model() for node in self.roots]

    def groups_bottom_up(self) -> list[_Node]:
        """Every group, each after the groups it holds."""
        out: list[_Node] = []

        def visit(nodes: list[_Node]) -> None:
            for node in nodes:
                if node.type == "group":
                    visit(node.children)
                    out.append(node)

        visit(self.roots)
        return out

    def _merge_level(self, current: list[_Node], older: list[_Node]) -> None:
        for node in older:
            present = self.nodes.get(node.id)
            if present is None:
                current.append(node)
                self._index([node])
            elif present.type == "group" and node.type == "group":
                self._merge_level(present.children, node.children)

    def _index(self, nodes: list[_Node]) -> None:
        for node in nodes:
            self.nodes[node.id] = node
            self._index(node.children)


def _prune(nodes: list[_Node], keep: set[str]) -> list[_Node]:
    """`nodes` reduced to the tasks in `keep` and the groups holding any of them."""
    out = []
    for node in nodes:
        if node.type == "task" and node.id in keep:
            out.append(node)
        elif node.type == "group":
            node.children = _prune(node.children, keep)
            if node.children:
                out.append(node)
    return out


def _tree_of(record: Mapping[str, Any]) -> list[_Node]:
    """The top-level rows of one stored DAG record (`data["dag"]`)."""
    tasks = {t["task_id"]: t for t in record.get("tasks") or () if isinstance(t, Mapping)}
    groups = {
        g.get("group_id"): g for g in record.get("task_groups") or () if isinstance(g, Mapping)
    }
    if None not in groups:
        groups[None] = {"group_id": None, "children": [["task", t] for t in tasks]}
    order = _definition_order(groups)
    downstream = {t: [d for d in task.get("downstream_task_ids") or () if d in tasks]
                  for t, task in tasks.items()}  # fmt: skip

    def build(group_id: str | None, mapped: bool) -> list[_Node]:
        children: list[_Node] = []
        for kind, child_id in groups[group_id].get("children") or ():
            if kind == "group" and child_id in groups:
                group = groups[child_id]
                label = group.get("label") or child_id
                inner = build(child_id, mapped or bool(group.get("is_mapped")))
                children.append(_Node(child_id, str(label), "group", children=inner))
            elif kind == "task" and child_id in tasks:
                children.append(_task_node(tasks[child_id], mapped))
        return _topological(children, order, downstream, groups)

    return build(None, False)


def _task_node(task: Mapping[str, Any], in_mapped_group: bool) -> _Node:
    task_id = str(task["task_id"])
    display = task.get("task_display_name")
    label = display if display and display != task_id else task.get("label") or task_id
    operator = task.get("operator_name") or task.get("task_type")
    mapped = bool(task.get("is_mapped")) or in_mapped_group
    return _Node(task_id, str(label), "task", str(operator) if operator else None, mapped)


def _definition_order(groups: Mapping[str | None, Mapping[str, Any]]) -> dict[str, int]:
    """Each task's and group's position in a depth-first walk of the groups as defined."""
    order: dict[str, int] = {}

    def walk(group_id: str | None) -> None:
        for kind, child_id in groups[group_id].get("children") or ():
            order.setdefault(child_id, len(order))
            if kind == "group" and child_id in groups:
                walk(child_id)

    walk(None)
    return order


def _topological(
    children: list[_Node],
    order: Mapping[str, int],
    downstream: Mapping[str, list[str]],
    groups: Mapping[str | None, Mapping[str, Any]],
) -> list[_Node]:
    """`children` of one group, each before those downstream of it (ties and cycles: the
    definition order)."""
    if len(children) < 2:
        return children
    owner: dict[str, str] = {}
    for child in children:
        for task_id in _task_ids_under(child):
            owner[task_id] = child.id
    after: dict[str, set[str]] = defaultdict(set)
    for task_id, child_id in owner.items():
        for target in downstream.get(task_id, ()):
            target_child = owner.get(target)
            if target_child is not None and target_child != child_id:
                after[child_id].add(target_child)
    waiting = Counter(target for targets in after.values() for target in targets)
    by_id = {child.id: child for child in children}
    rank = {child.id: (order.get(child.id, len(order)), i) for i, child in enumerate(children)}
    ready = [(rank[c.id], c.id) for c in children if not waiting[c.id]]
    heapq.heapify(ready)
    out: list[_Node] = []
    while ready:
        _, child_id = heapq.heappop(ready)
        out.append(by_id[child_id])
        for target in after.get(child_id, ()):
            waiting[target] -= 1
            if not waiting[target]:
                heapq.heappush(ready, (rank[target], target))
    if len(out) < len(children):  # a cycle through groups: the rest as defined
        placed = {node.id for node in out}
        out.extend(sorted((c for c in children if c.id not in placed), key=lambda c: rank[c.id]))
    return out


def _task_ids_under(node: _Node) -> Iterable[str]:
    if node.type == "task":
        yield node.id
    for child in node.children:
        yield from _task_ids_under(child)


# --- the cells --------------------------------------------------------------------------------
# Built as plain dicts and serialized once (`grid_json`): a grid of 100 runs by 100 tasks has
# 10,000 cells, and a pydantic model per cell, validated again by FastAPI, costs seconds.

Body = dict[str, Any]
States = Counter[str | None]
"""How many task instances (or map indexes) are in each state."""


def aggregate_state(states: Iterable[str | None]) -> str | None:
    """The most telling of these states (`STATE_PRIORITY`); unknown states rank after none."""
    best: str | None = None
    best_rank = len(STATE_PRIORITY) + 1
    for state in states:
        rank = _RANK.get(state, len(STATE_PRIORITY))
        if rank < best_rank:
            best, best_rank = state, rank
    return best


def _seconds(start: dt.datetime | None, end: dt.datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return max(0.0, (end - start).total_seconds())


def _set(body: Body, **values: Any) -> Body:
    """`body` with the values that are not None (the answer leaves the others out)."""
    for name, value in values.items():
        if value is not None:
            body[name] = value
    return body


def _instance(ti: GridTIRow, body: Body) -> Body:
    """One task instance's fields (the hot path: 10,000 calls for a grid of 100 by 100)."""
    if ti.state is not None:
        body["state"] = ti.state
    body["try_number"] = ti.try_number
    if ti.start_date is not None:
        body["start_date"] = ti.start_date
    if ti.end_date is not None:
        body["end_date"] = ti.end_date
    duration = ti.duration if ti.duration is not None else _seconds(ti.start_date, ti.end_date)
    if duration is not None:
        body["duration"] = duration
    return body


def _task_cell(
    rows: Sequence[GridTIRow], summaries: Sequence[GridMapRow], mapped: bool, expanded: bool
) -> tuple[Body, States]:
    """A task's cell in one run and the states it adds to its groups' (a mapped task's map
    indexes once it expanded, else its one task instance or placeholder)."""
    indexed = sorted((ti for ti in rows if ti.map_index >= 0), key=lambda ti: ti.map_index)
    if summaries:  # a mapped task the UI shows collapsed: its indexes counted per state
        states: States = Counter()
        for part in summaries:
            states[part.state] += part.indexes
        cell = _summary(states, ((part.start_date, part.end_date) for part in summaries))
        cell["try_number"] = max(part.try_number for part in summaries)
        cell["map_count"] = sum(states.values())
        return cell, states
    if not mapped and not indexed and len(rows) == 1:
        return _instance(rows[0], {}), Counter([rows[0].state])
    counted = indexed or list(rows)
    states = Counter(ti.state for ti in counted)
    cell = _summary(states, ((ti.start_date, ti.end_date) for ti in counted))
    cell["try_number"] = max(ti.try_number for ti in counted)
    cell["map_count"] = len(indexed)
    if expanded:
        cell["instances"] = [_instance(ti, {"map_index": ti.map_index}) for ti in indexed]
    return cell, states


DateRange = tuple[dt.datetime | None, dt.datetime | None]


def _summary(states: States, ranges: Iterable[DateRange]) -> Body:
    """A group's or mapped task's cell: its most telling state, earliest start, latest end."""
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    for began, ended in ranges:
        if began is not None and (start is None or began < start):
            start = began
        if ended is not None and (end is None or ended > end):
            end = ended
    state = aggregate_state(states)
    finished = state in {"success", "failed", "skipped", "upstream_failed", "removed"}
    return _set(
        {},
        state=state,
        start_date=start,
        end_date=end,
        duration=_seconds(start, end) if finished else None,
        state_counts={NO_STATE if s is None else s: n for s, n in states.items()},
    )


def _cells(
    tree: TaskTree,
    rows: Sequence[GridTIRow],
    summaries: Sequence[GridMapRow],
    expanded: Collection[str],
) -> dict[str, Body]:
    """One run's cells: each task's from its task instances, each group's from its tasks'."""
    by_task: dict[str, list[GridTIRow]] = defaultdict(list)
    for ti in rows:
        by_task[ti.task_id].append(ti)
    counted: dict[str, list[GridMapRow]] = defaultdict(list)
    for part in summaries:
        counted[part.task_id].append(part)
    cells: dict[str, Body] = {}
    task_states: dict[str, States] = {}
    for task_id in by_task.keys() | counted.keys():
        node = tree.nodes.get(task_id)
        mapped = node is not None and node.is_mapped
        cells[task_id], task_states[task_id] = _task_cell(
            by_task.get(task_id, ()), counted.get(task_id, ()), mapped, task_id in expanded
        )
    states_under: dict[str, States] = {}
    for group in tree.groups_bottom_up():
        states: States = Counter()
        ranges: list[DateRange] = []
        for child in group.children:
            child_states = (
                states_under.get(child.id) if child.type == "group" else task_states.get(child.id)
            )
            if child_states:
                states.update(child_states)
            if child.id in cells:
                cell = cells[child.id]
                ranges.append((cell.get("start_date"), cell.get("end_date")))
        states_under[group.id] = states
        if states:
            cells[group.id] = _summary(states, ranges)
    return cells


def grid_json(
    dag_id: str,
    runs: Sequence[GridRunRow],
    total: int,
    tree: TaskTree,
    task_instances: Sequence[GridTIRow],
    summaries: Sequence[GridMapRow] = (),
    expanded: Collection[str] = (),
) -> bytes:
    """The body (`GridResponse`) as JSON: `runs` (newest first) with their cells, and the
    tree's rows; map indexes one by one only for the `expanded` tasks."""
    by_run: dict[int, list[GridTIRow]] = defaultdict(list)
    for ti in task_instances:
        by_run[ti.dag_run_id].append(ti)
    summaries_by_run: dict[int, list[GridMapRow]] = defaultdict(list)
    for part in summaries:
        summaries_by_run[part.dag_run_id].append(part)
    shown = set(expanded)
    body = {
        "dag_id": dag_id,
        "total_entries": total,
        "nodes": [node.model().model_dump(exclude_none=True) for node in tree.roots],
        "runs": [
            _run_body(
                run, _cells(tree, by_run.get(run.id, []), summaries_by_run.get(run.id, []), shown)
            )
            for run in runs
        ],
    }
    return to_json(body)


def _run_body(run: GridRunRow, cells: dict[str, Body]) -> Body:
    body = {"run_id": run.run_id, "state": run.state, "run_type": run.run_type}
    return _set(
        body,
        run_after=run.run_after,
        logical_date=run.logical_date,
        queued_at=run.queued_at,
        start_date=run.start_date,
        end_date=run.end_date,
        duration=_seconds(run.start_date, run.end_date),
        cells=cells,
    )

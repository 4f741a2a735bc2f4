"""The shape of a DAG's structure for the web UI's graph and Gantt views, built from a stored
DAG version: its tasks in DAG order, its task groups and its edges with their labels.

Edges join tasks only; a group is drawn as a cluster around its tasks, and the UI attaches an
edge that enters or leaves a collapsed group to the group itself (Airflow's group start and end
join nodes, without extra nodes in the data).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel

if TYPE_CHECKING:
    from slipstream.serialization import SerializedDAG, SerializedTask, SerializedTaskGroup


class StructureNode(BaseModel):
    """A task: `label` is what the graph shows (its display name, or its id without the group
    prefix)."""

    id: str
    label: str
    operator: str
    is_mapped: bool
    group_id: str | None
    """The innermost task group holding the task; None for the DAG's root group."""
    setup_teardown: Literal["setup", "teardown"] | None


class StructureGroup(BaseModel):
    """A task group; `parent_id` None for a top-level group."""

    id: str
    label: str
    parent_id: str | None
    tooltip: str | None
    is_mapped: bool


class StructureEdge(BaseModel):
    """`source_id` runs before `target_id`; `label` from a `Label("...")` between them."""

    source_id: str
    target_id: str
    label: str | None
    is_setup_teardown: bool


class StructureResponse(BaseModel):
    """A DAG version's graph. Nodes come in DAG order: each group's children sorted so that
    upstream comes first (ties in the order they were added), groups depth-first; groups come
    parents before children."""

    dag_id: str
    version_number: int
    nodes: list[StructureNode]
    groups: list[StructureGroup]
    edges: list[StructureEdge]


def structure_response(dag: SerializedDAG, version_number: int) -> StructureResponse:
    """The structure of `dag`, a DAG as stored as version `version_number`."""
    mapped_groups = {
        item.get("group_id")
        for item in dag.data.get("task_groups") or ()
        if isinstance(item, dict) and item.get("is_mapped")
    }
    groups = [
        StructureGroup(
            id=group.group_id,
            label=group.label or group.group_id,
            parent_id=group.parent_group_id,
            tooltip=group.tooltip or None,
            is_mapped=group.group_id in mapped_groups,
        )
        for group in _groups_in_order(dag)
        if group.group_id is not None
    ]
    nodes = [
        StructureNode(
            id=task.task_id,
            label=_task_label(task),
            operator=task.operator_name,
            is_mapped=task.is_mapped,
            group_id=task.task_group_id,
            setup_teardown="setup" if task.is_setup else "teardown" if task.is_teardown else None,
        )
        for task in (dag.task_dict[task_id] for task_id in ordered_task_ids(dag))
    ]
    edges = [
        StructureEdge(
            source_id=task.task_id,
            target_id=down,
            label=_label(dag, task.task_id, down),
            is_setup_teardown=task.is_setup and dag.task_dict[down].is_teardown,
        )
        for task in dag.task_dict.values()
        for down in sorted(task.downstream_task_ids)
    ]
    return StructureResponse(
        dag_id=dag.dag_id,
        version_number=version_number,
        nodes=nodes,
        groups=groups,
        edges=edges,
    )


def ordered_task_ids(dag: SerializedDAG) -> list[str]:
    """Every task id in DAG order (see `StructureResponse`): the rows of a grid or Gantt chart."""
    return list(_walk(dag, None))


def _walk(dag: SerializedDAG, group_id: str | None) -> Iterator[str]:
    for kind, child_id in _sorted_children(dag, group_id):
        if kind == "group":
            yield from _walk(dag, child_id)
        else:
            yield child_id


def _sorted_children(dag: SerializedDAG, group_id: str | None) -> list[tuple[str, str]]:
    """The group's children, upstream before downstream (Kahn's algorithm; ties keep the order
    the children were added in; a child in a cycle of groups keeps its place at the end)."""
    children = list(dag.task_group_dict[group_id].children)
    child_of: dict[str, int] = {}
    for index, (kind, child_id) in enumerate(children):
        task_ids = (
            [child_id] if kind == "task" else [t.task_id for t in dag.iter_group_tasks(child_id)]
        )
        for task_id in task_ids:
            child_of[task_id] = index
    after: list[set[int]] = [set() for _ in children]
    waiting = [0] * len(children)
    for task_id, index in child_of.items():
        for down in dag.task_dict[task_id].downstream_task_ids:
            target = child_of.get(down)
            if target is not None and target != index and target not in after[index]:
                after[index].add(target)
                waiting[target] += 1
    ready = [index for index in range(len(children)) if waiting[index] == 0]
    order: list[int] = []
    while ready:
        ready.sort()
        index = ready.pop(0)
        order.append(index)
        for target in after[index]:
            waiting[target] -= 1
            if waiting[target] == 0:
                ready.append(target)
    placed = set(order)
    order.extend(index for index in range(len(children)) if index not in placed)
    return [children[index] for index in order]


def _groups_in_order(dag: SerializedDAG) -> Iterator[SerializedTaskGroup]:
    stack: list[str | None] = [None]
    while stack:
        group = dag.task_group_dict[stack.pop()]
        yield group
        stack.extend(reversed(group.child_group_ids))


def _task_label(task: SerializedTask) -> str:
    """The display name when the DAG file sets one, else the id without its group prefix."""
    display_name = task.data.get("task_display_name")
    if isinstance(display_name, str) and display_name and display_name != task.task_id:
        return display_name
    return task.label


def _label(dag: SerializedDAG, source_id: str, target_id: str) -> str | None:
    label = dag.get_edge_info(source_id, target_id).get("label")
    return None if label is None else str(label)

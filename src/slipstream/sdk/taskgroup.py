"""Task groups: named, nestable sets of tasks whose ids carry the group's prefix."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from slipstream.core.exceptions import DuplicateTaskIdFound, TaskAlreadyInTaskGroup
from slipstream.sdk.dag_definition import DagContext, validate_key
from slipstream.sdk.node import DependencyMixin, flatten

if TYPE_CHECKING:
    from slipstream.sdk.dag_definition import DAG


class TaskGroupContext:
    """The stack of task groups opened with `with TaskGroup(...)`."""

    _stack: list[TaskGroup] = []

    @classmethod
    def current(cls, dag: DAG | None) -> TaskGroup | None:
        if cls._stack and (dag is None or cls._stack[-1].dag is dag):
            return cls._stack[-1]
        return dag.task_group if dag is not None else None


class TaskGroup(DependencyMixin):
    """A group of tasks; `prefix_group_id` prefixes child ids with the group id, as in Airflow."""

    def __init__(
        self,
        group_id: str | None,
        prefix_group_id: bool = True,
        parent_group: TaskGroup | None = None,
        dag: DAG | None = None,
        default_args: dict[str, Any] | None = None,
        tooltip: str = "",
        ui_color: str = "CornflowerBlue",
        ui_fgcolor: str = "#000",
        add_suffix_on_collision: bool = False,
        group_display_name: str = "",
    ) -> None:
        self.prefix_group_id = prefix_group_id
        self.default_args = dict(default_args or {})
        self.tooltip = tooltip
        self.ui_color = ui_color
        self.ui_fgcolor = ui_fgcolor
        self.children: dict[str, Any] = {}
        self.upstream_group_ids: set[str] = set()
        self.downstream_group_ids: set[str] = set()
        self.upstream_task_ids: set[str] = set()
        self.downstream_task_ids: set[str] = set()
        self.is_mapped = False
        if group_id is None:
            self.dag = dag
            self.parent_group = None
            self._group_id = None
            self.used_group_ids: set[str | None] = set()
            return
        validate_key(group_id, kind="group_id")
        parent_group = parent_group or TaskGroupContext.current(dag or DagContext.current())
        if parent_group is None:
            raise ValueError(
                f"TaskGroup '{group_id}' has no DAG: create it inside `with DAG(...)` "
                f"or pass dag=..."
            )
        self.dag = dag or parent_group.dag
        self.parent_group = parent_group
        self.used_group_ids = parent_group.used_group_ids
        self._group_id = group_id
        if self.group_id in self.used_group_ids:
            if not add_suffix_on_collision:
                raise DuplicateTaskIdFound(
                    f"group_id '{self.group_id}' has already been added to the DAG"
                )
            base, n = group_id, 1
            while self.group_id in self.used_group_ids:
                self._group_id = f"{base}__{n}"
                n += 1
        self.group_display_name = group_display_name or self.label
        self.used_group_ids.add(self.group_id)
        if self.dag is not None:
            self.used_group_ids.add(self.downstream_join_id)
            self.used_group_ids.add(self.upstream_join_id)
        parent_group.add(self)

    @classmethod
    def create_root(cls, dag: DAG) -> TaskGroup:
        return cls(group_id=None, dag=dag)

    @property
    def is_root(self) -> bool:
        return self._group_id is None

    @property
    def group_id(self) -> str | None:
        if self.parent_group is not None and self.parent_group.prefix_group_id:
            parent = self.parent_group.group_id
            if parent:
                return f"{parent}.{self._group_id}"
        return self._group_id

    @property
    def node_id(self) -> str | None:
        return self.group_id

    @property
    def label(self) -> str | None:
        return self._group_id

    @property
    def upstream_join_id(self) -> str:
        return f"{self.group_id}.upstream_join_id"

    @property
    def downstream_join_id(self) -> str:
        return f"{self.group_id}.downstream_join_id"

    def child_id(self, label: str) -> str:
        """The full id a child with this local id gets."""
        if self.prefix_group_id and self.group_id:
            return f"{self.group_id}.{label}"
        return label

    def add(self, node: Any) -> None:
        key = node.node_id
        if key in self.children:
            raise DuplicateTaskIdFound(f"{key!r} has already been added to the DAG")
        if not isinstance(node, TaskGroup) and getattr(node, "task_group", None) not in (
            None,
            self,
        ):
            raise TaskAlreadyInTaskGroup(f"{key!r} is already in another task group")
        self.children[key] = node

    def get_child_by_label(self, label: str) -> Any:
        return self.children[self.child_id(label)]

    def iter_tasks(self) -> Iterator[Any]:
        """Every task in this group and its subgroups."""
        for child in self.children.values():
            if isinstance(child, TaskGroup):
                yield from child.iter_tasks()
            else:
                yield child

    def __iter__(self) -> Iterator[Any]:
        yield from self.children.values()

    def get_task_group_dict(self) -> dict[str | None, TaskGroup]:
        groups: dict[str | None, TaskGroup] = {self.group_id: self}
        for child in self.children.values():
            if isinstance(child, TaskGroup):
                groups.update(child.get_task_group_dict())
        return groups

    # --- dependencies ------------------------------------------------------------------

    @property
    def roots(self) -> list[Any]:
        tasks = list(self.iter_tasks())
        ids = {t.task_id for t in tasks}
        return [t for t in tasks if t.upstream_task_ids.isdisjoint(ids)]

    @property
    def leaves(self) -> list[Any]:
        tasks = list(self.iter_tasks())
        ids = {t.task_id for t in tasks}
        by_id = {t.task_id: t for t in tasks}
        out: list[Any] = []
        seen: set[str] = set()

        def first_non_teardown(task: Any) -> Iterator[Any]:
            for up_id in task.upstream_task_ids:
                up = by_id.get(up_id)
                if up is None:
                    continue
                if up.is_teardown:
                    yield from first_non_teardown(up)
                elif task.is_teardown and up.is_setup:
                    continue
                else:
                    yield up

        for task in tasks:
            if task.downstream_task_ids.isdisjoint(ids):
                found = [task] if not task.is_teardown else list(first_non_teardown(task))
                for leaf in found:
                    if leaf.task_id not in seen:
                        seen.add(leaf.task_id)
                        out.append(leaf)
        return out

    def set_upstream(self, other: Any, edge_modifier: Any = None) -> None:
        for node in flatten(other):
            if isinstance(node, TaskGroup) and node.group_id:
                self.upstream_group_ids.add(node.group_id)
            for root in self.roots:
                root.set_upstream(node, edge_modifier=edge_modifier)

    def set_downstream(self, other: Any, edge_modifier: Any = None) -> None:
        for node in flatten(other):
            if isinstance(node, TaskGroup) and node.group_id:
                self.downstream_group_ids.add(node.group_id)
            for leaf in self.leaves:
                leaf.set_downstream(node, edge_modifier=edge_modifier)

    # --- context manager ----------------------------------------------------------------

    def __enter__(self) -> TaskGroup:
        TaskGroupContext._stack.append(self)
        return self

    def __exit__(self, *exc: object) -> None:
        TaskGroupContext._stack.pop()

    def __repr__(self) -> str:
        return f"<TaskGroup: {self.group_id}>"


class TaskGroupDecorator:
    """What `@task_group` returns: calling it builds a group around the function's tasks."""

    def __init__(self, function: Callable[..., Any], group_kwargs: dict[str, Any]) -> None:
        self.function = function
        self.group_kwargs = group_kwargs
        functools.update_wrapper(self, function)

    def override(self, **kwargs: Any) -> TaskGroupDecorator:
        return TaskGroupDecorator(self.function, {**self.group_kwargs, **kwargs})

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        kwargs_for_group = dict(self.group_kwargs)
        kwargs_for_group.setdefault("group_id", self.function.__name__)
        kwargs_for_group.setdefault("tooltip", inspect.getdoc(self.function) or "")
        kwargs_for_group.setdefault("add_suffix_on_collision", True)
        with TaskGroup(**kwargs_for_group) as group:
            result = self.function(*args, **kwargs)
        # A group function returning a task (or XComArg) is used as that value for chaining,
        # as in Airflow; otherwise the group itself is returned.
        return result if result is not None else group

    def partial(self, **kwargs: Any) -> Any:
        from slipstream.sdk.mapping import MappedTaskGroupPartial

        return MappedTaskGroupPartial(self, kwargs)

    def expand(self, **kwargs: Any) -> Any:
        return self.partial().expand(**kwargs)

    def expand_kwargs(self, value: Any) -> Any:
        return self.partial().expand_kwargs(value)


def task_group(group_id: Any = None, **kwargs: Any) -> Any:
    """`@task_group` — the decorator form of TaskGroup."""
    if callable(group_id):
        return TaskGroupDecorator(group_id, {})

    def wrapper(func: Callable[..., Any]) -> TaskGroupDecorator:
        group_kwargs = dict(kwargs)
        if group_id is not None:
            group_kwargs["group_id"] = group_id
        return TaskGroupDecorator(func, group_kwargs)

    return wrapper

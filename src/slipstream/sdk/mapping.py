"""Dynamic task mapping: `.partial(...).expand(...)` makes one task instance per input element."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from slipstream.sdk.baseoperator import (
    BaseOperator,
    _accepted_arguments,
    _merged_default_args,
    unregistered,
)
from slipstream.sdk.dag_definition import DagContext
from slipstream.sdk.node import DependencyMixin
from slipstream.sdk.taskgroup import TaskGroupContext
from slipstream.sdk.xcom_arg import ResolveMixin, XComArg

# Arguments that make no sense per mapped index.
NOT_MAPPABLE = frozenset({"task_id", "dag", "task_group", "default_args"})


class OperatorPartial:
    """The shared arguments of a mapped task, waiting for `.expand()` or `.expand_kwargs()`."""

    def __init__(
        self,
        operator_class: type[BaseOperator],
        kwargs: dict[str, Any],
        *,
        expand_target: str | None = None,
    ) -> None:
        self.operator_class = operator_class
        self.kwargs = kwargs
        self.expand_target = expand_target
        self._expanded = False

    @classmethod
    def create(cls, operator_class: type[BaseOperator], kwargs: dict[str, Any]) -> OperatorPartial:
        if "task_id" not in kwargs:
            raise TypeError(f"{operator_class.__name__}.partial() needs a task_id")
        _check_accepted(operator_class, kwargs, kwargs["task_id"], what="partial")
        return cls(operator_class, dict(kwargs))

    def expand(self, **mapped: Any) -> MappedOperator:
        if not mapped:
            raise TypeError(f"No arguments to expand for task '{self.kwargs.get('task_id')}'")
        for name, value in mapped.items():
            _check_mappable(self.kwargs.get("task_id"), name, value)
        if self.expand_target is None:
            _check_accepted(self.operator_class, mapped, self.kwargs["task_id"], what="expand")
        return self._finish(DictOfListsExpandInput(mapped))

    def expand_kwargs(self, value: Any) -> MappedOperator:
        if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, (Sequence, XComArg)):
            raise TypeError(
                f"expand_kwargs() of task '{self.kwargs.get('task_id')}' needs a list of dicts "
                f"or an XComArg, got {type(value).__name__}"
            )
        if isinstance(value, Sequence):
            for item in value:
                if not isinstance(item, (Mapping, XComArg)):
                    raise TypeError(f"expand_kwargs() items must be dicts, got {item!r}")
        return self._finish(ListOfDictsExpandInput(value))

    def _finish(self, expand_input: Any) -> MappedOperator:
        if self._expanded:
            raise RuntimeError(f"Task '{self.kwargs.get('task_id')}' was already expanded")
        self._expanded = True
        return MappedOperator(self, expand_input)


def _check_accepted(cls: type, kwargs: Mapping[str, Any], task_id: Any, *, what: str) -> None:
    accepted = _accepted_arguments(cls)
    unknown = [k for k in kwargs if k not in accepted and k != "default_args"]
    if unknown:
        raise TypeError(
            f"{cls.__name__}.{what}() of task '{task_id}' got unexpected argument(s): "
            f"{', '.join(sorted(unknown))}"
        )
    bad = [k for k in kwargs if what == "expand" and k in NOT_MAPPABLE]
    if bad:
        raise ValueError(f"Cannot map over {', '.join(bad)} in task '{task_id}'")


def _check_mappable(task_id: Any, name: str, value: Any) -> None:
    if isinstance(value, (XComArg, ResolveMixin)):
        return
    if isinstance(value, (str, bytes)) or not isinstance(value, (Sequence, Mapping)):
        raise ValueError(
            f"Cannot map task '{task_id}' over {name}={value!r}: expand() needs a list, "
            f"dict or XComArg per argument"
        )


class DictOfListsExpandInput:
    """`.expand(a=[...], b=[...])`: the cross product of every argument's values."""

    def __init__(self, value: dict[str, Any]) -> None:
        self.value = value

    def iter_references(self) -> Any:
        return XComArg.iter_xcom_references(self.value)

    def _sequences(self, context: Any) -> dict[str, Sequence[Any]]:
        out: dict[str, Sequence[Any]] = {}
        for name, value in self.value.items():
            resolved = value.resolve(context) if isinstance(value, ResolveMixin) else value
            if isinstance(resolved, Mapping):
                resolved = list(resolved.items())
            if resolved is None or isinstance(resolved, (str, bytes)):
                raise ValueError(f"Cannot expand {name} over {resolved!r}: not a list or dict")
            out[name] = resolved
        return out

    def get_total_length(self, context: Any) -> int:
        total = 1
        for seq in self._sequences(context).values():
            total *= len(seq)
        return total

    def resolve(self, context: Any, map_index: int) -> dict[str, Any]:
        sequences = self._sequences(context)
        lengths = [len(s) for s in sequences.values()]
        indexes: list[int] = []
        rest = map_index
        for length in reversed(lengths):
            indexes.append(rest % length)
            rest //= length
        indexes.reverse()
        return {name: seq[i] for (name, seq), i in zip(sequences.items(), indexes)}

    def serialize(self) -> dict[str, Any]:
        return {"type": "dict-of-lists", "keys": list(self.value)}


class ListOfDictsExpandInput:
    """`.expand_kwargs([{...}, {...}])`: one set of arguments per element."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def iter_references(self) -> Any:
        return XComArg.iter_xcom_references(self.value)

    def _items(self, context: Any) -> Sequence[Any]:
        if isinstance(self.value, ResolveMixin):
            return self.value.resolve(context)
        return self.value

    def get_total_length(self, context: Any) -> int:
        return len(self._items(context))

    def resolve(self, context: Any, map_index: int) -> dict[str, Any]:
        item = self._items(context)[map_index]
        if isinstance(item, ResolveMixin):
            item = item.resolve(context)
        if not isinstance(item, Mapping):
            raise TypeError(f"expand_kwargs() element {map_index} is not a dict: {item!r}")
        return dict(item)

    def serialize(self) -> dict[str, Any]:
        return {"type": "list-of-dicts"}


class MappedOperator(DependencyMixin):
    """A task that becomes one task instance per element of its expand input at run time."""

    is_mapped = True

    def __init__(self, partial: OperatorPartial, expand_input: Any) -> None:
        kwargs = dict(partial.kwargs)
        dag = kwargs.get("dag") or DagContext.current()
        group = kwargs.get("task_group") or TaskGroupContext.current(dag)
        defaults = _merged_default_args(dag, group, kwargs.pop("default_args", None))
        accepted = _accepted_arguments(partial.operator_class)
        for name, value in defaults.items():
            if name in accepted and name not in kwargs:
                kwargs[name] = value
        base_accepted = _accepted_arguments(BaseOperator)
        with unregistered():
            self._prototype = BaseOperator(
                **{k: v for k, v in kwargs.items() if k in base_accepted}
            )
        self.operator_class = partial.operator_class
        self.partial_kwargs = kwargs
        self.expand_input = expand_input
        self.expand_target = partial.expand_target
        self.dag = self._prototype.dag
        self.task_group = self._prototype.task_group
        self.task_id = self._prototype.task_id
        self.upstream_task_ids: set[str] = set()
        self.downstream_task_ids: set[str] = set()
        self.is_setup = False
        self.is_teardown = False
        self.on_failure_fail_dagrun = False
        if self.dag is not None:
            self.dag.add_task(self)
        if self.task_group is not None:
            self.task_group.add(self)
        # set_upstream is borrowed from BaseOperator (see below), whose `self` type is BaseOperator.
        for ref in expand_input.iter_references():
            self.set_upstream(ref.operator)  # type: ignore[misc]
        for value in kwargs.values():
            for ref in XComArg.iter_xcom_references(value):
                self.set_upstream(ref.operator)  # type: ignore[misc]
        from slipstream.sdk.baseoperator import _SetupTeardownContext

        _SetupTeardownContext.record(self)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name == "_prototype":
            raise AttributeError(name)
        return getattr(self._prototype, name)

    def __repr__(self) -> str:
        return f"<Mapped({self.operator_class.__name__}): {self.task_id}>"

    @property
    def task_type(self) -> str:
        return self.operator_class.__name__

    @property
    def operator_name(self) -> str:
        return self.operator_class.custom_operator_name or self.operator_class.__name__

    @property
    def template_fields(self) -> Any:
        return self.operator_class.template_fields

    @property
    def output(self) -> XComArg:
        return XComArg(self)

    roots = BaseOperator.roots
    leaves = BaseOperator.leaves
    upstream_list = BaseOperator.upstream_list
    downstream_list = BaseOperator.downstream_list
    set_upstream = BaseOperator.set_upstream
    set_downstream = BaseOperator.set_downstream
    _set_relatives = BaseOperator._set_relatives
    _link = BaseOperator._link
    get_direct_relative_ids = BaseOperator.get_direct_relative_ids
    get_flat_relative_ids = BaseOperator.get_flat_relative_ids
    as_setup = BaseOperator.as_setup
    as_teardown = BaseOperator.as_teardown

    def get_mapped_length(self, context: Any) -> int:
        """How many task instances this task expands to, given upstream results."""
        return self.expand_input.get_total_length(context)

    def unmap(self, context: Any, map_index: int) -> BaseOperator:
        """The concrete operator for one map index, outside the DAG's task registry."""
        mapped = self.expand_input.resolve(context, map_index)
        kwargs = dict(self.partial_kwargs)
        if self.expand_target is not None:
            target = dict(kwargs.get(self.expand_target) or {})
            target.update(mapped)
            kwargs[self.expand_target] = target
        else:
            kwargs.update(mapped)
        kwargs["task_id"] = self._prototype.label
        kwargs["dag"] = self.dag
        kwargs["task_group"] = self.task_group
        with unregistered():
            task = self.operator_class(**kwargs)
        task.upstream_task_ids = self.upstream_task_ids
        task.downstream_task_ids = self.downstream_task_ids
        task.is_setup = self.is_setup
        task.is_teardown = self.is_teardown
        task.on_failure_fail_dagrun = self.on_failure_fail_dagrun
        task.trigger_rule = self.trigger_rule
        return task


class MappedTaskGroupPartial:
    """Mapped task groups are not supported yet; using one names the construct."""

    def __init__(self, decorator: Any, kwargs: dict[str, Any]) -> None:
        self.decorator = decorator

    def expand(self, **kwargs: Any) -> Any:
        self._unsupported()

    def expand_kwargs(self, value: Any) -> Any:
        self._unsupported()

    def _unsupported(self) -> None:
        from slipstream.core.exceptions import UnsupportedFeatureError

        raise UnsupportedFeatureError(
            f"Slipstream does not support mapped task groups yet "
            f"(@task_group {self.decorator.function.__name__}.expand)"
        )

"""References to values other tasks produce at run time (XCom), used as task arguments."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from slipstream.sdk.node import DependencyMixin

RETURN_VALUE_KEY = "return_value"


class ResolveMixin:
    """A value known only at run time; the runtime calls `resolve(context)` before execute."""

    def resolve(self, context: Any) -> Any:
        raise NotImplementedError

    def iter_references(self) -> Iterator[PlainXComArg]:
        return iter(())


def visit_xcom_references(value: Any, visit: Callable[[PlainXComArg], None]) -> None:
    """Call `visit` on each reference `XComArg.iter_xcom_references(value)` yields, in the same
    order, without a generator per nesting level: every new task's template fields are searched.
    """
    if isinstance(value, ResolveMixin):
        for ref in value.iter_references():
            visit(ref)
    elif isinstance(value, (list, tuple, set, frozenset)):
        for item in value:
            if item is not None and item.__class__ not in _PLAIN_SCALARS:
                visit_xcom_references(item, visit)
    elif isinstance(value, dict):
        for item in value.values():
            if item is not None and item.__class__ not in _PLAIN_SCALARS:
                visit_xcom_references(item, visit)


_PLAIN_SCALARS = frozenset({str, int, float, bool, bytes})


class XComArg(ResolveMixin, DependencyMixin):
    """`XComArg(task)` refers to a task's return value; `XComArg(task, key)` to another key."""

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        if cls is XComArg:
            return PlainXComArg(*args, **kwargs)
        return super().__new__(cls)

    @staticmethod
    def iter_xcom_references(value: Any) -> Iterator[PlainXComArg]:
        """Every task output referenced anywhere inside `value` (lists, dicts, nested)."""
        if isinstance(value, ResolveMixin):
            yield from value.iter_references()
        elif isinstance(value, (list, tuple, set, frozenset)):
            for item in value:
                yield from XComArg.iter_xcom_references(item)
        elif isinstance(value, dict):
            for item in value.values():
                yield from XComArg.iter_xcom_references(item)

    def map(self, f: Callable[[Any], Any]) -> MapXComArg:
        """Apply `f` to each element lazily when a mapped task consumes this value."""
        return MapXComArg(self, [f])

    def zip(self, *others: XComArg, fillvalue: Any = None) -> ZipXComArg:
        return ZipXComArg([self, *others], fillvalue=fillvalue)

    def concat(self, *others: XComArg) -> ConcatXComArg:
        return ConcatXComArg([self, *others])

    def __iter__(self) -> Iterator[Any]:
        raise TypeError("XComArg is not iterable: its value exists only at run time")

    @property
    def roots(self) -> list[Any]:
        return [ref.operator for ref in self.iter_references()]

    @property
    def leaves(self) -> list[Any]:
        return [ref.operator for ref in self.iter_references()]

    def set_upstream(self, other: Any, edge_modifier: Any = None) -> None:
        for ref in self.iter_references():
            ref.operator.set_upstream(other, edge_modifier)

    def set_downstream(self, other: Any, edge_modifier: Any = None) -> None:
        for ref in self.iter_references():
            ref.operator.set_downstream(other, edge_modifier)

    def as_setup(self) -> XComArg:
        for ref in self.iter_references():
            ref.operator.as_setup()
        return self

    def as_teardown(self, *, setups: Any = None, on_failure_fail_dagrun: bool | None = None) -> Any:
        for ref in self.iter_references():
            ref.operator.as_teardown(setups=setups, on_failure_fail_dagrun=on_failure_fail_dagrun)
        return self

    def __enter__(self) -> Any:
        return next(iter(self.iter_references())).operator.__enter__()

    def __exit__(self, *exc: object) -> None:
        next(iter(self.iter_references())).operator.__exit__(*exc)


class PlainXComArg(XComArg):
    """One XCom key of one task."""

    def __init__(self, operator: Any, key: str = RETURN_VALUE_KEY) -> None:
        self.operator = operator
        self.key = key

    def __repr__(self) -> str:
        if self.key == RETURN_VALUE_KEY:
            return f"XComArg({self.operator!r})"
        return f"XComArg({self.operator!r}, {self.key!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PlainXComArg):
            return NotImplemented
        return self.operator is other.operator and self.key == other.key

    def __hash__(self) -> int:
        return hash((id(self.operator), self.key))

    def __getitem__(self, key: str) -> PlainXComArg:
        """`result["key"]`: the XCom pushed under that key (tasks with multiple_outputs)."""
        if self.key != RETURN_VALUE_KEY:
            raise ValueError(f"Cannot index {self!r} again with {key!r}")
        return PlainXComArg(self.operator, key)

    def iter_references(self) -> Iterator[PlainXComArg]:
        yield self

    # One task's output: the same as XComArg's, without a generator (`a >> b` in large DAGs).
    @property
    def roots(self) -> list[Any]:
        return [self.operator]

    @property
    def leaves(self) -> list[Any]:
        return [self.operator]

    def set_upstream(self, other: Any, edge_modifier: Any = None) -> None:
        self.operator.set_upstream(other, edge_modifier)

    def set_downstream(self, other: Any, edge_modifier: Any = None) -> None:
        self.operator.set_downstream(other, edge_modifier)

    def resolve(self, context: Any) -> Any:
        ti = context["ti"]
        return ti.xcom_pull(task_ids=self.operator.task_id, key=self.key, map_indexes=None)


class MapXComArg(XComArg):
    """`arg.map(f)`: the referenced sequence with `f` applied to each element."""

    def __init__(self, arg: XComArg, callables: Sequence[Callable[[Any], Any]]) -> None:
        self.arg = arg
        self.callables = list(callables)

    def map(self, f: Callable[[Any], Any]) -> MapXComArg:
        return MapXComArg(self.arg, [*self.callables, f])

    def iter_references(self) -> Iterator[PlainXComArg]:
        yield from self.arg.iter_references()

    def resolve(self, context: Any) -> Any:
        return _MappedSequence(self.arg.resolve(context), self.callables)


class _MappedSequence(Sequence[Any]):
    def __init__(self, values: Any, callables: list[Callable[[Any], Any]]) -> None:
        self._values = values
        self._callables = callables

    def __len__(self) -> int:
        return len(self._values)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        value = self._values[index]
        for f in self._callables:
            value = f(value)
        return value


class ZipXComArg(XComArg):
    """`a.zip(b)`: tuples of the referenced sequences' elements."""

    def __init__(self, args: Sequence[Any], *, fillvalue: Any = None) -> None:
        self.args = list(args)
        self.fillvalue = fillvalue

    def iter_references(self) -> Iterator[PlainXComArg]:
        for arg in self.args:
            yield from XComArg.iter_xcom_references(arg)

    def resolve(self, context: Any) -> Any:
        import itertools

        values = [_resolve_any(a, context) for a in self.args]
        if self.fillvalue is None:
            return list(zip(*values))
        return list(itertools.zip_longest(*values, fillvalue=self.fillvalue))


class ConcatXComArg(XComArg):
    """`a.concat(b)`: the referenced sequences one after another."""

    def __init__(self, args: Sequence[Any]) -> None:
        self.args = list(args)

    def iter_references(self) -> Iterator[PlainXComArg]:
        for arg in self.args:
            yield from XComArg.iter_xcom_references(arg)

    def resolve(self, context: Any) -> Any:
        out: list[Any] = []
        for arg in self.args:
            out.extend(_resolve_any(arg, context))
        return out


class DagParam(ResolveMixin):
    """A `@dag` function's parameter: resolves to the run's value of that param."""

    def __init__(self, dag: Any, name: str) -> None:
        self.dag = dag
        self.name = name

    def resolve(self, context: Any) -> Any:
        return context["params"][self.name]

    def __repr__(self) -> str:
        return f"DagParam({self.name!r})"


def _resolve_any(value: Any, context: Any) -> Any:
    return value.resolve(context) if isinstance(value, ResolveMixin) else value


def literal(value: Any) -> Any:
    """Mark a value so it is passed as is (Airflow's `literal`); we never render these."""
    return _Literal(value)


class _Literal(ResolveMixin):
    def __init__(self, value: Any) -> None:
        self.value = value

    def resolve(self, context: Any) -> Any:
        return self.value

"""The dependency vocabulary shared by tasks, task groups, XCom references and edge labels."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any


class DependencyMixin:
    """Anything that can stand on either side of `>>` / `<<` in a DAG file."""

    @property
    def roots(self) -> list[Any]:
        """The tasks an upstream dependency attaches to."""
        raise NotImplementedError

    @property
    def leaves(self) -> list[Any]:
        """The tasks a downstream dependency attaches to."""
        raise NotImplementedError

    def set_upstream(self, other: Any, edge_modifier: Any = None) -> None:
        raise NotImplementedError

    def set_downstream(self, other: Any, edge_modifier: Any = None) -> None:
        raise NotImplementedError

    def update_relative(self, other: Any, upstream: bool = True, edge_modifier: Any = None) -> None:
        """Hook for objects that need to know about relations made with them."""

    def __rshift__(self, other: Any) -> Any:
        self.set_downstream(other)
        return other

    def __lshift__(self, other: Any) -> Any:
        self.set_upstream(other)
        return other

    def __rrshift__(self, other: Any) -> Any:
        self.__lshift__(other)
        return self

    def __rlshift__(self, other: Any) -> Any:
        self.__rshift__(other)
        return self


def flatten(items: Any) -> list[Any]:
    """Turn one dependency target, or a (nested) list of them, into a flat list."""
    if isinstance(items, DependencyMixin):
        return [items]
    if isinstance(items, (Sequence, set, frozenset)) and not isinstance(items, (str, bytes)):
        out: list[Any] = []
        for item in items:
            out.extend(flatten(item))
        return out
    if isinstance(items, Iterable) and not isinstance(items, (str, bytes, dict)):
        return flatten(list(items))
    raise TypeError(
        f"Dependencies can only be set between tasks, task groups, XComArgs and Labels, "
        f"not {type(items).__name__}: {items!r}"
    )

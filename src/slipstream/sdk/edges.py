"""Edge labels: `a >> Label("when valid") >> b` names the edge between a and b."""

from __future__ import annotations

from typing import Any

from slipstream.sdk.node import DependencyMixin, flatten


class EdgeModifier(DependencyMixin):
    """Sits between tasks in a dependency chain and attaches information to the edges it spans."""

    def __init__(self, label: str | None = None) -> None:
        self.label = label
        self._upstream: list[DependencyMixin] = []
        self._downstream: list[DependencyMixin] = []

    @property
    def roots(self) -> list[Any]:
        return self._downstream

    @property
    def leaves(self) -> list[Any]:
        return self._upstream

    def set_upstream(self, other: Any, edge_modifier: Any = None) -> None:
        others = flatten(other)
        for node in others:
            for down in self._downstream:
                down.set_upstream(node, edge_modifier=self)
        self._upstream.extend(others)

    def set_downstream(self, other: Any, edge_modifier: Any = None) -> None:
        others = flatten(other)
        for node in others:
            for up in self._upstream:
                up.set_downstream(node, edge_modifier=self)
        self._downstream.extend(others)

    def update_relative(self, other: Any, upstream: bool = True, edge_modifier: Any = None) -> None:
        if upstream:
            self._downstream.append(other)
        else:
            self._upstream.append(other)

    def add_edge_info(self, dag: Any, upstream_id: str, downstream_id: str) -> None:
        dag.set_edge_info(upstream_id, downstream_id, {"label": self.label})


def Label(label: str) -> EdgeModifier:
    """An edge modifier that only carries a label."""
    return EdgeModifier(label)

"""The range filters of Airflow's list endpoints (`<field>_gte`, `_gt`, `_lte`, `_lt`), as SQL
conditions: every listing that bounds a date, a time or a duration uses `Bounds`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.sql.elements import ColumnElement

__all__ = ["NO_BOUNDS", "Bounds"]


@dataclass(frozen=True)
class Bounds:
    """A range on one value: any of `>=`, `>`, `<=`, `<` (None: no bound on that side)."""

    gte: Any = None
    gt: Any = None
    lte: Any = None
    lt: Any = None

    @property
    def is_set(self) -> bool:
        """Whether any bound applies."""
        return any(bound is not None for bound in (self.gte, self.gt, self.lte, self.lt))

    def conditions(self, column: Any) -> list[ColumnElement[bool]]:
        """The conditions `column` must meet (none when unbounded)."""
        out: list[ColumnElement[bool]] = []
        if self.gte is not None:
            out.append(column >= self.gte)
        if self.gt is not None:
            out.append(column > self.gt)
        if self.lte is not None:
            out.append(column <= self.lte)
        if self.lt is not None:
            out.append(column < self.lt)
        return out


NO_BOUNDS = Bounds()

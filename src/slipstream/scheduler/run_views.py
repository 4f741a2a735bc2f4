"""What a scheduler remembers of the runs it examines, so an examination reads only what changed.

Reading every TI of a run at each examination makes a wide run cost O(width) per finished task,
O(width²) in all. A scheduler instead keeps a `RunView` of each running run it examined: the ids
and states of its TIs by task and map index, with counts per state (`TaskStates`). The next
examination applies the rows changed since (`store.ti_changes`) and decides only the tasks
those changes can affect.

A view is good while the run's `view_version` is the number it was kept with: every examination
raises it in its own transaction, so a view survives only when this scheduler made the last
examination and it committed; otherwise the run is read afresh. Views are dropped when their run
ends or its examination fails, and the least recently examined go first beyond `max_tis` TIs.

Runs of at most `min_tis` TIs get no view: reading a few rows whole costs less than following
their changes (taking changes rewrites the changed rows to clear their flags).
"""

from __future__ import annotations

from collections import Counter, OrderedDict
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from slipstream.core.states import FINISHED_TI_STATES
from slipstream.db.models import DagRun
from slipstream.db.store.task_instances import TIState
from slipstream.orchestration.task_states import TaskStates
from slipstream.orchestration.trigger_rules import StateLike

MAX_TIS = 200_000
"""TIs remembered over all views (about 50 bytes each)."""
MIN_TIS = 256
"""Runs this small are read whole at each examination."""


class RunView:
    """One run's TIs: `ids` and `states` per task id, both in map index order."""

    def __init__(self, task_ids: Collection[str], tis: Iterable[TIState]) -> None:
        self.task_ids = task_ids
        self.size = 0  # TIs in the view
        self.totals: Counter[StateLike] = Counter()
        self.ids: dict[str, list[int]] = {}
        self.states: dict[str, TaskStates] = {}
        self._first: dict[str, int] = {}  # map index at position 0 (-1 or 0)
        self._irregular: dict[str, dict[int, int]] = {}  # map index -> position, if not 0..n-1
        grouped: dict[str, list[TIState]] = {}
        for ti in tis:
            if ti.task_id in task_ids:
                grouped.setdefault(ti.task_id, []).append(ti)
        for task_id, items in grouped.items():
            items.sort(key=lambda ti: ti.map_index)
            indexes = [ti.map_index for ti in items]
            self.replace(task_id, [ti.id for ti in items], [ti.state for ti in items], indexes)

    @property
    def active(self) -> bool:
        """Some TI is on its way (scheduled, queued, running, waiting to retry, ...)."""
        return any(
            n > 0 and state is not None and state not in FINISHED_TI_STATES
            for state, n in self.totals.items()
        )

    def replace(
        self, task_id: str, ids: list[int], states: list[StateLike], map_indexes: list[int]
    ) -> None:
        """Set a task's TIs anew (building the view, expanding a mapped task)."""
        old = self.states.get(task_id)
        if old is not None:
            old.detach()
            self.size -= len(old)
        self.size += len(ids)
        self.ids[task_id] = ids
        self.states[task_id] = TaskStates(states, self.totals)
        self._first[task_id] = -1 if map_indexes == [-1] else 0
        self._irregular.pop(task_id, None)
        if map_indexes != [-1] and map_indexes != list(range(len(map_indexes))):
            self._irregular[task_id] = {index: i for i, index in enumerate(map_indexes)}

    def apply(self, ti: TIState) -> bool | None:
        """Take a changed row: True when its state changed, False when not (or its task is not
        in the DAG), None when the row has no place here (a TI this view does not know)."""
        if ti.task_id not in self.task_ids:
            return False
        ids = self.ids.get(ti.task_id)
        if ids is None:
            return None
        position = self._position(ti.task_id, ti.map_index)
        if position is None or not 0 <= position < len(ids) or ids[position] != ti.id:
            return None
        states = self.states[ti.task_id]
        if states[position] == ti.state:
            return False
        states[position] = ti.state
        return True

    def mapped_count(self, task_id: str) -> int:
        """How many TIs of the task have a map index (0 before it is expanded)."""
        irregular = self._irregular.get(task_id)
        if irregular is not None:
            return sum(1 for index in irregular if index >= 0)
        return len(self.ids.get(task_id, ())) if self._first.get(task_id) == 0 else 0

    def _position(self, task_id: str, map_index: int) -> int | None:
        irregular = self._irregular.get(task_id)
        if irregular is not None:
            return irregular.get(map_index)
        return map_index - self._first[task_id]


@dataclass
class _Kept:
    version: int
    serialized_dag_id: int | None
    view: RunView
    size: int


class RunViews:
    """The views of running runs, by run id."""

    def __init__(self, max_tis: int = MAX_TIS, min_tis: int = MIN_TIS) -> None:
        self.max_tis = max_tis
        self.min_tis = min_tis
        self._kept: OrderedDict[int, _Kept] = OrderedDict()
        self._tis = 0

    def __len__(self) -> int:
        return len(self._kept)

    def take(self, run: DagRun) -> RunView | None:
        """The run's view, if it is still good (see the module docs); it is kept no more."""
        kept = self._kept.pop(run.id, None)
        if kept is None:
            return None
        self._tis -= kept.size
        if kept.version != run.view_version or kept.serialized_dag_id != run.serialized_dag_id:
            return None
        return kept.view

    def wants(self, size: int) -> bool:
        """Whether a run of `size` TIs is worth a view."""
        return self.min_tis < size <= self.max_tis

    def keep(self, run: DagRun, view: RunView) -> None:
        """Remember `view` as of the examination that raised the run's version by one."""
        size = view.size
        if not self.wants(size):
            return
        self._kept[run.id] = _Kept(run.view_version + 1, run.serialized_dag_id, view, size)
        self._tis += size
        while self._tis > self.max_tis:
            _, dropped = self._kept.popitem(last=False)
            self._tis -= dropped.size

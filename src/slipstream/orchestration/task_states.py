"""The states of one task's TIs in a run, by map index, with their counts kept up to date.

The rules ask "how many upstream TIs succeeded", "is any TI unset", "has every TI finished".
Over a plain list each question walks every TI, so a scheduler that keeps a wide run in memory
between passes (a 100,000-way mapped task) would pay for its width at every finished task. It
holds the states as `TaskStates` instead, and the rules read `state_counts`: one lookup per task.
The rules accept plain sequences too; `state_counts` then counts them on the spot.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import overload

from slipstream.core.states import FINISHED_TI_STATES

from .trigger_rules import StateLike


class TaskStates(Sequence[StateLike]):
    """A task's TI states by position, with `counts` of each state; `totals` (shared by the
    tasks of one run, if given) gets the same updates, so the run's counts are known too."""

    __slots__ = ("_states", "_totals", "counts")

    def __init__(self, states: Iterable[StateLike] = (), totals: Counter[StateLike] | None = None):
        self._states: list[StateLike] = list(states)
        self.counts: Counter[StateLike] = Counter(self._states)
        self._totals = totals
        if totals is not None:
            totals.update(self.counts)

    @overload
    def __getitem__(self, index: int) -> StateLike: ...
    @overload
    def __getitem__(self, index: slice) -> list[StateLike]: ...
    def __getitem__(self, index: int | slice) -> StateLike | list[StateLike]:
        return self._states[index]

    def __setitem__(self, index: int, state: StateLike) -> None:
        old = self._states[index]
        if old == state:
            return
        self._states[index] = state
        _move(self.counts, old, state)
        if self._totals is not None:
            _move(self._totals, old, state)

    def __len__(self) -> int:
        return len(self._states)

    def __iter__(self) -> Iterator[StateLike]:
        return iter(self._states)

    def __contains__(self, state: object) -> bool:
        return self.counts.get(state, 0) > 0  # type: ignore[call-overload]

    def __repr__(self) -> str:
        return f"TaskStates({self._states!r})"

    def detach(self) -> None:
        """Take this task's states out of the run's totals (the task's TIs are replaced)."""
        if self._totals is not None:
            self._totals.subtract(self.counts)
            self._totals = None


def state_counts(states: Sequence[StateLike]) -> Mapping[StateLike, int]:
    """How many TIs are in each state (zero counts may appear)."""
    if isinstance(states, TaskStates):
        return states.counts
    return Counter(states)


def all_finished(states: Sequence[StateLike]) -> bool:
    """Every TI has finished."""
    return all(not n or s in FINISHED_TI_STATES for s, n in state_counts(states).items())


def _move(counts: Counter[StateLike], old: StateLike, new: StateLike) -> None:
    counts[old] -= 1
    counts[new] += 1

"""Trigger rules: what a task instance does next, given the states of its upstream task instances.

This is the pure core of Airflow 3.3's `TriggerRuleDep`: the scheduler evaluates it with
`flag_upstream_failed=True`, which first lets a rule *settle* a task early (skipped or
upstream_failed, often before every upstream has finished) and otherwise says whether the rule is
met (run) or not yet (wait). Counts are over upstream task *instances*, so a mapped upstream
counts each of its TIs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeAlias

from slipstream.core.states import FINISHED_TI_STATES, TaskInstanceState
from slipstream.core.trigger_rule import TriggerRule

StateLike: TypeAlias = TaskInstanceState | str | None
"""A TI state as an enum member, its string value, or None (not yet decided)."""

_S = TaskInstanceState


class Decision(StrEnum):
    """What to do with a task instance that has no state yet."""

    RUN = "run"
    WAIT = "wait"
    SKIP = "skip"
    UPSTREAM_FAILED = "upstream_failed"

    @property
    def terminal_state(self) -> TaskInstanceState | None:
        """The state to set at once (SKIP, UPSTREAM_FAILED), or None when nothing is settled."""
        if self is Decision.SKIP:
            return TaskInstanceState.SKIPPED
        if self is Decision.UPSTREAM_FAILED:
            return TaskInstanceState.UPSTREAM_FAILED
        return None


@dataclass(frozen=True, slots=True)
class UpstreamSummary:
    """Counts over the upstream TIs of one TI; the `setup_*` counts cover only upstream setup tasks.

    As in Airflow, the main counts include the setups: two skipped upstreams of which one is a setup
    give `skipped=2, setup_skipped=1`. `done` counts finished TIs (success, failed, skipped,
    upstream_failed, removed); `total` counts all of them, finished or not.
    """

    success: int = 0
    skipped: int = 0
    failed: int = 0
    upstream_failed: int = 0
    removed: int = 0
    done: int = 0
    total: int = 0
    setup_success: int = 0
    setup_failed: int = 0
    setup_skipped: int = 0
    setup_total: int = 0
    setup_done: int = 0

    @classmethod
    def from_states(
        cls, states: Iterable[StateLike], setup_states: Iterable[StateLike] = ()
    ) -> UpstreamSummary:
        """Count `states` (every upstream TI, setups included) and `setup_states` (setups' TIs)."""
        return cls.from_counts(_count(states), _count(setup_states))

    @classmethod
    def from_counts(
        cls, main: Mapping[StateLike, int], setup: Mapping[StateLike, int] | None = None
    ) -> UpstreamSummary:
        """The same from counts of TIs per state (`main` over every upstream TI)."""
        setup = setup or {}
        return cls(
            success=main.get(_S.SUCCESS, 0),
            skipped=main.get(_S.SKIPPED, 0),
            failed=main.get(_S.FAILED, 0),
            upstream_failed=main.get(_S.UPSTREAM_FAILED, 0),
            removed=main.get(_S.REMOVED, 0),
            done=_finished(main),
            total=sum(main.values()),
            setup_success=setup.get(_S.SUCCESS, 0),
            setup_failed=setup.get(_S.FAILED, 0),
            setup_skipped=setup.get(_S.SKIPPED, 0),
            setup_total=sum(setup.values()),
            setup_done=_finished(setup),
        )

    @property
    def upstream_done(self) -> bool:
        """Every upstream TI has finished."""
        return self.done >= self.total


def _count(states: Iterable[StateLike]) -> dict[StateLike, int]:
    counts: dict[StateLike, int] = {}
    for state in states:
        counts[state] = counts.get(state, 0) + 1
    return counts


def _finished(counts: Mapping[StateLike, int]) -> int:
    return sum(n for state, n in counts.items() if state in FINISHED_TI_STATES)


def _run_if(met: bool) -> Decision:
    return Decision.RUN if met else Decision.WAIT


_SKIP = Decision.SKIP
_UF = Decision.UPSTREAM_FAILED


def _all_success(up: UpstreamSummary) -> Decision:
    if up.failed or up.upstream_failed:
        return _UF
    if up.skipped:
        return _SKIP
    return _run_if(up.total - up.success - up.removed <= 0)


def _all_failed(up: UpstreamSummary) -> Decision:
    if up.success or up.skipped:
        return _SKIP
    return _run_if(up.total - up.failed - up.upstream_failed - up.removed <= 0)


def _all_done(up: UpstreamSummary) -> Decision:
    return _run_if(up.upstream_done)


def _all_done_min_one_success(up: UpstreamSummary) -> Decision:
    # Airflow 3.3.2 settles this rule as skipped as soon as any upstream is skipped (apache/airflow
    # issue 59925 reports that this contradicts the 3.1 release note; we match the code).
    if up.skipped:
        return _SKIP
    if up.success == 0 and up.success + up.failed + up.upstream_failed + up.removed >= up.total:
        return _UF
    non_skipped_done = up.success + up.failed + up.upstream_failed
    return _run_if(non_skipped_done >= up.total - up.removed and up.success > 0)


def _all_done_setup_success(up: UpstreamSummary) -> Decision:
    if up.upstream_done and up.setup_total:
        if up.setup_skipped >= up.setup_total:
            return _SKIP
        if up.setup_success == 0:
            return _UF
    return _run_if(up.upstream_done)


def _one_success(up: UpstreamSummary) -> Decision:
    if up.upstream_done and up.done == up.skipped:
        return _SKIP
    if up.upstream_done and up.success <= 0:
        return _UF
    return _run_if(up.success > 0)


def _one_failed(up: UpstreamSummary) -> Decision:
    if up.upstream_done and not (up.failed or up.upstream_failed):
        return _SKIP
    return _run_if(bool(up.failed or up.upstream_failed))


def _one_done(up: UpstreamSummary) -> Decision:
    if up.upstream_done and not (up.failed or up.success):
        return _SKIP
    return _run_if(up.success + up.failed > 0)


def _none_failed(up: UpstreamSummary) -> Decision:
    if up.failed or up.upstream_failed:
        return _UF
    return _run_if(up.total - up.success - up.skipped - up.removed <= 0)


def _none_failed_min_one_success(up: UpstreamSummary) -> Decision:
    if up.failed or up.upstream_failed:
        return _UF
    if up.skipped == up.total:
        return _SKIP
    if up.upstream_done and up.success == 0:
        return _UF
    return _run_if(up.total - up.success - up.skipped - up.removed <= 0 and up.success > 0)


def _none_skipped(up: UpstreamSummary) -> Decision:
    if up.skipped:
        return _SKIP
    return _run_if(up.upstream_done)


def _all_skipped(up: UpstreamSummary) -> Decision:
    if up.success or up.failed or up.upstream_failed:
        return _SKIP
    return _run_if(up.total - up.skipped <= 0)


def _always(up: UpstreamSummary) -> Decision:
    return Decision.RUN


_RULES: dict[TriggerRule, Callable[[UpstreamSummary], Decision]] = {
    TriggerRule.ALL_SUCCESS: _all_success,
    TriggerRule.ALL_FAILED: _all_failed,
    TriggerRule.ALL_DONE: _all_done,
    TriggerRule.ALL_DONE_MIN_ONE_SUCCESS: _all_done_min_one_success,
    TriggerRule.ALL_DONE_SETUP_SUCCESS: _all_done_setup_success,
    TriggerRule.ONE_SUCCESS: _one_success,
    TriggerRule.ONE_FAILED: _one_failed,
    TriggerRule.ONE_DONE: _one_done,
    TriggerRule.NONE_FAILED: _none_failed,
    TriggerRule.NONE_FAILED_MIN_ONE_SUCCESS: _none_failed_min_one_success,
    TriggerRule.NONE_SKIPPED: _none_skipped,
    TriggerRule.ALL_SKIPPED: _all_skipped,
    TriggerRule.ALWAYS: _always,
}


def evaluate_trigger_rule(rule: str | TriggerRule, up: UpstreamSummary) -> Decision:
    """Decide a TI's next step from its trigger rule and the states of its direct upstream TIs.

    SKIP and UPSTREAM_FAILED are final and may come before every upstream has finished (e.g.
    `all_success` is upstream_failed as soon as one upstream failed); RUN means the rule is met;
    WAIT means it is not met yet. A TI with no upstream TIs (`up.total == 0`) always runs, as does
    `always`. An unknown rule raises ValueError.
    """
    evaluate = _RULES[TriggerRule(rule)]
    if up.total == 0:
        return Decision.RUN
    return evaluate(up)


def evaluate_setup_constraint(states: Iterable[StateLike]) -> Decision:
    """Decide from the TIs of a task's *indirect* setups (relevant setups not directly upstream).

    Airflow requires them all to succeed: any failed/upstream_failed one settles the task as
    upstream_failed, any skipped one as skipped, without waiting for the others. Removed setup TIs
    count as satisfied (Airflow does so for mapped TIs; an unmapped TI would wait forever).
    """
    up = UpstreamSummary.from_states(states)
    if up.failed or up.upstream_failed:
        return _UF
    if up.skipped:
        return _SKIP
    return _run_if(up.total - up.success - up.removed <= 0)

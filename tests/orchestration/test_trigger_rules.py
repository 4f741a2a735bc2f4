"""Every trigger rule's decision for representative upstream mixes, pinned to Airflow 3.3.2.

Source of truth: `airflow/ti_deps/deps/trigger_rule_dep.py` of apache-airflow-core 3.3.2
(`_evaluate_direct_relatives`, run by the scheduler with `flag_upstream_failed=True`), and the
observed behaviours in docs/design airflow-compat.md §4. Upstream mixes are written one letter per
upstream TI: S success, K skipped, F failed, U upstream_failed, X removed, R running, N no state;
after a `|` come the TIs of upstream *setup* tasks (counted in both totals, as Airflow does).
"""

from __future__ import annotations

import pytest

from slipstream.core.states import TaskInstanceState
from slipstream.core.trigger_rule import TriggerRule
from slipstream.orchestration import (
    Decision,
    UpstreamSummary,
    evaluate_setup_constraint,
    evaluate_trigger_rule,
)

RUN, WAIT, SKIP, UF = Decision.RUN, Decision.WAIT, Decision.SKIP, Decision.UPSTREAM_FAILED
_T = TaskInstanceState
_CODES = {
    "S": _T.SUCCESS,
    "K": _T.SKIPPED,
    "F": _T.FAILED,
    "U": _T.UPSTREAM_FAILED,
    "X": _T.REMOVED,
    "R": _T.RUNNING,
    "N": None,
}


def summary(mix: str) -> UpstreamSummary:
    work, _, setups = mix.partition("|")
    setup_states = [_CODES[c] for c in setups]
    return UpstreamSummary.from_states([_CODES[c] for c in work] + setup_states, setup_states)


# (rule, upstream mix, expected, why)
TABLE = [
    # all_success: failure beats skip; both settle early, even while other upstreams still run.
    ("all_success", "SS", RUN, "all upstreams succeeded"),
    ("all_success", "SN", WAIT, "one upstream not done"),
    ("all_success", "SR", WAIT, "one upstream running"),
    ("all_success", "SK", SKIP, "skip propagation (§4.2)"),
    ("all_success", "KN", SKIP, "skipped is settled before the others finish"),
    ("all_success", "FN", UF, "failed upstream settles upstream_failed early (§4.2)"),
    ("all_success", "US", UF, "upstream_failed propagates transitively (§4.2)"),
    ("all_success", "FK", UF, "failure is checked before skip"),
    ("all_success", "SX", RUN, "removed TIs count as met (upstream - success - removed)"),
    # all_failed: any success/skip settles skipped; failures and upstream_failed both count.
    ("all_failed", "FU", RUN, "failed and upstream_failed both count as failures"),
    ("all_failed", "FN", WAIT, "waits for the rest"),
    ("all_failed", "FS", SKIP, "a success skips it"),
    ("all_failed", "FK", SKIP, "a skip skips it"),
    ("all_failed", "XF", RUN, "removed TIs count as met"),
    # all_done: runs once everything finished, whatever the states.
    ("all_done", "SFKU", RUN, "runs after a failure (§4.2)"),
    ("all_done", "SN", WAIT, "one upstream not done"),
    ("all_done", "X", RUN, "removed is finished"),
    ("all_done", "KK", RUN, "all_done is never skipped by the rule"),
    # all_done_min_one_success (3.3.2 code: any skipped upstream skips it, see issue 59925).
    ("all_done_min_one_success", "SF", RUN, "all done, one success"),
    ("all_done_min_one_success", "SU", RUN, "upstream_failed counts as done"),
    ("all_done_min_one_success", "SN", WAIT, "one upstream not done"),
    ("all_done_min_one_success", "FN", WAIT, "no success yet, not all done"),
    ("all_done_min_one_success", "FF", UF, "all done without success"),
    ("all_done_min_one_success", "XF", UF, "all done without success (removed counts done)"),
    ("all_done_min_one_success", "SK", SKIP, "3.3.2 skips on any skipped upstream"),
    ("all_done_min_one_success", "KN", SKIP, "settled early on a skip"),
    ("all_done_min_one_success", "SX", RUN, "removed does not block"),
    # all_done_setup_success (teardowns): all done and, if setups exist, at least one succeeded.
    ("all_done_setup_success", "SF", RUN, "no setups upstream: like all_done"),
    ("all_done_setup_success", "SN", WAIT, "no setups upstream, one not done"),
    ("all_done_setup_success", "F|S", RUN, "teardown runs after the work failed (§4.8)"),
    ("all_done_setup_success", "R|S", WAIT, "waits for the work"),
    ("all_done_setup_success", "N|F", WAIT, "waits for all upstreams even after a setup failed"),
    ("all_done_setup_success", "S|F", UF, "setups done, none succeeded, one failed"),
    ("all_done_setup_success", "K|K", SKIP, "every setup skipped"),
    ("all_done_setup_success", "K|KF", UF, "not every setup skipped, none succeeded"),
    ("all_done_setup_success", "S|SF", RUN, "one setup succeeded is enough"),
    # one_success: fires on the first success; settled when all are done without one.
    ("one_success", "SN", RUN, "runs as soon as one upstream succeeded"),
    ("one_success", "SF", RUN, "one success is enough"),
    ("one_success", "NN", WAIT, "nothing finished"),
    ("one_success", "FN", WAIT, "may still get a success"),
    ("one_success", "KK", SKIP, "all done and all skipped"),
    ("one_success", "FK", UF, "all done, no success, not all skipped"),
    ("one_success", "XX", UF, "all removed: done, no success, not all skipped"),
    # one_failed: fires on the first failure or upstream_failed; skipped if none by the end.
    ("one_failed", "FN", RUN, "runs as soon as one upstream failed"),
    ("one_failed", "UN", RUN, "upstream_failed counts as a failure"),
    ("one_failed", "SN", WAIT, "may still get a failure"),
    ("one_failed", "SK", SKIP, "all done and none failed"),
    # one_done: fires on the first success or failure; skipped if the end has neither.
    ("one_done", "SN", RUN, "a success is done"),
    ("one_done", "FN", RUN, "a failure is done"),
    ("one_done", "KN", WAIT, "skipped is not done for one_done"),
    ("one_done", "UN", WAIT, "upstream_failed is not done for one_done"),
    ("one_done", "KU", SKIP, "all finished without success or failure"),
    # none_failed: no failure; skips do not propagate, even when every upstream skipped.
    ("none_failed", "SK", RUN, "runs after a skip (§4.2)"),
    ("none_failed", "KK", RUN, "all skipped still runs (3.3.2 has no skip clause)"),
    ("none_failed", "SN", WAIT, "one upstream not done"),
    ("none_failed", "FN", UF, "a failure settles upstream_failed early (§4.2)"),
    ("none_failed", "US", UF, "upstream_failed propagates"),
    ("none_failed", "XS", RUN, "removed counts as met"),
    # none_failed_min_one_success: like none_failed, plus one success; all-skipped is skipped.
    ("none_failed_min_one_success", "SK", RUN, "runs after a skip (§4.2)"),
    ("none_failed_min_one_success", "KK", SKIP, "all upstreams skipped"),
    ("none_failed_min_one_success", "KN", WAIT, "may still get a success"),
    ("none_failed_min_one_success", "FN", UF, "a failure settles it early"),
    ("none_failed_min_one_success", "KX", UF, "done without success (3.3.2, apache/airflow#67873)"),
    ("none_failed_min_one_success", "XX", UF, "all removed: done without success"),
    # none_skipped: all done and none skipped; failures are fine.
    ("none_skipped", "SF", RUN, "failures do not block none_skipped"),
    ("none_skipped", "UU", RUN, "upstream_failed does not block either"),
    ("none_skipped", "SN", WAIT, "one upstream not done"),
    ("none_skipped", "KN", SKIP, "a skip settles it early"),
    # all_skipped: every upstream skipped; any success/failure skips it.
    ("all_skipped", "KK", RUN, "all upstreams skipped"),
    ("all_skipped", "KN", WAIT, "one upstream not done"),
    ("all_skipped", "KS", SKIP, "a success skips it"),
    ("all_skipped", "FN", SKIP, "a failure skips it early"),
    ("all_skipped", "UK", SKIP, "an upstream_failed skips it"),
    ("all_skipped", "KX", WAIT, "3.3.2 quirk: removed is neither, the rule never settles"),
    # always: runs at once.
    ("always", "FN", RUN, "always runs immediately"),
    ("always", "NN", RUN, "always runs immediately"),
]


@pytest.mark.parametrize(
    ("rule", "mix", "expected"),
    [
        pytest.param(rule, mix, expected, id=f"{rule}-{mix}-{why}")
        for rule, mix, expected, why in TABLE
    ],
)
def test_trigger_rule_table(rule: str, mix: str, expected: Decision) -> None:
    assert evaluate_trigger_rule(rule, summary(mix)) is expected


def test_table_covers_every_rule() -> None:
    assert {row[0] for row in TABLE} == TriggerRule.all_triggers()


@pytest.mark.parametrize("rule", sorted(TriggerRule.all_triggers()))
def test_no_upstream_runs(rule: str) -> None:
    assert evaluate_trigger_rule(rule, UpstreamSummary.from_states([])) is RUN


def test_accepts_enum_members() -> None:
    assert evaluate_trigger_rule(TriggerRule.ONE_FAILED, summary("FN")) is RUN


def test_unknown_rule_raises() -> None:
    with pytest.raises(ValueError):
        evaluate_trigger_rule("all_sucess", summary("S"))


def test_summary_counts_are_inclusive_of_setups_and_accept_strings() -> None:
    up = UpstreamSummary.from_states(
        ["success", "skipped", TaskInstanceState.SKIPPED, None, "running", "removed"],
        ["skipped"],
    )
    assert (up.success, up.skipped, up.removed, up.done, up.total) == (1, 2, 1, 4, 6)
    assert (up.setup_skipped, up.setup_total, up.setup_done) == (1, 1, 1)
    assert not up.upstream_done


def test_decision_terminal_states() -> None:
    assert Decision.SKIP.terminal_state is TaskInstanceState.SKIPPED
    assert Decision.UPSTREAM_FAILED.terminal_state is TaskInstanceState.UPSTREAM_FAILED
    assert Decision.RUN.terminal_state is None
    assert Decision.WAIT.terminal_state is None


@pytest.mark.parametrize(
    ("mix", "expected"),
    [
        ("SS", RUN),
        ("SN", WAIT),
        ("FN", UF),  # does not wait for the other setups
        ("UN", UF),
        ("KN", SKIP),
        ("FK", UF),
        ("SX", RUN),
    ],
)
def test_setup_constraint(mix: str, expected: Decision) -> None:
    assert evaluate_setup_constraint([_CODES[c] for c in mix]) is expected

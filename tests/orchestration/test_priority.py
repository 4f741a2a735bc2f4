"""Priority weights under the downstream, upstream and absolute weight rules."""

from __future__ import annotations

import random

import pytest

from slipstream.orchestration import downstream_closure, priority_weights, upstream_closure

from .helpers import Node, build, link


def test_chain_under_each_rule() -> None:
    tasks = build("a >> b >> c")
    assert priority_weights(tasks) == {"a": 3, "b": 2, "c": 1}
    assert priority_weights(tasks, dict.fromkeys(tasks, "upstream")) == {"a": 1, "b": 2, "c": 3}
    assert priority_weights(tasks, dict.fromkeys(tasks, "absolute")) == {"a": 1, "b": 1, "c": 1}


def test_diamond_counts_each_relative_once() -> None:
    tasks = build("a >> b >> d", "a >> c >> d")
    assert priority_weights(tasks)["a"] == 4
    assert priority_weights(tasks, {"d": "upstream"})["d"] == 4


def test_own_weights_and_task_rules() -> None:
    tasks = build(
        "a >> b >> c",
        a={"priority_weight": 10},
        b={"priority_weight": -3, "weight_rule": "upstream"},
        c={"priority_weight": 5, "weight_rule": "absolute"},
    )
    assert priority_weights(tasks) == {"a": 12, "b": 7, "c": 5}
    assert priority_weights(tasks, weights={"a": 1, "b": 1, "c": 1}) == {"a": 3, "b": 2, "c": 1}


def test_totals_are_clamped_to_32_bits() -> None:
    tasks = build("a >> b", a={"priority_weight": 2**31 - 1}, b={"priority_weight": 5})
    assert priority_weights(tasks)["a"] == 2**31 - 1


def test_unknown_rule_raises() -> None:
    with pytest.raises(ValueError):
        priority_weights(build("a"), {"a": "sideways"})


def test_empty() -> None:
    assert priority_weights({}) == {}


def test_matches_brute_force_on_random_dags() -> None:
    rng = random.Random(7)
    for _ in range(20):
        n = rng.randint(1, 40)
        tasks = {f"t{i}": Node(f"t{i}", priority_weight=rng.randint(-5, 9)) for i in range(n)}
        for i in range(n):
            for j in range(i + 1, n):
                if rng.random() < 0.15:
                    link(tasks, f"t{i}", f"t{j}")
        rules = {t: rng.choice(["downstream", "upstream", "absolute"]) for t in tasks}
        expected = {}
        for t, rule in rules.items():
            rel = {
                "downstream": downstream_closure(tasks, t),
                "upstream": upstream_closure(tasks, t),
                "absolute": set(),
            }[rule]
            expected[t] = tasks[t].priority_weight + sum(tasks[r].priority_weight for r in rel)
        assert priority_weights(tasks, rules) == expected

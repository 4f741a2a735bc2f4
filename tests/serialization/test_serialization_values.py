"""encode(): any value as stable, readable JSON, never an exception."""

from __future__ import annotations

import datetime as dt
import enum
import functools
import json
from typing import Any

import pendulum

from slipstream.core.trigger_rule import TriggerRule
from slipstream.sdk import DAG, Asset, Param
from slipstream.sdk.operators.empty import EmptyOperator
from slipstream.sdk.xcom_arg import DagParam, XComArg, literal
from slipstream.serialization.values import (
    MAX_REPR_LENGTH,
    encode,
    qualified_name,
    sanitized_repr,
)


def module_function() -> None:
    pass


class Thing:
    def method(self) -> None:
        pass


class BrokenRepr:
    def __repr__(self) -> str:
        raise RuntimeError("no repr for you")


class Colour(enum.Enum):
    RED = "red"


def test_json_natives_pass_through() -> None:
    value = {"s": "x", "i": 1, "f": 1.5, "b": True, "n": None, "l": [1, [2]]}
    assert encode(value) == value


def test_containers_become_lists_and_sets_are_sorted() -> None:
    assert encode((1, 2)) == [1, 2]
    assert encode({"b", "a", "c"}) == ["a", "b", "c"]
    assert encode(frozenset({3, 1})) == [1, 3]
    assert encode({1: "x", None: "y", Colour.RED: "z"}) == {"1": "x", "null": "y", "red": "z"}


def test_dates_durations_and_enums() -> None:
    assert encode(dt.timedelta(minutes=5)) == {"__type": "timedelta", "seconds": 300.0}
    assert encode(pendulum.datetime(2024, 1, 2, tz="UTC")) == {
        "__type": "datetime",
        "value": "2024-01-02T00:00:00+00:00",
    }
    assert encode(dt.date(2024, 1, 2)) == {"__type": "date", "value": "2024-01-02"}
    assert encode(TriggerRule.ALL_DONE) == "all_done"
    assert encode(Colour.RED) == "red"


def test_non_finite_floats_are_text() -> None:
    assert encode([float("nan"), float("inf")]) == ["nan", "inf"]
    json.dumps(encode(float("-inf")), allow_nan=False)


def test_callables_by_qualified_name() -> None:
    assert encode(module_function) == {
        "__type": "callable",
        "name": f"{__name__}.module_function",
    }
    assert encode(Thing().method)["name"].endswith("test_serialization_values.Thing.method")
    assert encode(print) == {"__type": "callable", "name": "print"}
    assert encode(lambda: 1)["name"].endswith("test_callables_by_qualified_name.<locals>.<lambda>")
    assert encode(functools.partial(module_function)) == {
        "__type": "callable",
        "name": f"functools.partial({__name__}.module_function)",
    }
    assert encode(Thing) == {"__type": "class", "name": f"{__name__}.Thing"}


def test_dag_file_module_prefix_is_dropped() -> None:
    def f() -> None:
        pass

    f.__module__ = "unusual_prefix_" + "ab" * 20 + "_my_dag"
    assert qualified_name(f).startswith("my_dag.")


def test_object_reprs_have_no_addresses() -> None:
    text = encode(Thing())
    assert text == f"<{__name__}.Thing>"
    assert "0x" not in sanitized_repr(object())
    assert sanitized_repr(type("X", (), {"__repr__": lambda s: "<X id=0x7f00deadbeef>"})()) == (
        "<X id=0x…>"
    )


def test_unrepresentable_values_become_placeholders() -> None:
    assert encode(BrokenRepr()) == "<unrepresentable BrokenRepr: RuntimeError>"
    assert encode({"k": BrokenRepr()}) == {"k": "<unrepresentable BrokenRepr: RuntimeError>"}
    long = encode(type("Long", (), {"__repr__": lambda s: "x" * 10_000})())
    assert len(long) == MAX_REPR_LENGTH + 1 and long.endswith("…")


def test_recursive_and_deep_values() -> None:
    loop: list[Any] = [1]
    loop.append(loop)
    assert encode(loop) == [1, "<recursive>"]
    deep: list[Any] = []
    for _ in range(100):
        deep = [deep]
    json.dumps(encode(deep))
    shared = [1]
    assert encode([shared, shared]) == [[1], [1]]  # repeated, not recursive


def test_string_and_int_subclasses_become_plain() -> None:
    class Name(str):
        pass

    class Count(int):
        pass

    assert type(encode(Name("x"))) is str
    assert type(encode(Count(3))) is int
    assert encode({Name("k"): 1}) == {"k": 1}


def test_sdk_values() -> None:
    with DAG("refs", schedule=None, start_date=pendulum.datetime(2024, 1, 1)) as d:
        op = EmptyOperator(task_id="op")
    ref = XComArg(op)
    assert encode(ref) == {"__type": "xcom_arg", "task_id": "op", "key": "return_value"}
    assert encode(ref["k"])["key"] == "k"
    assert encode(ref.concat(ref))["args"][1]["task_id"] == "op"
    assert encode(DagParam(d, "p")) == {"__type": "dag_param", "name": "p"}
    assert encode(literal({"a": {1}})) == {"__type": "literal", "value": {"a": [1]}}
    assert encode(Param(1, type="integer")) == {
        "__type": "param",
        "description": None,
        "schema": {"type": "integer"},
        "value": 1,
    }
    assert encode(Asset("s3://b/k"))["uri"] == "s3://b/k"
    assert encode(d.params) == {}

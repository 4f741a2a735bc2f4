"""Broken structure raises SerializationError naming DAG and task; odd values never raise."""

from __future__ import annotations

import copy
import json
from typing import Any

import pendulum
import pytest

from slipstream.core.exceptions import AirflowException
from slipstream.sdk import DAG, BaseOperator
from slipstream.sdk.operators.empty import EmptyOperator
from slipstream.serialization import SerializationError, deserialize_dag, serialize_dag

from . import samples

START = pendulum.datetime(2024, 1, 1)


class Unprintable:
    def __repr__(self) -> str:
        raise ValueError("cannot print")


class FieldOperator(BaseOperator):
    template_fields = ("command", "broken")

    def __init__(self, *, command: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.command = command

    armed = False

    @property
    def broken(self) -> Any:
        if self.armed:
            raise RuntimeError("computed at run time only")
        return None

    def execute(self, context: Any) -> None:
        pass


def two_tasks() -> tuple[DAG, BaseOperator, BaseOperator]:
    with DAG("broken", schedule=None, start_date=START) as dag:
        a = EmptyOperator(task_id="a")
        b = EmptyOperator(task_id="b")
        a >> b
    return dag, a, b


def test_serialization_error_is_an_airflow_exception() -> None:
    assert issubclass(SerializationError, AirflowException)


def test_edge_to_a_missing_task() -> None:
    dag, _, b = two_tasks()
    b.upstream_task_ids.add("ghost")
    with pytest.raises(SerializationError, match=r"DAG 'broken': task 'b' has upstream.*'ghost'"):
        serialize_dag(dag)


def test_cycle() -> None:
    dag, a, b = two_tasks()
    b >> a
    with pytest.raises(SerializationError, match=r"Cycle detected in DAG 'broken'"):
        serialize_dag(dag)


def test_task_registered_under_another_id() -> None:
    dag, a, _ = two_tasks()
    dag.task_dict["alias"] = a
    with pytest.raises(
        SerializationError, match=r"DAG 'broken': task 'a' is registered as 'alias'"
    ):
        serialize_dag(dag)


def test_a_task_attribute_of_the_wrong_type_names_dag_and_task() -> None:
    dag, _, b = two_tasks()
    b.retry_delay = "five minutes"  # type: ignore[assignment]
    with pytest.raises(SerializationError, match=r"DAG 'broken': cannot serialize task 'b'"):
        serialize_dag(dag)


def test_unrepresentable_values_become_placeholders() -> None:
    with DAG(
        "odd_values",
        schedule=None,
        start_date=START,
        default_args={"owner": "me", "thing": Unprintable(), "when": {1, 2}},
    ) as dag:
        op = FieldOperator(task_id="op", command={"obj": Unprintable(), "ok": [1, 2]})
    op.armed = True
    data = serialize_dag(dag)
    json.dumps(data, allow_nan=False)
    record = data["dag"]
    assert record["default_args"]["thing"] == "<unrepresentable Unprintable: ValueError>"
    assert record["default_args"]["when"] == [1, 2]
    values = record["tasks"][0]["template_values"]
    assert values["command"] == {"obj": "<unrepresentable Unprintable: ValueError>", "ok": [1, 2]}
    assert values["broken"] == "<unreadable: RuntimeError: computed at run time only>"
    assert record["tasks"][0]["owner"] == "me"
    assert record["tasks"][0]["task_module"] == __name__


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update({"__version": 2}), "version 2 is not supported"),
        (lambda d: d.pop("dag"), "not a serialized DAG"),
        (lambda d: d["dag"].pop("tasks"), "serialized DAG 'labels' is malformed: KeyError"),
        (
            lambda d: d["dag"]["tasks"][1].update({"upstream_task_ids": ["ghost"]}),
            "task 'good' has an edge to 'ghost'",
        ),
        (
            lambda d: d["dag"]["tasks"].append(copy.deepcopy(d["dag"]["tasks"][0])),
            "has task 'check' twice",
        ),
        (
            lambda d: d["dag"]["task_groups"][0]["children"].append(["task", "ghost"]),
            "task group 'None' holds task 'ghost'",
        ),
        (
            lambda d: d["dag"]["tasks"][0].update({"trigger_rule": "sometimes"}),
            "malformed: ValueError",
        ),
    ],
)
def test_broken_serialized_data(change: Any, message: str) -> None:
    data = serialize_dag(samples.labels_dag())
    change(data)
    with pytest.raises(SerializationError, match=message):
        deserialize_dag(data)


def test_deserialize_rejects_non_dag_json() -> None:
    with pytest.raises(SerializationError, match="not a serialized DAG"):
        deserialize_dag("[1, 2]")

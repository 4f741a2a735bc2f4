"""XCom storage: JSON values as they are, and the types Airflow's serde round-trips."""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pendulum
import pytest

from slipstream.core.exceptions import XComNotJSONSerializable
from slipstream.runtime.xcom import decode, encode


def roundtrip(value):
    return decode(encode(value, dag_id="d", task_id="t", key="k"))


@pytest.mark.parametrize(
    "value",
    [
        None,
        "text",
        3,
        2.5,
        True,
        [1, "a", None],
        {"nested": {"list": [1, 2]}, "empty": {}},
    ],
)
def test_json_values_are_stored_as_they_are(value):
    raw = encode(value, dag_id="d", task_id="t", key="k")
    assert json.loads(raw) == value
    assert decode(raw) == value


@pytest.mark.parametrize(
    "value",
    [
        (1, "a"),
        {"x", "y"},
        frozenset({1, 2}),
        dt.datetime(2024, 3, 15, 6, 30),
        dt.datetime(2024, 3, 15, 6, 30, tzinfo=dt.UTC),
        dt.datetime(2024, 3, 15, 6, 30, tzinfo=ZoneInfo("Europe/Paris")),
        pendulum.datetime(2024, 3, 15, 6, 30, tz="UTC"),
        pendulum.datetime(2024, 3, 15, 6, 30, tz="America/New_York"),
        dt.date(2024, 2, 29),
        dt.timedelta(minutes=5, microseconds=7),
    ],
    ids=lambda value: (
        f"{type(value).__name__}{sorted(value)}"
        if isinstance(value, set | frozenset)
        else repr(value)
    ),
)
def test_airflow_serde_types_keep_their_type(value):
    back = roundtrip(value)
    assert back == value
    assert type(back) is type(value)
    if isinstance(value, dt.datetime):
        assert back.tzinfo == value.tzinfo


def test_types_inside_containers_and_the_stored_form():
    value = {"pair": (1, (2, 3)), "when": [dt.date(2024, 1, 2)]}
    assert roundtrip(value) == value
    raw = json.loads(encode((1, 2), dag_id="d", task_id="t", key="k"))
    assert raw == {"__classname__": "builtins.tuple", "__version__": 1, "__data__": [1, 2]}


def test_lists_keep_the_types_of_their_items():
    assert roundtrip({"all": [1, (2, 3)]}) == {"all": [1, (2, 3)]}


def test_dicts_that_merely_look_like_records_are_left_alone():
    value = {"__classname__x": 1, "__version__": 1, "__data__": 2}
    assert roundtrip(value) == value


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (object(), "object"),
        ({"__classname__": "builtins.tuple"}, "reserved"),
    ],
)
def test_values_that_cannot_be_stored_name_the_task(value, reason):
    with pytest.raises(XComNotJSONSerializable, match=reason) as info:
        encode(value, dag_id="etl", task_id="load", key="return_value")
    assert "'return_value' of task 'load' in DAG 'etl'" in str(info.value)

"""serialize_dag → JSON → deserialize_dag keeps what the scheduler and the UI need."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pendulum
import pytest

from slipstream.core.exceptions import TaskNotFound
from slipstream.core.trigger_rule import TriggerRule, WeightRule
from slipstream.sdk import DAG
from slipstream.serialization import (
    SERIALIZATION_VERSION,
    SerializedDAG,
    deserialize_dag,
    serialize_dag,
)

from . import samples


def roundtrip(dag: DAG) -> tuple[dict[str, Any], SerializedDAG]:
    data = serialize_dag(dag)
    text = json.dumps(data, allow_nan=False)
    return data, deserialize_dag(json.loads(text))


def records(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {t["task_id"]: t for t in data["dag"]["tasks"]}


@pytest.mark.parametrize("name", sorted(samples.ALL_BUILDERS))
def test_every_sample_is_json_and_keeps_its_graph(name: str) -> None:
    dag = samples.ALL_BUILDERS[name]()
    data, back = roundtrip(dag)
    assert data["__version"] == SERIALIZATION_VERSION
    assert back.dag_id == dag.dag_id
    assert back.task_ids == dag.task_ids  # the DAG's own order
    for task_id, task in dag.task_dict.items():
        got = back.task_dict[task_id]
        assert got.upstream_task_ids == task.upstream_task_ids
        assert got.downstream_task_ids == task.downstream_task_ids
        assert got.trigger_rule == task.trigger_rule
        assert (got.is_setup, got.is_teardown) == (task.is_setup, task.is_teardown)
        assert got.on_failure_fail_dagrun == task.on_failure_fail_dagrun
        assert got.retries == task.retries
        assert got.retry_delay == task.retry_delay
        assert got.max_retry_delay == task.max_retry_delay
        assert got.execution_timeout == task.execution_timeout
        assert got.retry_exponential_backoff == task.retry_exponential_backoff
        assert (got.pool, got.pool_slots, got.queue) == (task.pool, task.pool_slots, task.queue)
        assert (got.priority_weight, got.weight_rule) == (task.priority_weight, task.weight_rule)
        assert got.is_mapped == task.is_mapped
        assert got.task_type == task.task_type and got.operator_name == task.operator_name
        assert got.label == task.label
    assert back.timetable.serialize() == dag.timetable.serialize()
    assert back.timetable_summary == dag.timetable.summary
    # the JSON text itself reads back to the same object
    assert deserialize_dag(json.dumps(data)).data == back.data


def test_every_task_record_has_every_field() -> None:
    data = serialize_dag(samples.mapping_dag())
    plain = records(data)["numbers"]
    mapped = records(data)["add"]
    assert set(mapped) - set(plain) == {"expand_input", "expand_target", "partial_kwargs"}
    for key in (
        "task_id", "task_type", "operator_name", "label", "upstream_task_ids",
        "downstream_task_ids", "trigger_rule", "retries", "retry_delay",
        "retry_exponential_backoff", "max_retry_delay", "execution_timeout", "depends_on_past",
        "wait_for_downstream", "pool", "pool_slots", "priority_weight", "weight_rule", "queue",
        "owner", "is_setup", "is_teardown", "on_failure_fail_dagrun", "max_active_tis_per_dag",
        "max_active_tis_per_dagrun", "start_date", "end_date", "doc_md", "ui_color",
        "ui_fgcolor", "template_fields", "has_on_failure_callback", "has_on_success_callback",
        "has_on_retry_callback", "has_on_execute_callback", "has_on_skipped_callback",
        "is_mapped", "do_xcom_push", "multiple_outputs", "inlets", "outlets", "task_group",
        "template_values",
    ):  # fmt: skip
        assert key in plain, key


def test_taskflow_dag_attributes_and_tasks() -> None:
    dag = samples.taskflow_dag()
    data, back = roundtrip(dag)
    record = data["dag"]
    assert record["fileloc"] == dag.fileloc and record["fileloc"].endswith("samples.py")
    assert record["tags"] == ["etl", "example"]
    assert record["description"] == "extract, transform, load"
    assert record["doc_md"].startswith("# Taskflow")
    assert record["timetable_summary"] == "0 0 * * *"
    assert record["start_date"] == "2024-01-01T00:00:00+00:00"
    assert record["dagrun_timeout"] == 7200.0
    assert record["has_on_failure_callback"] is True
    assert record["has_on_success_callback"] is False
    assert record["default_args"] == {
        "retries": 1,
        "retry_delay": {"__type": "timedelta", "seconds": 60.0},
    }
    assert back.dagrun_timeout == dt.timedelta(hours=2)
    assert back.max_active_runs == 3 and back.max_active_tasks == 16
    assert back.start_date == dag.start_date
    assert back.tags == ("etl", "example")
    assert back.params.dump() == {"source": "db"}

    tasks = records(data)
    extract, transform, load = tasks["extract"], tasks["transform"], tasks["load"]
    assert extract["operator_name"] == "@task"
    assert extract["task_type"] == "_PythonDecoratedOperator"
    assert extract["multiple_outputs"] is True
    assert extract["doc_md"] == "Reads the source."
    assert extract["python_callable"].endswith("taskflow_dag.<locals>.pipeline.<locals>.extract")
    assert extract["template_values"]["op_args"] == [{"__type": "dag_param", "name": "source"}]
    assert transform["template_values"]["op_args"] == [
        {"__type": "xcom_arg", "task_id": "extract", "key": "a"},
        {"__type": "xcom_arg", "task_id": "extract", "key": "b"},
    ]
    assert (transform["retries"], transform["pool"], transform["pool_slots"]) == (4, "io", 2)
    assert (transform["priority_weight"], transform["queue"]) == (5, "q1")
    assert extract["retry_delay"] == 60.0 and extract["retries"] == 1
    assert load["trigger_rule"] == "all_done" and load["execution_timeout"] == 30.0
    assert back.get_task("load").trigger_rule is TriggerRule.ALL_DONE
    assert back.get_task("load").execution_timeout == dt.timedelta(seconds=30)
    assert back.get_task("transform").weight_rule is WeightRule.DOWNSTREAM
    assert [t.task_id for t in back.roots] == ["extract"]
    assert [t.task_id for t in back.leaves] == ["load"]
    with pytest.raises(TaskNotFound, match="nope"):
        back.get_task("nope")


def test_task_group_tree() -> None:
    dag = samples.groups_dag()
    data, back = roundtrip(dag)
    groups = {g["group_id"]: g for g in data["dag"]["task_groups"]}
    assert list(groups) == [None, "outer", "outer.inner", "outer.flat", "decorated"]
    assert groups[None]["children"] == [
        ["task", "start"],
        ["group", "outer"],
        ["task", "end"],
        ["group", "decorated"],
    ]
    outer = back.task_group_dict["outer"]
    assert (outer.tooltip, outer.ui_color, outer.parent_group_id) == (
        "the outer group",
        "#abcdef",
        None,
    )
    assert outer.child_task_ids == ["outer.first"]
    assert outer.child_group_ids == ["outer.inner", "outer.flat"]
    assert outer.downstream_group_ids == {"decorated"}
    flat = back.task_group_dict["outer.flat"]
    assert flat.prefix_group_id is False and flat.parent_group_id == "outer"
    assert back.task_group_dict["decorated"].tooltip == "Tooltip from the docstring."
    assert back.task_group.is_root and back.task_group.child_group_ids == ["outer", "decorated"]
    assert [t.task_id for t in back.iter_group_tasks("outer")] == [
        "outer.first",
        "outer.inner.deep",
        "flat_task",
    ]
    assert back.get_task("outer.inner.deep").task_group_id == "outer.inner"
    assert back.get_task("outer.inner.deep").label == "deep"
    assert back.get_task("flat_task").task_group_id == "outer.flat"


def test_mapping_expand_and_expand_kwargs() -> None:
    dag = samples.mapping_dag()
    data, back = roundtrip(dag)
    tasks = records(data)

    literal = tasks["add"]
    assert literal["is_mapped"] is True and literal["operator_name"] == "@task"
    assert literal["expand_input"] == {
        "type": "dict-of-lists",
        "keys": ["x"],
        "value": {"x": [1, 2, 3]},
    }
    assert literal["expand_target"] == "op_kwargs"
    assert literal["partial_kwargs"]["op_kwargs"] == {"y": 10}
    assert literal["template_values"]["op_kwargs"] == {"y": 10, "x": {"__type": "mapped"}}

    dynamic = tasks["add_dynamic"]
    assert dynamic["expand_input"]["value"] == {
        "x": {"__type": "xcom_arg", "task_id": "numbers", "key": "return_value"}
    }
    assert dynamic["upstream_task_ids"] == ["numbers"]

    kwargs = tasks["add_kwargs"]
    assert kwargs["expand_input"]["type"] == "list-of-dicts"
    assert kwargs["expand_input"]["keys"] == ["x", "y"]

    classic = tasks["classic"]
    assert classic["task_type"] == "PythonOperator" and classic["operator_name"] == "PythonOperator"
    assert classic["retries"] == 2
    assert classic["ui_color"] == "#ffefeb"  # the operator class's, not BaseOperator's
    assert classic["partial_kwargs"]["python_callable"] == {"__type": "callable", "name": "print"}
    assert classic["template_values"]["op_args"] == {"__type": "mapped"}
    assert classic["expand_input"]["keys"] == ["op_args"]

    from_output = tasks["classic_kwargs"]
    assert from_output["expand_input"]["keys"] is None  # known only at run time
    assert from_output["expand_input"]["value"]["__type"] == "xcom_arg_map"
    assert from_output["expand_input"]["value"]["callables"][0].endswith("<lambda>")

    got = back.get_task("add")
    assert got.is_mapped and got.expand_input is not None
    assert got.expand_input["value"] == {"x": [1, 2, 3]}
    assert not back.get_task("numbers").is_mapped
    assert back.get_task("numbers").expand_input is None


def test_setup_and_teardown() -> None:
    dag = samples.setup_teardown_dag()
    _, back = roundtrip(dag)
    setup_task = back.get_task("create_cluster")
    teardown_task = back.get_task("delete_cluster")
    assert setup_task.is_setup and not setup_task.is_teardown
    assert teardown_task.is_teardown and teardown_task.on_failure_fail_dagrun
    assert teardown_task.trigger_rule == TriggerRule.ALL_DONE_SETUP_SUCCESS
    assert teardown_task.upstream_task_ids == {"create_cluster", "more_work"}
    assert back.get_task("more_work").downstream_task_ids == {"delete_cluster"}


def test_edge_labels() -> None:
    dag = samples.labels_dag()
    data, back = roundtrip(dag)
    assert data["dag"]["edge_info"] == {
        "check": {"bad": {"label": "invalid"}, "good": {"label": "valid"}}
    }
    assert back.get_edge_info("check", "good") == {"label": "valid"}
    assert back.get_edge_info("check", "bad") == dag.get_edge_info("check", "bad")
    assert back.get_edge_info("good", "bad") == {}


def test_params_keep_schema_and_task_overrides() -> None:
    dag = samples.params_dag()
    data, back = roundtrip(dag)
    assert data["dag"]["params"]["count"] == {
        "__class": "slipstream.sdk.params.Param",
        "description": "how many",
        "schema": {"type": "integer", "minimum": 1},
        "value": 3,
    }
    assert back.params.dump() == dag.params.dump()
    assert back.params.get_param("mode").schema == {"enum": ["fast", "slow"]}
    assert back.params.validate() == {"count": 3, "mode": "fast", "plain": 5, "optional": None}
    tasks = records(data)
    assert tasks["uses_dag_params"]["params"] == {}  # same as the DAG's: not repeated
    assert set(tasks["overrides"]["params"]) == {"count"}
    assert back.get_task("overrides").params.dump() == dag.get_task("overrides").params.dump()
    assert back.get_task("uses_dag_params").params.dump() == dag.params.dump()


def test_assets_schedule_and_outlets() -> None:
    dag = samples.assets_dag()
    data, back = roundtrip(dag)
    timetable = data["dag"]["timetable"]
    assert timetable["__type"] == "AssetTriggeredTimetable"
    assert [o["uri"] for o in timetable["asset_condition"]["objects"]] == [
        "s3://bucket/raw",
        "s3://bucket/clean",
    ]
    condition = back.timetable.asset_condition
    assert condition.evaluate({"s3://bucket/raw": True, "s3://bucket/clean": True})
    assert not condition.evaluate({"s3://bucket/raw": True})
    consume = back.get_task("consume")
    assert consume.outlets == (
        {
            "__type": "asset",
            "name": "s3://bucket/report",
            "uri": "s3://bucket/report",
            "group": "asset",
            "extra": {},
        },
    )
    assert consume.inlets[0]["extra"] == {"team": "data"}


def test_asset_condition_schedule() -> None:
    dag = samples.asset_condition_dag()
    _, back = roundtrip(dag)
    a, b, c = (f"file:///data/{n}" for n in "abc")
    for statuses in ({a: True, c: True}, {b: True, c: True}, {a: True, b: True}, {c: True}):
        assert back.timetable.asset_condition.evaluate(
            statuses
        ) == dag.timetable.asset_condition.evaluate(statuses)


def test_cron_schedule_with_timezone_plans_the_same_runs() -> None:
    from slipstream.timetables import TimeRestriction

    dag = samples.cron_dag()
    data, back = roundtrip(dag)
    record = data["dag"]
    assert record["timezone"] == "Europe/Amsterdam"
    assert record["start_date"] == "2024-03-01T00:00:00+01:00"
    assert record["catchup"] is True and record["is_paused_upon_creation"] is True
    assert (record["max_active_tasks"], record["max_consecutive_failed_dag_runs"]) == (4, 3)
    assert back.start_date == dag.start_date and back.end_date == dag.end_date
    assert back.start_date is not None and back.start_date.tzinfo is not None
    assert back.catchup and back.is_paused_upon_creation is True
    restriction = TimeRestriction(dag.start_date, dag.end_date, catchup=True)
    live, stored = [], []
    for timetable, out in ((dag.timetable, live), (back.timetable, stored)):
        last = None
        for _ in range(5):
            info = timetable.next_dagrun_info(
                last_automated_data_interval=last, restriction=restriction
            )
            out.append(info.run_after)
            last = info.data_interval
    assert live == stored
    assert live[0] == pendulum.datetime(2024, 3, 1, 6, 30, tz="Europe/Amsterdam")
    only = back.get_task("only")
    assert only.retry_exponential_backoff is True
    assert only.max_retry_delay == dt.timedelta(minutes=10)


def test_relative_fileloc_needs_the_dags_folder(tmp_path: Any) -> None:
    dag = samples.labels_dag()
    dag.fileloc = str(tmp_path / "team" / "labels.py")
    assert serialize_dag(dag)["dag"]["relative_fileloc"] is None
    data = serialize_dag(dag, dags_folder=tmp_path)
    assert data["dag"]["relative_fileloc"] == "team/labels.py"
    assert deserialize_dag(data).relative_fileloc == "team/labels.py"
    assert serialize_dag(dag, dags_folder=tmp_path / "other")["dag"]["relative_fileloc"] is None


def test_serialized_objects_are_read_only() -> None:
    _, back = roundtrip(samples.labels_dag())
    task = back.get_task("good")
    with pytest.raises(AttributeError):
        task.retries = 3  # type: ignore[misc]
    with pytest.raises(AttributeError):
        back.dag_id = "other"  # type: ignore[misc]
    assert isinstance(task.upstream_task_ids, frozenset)
    assert repr(task) == "<SerializedTask(EmptyOperator): good>"
    assert repr(back) == "<SerializedDAG: labels>"


def test_thousand_task_dag_size() -> None:
    dag = samples.chain_dag(1000)
    data = serialize_dag(dag)
    text = json.dumps(data)
    assert len(data["dag"]["tasks"]) == 1000
    assert len(text) < 2_500_000  # about 1.7 kB per task
    back = deserialize_dag(text)
    assert back.task_count == 1000
    assert back.get_task("t0999").upstream_task_ids == {"t0998"}


def test_sensor_settings() -> None:
    from slipstream.sdk.sensors.python import PythonSensor

    with DAG("sensing", schedule=None, start_date=samples.START) as dag:
        PythonSensor(
            task_id="wait",
            python_callable=samples.notify,
            mode="reschedule",
            poke_interval=dt.timedelta(seconds=30),
            timeout=600,
            soft_fail=True,
        )
        PythonSensor.partial(task_id="wait_mapped", mode="reschedule").expand(op_args=[[1], [2]])
        samples.EmptyOperator(task_id="not_a_sensor")
    tasks = records(serialize_dag(dag))
    assert tasks["wait"]["sensor"] == {
        "mode": "reschedule",
        "poke_interval": 30.0,
        "timeout": 600.0,
        "soft_fail": True,
        "exponential_backoff": False,
        "max_wait": None,
    }
    assert tasks["wait"]["python_callable"].endswith("samples.notify")
    assert tasks["wait_mapped"]["sensor"] == {"mode": "reschedule"}
    assert tasks["not_a_sensor"]["sensor"] is None


def test_other_stored_fields_read_as_attributes() -> None:
    _, back = roundtrip(samples.taskflow_dag())
    extract = back.get_task("extract")
    assert extract.doc_md == "Reads the source."
    assert extract.ui_color == "#ffefeb"
    assert extract.sensor is None
    assert extract.ignore_first_depends_on_past is True
    assert back.default_args["retries"] == 1
    assert back.timetable_description == "At 00:00"
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        extract.nothing  # noqa: B018
    with pytest.raises(AttributeError):
        back.nothing  # noqa: B018
    assert getattr(extract, "depends_on_past", None) is False

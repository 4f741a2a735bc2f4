"""Building DAGs: ids, dependencies, groups, default_args, decorators, mapping, errors."""

from __future__ import annotations

import datetime as dt

import pytest

from slipstream.core.exceptions import AirflowDagCycleException, DuplicateTaskIdFound
from slipstream.core.trigger_rule import TriggerRule
from slipstream.sdk import DAG, Label, TaskGroup, chain, chain_linear, cross_downstream, dag, task
from slipstream.sdk.operators.empty import EmptyOperator
from slipstream.sdk.operators.python import PythonOperator

START = dt.datetime(2024, 1, 1)


def upstream(d: DAG) -> dict[str, list[str]]:
    return {t.task_id: sorted(t.upstream_task_ids) for t in d.tasks}


def test_context_manager_and_shift_operators_with_lists() -> None:
    with DAG("d", start_date=START) as d:
        a, b, c, e = (EmptyOperator(task_id=x) for x in "abce")
        a >> [b, c] >> e
        [a] << EmptyOperator(task_id="z")
    assert upstream(d) == {"a": ["z"], "b": ["a"], "c": ["a"], "e": ["b", "c"], "z": []}
    assert [t.task_id for t in d.roots] == ["z"]
    assert [t.task_id for t in d.leaves] == ["e"]


def test_dag_equals_dag_style_without_context_manager() -> None:
    d = DAG("classic", start_date=START, schedule=None)
    a = EmptyOperator(task_id="a", dag=d)
    b = EmptyOperator(task_id="b", dag=d)
    a.set_downstream(b)
    assert d.task_ids == ["a", "b"] and b.upstream_task_ids == {"a"}


def test_default_args_flow_from_dag_through_groups_to_tasks() -> None:
    with DAG("d", start_date=START, default_args={"retries": 2, "owner": "ann"}) as d:
        plain = EmptyOperator(task_id="plain")
        own = EmptyOperator(task_id="own", retries=5)
        with TaskGroup("g", default_args={"retries": 3}):
            grouped = EmptyOperator(task_id="inner")
    assert (plain.retries, own.retries, grouped.retries) == (2, 5, 3)
    assert plain.owner == "ann" and grouped.task_id == "g.inner"
    assert d.task_ids == ["plain", "own", "g.inner"]


def test_default_args_only_reach_arguments_the_operator_accepts() -> None:
    with DAG("d", start_date=START, default_args={"bash_command": "echo", "retries": 1}):
        task_ = PythonOperator(task_id="p", python_callable=print)
    assert task_.retries == 1 and not hasattr(task_, "bash_command")


def test_task_groups_prefix_ids_nest_and_chain_as_units() -> None:
    with DAG("d", start_date=START) as d:
        with TaskGroup("one") as one:
            EmptyOperator(task_id="a") >> EmptyOperator(task_id="b")
            with TaskGroup("inner"):
                EmptyOperator(task_id="c")
        with TaskGroup("two", prefix_group_id=False) as two:
            EmptyOperator(task_id="d")
        one >> two
    assert set(d.task_ids) == {"one.a", "one.b", "one.inner.c", "d"}
    assert d.get_task("d").upstream_task_ids == {"one.b", "one.inner.c"}


def test_chain_cross_downstream_chain_linear_and_labels() -> None:
    with DAG("d", start_date=START) as d:
        t = {x: EmptyOperator(task_id=x) for x in "abcdefgh"}
        chain(t["a"], [t["b"], t["c"]], [t["d"], t["e"]], t["f"])
        cross_downstream([t["f"]], [t["g"], t["h"]])
        chain_linear(t["g"], [t["h"]])
        t["a"] >> Label("why") >> t["h"]
    assert t["d"].upstream_task_ids == {"b"} and t["e"].upstream_task_ids == {"c"}
    assert t["f"].upstream_task_ids == {"d", "e"}
    assert t["h"].upstream_task_ids == {"a", "f", "g"}
    assert d.get_edge_info("a", "h") == {"label": "why"}


def test_taskflow_ids_deduplicate_and_xcomargs_wire_dependencies() -> None:
    with DAG("d", start_date=START) as d:

        @task
        def make() -> dict[str, int]:
            return {"x": 1}

        @task
        def use(value):
            return value

        made = make()
        use(made["x"])
        use(made)
        use.override(task_id="custom", retries=4)(made)
    assert d.task_ids == ["make", "use", "use__1", "custom"]
    assert d.get_task("make").multiple_outputs is True
    assert d.get_task("custom").retries == 4
    assert all(d.get_task(t).upstream_task_ids == {"make"} for t in ("use", "use__1", "custom"))


def test_dag_decorator_turns_arguments_into_params() -> None:
    @dag(start_date=START, schedule=None)
    def my_pipeline(size: int = 3, name: str = "x"):
        EmptyOperator(task_id="only")

    built = my_pipeline()
    assert built.dag_id == "my_pipeline"
    assert dict(built.params) == {"size": 3, "name": "x"}


def test_mapping_creates_one_mapped_task_wired_to_its_inputs() -> None:
    with DAG("d", start_date=START) as d:

        @task
        def files():
            return ["a", "b"]

        @task
        def size(path, factor):
            return len(path) * factor

        mapped = size.partial(factor=2).expand(path=files())
    node = d.get_task("size")
    assert node.is_mapped and node.upstream_task_ids == {"files"}
    assert mapped.operator is node


@pytest.mark.parametrize(
    ("build", "error", "fragment"),
    [
        (lambda: EmptyOperator(task_id="bad id!"), ValueError, "task_id 'bad id!'"),
        (lambda: EmptyOperator(task_id="x", trigger_rule="sometimes"), ValueError, "sometimes"),
        (lambda: EmptyOperator(task_id="x", provide_context=True), TypeError, "provide_context"),
        (lambda: EmptyOperator(task_id="x", not_an_arg=1), TypeError, "not_an_arg"),
    ],
)
def test_bad_operator_arguments_name_the_problem(build, error, fragment) -> None:
    with DAG("d", start_date=START), pytest.raises(error, match=fragment):
        build()


def test_duplicate_task_id_and_cycles_are_rejected() -> None:
    with DAG("d", start_date=START) as d:
        EmptyOperator(task_id="a")
        with pytest.raises(DuplicateTaskIdFound, match=r"'a'.*'d'"):
            EmptyOperator(task_id="a")
        b, c = EmptyOperator(task_id="b"), EmptyOperator(task_id="c")
        b >> c >> b
    with pytest.raises(AirflowDagCycleException, match="b -> c -> b"):
        d.validate()


def test_removed_airflow2_dag_arguments_are_named() -> None:
    with pytest.raises(TypeError, match=r"schedule_interval.*removed in Airflow 3"):
        DAG("old", schedule_interval="@daily")


def test_bad_schedule_names_the_dag() -> None:
    with pytest.raises(ValueError, match="DAG 'sched' has an invalid schedule"):
        DAG("sched", schedule="61 * * * *")


def test_setup_teardown_context_wires_work_between() -> None:
    from slipstream.sdk import setup, teardown

    with DAG("d", start_date=START) as d:

        @setup
        def create():
            return "cluster"

        @teardown
        def delete(cluster):
            pass

        @task
        def work():
            pass

        with delete(create()):
            work()
    assert d.get_task("create").is_setup and d.get_task("delete").is_teardown
    assert d.get_task("work").upstream_task_ids == {"create"}
    assert d.get_task("delete").upstream_task_ids == {"create", "work"}
    assert d.get_task("delete").trigger_rule == TriggerRule.ALL_DONE_SETUP_SUCCESS

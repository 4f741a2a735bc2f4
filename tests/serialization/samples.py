"""DAGs covering the authoring API, built fresh on every call (so two calls can be compared)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pendulum

from slipstream.core.trigger_rule import TriggerRule
from slipstream.sdk import (
    DAG,
    Asset,
    Label,
    Param,
    TaskGroup,
    dag,
    setup,
    task,
    task_group,
    teardown,
)
from slipstream.sdk.operators.empty import EmptyOperator
from slipstream.sdk.operators.python import PythonOperator

START = pendulum.datetime(2024, 1, 1, tz="UTC")


def notify(context: Any) -> None:
    """A callback: serialized as its qualified name."""


def taskflow_dag(retries: int = 1) -> DAG:
    @dag(
        dag_id="taskflow",
        schedule="@daily",
        start_date=START,
        tags=["etl", "example"],
        description="extract, transform, load",
        default_args={"retries": retries, "retry_delay": dt.timedelta(minutes=1)},
        dagrun_timeout=dt.timedelta(hours=2),
        max_active_runs=3,
        on_failure_callback=notify,
    )
    def pipeline(source: str = "db") -> None:
        """# Taskflow

        Docs of the DAG."""

        @task(multiple_outputs=True)
        def extract(source: str) -> dict[str, int]:
            """Reads the source."""
            return {"a": 1, "b": 2}

        @task(retries=4, pool="io", pool_slots=2, priority_weight=5, queue="q1")
        def transform(a: int, b: int) -> int:
            return a + b

        @task(trigger_rule=TriggerRule.ALL_DONE, execution_timeout=dt.timedelta(seconds=30))
        def load(total: int) -> None:
            print(total)

        data = extract(source)
        load(transform(data["a"], data["b"]))

    return pipeline()


def groups_dag() -> DAG:
    with DAG("groups", schedule=None, start_date=START) as d:
        start = EmptyOperator(task_id="start")
        with TaskGroup("outer", tooltip="the outer group", ui_color="#abcdef") as outer:
            first = EmptyOperator(task_id="first")
            with TaskGroup("inner") as inner:
                deep = EmptyOperator(task_id="deep")
            with TaskGroup("flat", prefix_group_id=False):
                flat = EmptyOperator(task_id="flat_task")
            first >> inner >> flat

        @task_group
        def decorated(n: int) -> None:
            """Tooltip from the docstring."""

            @task
            def double(x: int) -> int:
                return 2 * x

            double(n)

        end = EmptyOperator(task_id="end")
        start >> outer >> decorated(3) >> end
        assert deep.task_id == "outer.inner.deep"
    return d


def mapping_dag() -> DAG:
    with DAG("mapping", schedule=None, start_date=START) as d:

        @task
        def numbers() -> list[int]:
            return [1, 2, 3]

        @task
        def add(x: int, y: int) -> int:
            return x + y

        @task
        def combine(values: list[int]) -> int:
            return sum(values)

        literal = add.partial(y=10).expand(x=[1, 2, 3])
        dynamic = add.override(task_id="add_dynamic").partial(y=1).expand(x=numbers())
        kwargs = add.override(task_id="add_kwargs").expand_kwargs([{"x": 1, "y": 2}])
        classic = PythonOperator.partial(
            task_id="classic", python_callable=print, retries=2
        ).expand(op_args=[[1], [2]])
        classic_kwargs = PythonOperator.partial(
            task_id="classic_kwargs", python_callable=print
        ).expand_kwargs(numbers().map(lambda n: {"op_args": [n]}))
        combine(literal) >> classic
        dynamic >> classic_kwargs
        kwargs >> classic_kwargs
    return d


def setup_teardown_dag() -> DAG:
    with DAG("setup_teardown", schedule=None, start_date=START) as d:

        @setup
        def create_cluster() -> str:
            return "cluster"

        @task
        def work(cluster: str) -> None:
            pass

        @teardown(on_failure_fail_dagrun=True)
        def delete_cluster(cluster: str) -> None:
            pass

        cluster = create_cluster()
        with delete_cluster(cluster):
            work(cluster) >> EmptyOperator(task_id="more_work")
        EmptyOperator(task_id="after") << cluster
    return d


def labels_dag() -> DAG:
    with DAG("labels", schedule=None, start_date=START) as d:
        check = EmptyOperator(task_id="check")
        good = EmptyOperator(task_id="good")
        bad = EmptyOperator(task_id="bad", trigger_rule="one_failed")
        check >> Label("valid") >> good
        check >> Label("invalid") >> bad
    return d


def params_dag() -> DAG:
    with DAG(
        "params",
        schedule=None,
        start_date=START,
        params={
            "count": Param(3, type="integer", minimum=1, description="how many"),
            "mode": Param("fast", enum=["fast", "slow"]),
            "plain": 5,
            "optional": Param(None, type=["null", "string"]),
        },
    ) as d:
        EmptyOperator(task_id="uses_dag_params")
        EmptyOperator(task_id="overrides", params={"count": Param(7, type="integer")})
    return d


def assets_dag() -> DAG:
    raw = Asset("s3://bucket/raw", extra={"team": "data"})
    clean = Asset(name="clean", uri="s3://bucket/clean")
    with DAG("assets", schedule=[raw, clean], start_date=START) as d:
        EmptyOperator(task_id="consume", inlets=[raw], outlets=[Asset("s3://bucket/report")])
    return d


def asset_condition_dag() -> DAG:
    a, b, c = (Asset(f"file:///data/{name}") for name in "abc")
    with DAG("asset_condition", schedule=(a | b) & c, start_date=START) as d:
        EmptyOperator(task_id="consume")
    return d


def cron_dag() -> DAG:
    with DAG(
        "cron",
        schedule="30 6 * * 1-5",
        start_date=pendulum.datetime(2024, 3, 1, tz="Europe/Amsterdam"),
        end_date=pendulum.datetime(2025, 1, 1, tz="Europe/Amsterdam"),
        catchup=True,
        max_active_tasks=4,
        max_consecutive_failed_dag_runs=3,
        is_paused_upon_creation=True,
        fail_fast=False,
    ) as d:
        EmptyOperator(task_id="only", retry_exponential_backoff=True, max_retry_delay=600)
    return d


def chain_dag(n: int, *, dag_id: str = "chain") -> DAG:
    with DAG(dag_id, schedule=None, start_date=START) as d:
        previous = None
        for i in range(n):
            current = EmptyOperator(task_id=f"t{i:04d}")
            if previous is not None:
                previous >> current
            previous = current
    return d


ALL_BUILDERS = {
    "taskflow": taskflow_dag,
    "groups": groups_dag,
    "mapping": mapping_dag,
    "setup_teardown": setup_teardown_dag,
    "labels": labels_dag,
    "params": params_dag,
    "assets": assets_dag,
    "asset_condition": asset_condition_dag,
    "cron": cron_dag,
}

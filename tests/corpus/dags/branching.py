"""Branching: `@task.branch` returning a list, and a classic BranchPythonOperator that picks a
task group by its id. Joins use `none_failed_min_one_success`, the usual way to merge branches."""

import pendulum
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.providers.standard.operators.python import BranchPythonOperator
from airflow.sdk import DAG, Label, TaskGroup, TriggerRule, task

with DAG(
    dag_id="corpus_branching",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    params={"route": "a"},
    tags=["corpus"],
) as dag:

    @task.branch
    def pick_path(**context):
        if context["params"]["route"] == "b":
            return "path_b"
        return ["path_a", "path_a2"]

    pick = pick_path()
    path_a = EmptyOperator(task_id="path_a")
    path_a2 = EmptyOperator(task_id="path_a2")
    path_b = EmptyOperator(task_id="path_b")
    after_b = EmptyOperator(task_id="after_b")
    join = EmptyOperator(task_id="join", trigger_rule=TriggerRule.NONE_FAILED_MIN_ONE_SUCCESS)
    join_strict = EmptyOperator(task_id="join_strict")

    pick >> Label("route a") >> [path_a, path_a2]
    pick >> Label("route b") >> path_b >> after_b
    [path_a, path_a2, after_b] >> join
    [path_a, path_b] >> join_strict

    def choose_lane(**context):
        return "fast_lane" if context["dag_run"].conf.get("fast", True) else "slow_lane"

    choose = BranchPythonOperator(task_id="choose_lane", python_callable=choose_lane)
    with TaskGroup("fast_lane") as fast_lane:
        EmptyOperator(task_id="step1") >> EmptyOperator(task_id="step2")
    with TaskGroup("slow_lane") as slow_lane:
        EmptyOperator(task_id="step1") >> EmptyOperator(task_id="step2")
    finish = EmptyOperator(task_id="finish", trigger_rule="none_failed_min_one_success")

    choose >> [fast_lane, slow_lane] >> finish

    with TaskGroup("checks"):

        @task.branch
        def route_check():
            return "checks.quick"

        route_check() >> [EmptyOperator(task_id="quick"), EmptyOperator(task_id="thorough")]

    @task.branch
    def maybe_notify():
        return None  # None follows no branch: everything directly downstream is skipped

    maybe_notify() >> EmptyOperator(task_id="notify")

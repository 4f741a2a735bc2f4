"""Task groups: nesting, prefixed ids, `prefix_group_id=False`, group-level default_args,
group >> group, and a `@task_group` function used twice (ids get a `__1` suffix)."""

from datetime import datetime, timedelta

from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import DAG, TaskGroup, task, task_group
from airflow.sdk.definitions.context import get_current_context
from corpus_lib.record import record


def fetch(ti):
    record("fetch", try_number=ti.try_number)
    if ti.try_number == 1:
        raise ConnectionError("first try always times out")
    return ["a", "b"]


def check_rows(ti, task):
    record(
        "rows",
        task_id=ti.task_id,
        retries=task.retries,
        owner=task.owner,
        data=ti.xcom_pull(task_ids="ingest.fetch"),
    )


with DAG(
    dag_id="corpus_task_groups",
    schedule=None,
    start_date=datetime(2024, 1, 1),
    catchup=False,
    default_args={"owner": "groups", "retries": 0},
) as dag:
    start = EmptyOperator(task_id="start")

    with TaskGroup(
        "ingest",
        tooltip="Fetch and validate",
        default_args={"retries": 1, "retry_delay": timedelta(seconds=0.01)},
    ) as ingest:
        fetched = PythonOperator(task_id="fetch", python_callable=fetch)
        with TaskGroup("validate") as validate:
            schema = EmptyOperator(task_id="schema")
            rows = PythonOperator(task_id="rows", python_callable=check_rows)
            schema >> rows
        fetched >> validate

    with TaskGroup("publish", prefix_group_id=False) as publish:
        EmptyOperator(task_id="to_warehouse")

        @task
        def notify():
            ti = get_current_context()["ti"]
            record("notify", task_id=ti.task_id, retries=ti.task.retries)

        notify()

    start >> ingest >> publish

    @task_group
    def clean(value):
        @task
        def strip(text):
            return text.strip()

        return strip(value)

    @task
    def collect(first, second):
        record("collect", values=[first, second])

    collect(clean("  left "), clean(" right  "))

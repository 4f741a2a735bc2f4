"""A failing setup task: the work in its scope ends upstream_failed (even an `all_done` task, as
its setup did not succeed), the teardown too; an `all_done` task outside the scope still runs."""

from datetime import datetime

from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import DAG


def _no_capacity():
    raise RuntimeError("no capacity left to create the cluster")


with DAG(
    dag_id="corpus_setup_failure",
    schedule=None,
    start_date=datetime(2024, 1, 1),
    catchup=False,
) as dag:
    create = PythonOperator(task_id="create_cluster", python_callable=_no_capacity).as_setup()
    work = PythonOperator(task_id="work", python_callable=lambda: "work")
    work_all_done = PythonOperator(
        task_id="work_all_done", python_callable=lambda: "tidy", trigger_rule="all_done"
    )
    delete = PythonOperator(task_id="delete_cluster", python_callable=lambda: "deleted")
    report = PythonOperator(
        task_id="report", python_callable=lambda: "reported", trigger_rule="all_done"
    )

    create >> work >> work_all_done >> delete.as_teardown(setups=create)
    work >> report

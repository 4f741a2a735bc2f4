"""Task- and DAG-level callbacks. `on_failure_callback` comes from default_args and fires for the
failed task only, not for the task that ends upstream_failed because of it."""

from datetime import datetime

from airflow import DAG
from airflow.operators.python import PythonOperator
from corpus_lib.record import record


def task_failure(context):
    record(
        "task_failure",
        task_id=context["task_instance"].task_id,
        try_number=context["ti"].try_number,
        error=str(context["exception"]),
    )


def task_success(context):
    record("task_success", task_id=context["ti"].task_id)


def task_execute(context):
    record("task_execute", task_id=context["ti"].task_id)


def dag_failure(context):
    record("dag_failure", dag_id=context["dag"].dag_id, run_id=context["run_id"])


def dag_success(context):
    record("dag_success", dag_id=context["dag"].dag_id)


def _explode():
    raise RuntimeError("warehouse unavailable")


with DAG(
    dag_id="corpus_callbacks",
    schedule=None,
    start_date=datetime(2024, 1, 1),
    catchup=False,
    default_args={"on_failure_callback": task_failure, "on_success_callback": task_success},
    on_failure_callback=[dag_failure],
    on_success_callback=dag_success,
) as dag:
    start = PythonOperator(task_id="start", python_callable=lambda: "started")
    fails = PythonOperator(task_id="fails", python_callable=_explode)
    never_runs = PythonOperator(task_id="never_runs", python_callable=lambda: "unreachable")
    cleanup = PythonOperator(
        task_id="cleanup",
        python_callable=lambda: "cleaned",
        trigger_rule="all_done",
        on_execute_callback=task_execute,
    )
    start >> fails >> never_runs
    fails >> cleanup

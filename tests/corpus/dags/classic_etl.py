"""A classic ETL pipeline: `from airflow import DAG`, default_args and `dag=dag` on each operator.

The shape most production DAG files still have: PythonOperators passing data through explicit
`xcom_push` / `xcom_pull`, a templated BashOperator and EmptyOperators as start and end markers.
"""

import json
from datetime import datetime, timedelta

from airflow import DAG
from airflow.operators.bash import BashOperator
from airflow.operators.empty import EmptyOperator
from airflow.operators.python import PythonOperator
from corpus_lib.record import record

default_args = {
    "owner": "data-eng",
    "depends_on_past": False,
    "email": ["alerts@example.com"],
    "email_on_failure": False,
    "email_on_retry": False,
    "retries": 1,
    "retry_delay": timedelta(seconds=0.05),
}


def notify_success(context):
    record("dag_success", dag_id=context["dag"].dag_id, run_id=context["run_id"])


dag = DAG(
    "corpus_classic_etl",
    default_args=default_args,
    description="Extract orders, sum them and report",
    schedule="@daily",
    start_date=datetime(2024, 1, 1),
    catchup=False,
    max_active_runs=1,
    tags=["corpus", "classic"],
    on_success_callback=notify_success,
)


def extract(**context):
    rows = [{"id": 1, "amount": 10.5}, {"id": 2, "amount": 4.5}, {"id": 3, "amount": 5.0}]
    context["ti"].xcom_push(key="row_count", value=len(rows))
    return json.dumps(rows)


def transform(ti, **kwargs):
    rows = json.loads(ti.xcom_pull(task_ids="extract"))
    total = sum(row["amount"] for row in rows)
    ti.xcom_push(key="total", value=total)
    return {"count": ti.xcom_pull(task_ids="extract", key="row_count"), "total": total}


def load(multiplier, ti=None, ds=None):
    summary = ti.xcom_pull(task_ids="transform")
    record(
        "load",
        ds=ds,
        summary=summary,
        scaled=summary["total"] * multiplier,
        total_key=ti.xcom_pull(task_ids="transform", key="total"),
        owner=ti.task.owner,
        retries=ti.task.retries,
    )


def audit(ti):
    record("audit", report=ti.xcom_pull(task_ids="report"))


start = EmptyOperator(task_id="start", dag=dag)
extract_task = PythonOperator(task_id="extract", python_callable=extract, dag=dag)
transform_task = PythonOperator(task_id="transform", python_callable=transform, dag=dag)
load_task = PythonOperator(
    task_id="load", python_callable=load, op_kwargs={"multiplier": 2}, dag=dag
)
report = BashOperator(
    task_id="report",
    bash_command="echo \"loaded {{ ti.xcom_pull(task_ids='extract', key='row_count') }} rows\"",
    dag=dag,
)
audit_task = PythonOperator(task_id="audit", python_callable=audit, dag=dag)
end = EmptyOperator(task_id="end", dag=dag)

start >> extract_task >> transform_task >> load_task >> report >> audit_task >> end

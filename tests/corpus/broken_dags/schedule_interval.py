"""`schedule_interval=`, removed in Airflow 3 in favour of `schedule=`."""

from datetime import datetime

from airflow import DAG
from airflow.operators.empty import EmptyOperator

with DAG(
    dag_id="corpus_schedule_interval",
    schedule_interval="@daily",
    start_date=datetime(2024, 1, 1),
):
    EmptyOperator(task_id="noop")

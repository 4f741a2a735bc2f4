"""Benchmark DAG: one start task fanning out to 1,000 no-op Python tasks (Airflow syntax)."""

import pendulum
from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import DAG


def noop():
    return None


with DAG(
    "bench_fanout1000", schedule=None, start_date=pendulum.datetime(2024, 1, 1), catchup=False
):
    start = PythonOperator(task_id="start", python_callable=noop)
    start >> [PythonOperator(task_id=f"t{i:04d}", python_callable=noop) for i in range(1000)]

"""Benchmark DAG: 20 no-op Python tasks in a chain (Airflow syntax, runs on both systems)."""

import pendulum
from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import DAG, chain


def noop():
    return None


with DAG("bench_chain20", schedule=None, start_date=pendulum.datetime(2024, 1, 1), catchup=False):
    chain(*[PythonOperator(task_id=f"t{i:02d}", python_callable=noop) for i in range(20)])

"""Benchmark DAG file: 1,000 TaskFlow tasks and 1,000 EmptyOperators (load-time benchmark)."""

import pendulum
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG, task

with DAG(
    "bench_1000_taskflow", schedule=None, start_date=pendulum.datetime(2024, 1, 1), catchup=False
):

    @task
    def step(i):
        return i

    previous = None
    for i in range(1000):
        current = step.override(task_id=f"step_{i}")(i)
        if previous is not None:
            previous >> current
        previous = current

with DAG(
    "bench_1000_empty", schedule=None, start_date=pendulum.datetime(2024, 1, 1), catchup=False
):
    previous = None
    for i in range(1000):
        current = EmptyOperator(task_id=f"empty_{i}")
        if previous is not None:
            previous >> current
        previous = current

"""`render_template_as_native_obj=True`: templates render to Python objects, not strings."""

from datetime import datetime

from airflow.operators.python import PythonOperator
from airflow.sdk import DAG
from corpus_lib.record import record


def describe(numbers, limit, when):
    record(
        "native",
        numbers=numbers,
        limit=limit,
        types=[type(numbers).__name__, type(limit).__name__, type(when).__name__],
    )


with DAG(
    dag_id="corpus_native_templates",
    schedule=None,
    start_date=datetime(2024, 1, 1),
    catchup=False,
    params={"limit": 5},
    render_template_as_native_obj=True,
) as dag:
    PythonOperator(
        task_id="describe",
        python_callable=describe,
        op_kwargs={
            "numbers": "{{ [1, 2, 3] }}",
            "limit": "{{ params.limit }}",
            "when": "{{ ds }}",
        },
    )

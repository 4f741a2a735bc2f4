"""A classic extract-transform-load pipeline, written exactly as for Apache Airflow 3.

It uses Airflow's import paths and classic operators on purpose: Slipstream runs such files
unchanged.
"""

import json
from datetime import timedelta

import pendulum
from airflow.providers.standard.operators.bash import BashOperator
from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import DAG

default_args = {
    "owner": "data-team",
    "retries": 1,
    "retry_delay": timedelta(seconds=1),
}


def extract(ti):
    orders = '{"1001": 301.27, "1002": 433.21, "1003": 502.22}'
    ti.xcom_push(key="order_data", value=orders)


def transform(ti):
    orders = json.loads(ti.xcom_pull(task_ids="extract", key="order_data"))
    ti.xcom_push(key="total_order_value", value=round(sum(orders.values()), 2))


def load(ti, params):
    total = ti.xcom_pull(task_ids="transform", key="total_order_value")
    print(f"Loading total order value {total} into {params['target']}")
    return total


with DAG(
    dag_id="example_etl",
    description="Extract orders, sum them, load the total",
    schedule="@daily",
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    default_args=default_args,
    params={"target": "warehouse.daily_totals"},
    tags=["example", "etl"],
    doc_md=__doc__,
) as dag:
    extract_task = PythonOperator(task_id="extract", python_callable=extract)
    transform_task = PythonOperator(task_id="transform", python_callable=transform)
    load_task = PythonOperator(task_id="load", python_callable=load)
    report = BashOperator(
        task_id="report",
        bash_command="echo \"Loaded {{ ti.xcom_pull(task_ids='load') }} for {{ ds }}\"",
    )

    extract_task >> transform_task >> load_task >> report

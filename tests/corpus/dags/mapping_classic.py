"""Mapping classic operators: BashOperator and PythonOperator with partial().expand(), pulled by
map index from a downstream task."""

from datetime import datetime

from airflow import DAG
from airflow.operators.bash import BashOperator
from airflow.operators.python import PythonOperator
from corpus_lib.record import record


def square(x):
    return x * x


def gather(ti):
    record(
        "gather",
        squares=ti.xcom_pull(task_ids="square", map_indexes=[0, 1, 2]),
        second_echo=ti.xcom_pull(task_ids="echo", map_indexes=1),
    )


with DAG("corpus_mapping_classic", schedule=None, start_date=datetime(2024, 1, 1)) as dag:
    echo = BashOperator.partial(task_id="echo", retries=0).expand(
        bash_command=["echo one", "echo {{ ds_nodash }}-{{ ti.map_index }}"]
    )
    squares = PythonOperator.partial(task_id="square", python_callable=square).expand(
        op_args=[[2], [3], [4]]
    )
    [echo, squares] >> PythonOperator(task_id="gather", python_callable=gather)

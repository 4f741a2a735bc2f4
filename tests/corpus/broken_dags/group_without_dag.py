"""A TaskGroup given `dag=dag` but operators without it, outside any `with DAG`: the operators
belong to no DAG, so `>>` between them fails at parse time (as in Airflow 3)."""

from datetime import datetime

from airflow import DAG
from airflow.operators.empty import EmptyOperator
from airflow.utils.task_group import TaskGroup

dag = DAG("corpus_group_without_dag", schedule=None, start_date=datetime(2024, 1, 1))

with TaskGroup("section", dag=dag):
    first = EmptyOperator(task_id="first")
    second = EmptyOperator(task_id="second")
    first >> second

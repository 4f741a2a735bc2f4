"""An Airflow 2 import path that Airflow 3 removed."""

from datetime import datetime

from airflow import DAG
from airflow.operators.dummy_operator import DummyOperator

with DAG(dag_id="corpus_removed_import", schedule=None, start_date=datetime(2024, 1, 1)):
    DummyOperator(task_id="placeholder")

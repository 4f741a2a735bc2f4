"""The one loadable DAG in this folder: broken siblings must not hide it."""

from datetime import datetime

from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG

with DAG(dag_id="corpus_broken_folder_survivor", schedule=None, start_date=datetime(2024, 1, 1)):
    EmptyOperator(task_id="still_here")

"""`provide_context=True`, an Airflow 2 argument that Airflow 3 rejects."""

from datetime import datetime

from airflow import DAG
from airflow.operators.python import PythonOperator

with DAG(dag_id="corpus_provide_context", schedule=None, start_date=datetime(2024, 1, 1)):
    PythonOperator(task_id="legacy", python_callable=lambda **kw: None, provide_context=True)

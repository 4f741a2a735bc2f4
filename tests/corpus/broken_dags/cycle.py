"""A DAG whose dependencies form a cycle: loading it reports the DAG."""

from datetime import datetime

from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG

with DAG(dag_id="corpus_cycle", schedule=None, start_date=datetime(2024, 1, 1)):
    extract = EmptyOperator(task_id="extract")
    transform = EmptyOperator(task_id="transform")
    load = EmptyOperator(task_id="load")
    extract >> transform >> load >> extract

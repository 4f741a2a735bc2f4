"""Setup/teardown with classic operators: `.as_teardown(setups=...)`."""

from datetime import datetime

from airflow.providers.standard.operators.bash import BashOperator
from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import DAG

with DAG(
    dag_id="corpus_setup_teardown_classic",
    schedule=None,
    start_date=datetime(2024, 1, 1),
    catchup=False,
) as dag:
    create_bucket = BashOperator(task_id="create_bucket", bash_command="echo created")
    load_files = PythonOperator(task_id="load_files", python_callable=lambda: 3)
    delete_bucket = BashOperator(task_id="delete_bucket", bash_command="echo deleted")
    create_bucket >> load_files >> delete_bucket.as_teardown(setups=create_bucket)

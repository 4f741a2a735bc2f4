"""Task groups without a DAG context manager: `TaskGroup(..., dag=dag)` and `dag=dag` on every
operator, as older production files are written."""

from datetime import datetime

from airflow.models import DAG
from airflow.operators.bash import BashOperator
from airflow.operators.empty import EmptyOperator
from airflow.utils.task_group import TaskGroup

dag = DAG(
    dag_id="corpus_task_group_dag_arg",
    schedule=None,
    start_date=datetime(2024, 1, 1),
    catchup=False,
)

section = TaskGroup("section", dag=dag)
first = EmptyOperator(task_id="first", dag=dag, task_group=section)
second = BashOperator(task_id="second", bash_command="echo second", dag=dag, task_group=section)
first >> second

with TaskGroup("inner", dag=dag) as inner:
    third = BashOperator(task_id="third", bash_command="echo third", dag=dag)

section >> inner

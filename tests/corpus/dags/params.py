"""Params with JSON-schema validation, `dag_run.conf` overrides (declared or not) and task-level
params that override the DAG's."""

from datetime import datetime

from airflow.models.param import Param
from airflow.operators.bash import BashOperator
from airflow.sdk import DAG, task
from corpus_lib.record import record

with DAG(
    dag_id="corpus_params",
    schedule=None,
    start_date=datetime(2024, 1, 1),
    catchup=False,
    params={
        "count": Param(5, type="integer", minimum=1, maximum=10),
        "mode": Param("fast", enum=["fast", "slow"]),
        "name": Param("abc", type="string", minLength=2),
        "plain": "just a default",
        "optional": Param(None, type=["null", "string"]),
        "start": Param("2024-01-01", type="string", format="date"),
    },
) as dag:

    @task
    def show(params=None):
        record("dag_params", params=dict(params))

    @task(params={"mode": "slow"})
    def task_level(params=None):
        record("task_params", mode=params["mode"], count=params["count"])

    show() >> task_level()
    BashOperator(task_id="bash_params", bash_command="echo {{ params.count }}-{{ params.mode }}")

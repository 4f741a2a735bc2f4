"""ShortCircuitOperator with `ignore_downstream_trigger_rules=False`: only the direct downstream
task is skipped; tasks further down follow their own trigger rules."""

from datetime import datetime

from airflow import DAG
from airflow.operators.empty import EmptyOperator
from airflow.operators.python import ShortCircuitOperator
from airflow.utils.trigger_rule import TriggerRule

with DAG(
    "corpus_short_circuit_soft",
    schedule=None,
    start_date=datetime(2024, 1, 1),
    catchup=False,
) as dag:
    check = ShortCircuitOperator(
        task_id="check",
        python_callable=lambda: 0,
        ignore_downstream_trigger_rules=False,
    )
    direct = EmptyOperator(task_id="direct")
    soft_default = EmptyOperator(task_id="soft_default")
    soft_all_done = EmptyOperator(task_id="soft_all_done", trigger_rule=TriggerRule.ALL_DONE)
    check >> direct >> [soft_default, soft_all_done]

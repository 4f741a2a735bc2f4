"""Every trigger rule downstream of one succeeded and one failed task.

`final` (all_done) is the only leaf, so the run succeeds although `boom` failed: Airflow decides
the run's state from its leaves.
"""

from datetime import datetime

from airflow.models.dag import DAG
from airflow.operators.empty import EmptyOperator
from airflow.operators.python import PythonOperator
from airflow.utils.trigger_rule import TriggerRule


def _fail():
    raise ValueError("this task always fails")


with DAG(
    dag_id="corpus_trigger_rules",
    schedule=None,
    start_date=datetime(2024, 1, 1),
    catchup=False,
    default_args={"retries": 0},
) as dag:
    ok = PythonOperator(task_id="ok", python_callable=lambda: "fine")
    boom = PythonOperator(task_id="boom", python_callable=_fail)
    final = EmptyOperator(task_id="final", trigger_rule=TriggerRule.ALL_DONE)

    both = {
        "run_all_done": TriggerRule.ALL_DONE,
        "run_one_failed": TriggerRule.ONE_FAILED,
        "run_one_success": TriggerRule.ONE_SUCCESS,
        "run_one_done": TriggerRule.ONE_DONE,
        "run_all_done_min_one_success": TriggerRule.ALL_DONE_MIN_ONE_SUCCESS,
        "run_none_skipped": TriggerRule.NONE_SKIPPED,
        "run_always": TriggerRule.ALWAYS,
        "blocked_all_success": TriggerRule.ALL_SUCCESS,
        "blocked_none_failed": TriggerRule.NONE_FAILED,
        "blocked_none_failed_min_one_success": "none_failed_min_one_success",
        "skip_all_failed": "all_failed",
        "skip_all_skipped": "all_skipped",
    }
    for task_id, rule in both.items():
        [ok, boom] >> EmptyOperator(task_id=task_id, trigger_rule=rule) >> final

    only_failed = {
        "run_all_failed": TriggerRule.ALL_FAILED,
        "blocked_one_success": TriggerRule.ONE_SUCCESS,
    }
    for task_id, rule in only_failed.items():
        boom >> EmptyOperator(task_id=task_id, trigger_rule=rule) >> final

    ok >> EmptyOperator(task_id="skip_one_failed", trigger_rule="one_failed") >> final
    dag.get_task("blocked_all_success") >> EmptyOperator(task_id="after_blocked") >> final

"""A task that skips itself (AirflowSkipException) and how each trigger rule reacts to it.

`on_skipped_callback` from default_args fires for the task that raised the skip only, not for
tasks skipped by their trigger rule.
"""

import pendulum
from airflow.exceptions import AirflowSkipException
from airflow.sdk import DAG, task
from airflow.sdk.bases.operator import chain
from corpus_lib.record import record


def skipped_callback(context):
    record("skipped_callback", task_id=context["ti"].task_id)


with DAG(
    dag_id="corpus_skip_propagation",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    default_args={"on_skipped_callback": skipped_callback},
) as dag:

    @task
    def nothing_to_do():
        raise AirflowSkipException("no new files today")

    @task
    def ok():
        return "ok"

    @task
    def follow(name):
        return name

    skipper = nothing_to_do()
    fine = ok()
    only_skipped = {
        "all_success_after_skip": "all_success",
        "none_failed_after_skip": "none_failed",
        "nfmos_only_skipped": "none_failed_min_one_success",
        "all_skipped_after_skip": "all_skipped",
        "all_done_after_skip": "all_done",
    }
    for task_id, rule in only_skipped.items():
        skipper >> follow.override(task_id=task_id, trigger_rule=rule)(task_id)

    mixed = {
        "nfmos_mixed": "none_failed_min_one_success",
        "one_success_mixed": "one_success",
        "none_skipped_mixed": "none_skipped",
        "one_failed_mixed": "one_failed",
    }
    for task_id, rule in mixed.items():
        [skipper, fine] >> follow.override(task_id=task_id, trigger_rule=rule)(task_id)

    chain(dag.get_task("all_success_after_skip"), follow.override(task_id="chained")("chained"))

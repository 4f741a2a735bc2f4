"""execution_timeout: a task that runs too long fails (and may retry); a cleanup task with
`all_done` still runs, and as the only leaf it decides the run's state."""

import time
from datetime import datetime, timedelta

from airflow.sdk import DAG, task
from corpus_lib.record import record


def on_failure(context):
    record(
        "failure",
        task_id=context["ti"].task_id,
        try_number=context["ti"].try_number,
        error=type(context["exception"]).__name__,
    )


with DAG(
    "corpus_execution_timeout",
    schedule=None,
    start_date=datetime(2024, 1, 1),
    catchup=False,
):

    @task(
        execution_timeout=timedelta(seconds=0.2),
        retries=1,
        retry_delay=0.01,
        on_failure_callback=on_failure,
    )
    def too_slow():
        time.sleep(5)

    @task(execution_timeout=timedelta(seconds=10))
    def quick():
        return "done in time"

    @task(trigger_rule="all_done")
    def cleanup():
        record("cleanup")

    [too_slow(), quick()] >> cleanup()

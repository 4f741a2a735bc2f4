"""Retries: a flaky task that succeeds on its third try, AirflowFailException that stops retrying,
and a task that runs out of retries. Callbacks record the try they saw."""

from datetime import datetime, timedelta

from airflow.sdk import dag, task
from airflow.sdk.exceptions import AirflowFailException
from corpus_lib.record import record


def _callback(event):
    def callback(context):
        ti = context["ti"]
        error = context.get("exception")
        record(
            event,
            task_id=ti.task_id,
            try_number=ti.try_number,
            error=type(error).__name__ if error is not None else None,
        )

    return callback


on_retry = _callback("retry")
on_success = _callback("success")
on_failure = _callback("failure")


@dag(
    schedule=None,
    start_date=datetime(2024, 1, 1),
    catchup=False,
    default_args={"retries": 2, "retry_delay": timedelta(seconds=0.02)},
)
def corpus_retries():
    @task(retries=3, retry_delay=0.02, on_retry_callback=on_retry, on_success_callback=on_success)
    def flaky(ti=None):
        record("attempt", task_id=ti.task_id, try_number=ti.try_number, max_tries=ti.max_tries)
        if ti.try_number < 3:
            raise ConnectionError("the source is busy")
        return ti.try_number

    @task(retries=3, on_retry_callback=on_retry, on_failure_callback=on_failure)
    def fatal():
        raise AirflowFailException("bad input: retrying cannot help")

    @task(on_retry_callback=on_retry, on_failure_callback=on_failure)
    def exhausted(ti=None):
        record("attempt", task_id=ti.task_id, try_number=ti.try_number, max_tries=ti.max_tries)
        raise RuntimeError("still broken")

    @task
    def use(value):
        record("use", value=value)

    use(flaky())
    fatal()
    exhausted()


corpus_retries()

"""Two DAGs in one file: a failing teardown does not fail the run unless it sets
`on_failure_fail_dagrun=True`."""

import pendulum
from airflow.sdk import dag, setup, task, teardown


def _build(dag_id, fail_dagrun):
    @dag(dag_id=dag_id, schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC"))
    def pipeline():
        @setup
        def acquire_lock():
            return "lock-7"

        @task
        def work(lock):
            return f"worked with {lock}"

        @teardown(on_failure_fail_dagrun=fail_dagrun)
        def release_lock(lock):
            raise RuntimeError(f"could not release {lock}")

        lock = acquire_lock()
        work(lock) >> release_lock(lock)

    return pipeline()


_build("corpus_teardown_fails_quietly", fail_dagrun=False)
_build("corpus_teardown_fails_run", fail_dagrun=True)

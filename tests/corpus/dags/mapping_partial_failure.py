"""One map index fails (after its own retry) while the others succeed: the reducing task is
upstream_failed and the run fails; an `all_done` task still runs."""

import pendulum
from airflow.sdk import dag, task
from corpus_lib.record import record


@dag(schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), catchup=False)
def corpus_mapping_partial_failure():
    @task(retries=1, retry_delay=0.01)
    def risky(x, ti=None):
        record("risky", map_index=ti.map_index, try_number=ti.try_number)
        if x == 2:
            raise ValueError("cannot process 2")
        return x * 10

    @task
    def total(values):
        return sum(values)

    @task(trigger_rule="all_done")
    def report():
        return "reported"

    results = risky.expand(x=[1, 2, 3])
    total(results)
    results >> report()


corpus_mapping_partial_failure()

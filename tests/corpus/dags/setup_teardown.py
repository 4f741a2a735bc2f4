"""Setup/teardown with decorators: `with teardown(setup()):` puts the work between them. The
teardown runs after a failure and does not hide it: the run fails."""

import pendulum
from airflow.sdk import dag, setup, task, teardown
from corpus_lib.record import record


@dag(schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), catchup=False)
def corpus_setup_teardown():
    @setup
    def create_cluster():
        record("create")
        return "cluster-1"

    @teardown
    def delete_cluster(cluster_id):
        record("delete", cluster_id=cluster_id)

    @task
    def run_query():
        record("query")

    @task
    def broken_query():
        raise RuntimeError("query failed")

    with delete_cluster(create_cluster()):
        run_query() >> broken_query()


corpus_setup_teardown()

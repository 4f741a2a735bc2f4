"""Mapping over something that is not a list: the task that produced it fails (as Airflow's
XComForMappingNotPushed / UnmappableXComTypePushed) and the mapped task is upstream_failed."""

import pendulum
from airflow.sdk import dag, task


@dag(schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), catchup=False)
def corpus_mapping_bad_input():
    @task
    def forgot_to_return():
        files = ["a.csv", "b.csv"]  # the classic mistake: no return

    @task
    def one_string():
        return "a.csv,b.csv"

    @task
    def load(path):
        return path

    load.expand(path=forgot_to_return())
    load.override(task_id="load_string").expand(path=one_string())


corpus_mapping_bad_input()

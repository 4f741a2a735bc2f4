"""Mapping over nothing: a mapped task with zero elements is one skipped task instance
(map_index -1), and `all_success` tasks downstream of it are skipped too."""

import pendulum
from airflow.sdk import dag, task


@dag(schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), catchup=False)
def corpus_mapping_empty():
    @task
    def list_new_files():
        return []

    @task
    def process(path):
        return path

    @task
    def summarize(paths):
        return len(list(paths))

    @task(trigger_rule="all_done")
    def report():
        return "reported"

    processed = process.expand(path=list_new_files())
    summarize(processed) >> report()
    process.override(task_id="process_literal").expand(path=[])


corpus_mapping_empty()

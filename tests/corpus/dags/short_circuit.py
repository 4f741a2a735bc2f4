"""`@task.short_circuit` with the default `ignore_downstream_trigger_rules=True`: a falsy result
skips everything downstream, even tasks whose trigger rule is `all_done`."""

import pendulum
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import dag, task


@dag(schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), catchup=False)
def corpus_short_circuit():
    @task.short_circuit
    def has_new_data():
        return []

    @task.short_circuit()
    def is_weekday(logical_date=None):
        return logical_date.weekday() < 5

    direct = EmptyOperator(task_id="direct")
    downstream_default = EmptyOperator(task_id="downstream_default")
    downstream_all_done = EmptyOperator(task_id="downstream_all_done", trigger_rule="all_done")
    has_new_data() >> direct >> [downstream_default, downstream_all_done]

    is_weekday() >> EmptyOperator(task_id="weekday_report")


corpus_short_circuit()

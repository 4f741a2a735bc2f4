"""XCom values that are not plain JSON: Airflow 3 stores them with its serde module, so a tuple,
a set and a datetime come back to the consumer with their own types."""

import datetime

import pendulum
from airflow.sdk import dag, task
from corpus_lib.record import record


@dag(schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), catchup=False)
def corpus_xcom_types():
    @task
    def produce():
        return {
            "pair": (1, "a"),
            "tags": {"x"},
            "when": datetime.datetime(2024, 3, 15, 6, 30, tzinfo=datetime.UTC),
            "day": datetime.date(2024, 3, 15),
            "wait": datetime.timedelta(minutes=5),
        }

    @task
    def consume(values):
        record("types", types={key: type(value).__name__ for key, value in values.items()})

    consume(produce())


corpus_xcom_types()

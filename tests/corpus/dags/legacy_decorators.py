"""`airflow.decorators` (deprecated but accepted by Airflow 3) and `@dag` function parameters.

The DAG object is never assigned: calling the decorated function at module level registers it.
"""

from datetime import datetime

from airflow.decorators import dag, task, task_group
from corpus_lib.record import record


@dag(schedule=None, start_date=datetime(2024, 1, 1), catchup=False, params={"region": "eu"})
def corpus_legacy_decorators(batch_size: int = 10, label: str = "default"):
    @task
    def plan(batch_size, label, params=None):
        record("plan", batch_size=batch_size, label=label, region=params["region"])
        return list(range(batch_size // 5))

    @task_group(group_id="process")
    def process(numbers):
        @task
        def double(numbers):
            return [n * 2 for n in numbers]

        @task
        def total(values):
            return sum(values)

        return total(double(numbers))

    @task
    def publish(value):
        record("publish", value=value)

    publish(process(plan(batch_size, label)))


corpus_legacy_decorators()

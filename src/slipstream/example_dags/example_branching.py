"""Branching: choose a path at run time; the others are skipped and a join still runs."""

import pendulum

from slipstream.sdk import DAG, Label, TriggerRule, task
from slipstream.sdk.operators.empty import EmptyOperator

with DAG(
    dag_id="example_branching",
    schedule="@daily",
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    params={"weekend_mode": False},
    tags=["example", "branching"],
):

    @task.branch
    def choose(params=None) -> str:
        return "weekend" if params["weekend_mode"] else "weekday"

    weekday = EmptyOperator(task_id="weekday")
    weekend = EmptyOperator(task_id="weekend")
    join = EmptyOperator(task_id="join", trigger_rule=TriggerRule.NONE_FAILED_MIN_ONE_SUCCESS)

    chosen = choose()
    chosen >> Label("Mon-Fri") >> weekday >> join
    chosen >> Label("Sat-Sun") >> weekend >> join

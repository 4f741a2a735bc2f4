"""What the task instance page's "Why isn't it running?" reads from
`GET .../taskInstances/{task_id}/dependencies`: beyond the trigger rule, pools and the run's state
(tests/api/test_task_instances.py), the DAG's and the task's concurrency limits and the retry
delay of an instance waiting for its next try."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi.testclient import TestClient

from slipstream.db.store import ti_dependencies
from slipstream.sdk import DAG
from slipstream.sdk.operators.empty import EmptyOperator
from tests.scheduler.helpers import START, Harness

TIS = "/api/v2/dags/{dag}/dagRuns/{run}/taskInstances/{task}/dependencies"


def dependencies(client: TestClient, dag: str, run: str, task: str) -> list[dict[str, str]]:
    response = client.get(TIS.format(dag=dag, run=run, task=task))
    assert response.status_code == 200, response.text
    found: list[dict[str, str]] = response.json()["dependencies"]
    return found


def queued_and_waiting(harness: Harness, run_ids: list[str]) -> tuple[str, str]:
    """After a tick, the labels `run/task` of the one queued instance and of the other one."""
    harness.tick()
    states = {
        f"{run}/{task}": state for run in run_ids for task, state in harness.states(run).items()
    }
    queued = sorted(label for label, state in states.items() if state == "queued")
    waiting = sorted(label for label, state in states.items() if state == "scheduled")
    assert len(queued) == 1 and len(waiting) == 1, states
    return queued[0], waiting[0]


def test_the_dags_limit_of_running_tasks(api_harness: Harness, admin_client: TestClient) -> None:
    with DAG("one_at_a_time", schedule=None, start_date=START, max_active_tasks=1) as dag:
        EmptyOperator(task_id="first", priority_weight=2)
        EmptyOperator(task_id="second")
    api_harness.add_dag(dag)
    api_harness.trigger("one_at_a_time", run_id="r1")
    queued, waiting = queued_and_waiting(api_harness, ["r1"])
    assert (queued, waiting) == ("r1/first", "r1/second")
    [found] = dependencies(admin_client, "one_at_a_time", "r1", "second")
    assert found == {
        "name": "Task Instance Slots Available",
        "reason": "The maximum number of running tasks (1) for this task's DAG 'one_at_a_time' "
        "has been reached.",
    }
    assert dependencies(admin_client, "one_at_a_time", "r1", "first") == []
    api_harness.play("first")
    assert dependencies(admin_client, "one_at_a_time", "r1", "second") == []


def test_a_tasks_limits_across_runs_and_within_a_run(
    api_harness: Harness, admin_client: TestClient
) -> None:
    with DAG("serial", schedule=None, start_date=START) as dag:
        EmptyOperator(task_id="only", max_active_tis_per_dag=1)
    api_harness.add_dag(dag)
    api_harness.trigger("serial", run_id="a", logical_date=START)
    api_harness.trigger("serial", run_id="b", logical_date=START + dt.timedelta(days=1))
    _, waiting = queued_and_waiting(api_harness, ["a", "b"])
    run = waiting.split("/")[0]
    assert dependencies(admin_client, "serial", run, "only") == [
        {"name": "Task Concurrency", "reason": "The max task concurrency has been reached."}
    ]

    with DAG("per_run", schedule=None, start_date=START) as dag:
        EmptyOperator.partial(task_id="each", max_active_tis_per_dagrun=1).expand_kwargs([{}, {}])
    api_harness.add_dag(dag)
    api_harness.trigger("per_run", run_id="p1")
    api_harness.tick()
    waiting_index = [
        label for label, state in api_harness.states("p1").items() if state == "scheduled"
    ]
    assert waiting_index, api_harness.states("p1")
    index = waiting_index[0].split("[")[1].rstrip("]")
    response = admin_client.get(
        TIS.format(dag="per_run", run="p1", task="each"), params={"map_index": index}
    )
    assert response.json()["dependencies"] == [
        {"name": "Task Concurrency", "reason": "The max task concurrency per run has been reached."}
    ]


def test_the_retry_delay_of_an_instance_up_for_retry(
    api_harness: Harness, admin_client: TestClient, api_db: Any
) -> None:
    with DAG("patient", schedule=None, start_date=START) as dag:
        EmptyOperator(task_id="retried", retries=1, retry_delay=dt.timedelta(days=365 * 200))
    api_harness.add_dag(dag)
    api_harness.trigger("patient", run_id="r1")
    api_harness.tick()
    assert api_harness.play("retried", "failed")
    assert api_harness.states("r1") == {"retried": "up_for_retry"}
    [found] = dependencies(admin_client, "patient", "r1", "retried")
    assert found["name"] == "Not In Retry Period"
    due = api_harness.clock.now() + dt.timedelta(days=365 * 200)
    assert found["reason"].startswith(
        f"Waiting for its retry delay: the next try may start at {due.isoformat()} (now "
    )
    with api_db.session() as session:
        later = due + dt.timedelta(seconds=1)
        assert ti_dependencies.blocking(session, "patient", "r1", "retried", -1, now=later) == []

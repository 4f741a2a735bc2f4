"""`triggering_asset_events` through the real scheduler: a producer's outlet event (with extra)
triggers a run of the DAG scheduled on that asset, whose task sees the event."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .stack import EngineStack, wait_for, write_dag

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]

PRODUCER = """
    import pendulum
    from airflow.sdk import Asset, dag, task

    DATA = Asset(name="data", uri="s3://bucket/data")

    @dag(schedule=None, start_date=pendulum.datetime(2024, 1, 1), catchup=False)
    def producer():
        @task(outlets=[DATA])
        def produce(outlet_events=None):
            outlet_events[DATA].extra = {"rows": 42, "path": "s3://bucket/data/part-0"}

        produce()

    producer()
"""

CONSUMER = """
    import json
    import pendulum
    from airflow.sdk import Asset, dag, task

    DATA = Asset(name="data", uri="s3://bucket/data")
    OUT = {out}

    @dag(schedule=[DATA], start_date=pendulum.datetime(2024, 1, 1), catchup=False)
    def consumer():
        @task
        def consume(triggering_asset_events=None, dag_run=None):
            seen = []
            for asset, events in triggering_asset_events.items():
                for event in events:
                    seen.append(
                        {
                            "asset": [asset.name, asset.uri],
                            "extra": event.extra,
                            "source_dag_id": event.source_dag_id,
                            "source_task_id": event.source_task_id,
                            "source_run_id": event.source_run_id,
                            "source_dag_run": event.source_dag_run.run_id,
                            "timestamp": event.timestamp.isoformat(),
                        }
                    )
            by_key = [e.extra for e in triggering_asset_events[DATA]]
            by_uri = [e.extra for e in triggering_asset_events["s3://bucket/data"]]
            assert by_key == by_uri == [event["extra"] for event in seen]
            with open(OUT, "w") as handle:
                json.dump({"run_type": dag_run.run_type, "events": seen}, handle)

        consume()

    consumer()
"""


def test_an_asset_triggered_run_sees_its_triggering_events(
    stack: EngineStack, tmp_path: Path
) -> None:
    out = tmp_path / "seen.json"
    write_dag(stack.dags_folder, "producer", PRODUCER)
    write_dag(stack.dags_folder, "consumer", CONSUMER, out=str(out))
    stack.start("standalone")
    stack.wait_parsed("producer", "consumer")
    produced = stack.trigger("producer", "produce_once")
    assert stack.wait_run("producer", produced) == "success"

    def consumer_run() -> str | None:
        rows = stack.query(
            "SELECT run_id, state FROM dag_run WHERE dag_id = 'consumer' "
            "AND run_type = 'asset_triggered'"
        )
        return rows[0][0] if rows and rows[0][1] in ("success", "failed") else None

    run_id = wait_for(consumer_run, 30, "the asset-triggered run to end", stack)
    assert stack.run_state("consumer", run_id) == "success", stack.output()[-4000:]
    seen = json.loads(out.read_text())
    assert seen["run_type"] == "asset_triggered"
    [event] = seen["events"]
    assert event["asset"] == ["data", "s3://bucket/data"]
    assert event["extra"] == {"rows": 42, "path": "s3://bucket/data/part-0"}
    assert (event["source_dag_id"], event["source_task_id"]) == ("producer", "produce")
    assert event["source_run_id"] == event["source_dag_run"] == produced
    assert event["timestamp"]

"""A scheduled run whose logical date another run already took is skipped, not retried forever."""

from __future__ import annotations

import datetime as dt

from slipstream.core.clock import FakeClock
from slipstream.db.engine import Database
from slipstream.sdk import DAG
from slipstream.sdk.operators.empty import EmptyOperator

from .helpers import START, Harness


def test_next_run_moves_past_a_logical_date_a_manual_run_took(any_db: Database) -> None:
    h = Harness(any_db, clock=FakeClock(START + dt.timedelta(days=1, hours=12)))
    with DAG("taken", schedule="@daily", start_date=START, catchup=True) as dag:
        EmptyOperator(task_id="a")
    h.add_dag(dag, paused=True)
    h.trigger("taken", logical_date=START, run_id="by_hand")
    h.set_paused("taken", False)
    h.tick()
    runs = {r.run_id: r.logical_date for r in h.runs("taken")}
    assert runs["by_hand"] == START
    assert sorted(runs.values()) == [START, START + dt.timedelta(days=1)]
    assert len(runs) == 2

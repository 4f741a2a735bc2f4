"""The loop ticks, then waits on the executor's events; its wait follows what is due next."""

from __future__ import annotations

import datetime as dt
import threading

from slipstream.core.clock import FakeClock
from slipstream.db.engine import Database
from slipstream.db.models import Job
from slipstream.scheduler import SchedulerSettings, TickResult, run_forever
from slipstream.sdk import DAG
from slipstream.sdk.operators.empty import EmptyOperator

from .helpers import START, Harness


def test_run_forever_ticks_waits_and_cleans_up(sqlite_harness: Harness) -> None:
    h = sqlite_harness
    ticks = run_forever(h.scheduler, num_runs=3)
    assert ticks == 3
    assert h.executor.started and h.executor.ended
    assert h.executor.waits == [1.0, 1.0, 1.0]  # idle: the idle sleep time each
    with h.db.session() as session:
        job = session.query(Job).one()
    assert (job.job_type, job.state) == ("scheduler", "success")


def test_run_forever_stops_when_asked(sqlite_harness: Harness) -> None:
    stop = threading.Event()
    stop.set()
    assert run_forever(sqlite_harness.scheduler, stop=stop) == 0
    assert sqlite_harness.executor.ended


def test_idle_timeout_follows_the_next_due_retry(sqlite_harness: Harness) -> None:
    h = sqlite_harness
    with DAG("retry_soon", schedule=None, start_date=START) as dag:
        EmptyOperator(task_id="a", retries=1, retry_delay=dt.timedelta(seconds=0.25))
    h.add_dag(dag)
    h.trigger("retry_soon")
    h.tick()
    h.play("a", "failed")
    result = h.tick()
    assert h.scheduler.idle_timeout(result) == 0.25
    assert h.scheduler.idle_timeout(TickResult(more_work=True)) == 0.0


def test_idle_timeout_follows_the_next_scheduled_run(any_db: Database) -> None:
    clock = FakeClock(START - dt.timedelta(seconds=2))
    h = Harness(any_db, clock=clock, settings=SchedulerSettings(idle_sleep=5.0))
    with DAG("soon", schedule="@daily", start_date=START) as dag:
        EmptyOperator(task_id="a")
    h.add_dag(dag)
    result = h.tick()
    assert h.scheduler.idle_timeout(result) == 2.0


def test_a_finished_try_wakes_its_downstream_in_one_tick(sqlite_harness: Harness) -> None:
    h = sqlite_harness
    with DAG("quick", schedule=None, start_date=START) as dag:
        EmptyOperator(task_id="a") >> EmptyOperator(task_id="b")
    h.add_dag(dag)
    h.trigger("quick")
    h.tick()
    h.play("a")
    result = h.tick()
    assert result.events == 1
    assert h.executor.pending_tasks() == ["b"]

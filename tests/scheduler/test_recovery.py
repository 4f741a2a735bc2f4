"""Lost work comes back: dead workers, unclaimed workloads, a killed scheduler, two schedulers."""

from __future__ import annotations

import datetime as dt
import threading

import pytest

from slipstream.core.clock import FakeClock
from slipstream.db.engine import Database
from slipstream.db.store import execution
from slipstream.sdk import DAG
from slipstream.sdk.operators.empty import EmptyOperator

from .helpers import START, FakeExecutor, Harness


def small_dag(dag_id: str = "small", **task_kwargs: object) -> DAG:
    with DAG(dag_id, schedule=None, start_date=START) as dag:
        EmptyOperator(task_id="a", **task_kwargs) >> EmptyOperator(task_id="b")  # type: ignore[arg-type]
    return dag


def test_a_try_without_heartbeat_is_retried_by_policy(harness: Harness) -> None:
    harness.add_dag(small_dag(retries=1, retry_delay=dt.timedelta(seconds=5)))
    run_id = harness.trigger("small")
    harness.tick()
    first = harness.executor.workloads[0]
    assert harness.claim(first)
    harness.executor.pending.clear()  # the worker died with the try
    harness.clock.advance(harness.settings.ti_heartbeat_timeout - 1)
    harness.tick()
    assert harness.states(run_id)["a"] == "running"
    harness.clock.advance(harness.settings.ti_heartbeat_check_interval + 2)
    result = harness.tick()
    assert result.tis_reset == 1
    assert harness.states(run_id)["a"] == "up_for_retry"
    harness.clock.advance(5)
    harness.tick()
    assert harness.executor.workloads[-1].try_number == 2
    harness.run_to_end()
    assert harness.run(run_id).state == "success"


def test_an_unclaimed_workload_is_queued_again(harness: Harness) -> None:
    harness.add_dag(small_dag())
    run_id = harness.trigger("small")
    harness.tick()
    lost = harness.executor.workloads[0]
    harness.executor.pending.clear()  # handed over, never started
    harness.clock.advance(harness.settings.queued_timeout + 1)
    harness.tick()
    again = harness.executor.workloads[-1]
    assert (again.ti_id, again.try_number) == (lost.ti_id, lost.try_number)
    assert again.queue_token != lost.queue_token
    assert not harness.claim(lost)  # the stale workload can never start the try
    harness.run_to_end()
    assert harness.run(run_id).state == "success"


def test_restarted_scheduler_takes_over_what_a_killed_one_left(any_db: Database) -> None:
    clock = FakeClock(START)
    first = Harness(any_db, clock=clock)
    with DAG("wide", schedule=None, start_date=START) as dag:
        for name in ("running", "queued"):
            EmptyOperator(task_id=name)
    first.add_dag(dag)
    run_id = first.trigger("wide")
    first.tick()
    by_task = {w.task_id: w for w in first.executor.workloads}
    assert first.claim(by_task["running"])  # a supervisor started this one
    # the scheduler is killed (no stop()); a new one starts after its heartbeat went stale
    clock.advance(first.settings.health_check_threshold + 1)
    with any_db.begin() as session:
        execution.heartbeat(session, by_task["running"].ti_id, 1, now=clock.now())
    second = Harness(any_db, clock=clock, executor=FakeExecutor())
    second.tick()
    assert [w.task_id for w in second.executor.workloads] == ["queued"]
    assert not first.claim(by_task["queued"])  # the old workload is refused
    assert first.states(run_id)["running"] == "running"  # adopted, left alone
    first.finish(by_task["running"])  # its supervisor outlived the scheduler
    second.run_to_end()
    assert second.run(run_id).state == "success"
    tries = [(w.ti_id, w.try_number) for w in second.executor.workloads]
    assert len(tries) == len(set(tries))


def test_a_scheduler_restarted_at_once_takes_over_once_the_dead_one_goes_stale(
    any_db: Database,
) -> None:
    clock = FakeClock(START)
    first = Harness(any_db, clock=clock)
    first.add_dag(small_dag())
    run_id = first.trigger("small")
    first.tick()
    [lost] = first.executor.workloads  # queued, never handed to a worker: then kill -9
    second = Harness(any_db, clock=clock, executor=FakeExecutor())
    second.tick()  # the dead scheduler still counts as alive: its queued TI is left alone
    assert second.executor.workloads == []
    clock.advance(second.settings.health_check_threshold + 1)
    second.tick()
    assert second.settings.health_check_threshold < second.settings.queued_timeout
    [again] = second.executor.workloads
    assert (again.ti_id, again.try_number) == (lost.ti_id, lost.try_number)
    assert not first.claim(lost)
    second.run_to_end()
    assert second.run(run_id).state == "success"


def test_a_live_schedulers_queued_work_is_left_alone(any_db: Database) -> None:
    clock = FakeClock(START)
    first = Harness(any_db, clock=clock)
    first.add_dag(small_dag())
    first.trigger("small")
    first.tick()
    token = first.executor.workloads[0].queue_token
    second = Harness(any_db, clock=clock, executor=FakeExecutor())
    second.tick()
    assert second.executor.workloads == []
    assert first.ti(first.executor.workloads[0].ti_id).queue_token == token


@pytest.mark.parametrize("width", [30])
def test_two_schedulers_never_queue_the_same_try_twice(any_db: Database, width: int) -> None:
    clock = FakeClock(START)
    schedulers = [
        Harness(any_db, clock=clock, executor=FakeExecutor(parallelism=8)) for _ in range(2)
    ]
    with DAG("shared", schedule=None, start_date=START, max_active_tasks=64) as dag:
        for i in range(width):
            EmptyOperator(task_id=f"t{i}") >> EmptyOperator(task_id=f"u{i}")
    schedulers[0].add_dag(dag)
    run_ids = [
        schedulers[0].trigger("shared", logical_date=START + dt.timedelta(days=d)) for d in range(3)
    ]
    errors: list[BaseException] = []

    def work(h: Harness) -> None:
        try:
            for _ in range(300):
                h.tick()
                for workload in list(h.executor.pending.values()):
                    h.finish(workload)
                if all(h.run(r).state == "success" for r in run_ids):
                    return
        except BaseException as err:  # reported by the main thread
            errors.append(err)

    threads = [threading.Thread(target=work, args=(h,)) for h in schedulers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert all(schedulers[0].run(r).state == "success" for r in run_ids)
    tries = [(w.ti_id, w.try_number) for h in schedulers for w in h.executor.workloads]
    assert len(tries) == 3 * 2 * width
    assert len(set(tries)) == len(tries)
    assert all(h.executor.workloads for h in schedulers)  # both did part of the work

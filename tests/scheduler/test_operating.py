"""What operators do and the scheduler honours: timeouts, depends_on_past, clear, marking."""

from __future__ import annotations

import datetime as dt

from slipstream.core.clock import FakeClock
from slipstream.core.trigger_rule import TriggerRule
from slipstream.db.engine import Database
from slipstream.db.models import TaskInstance, TaskInstanceHistory
from slipstream.db.store import ti_clearing, ti_marking
from slipstream.sdk import DAG
from slipstream.sdk.operators.empty import EmptyOperator

from .helpers import START, Harness


def notify(context: object) -> None:
    pass


def test_dagrun_timeout_fails_the_run_and_skips_what_is_left(harness: Harness) -> None:
    with DAG(
        "slow",
        schedule=None,
        start_date=START,
        dagrun_timeout=dt.timedelta(minutes=1),
        on_failure_callback=notify,
    ) as dag:
        EmptyOperator(task_id="a") >> EmptyOperator(task_id="b")
    harness.add_dag(dag)
    run_id = harness.trigger("slow")
    harness.tick()
    assert harness.claim(harness.executor.workloads[0])
    harness.clock.advance(59)
    harness.tick()
    assert harness.run(run_id).state == "running"
    harness.clock.advance(2)
    harness.tick()
    run = harness.run(run_id)
    assert run.state == "failed"
    assert harness.states(run_id) == {"a": "skipped", "b": "skipped"}
    assert [(c.kind, c.reason) for c in harness.executor.callbacks] == [
        ("on_failure_callback", "timed_out")
    ]


def test_depends_on_past_waits_for_the_previous_run(any_db: Database) -> None:
    h = Harness(any_db, clock=FakeClock(START + dt.timedelta(days=1, hours=1)))
    with DAG("history", schedule="@daily", start_date=START, catchup=True) as dag:
        EmptyOperator(task_id="first") >> EmptyOperator(task_id="careful", depends_on_past=True)
    h.add_dag(dag)
    h.tick()
    day1, day2 = (r.run_id for r in h.runs("history"))
    assert sorted(h.executor.pending_tasks()) == ["first", "first"]
    for workload in list(h.executor.pending.values()):
        if workload.run_id == day2:
            h.finish(workload)
    h.tick()
    # day 2's careful waits: day 1's careful has not succeeded yet
    assert h.states(day2)["careful"] is None
    h.play("first")  # day 1
    h.tick()
    assert h.states(day1)["careful"] == "queued"
    assert h.states(day2)["careful"] is None
    h.play("careful")
    h.tick()
    assert h.states(day2)["careful"] == "queued"
    h.run_to_end()
    assert {r.state for r in h.runs("history")} == {"success"}


def test_depends_on_past_after_a_failure_waits(any_db: Database) -> None:
    h = Harness(any_db, clock=FakeClock(START + dt.timedelta(days=1, hours=1)))
    with DAG("strict", schedule="@daily", start_date=START, catchup=True) as dag:
        EmptyOperator(task_id="only", depends_on_past=True)
    h.add_dag(dag)
    h.tick()
    day1, day2 = (r.run_id for r in h.runs("strict"))
    assert h.executor.pending_tasks() == ["only"]  # the first run ignores depends_on_past
    h.play("only", "failed")
    h.tick(2)
    assert h.run(day1).state == "failed"
    assert h.states(day2) == {"only": None}
    assert h.run(day2).state == "running"  # waiting on the past is not a deadlock


def test_clear_reruns_a_task_and_its_downstream(harness: Harness) -> None:
    with DAG("clearable", schedule=None, start_date=START) as dag:
        a = EmptyOperator(task_id="a", retries=1)
        b = EmptyOperator(task_id="b", retries=2)
        c = EmptyOperator(task_id="c")
        side = EmptyOperator(task_id="side", trigger_rule=TriggerRule.ALL_DONE)
        a >> b >> c
        a >> side
    harness.add_dag(dag)
    run_id = harness.trigger("clearable")
    harness.run_to_end()
    assert harness.run(run_id).state == "success"
    with harness.db.begin() as session:
        cleared = ti_clearing.clear(
            session, "clearable", ["b"], run_ids=[run_id], downstream=True, now=harness.clock.now()
        )
    assert sorted(c.task_id for c in cleared) == ["b", "c"]
    run = harness.run(run_id)
    assert (run.state, run.clear_number) == ("queued", 1)
    assert harness.states(run_id) == {"a": "success", "b": None, "c": None, "side": "success"}
    with harness.db.session() as session:
        b_ti = session.query(TaskInstance).filter_by(run_id=run_id, task_id="b").one()
        assert (b_ti.try_number, b_ti.max_tries) == (1, 3)  # budget: try_number + retries
        tries = session.query(TaskInstanceHistory).filter_by(task_id="b").count()
        assert tries == 1

    played = harness.run_to_end()
    assert played == ["b", "c"]
    assert harness.executor.workloads[-2].try_number == 2
    assert harness.run(run_id).state == "success"


def test_clear_only_failed(harness: Harness) -> None:
    with DAG("partly_failed", schedule=None, start_date=START) as dag:
        EmptyOperator(task_id="ok")
        EmptyOperator(task_id="broken") >> EmptyOperator(task_id="after")
    harness.add_dag(dag)
    run_id = harness.trigger("partly_failed")
    harness.run_to_end({"broken": "failed"})
    with harness.db.begin() as session:
        cleared = ti_clearing.clear(
            session,
            "partly_failed",
            ["ok", "broken", "after"],
            run_ids=[run_id],
            only_failed=True,
            now=harness.clock.now(),
        )
    assert sorted(c.task_id for c in cleared) == ["after", "broken"]
    harness.run_to_end()
    assert harness.run(run_id).state == "success"


def test_clearing_a_running_task_waits_for_its_try_to_stop(harness: Harness) -> None:
    with DAG("busy", schedule=None, start_date=START) as dag:
        EmptyOperator(task_id="long")
    harness.add_dag(dag)
    run_id = harness.trigger("busy")
    harness.tick()
    first = harness.executor.workloads[0]
    assert harness.claim(first)
    with harness.db.begin() as session:
        ti_clearing.clear(session, "busy", ["long"], run_ids=[run_id], now=harness.clock.now())
    assert harness.states(run_id) == {"long": "restarting"}
    harness.executor.pending.clear()  # the supervisor saw it and stopped the task
    harness.clock.advance(harness.settings.ti_heartbeat_check_interval + 10)
    harness.tick()
    assert harness.states(run_id) == {"long": "queued"}
    assert harness.executor.workloads[-1].try_number == 2


def test_mark_success_moves_the_run_on(harness: Harness) -> None:
    with DAG("marked", schedule=None, start_date=START) as dag:
        EmptyOperator(task_id="a") >> EmptyOperator(task_id="b")
    harness.add_dag(dag)
    run_id = harness.trigger("marked")
    harness.tick()
    with harness.db.begin() as session:
        changed = ti_marking.mark_state(
            session, "marked", run_id, ["a"], "success", downstream=True, now=harness.clock.now()
        )
    assert len(changed) == 2
    harness.executor.pending.clear()
    harness.tick()
    assert harness.run(run_id).state == "success"

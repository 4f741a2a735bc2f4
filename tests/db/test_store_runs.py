"""The run and task-instance stores: creating runs, bulk state changes, queueing, clearing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select

from slipstream.core.exceptions import ParamValidationError
from slipstream.db.engine import Database
from slipstream.db.models import DagRun, TaskInstance, TaskInstanceHistory
from slipstream.db.store import dags as dag_store
from slipstream.db.store import runs, serialized_dags, ti_clearing, ti_marking, ti_queueing
from slipstream.db.store import task_instances as tis
from slipstream.sdk import DAG, Param
from slipstream.sdk.operators.empty import EmptyOperator
from slipstream.serialization import dag_hash, serialize_dag

NOW = dt.datetime(2024, 3, 1, 12, tzinfo=dt.UTC)
START = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


def store_dag(db: Database, dag: Any) -> int:
    data = serialize_dag(dag)
    with db.begin() as session:
        dag_store.add_dag_model(session, dag.dag_id, is_paused=False)
        return serialized_dags.add_version(
            session,
            dag_id=dag.dag_id,
            data=data,
            dag_hash=dag_hash(data),
            fileloc="",
            version_number=1,
            now=NOW,
        )


def diamond(**params: Any) -> DAG:
    with DAG("diamond", schedule=None, start_date=START, params=params) as dag:
        top = EmptyOperator(task_id="top", retries=2, pool="p", queue="q")
        left, right = EmptyOperator(task_id="left"), EmptyOperator(task_id="right")
        bottom = EmptyOperator(task_id="bottom")
        top >> [left, right] >> bottom
    return dag


def trigger(db: Database, **kwargs: Any) -> DagRun:
    with db.begin() as session:
        return runs.trigger_run(session, "diamond", now=NOW, **kwargs)


def ti_rows(db: Database, run_id: str) -> dict[str, TaskInstance]:
    with db.session() as session:
        rows = session.scalars(select(TaskInstance).where(TaskInstance.run_id == run_id))
        return {t.task_id: t for t in rows}


def set_states(db: Database, run_id: str, **states: str | None) -> None:
    rows = ti_rows(db, run_id)
    with db.begin() as session:
        for task_id, state in states.items():
            tis.set_state(session, [rows[task_id].id], state, now=NOW)  # type: ignore[arg-type]


def test_trigger_creates_a_queued_run_and_one_ti_per_task(any_db: Database) -> None:
    store_dag(any_db, diamond())
    run = trigger(any_db, conf={"x": 1})
    assert run.run_id == "manual__2024-03-01T12:00:00+00:00"
    assert (run.state, run.run_type, run.queued_at, run.conf) == ("queued", "manual", NOW, {"x": 1})
    assert run.logical_date == run.data_interval_start == run.data_interval_end == NOW
    rows = ti_rows(any_db, run.run_id)
    assert sorted(rows) == ["bottom", "left", "right", "top"]
    top = rows["top"]
    assert (top.map_index, top.state, top.try_number, top.max_tries) == (-1, None, 0, 2)
    assert (top.pool, top.queue) == ("p", "q")
    weights = {t: r.priority_weight for t, r in rows.items()}
    assert weights == {"top": 4, "left": 2, "right": 2, "bottom": 1}


def test_trigger_validates_conf(any_db: Database) -> None:
    store_dag(any_db, diamond(size=Param(type="integer")))
    with pytest.raises(ParamValidationError, match="size"):
        trigger(any_db)
    with pytest.raises(ParamValidationError, match="size"):
        trigger(any_db, conf={"size": "x"})
    assert trigger(any_db, conf={"size": 2}).conf == {"size": 2}


def test_list_runs_and_run_to_dict(any_db: Database) -> None:
    store_dag(any_db, diamond())
    for day in range(3):
        trigger(any_db, logical_date=START + dt.timedelta(days=day))
    with any_db.begin() as session:
        all_runs = runs.list_runs(session, "diamond")
        assert [r.logical_date.day for r in all_runs] == [3, 2, 1]  # type: ignore[union-attr]
        runs.set_run_state(session, all_runs[0], "failed", now=NOW)
        failed = runs.list_runs(session, "diamond", states=["failed"])
        assert [r.run_id for r in failed] == [all_runs[0].run_id]
        assert runs.list_runs(session, "diamond", limit=1, offset=1)[0].id == all_runs[1].id
        data = runs.run_to_dict(runs.get_run(session, "diamond", failed[0].run_id))  # type: ignore[arg-type]
    assert data["state"] == "failed" and data["end_date"] == NOW.isoformat()
    assert data["logical_date"] == "2024-01-03T00:00:00+00:00"


def test_mark_run_success_and_failed(any_db: Database) -> None:
    store_dag(any_db, diamond())
    first = trigger(any_db, logical_date=START)
    second = trigger(any_db, logical_date=START + dt.timedelta(days=1))
    set_states(any_db, first.run_id, top="success", left="running")
    set_states(any_db, second.run_id, top="success", left="running")
    with any_db.begin() as session:
        runs.mark_run(session, first, "success", now=NOW)
        runs.mark_run(session, second, "failed", now=NOW)
    assert {t: r.state for t, r in ti_rows(any_db, first.run_id).items()} == dict.fromkeys(
        ("top", "left", "right", "bottom"), "success"
    )
    assert {t: r.state for t, r in ti_rows(any_db, second.run_id).items()} == {
        "top": "success", "left": "failed", "right": "skipped", "bottom": "skipped",
    }  # fmt: skip


def test_bulk_changes_are_guarded_by_state(any_db: Database) -> None:
    store_dag(any_db, diamond())
    run = trigger(any_db)
    ids = [r.id for r in ti_rows(any_db, run.run_id).values()]
    with any_db.begin() as session:
        assert tis.schedule(session, ids, now=NOW) == 4
        assert tis.schedule(session, ids, now=NOW) == 0  # only TIs without a state
        queued = ti_queueing.queue(session, ids[:2], "7:abc", now=NOW)
        assert queued == set(ids[:2])
        assert ti_queueing.queue(session, ids[:2], "8:def", now=NOW) == set()  # already queued
        changed = tis.set_state(session, ids, "failed", now=NOW, from_states=["scheduled"])
        assert changed == 2
    rows = {r.id: r for r in ti_rows(any_db, run.run_id).values()}
    assert {rows[i].state for i in ids[:2]} == {"queued"}
    assert {rows[i].queue_token for i in ids[:2]} == {"7:abc"}
    assert {rows[i].try_number for i in ids} == {1}
    assert {rows[i].state for i in ids[2:]} == {"failed"}
    assert all(rows[i].end_date == NOW for i in ids[2:])


def test_retries_and_reschedules_become_due(any_db: Database) -> None:
    store_dag(any_db, diamond())
    run = trigger(any_db)
    rows = ti_rows(any_db, run.run_id)
    with any_db.begin() as session:
        for task_id, state in (("top", "up_for_retry"), ("left", "up_for_reschedule")):
            tis.set_state(session, [rows[task_id].id], state, now=NOW)
            session.query(TaskInstance).filter_by(id=rows[task_id].id).update(
                {"next_try_at": NOW + dt.timedelta(seconds=10), "try_number": 1}
            )
        assert tis.next_try_due(session) == NOW + dt.timedelta(seconds=10)
        assert tis.retries_due(session, now=NOW) == 0
        assert tis.retries_due(session, now=NOW + dt.timedelta(seconds=10)) == 2
    after = ti_rows(any_db, run.run_id)
    assert (after["top"].state, after["top"].try_number) == ("scheduled", 2)
    assert (after["left"].state, after["left"].try_number) == ("scheduled", 1)


def test_clear_upstream_resets_budget_and_keeps_history(any_db: Database) -> None:
    store_dag(any_db, diamond())
    run = trigger(any_db)
    rows = ti_rows(any_db, run.run_id)
    with any_db.begin() as session:
        tis.schedule(session, [r.id for r in rows.values()], now=NOW)
        for r in rows.values():
            tis.set_state(session, [r.id], "success", now=NOW)
        runs.set_run_state(session, run, "success", now=NOW)
    with any_db.begin() as session:
        preview = ti_clearing.clear(
            session, "diamond", ["left"], upstream=True, now=NOW, dry_run=True
        )
        assert sorted(c.task_id for c in preview) == ["left", "top"]
    assert ti_rows(any_db, run.run_id)["left"].state == "success"  # dry run changed nothing
    with any_db.begin() as session:
        cleared = ti_clearing.clear(session, "diamond", ["left"], upstream=True, now=NOW)
        assert {(c.task_id, c.state) for c in cleared} == {("left", "success"), ("top", "success")}
        history = session.scalars(select(TaskInstanceHistory.task_id)).all()
        assert sorted(history) == ["left", "top"]
        again = session.get(DagRun, run.id)
        assert again is not None
        assert (again.state, again.clear_number, again.needs_scheduling) == ("queued", 1, True)
    after = ti_rows(any_db, run.run_id)
    assert (after["top"].state, after["top"].try_number, after["top"].max_tries) == (None, 1, 3)
    assert (after["left"].state, after["left"].max_tries) == (None, 1)
    assert after["right"].state == "success"


def test_mark_state_with_downstream(any_db: Database) -> None:
    store_dag(any_db, diamond())
    run = trigger(any_db)
    with any_db.begin() as session:
        changed = ti_marking.mark_state(
            session, "diamond", run.run_id, ["left"], "failed", downstream=True, now=NOW
        )
    assert len(changed) == 2
    states = {t: r.state for t, r in ti_rows(any_db, run.run_id).items()}
    assert states == {"top": None, "left": "failed", "right": None, "bottom": "failed"}


def test_orphaned_and_stuck_queued_tis_go_back(any_db: Database) -> None:
    store_dag(any_db, diamond())
    run = trigger(any_db)
    rows = ti_rows(any_db, run.run_id)
    with any_db.begin() as session:
        tis.schedule(session, [rows["top"].id, rows["left"].id, rows["right"].id], now=NOW)
        ti_queueing.queue(session, [rows["top"].id], "1:aaa", now=NOW)
        ti_queueing.queue(session, [rows["left"].id], "2:bbb", now=NOW - dt.timedelta(hours=1))
        assert ti_queueing.reset_orphaned_queued(session, {1}, owner=3, now=NOW) == 1
        assert (
            ti_queueing.requeue_stuck(
                session, queued_before=NOW - dt.timedelta(minutes=10), owner=3, now=NOW
            )
            == 0
        )
        assert (
            ti_queueing.requeue_stuck(
                session, queued_before=NOW + dt.timedelta(1), owner=3, now=NOW
            )
            == 1
        )
    after = ti_rows(any_db, run.run_id)
    assert after["left"].state == "scheduled" and after["left"].queue_token.startswith("3:")  # type: ignore[union-attr]
    assert after["top"].state == "scheduled"

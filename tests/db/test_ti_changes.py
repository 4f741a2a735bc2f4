"""`task_instance.changed`: every write of a TI row flags it, the scheduler's look clears it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import event, select, update

from slipstream.db.engine import Database
from slipstream.db.models import TaskInstance
from slipstream.db.store import execution, ti_changes, ti_marking, ti_queueing
from slipstream.db.store import task_instances as tis

from .test_store_runs import NOW, diamond, store_dag, ti_rows, trigger


def _flagged(db: Database, run_id: int) -> set[str]:
    with db.session() as session:
        rows = session.scalars(
            select(TaskInstance.task_id).where(
                TaskInstance.dag_run_id == run_id, TaskInstance.changed.is_(True)
            )
        )
        return set(rows)


def _take(db: Database, run_id: int) -> set[str]:
    with db.begin() as session:
        return {ti.task_id for ti in ti_changes.take_changes(session, [run_id])}


def test_new_rows_are_changed_and_a_look_clears_them(any_db: Database) -> None:
    store_dag(any_db, diamond())
    run = trigger(any_db)
    assert _flagged(any_db, run.id) == {"top", "left", "right", "bottom"}
    assert _take(any_db, run.id) == {"top", "left", "right", "bottom"}
    assert _flagged(any_db, run.id) == set()
    assert _take(any_db, run.id) == set()


def test_every_kind_of_write_flags_the_row(any_db: Database) -> None:
    store_dag(any_db, diamond())
    run = trigger(any_db)
    _take(any_db, run.id)
    rows = ti_rows(any_db, run.run_id)
    with any_db.begin() as session:  # a bulk UPDATE statement
        tis.set_state(session, [rows["bottom"].id], "queued", now=NOW)
    with any_db.begin() as session:  # an ORM object changed and flushed
        ti = session.get(TaskInstance, rows["left"].id)
        assert ti is not None
        ti.note = "a note"
    with any_db.begin() as session:  # a statement with bound parameters
        session.execute(
            update(TaskInstance).where(TaskInstance.id == rows["right"].id).values(pool="p2")
        )
    assert _flagged(any_db, run.id) == {"bottom", "left", "right"}
    _take(any_db, run.id)
    with any_db.begin() as session:  # a worker's claim, heartbeat and end of try
        tis.schedule(session, [rows["top"].id], now=NOW)
        ti_queueing.queue(session, [rows["top"].id], "job:1", now=NOW)
    assert _take(any_db, run.id) == {"top"}  # queueing is no scheduler memory: flagged
    with any_db.begin() as session:
        claimed = execution.claim_try(
            session, ti_id=rows["top"].id, try_number=1, queue_token="job:1", hostname="h",
            pid=1, now=NOW,
        )  # fmt: skip
        assert isinstance(claimed, execution.ClaimedTry)
    assert _take(any_db, run.id) == {"top"}
    with any_db.begin() as session:
        assert execution.heartbeat(session, rows["top"].id, 1, now=NOW)
    assert _take(any_db, run.id) == {"top"}
    with any_db.begin() as session:  # a user's note
        ti_marking.set_notes(session, [rows["bottom"].id], "why")
    assert _take(any_db, run.id) == {"bottom"}


def test_the_schedulers_own_writes_leave_no_flag(any_db: Database) -> None:
    store_dag(any_db, diamond())
    run = trigger(any_db)
    _take(any_db, run.id)
    rows = ti_rows(any_db, run.run_id)
    now = NOW + dt.timedelta(seconds=1)
    with any_db.begin() as session:
        assert tis.schedule(session, [rows["top"].id], now=now) == 1
        assert tis.settle(session, [rows["left"].id], "skipped", now=now) == 1
        tis.set_state(session, [rows["right"].id], "skipped", now=now, flag_change=False)
    assert _flagged(any_db, run.id) == set()


def test_looks_and_id_keyed_writes_use_the_right_index_on_sqlite(sqlite_db: Database) -> None:
    """The look reads the partial index of flagged rows; updates by id and expected state find
    rows by primary key, not by walking every TI in that state."""
    store_dag(sqlite_db, diamond())
    run = trigger(sqlite_db)
    ids = [ti.id for ti in ti_rows(sqlite_db, run.run_id).values()]
    seen: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, params: Any, *args: Any) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "UPDATE")):
            seen.append((statement, params))

    event.listen(sqlite_db.engine, "before_cursor_execute", record)
    try:
        with sqlite_db.begin() as session:
            ti_changes.take_changes(session, [run.id])
            tis.schedule(session, ids, now=NOW)
            ti_queueing.queue(session, ids, "job:1", now=NOW)
    finally:
        event.remove(sqlite_db.engine, "before_cursor_execute", record)
    with sqlite_db.begin() as session:
        plans = {
            statement: " ".join(
                row[3]
                for row in session.connection().exec_driver_sql(
                    f"EXPLAIN QUERY PLAN {statement}", params
                )
            )
            for statement, params in seen
        }
    look = [plan for sql, plan in plans.items() if "changed IS 1" in sql and "SELECT" in sql]
    assert look and all("ix_task_instance_changed" in plan for plan in look), plans
    writes = [
        plan for sql, plan in plans.items() if sql.startswith("UPDATE task_instance SET state")
    ]
    assert len(writes) == 2, plans
    for plan in writes:
        assert "PRIMARY KEY" in plan and "queueing_order" not in plan, plan

"""A tick's SQL grows with what changed, not with how many task instances exist."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from slipstream.db.engine import Database
from slipstream.sdk import DAG
from slipstream.sdk.operators.empty import EmptyOperator

from .helpers import START, FakeExecutor, Harness


@contextmanager
def statements(db: Database) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement.split()[0].upper())

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def statements_for_fan_out(db: Database, width: int) -> tuple[int, int]:
    """SQL statements of the tick that schedules and queues `width` tasks, and of an idle tick."""
    h = Harness(db, executor=FakeExecutor(parallelism=1000))
    with DAG(f"fan_{width}", schedule=None, start_date=START, max_active_tasks=1000) as dag:
        start = EmptyOperator(task_id="start")
        for i in range(width):
            start >> EmptyOperator(task_id=f"t{i}")
    h.add_dag(dag)
    h.trigger(dag.dag_id)
    h.tick()
    h.play("start")
    with statements(db) as busy:
        h.tick()
    assert len(h.executor.pending) == width
    with statements(db) as idle:
        h.tick()
    return len(busy), len(idle)


def test_statements_per_tick_do_not_grow_with_width(sqlite_db: Database) -> None:
    narrow = statements_for_fan_out(sqlite_db, 5)
    wide = statements_for_fan_out(sqlite_db, 120)
    assert narrow == wide
    busy, idle = wide
    assert busy < 40
    assert idle < 20


def test_an_idle_tick_does_not_read_finished_runs(sqlite_db: Database) -> None:
    h = Harness(sqlite_db)
    with DAG("done", schedule=None, start_date=START) as dag:
        for i in range(50):
            EmptyOperator(task_id=f"t{i}")
    h.add_dag(dag)
    for day in range(5):
        h.trigger("done", run_id=f"r{day}", logical_date=START.replace(day=day + 1))
    h.run_to_end()
    with statements(sqlite_db) as seen:
        result = h.tick()
    assert result.runs_examined == 0
    assert not result.did_work
    assert len(seen) < 20


def test_queueing_reads_candidates_in_index_order_without_sorting(sqlite_db: Database) -> None:
    """However many TIs are scheduled, a queueing step reads the first few from the
    queueing-order index: SQLite's plan has no sort of all of them (no temporary B-tree)."""
    from sqlalchemy import text

    from slipstream.db.store import ti_queueing

    sql = str(
        ti_queueing._candidates_statement().compile(
            sqlite_db.engine, compile_kwargs={"literal_binds": True}
        )
    )
    with sqlite_db.begin() as session:
        plan = [row[3] for row in session.execute(text(f"EXPLAIN QUERY PLAN {sql}"))]
    assert any("ix_task_instance_queueing_order" in step for step in plan), plan
    assert not any("TEMP B-TREE" in step for step in plan), plan

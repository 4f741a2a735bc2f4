"""A scheduler's memory of runs (`run_views`): examinations read what changed, never the run.

The harness plays the workers; `reads` records how many TI rows each tick read, whole runs
(`states_for_runs`) and changes (`take_changes`) apart.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from slipstream.core.clock import FakeClock
from slipstream.db.engine import Database
from slipstream.db.models import DagRun, TaskInstance
from slipstream.db.store import task_instances as ti_store
from slipstream.db.store import ti_changes
from slipstream.db.store.task_instances import TIState
from slipstream.scheduler import run_progress as run_progress_module
from slipstream.scheduler.run_views import RunView, RunViews
from slipstream.sdk import DAG, task
from slipstream.sdk.operators.empty import EmptyOperator

from .helpers import START, FakeExecutor, Harness


@dataclass
class Reads:
    whole: list[int] = field(default_factory=list)  # rows per whole-run read
    changes: list[int] = field(default_factory=list)  # rows per change read

    def clear(self) -> None:
        self.whole.clear()
        self.changes.clear()


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> Iterator[Reads]:
    seen = Reads()
    whole, changes = ti_store.states_for_runs, ti_changes.take_changes

    def read_whole(session: Any, run_ids: Any) -> list[TIState]:
        rows = whole(session, run_ids)
        if run_ids:
            seen.whole.append(len(rows))
        return rows

    def read_changes(session: Any, run_ids: Any) -> list[TIState]:
        rows = changes(session, run_ids)
        seen.changes.append(len(rows))
        return rows

    monkeypatch.setattr(run_progress_module.ti_store, "states_for_runs", read_whole)
    monkeypatch.setattr(run_progress_module.ti_changes, "take_changes", read_changes)
    yield seen


def _mapped_dag(width: int) -> DAG:
    with DAG("wide", schedule=None, start_date=START, max_active_tasks=1000) as dag:

        @task
        def make() -> list[int]:
            return list(range(width))

        @task
        def one(x: int) -> None:
            return None

        @task
        def total(values: Any) -> None:
            return None

        total(one.expand(x=make()))
    return dag


def _finish_wide_run(width: int, reads: Reads, sqlite_db: Database) -> list[int]:
    """Run a `width`-way mapped task to the end, 4 TIs at a time; the largest change read of
    each tick once the mapped task expanded."""
    h = Harness(sqlite_db, executor=FakeExecutor(parallelism=4))
    h.add_dag(_mapped_dag(width))
    run_id = h.trigger("wide")
    h.tick()
    h.play("make", xcom=list(range(width)))
    h.tick()  # expands and queues the first four
    reads.clear()
    largest: list[int] = []
    for _ in range(width):
        if not h.executor.pending:
            break
        for workload in list(h.executor.pending.values()):
            h.finish(workload)
        h.tick()
        largest.append(max(reads.changes, default=0))
        assert reads.whole == [], "a run was read whole again"
        reads.clear()
    h.run_to_end()
    assert h.run(run_id).state == "success"
    return largest


def test_examining_a_wide_run_reads_what_changed_not_the_run(
    sqlite_db: Database, reads: Reads
) -> None:
    largest = _finish_wide_run(300, reads, sqlite_db)
    # Each tick sees the 4 finished tries and the 4 queued after them: never the 300 TIs.
    assert max(largest) <= 8


def test_expansion_keeps_the_view_and_the_new_rows_are_not_read_back(
    sqlite_db: Database, reads: Reads
) -> None:
    h = Harness(sqlite_db, executor=FakeExecutor(parallelism=4))
    h.add_dag(_mapped_dag(300))
    h.trigger("wide")
    h.tick()
    h.play("make", xcom=list(range(300)))
    reads.clear()
    h.tick()  # a small run (3 TIs) read whole, expanded to 300 TIs, 4 queued
    assert reads.whole == [3]
    assert len(h.scheduler.run_views) == 1  # now wide: followed by its changes
    reads.clear()
    h.finish(next(iter(h.executor.pending.values())))
    h.tick()
    # The 4 rows queued (one of them now done) and the 2 written before the expansion
    # (make's end, total's creation): none of the other 296 expanded rows.
    assert reads.whole == []
    assert reads.changes == [6]


def test_a_view_is_dropped_when_another_scheduler_examined_the_run(
    any_db: Database, reads: Reads
) -> None:
    """Two schedulers take turns on one chain: each turn, the one ticking finds that the other
    examined the run since its own last look, reads the run afresh, and the chain goes on."""
    clock = FakeClock(START)
    first, second = (
        Harness(any_db, clock=clock, executor=FakeExecutor(parallelism=4)) for _ in range(2)
    )
    for h in (first, second):
        h.scheduler.run_views = RunViews(min_tis=0)  # a view even for 6 TIs
    with DAG("chain", schedule=None, start_date=START) as dag:
        tasks = [EmptyOperator(task_id=f"t{i}") for i in range(6)]
        for up, down in itertools.pairwise(tasks):
            up >> down
    first.add_dag(dag)
    run_id = first.trigger("chain")
    played = []
    for turn in range(12):
        h = (first, second)[turn % 2]
        reads.clear()
        h.tick()
        if turn:
            assert len(reads.whole) == 1  # the other one looked last: no view to trust
        for workload in list(first.executor.pending.values()) + list(
            second.executor.pending.values()
        ):
            owner = first if workload.ti_id in first.executor.pending else second
            owner.finish(workload)
            played.append(workload.task_id)
        if h.run(run_id).state == "success":
            break
    assert played == [f"t{i}" for i in range(6)]
    assert first.run(run_id).state == "success"


def test_a_view_survives_only_its_own_committed_examination(sqlite_db: Database) -> None:
    """A view is kept for the version its examination wrote; a version the database does not
    have (another scheduler's look, a rolled back tick) makes it worthless."""
    h = Harness(sqlite_db)
    h.scheduler.run_views = RunViews(min_tis=0)
    with DAG("two", schedule=None, start_date=START) as dag:
        EmptyOperator(task_id="a") >> EmptyOperator(task_id="b")
    h.add_dag(dag)
    run_id = h.trigger("two")
    h.tick()
    with sqlite_db.session() as session:
        run = session.query(DagRun).filter_by(run_id=run_id).one()
        version = run.view_version
    views = h.scheduler.run_views
    view = views.take(run)
    assert view is not None and list(view.states) == ["a", "b"]
    views.keep(run, view)  # kept as of version + 1, which the database does not have
    with sqlite_db.session() as session:
        run = session.query(DagRun).filter_by(run_id=run_id).one()
        assert run.view_version == version
        assert views.take(run) is None


def test_writes_outside_the_scheduler_reach_a_kept_view(sqlite_db: Database) -> None:
    """A cleared task (no state again) and a task marked by hand come to the scheduler's view as
    changes, so the run goes on from what the database says."""
    h = Harness(sqlite_db)
    h.scheduler.run_views = RunViews(min_tis=0)
    with DAG("three", schedule=None, start_date=START) as dag:
        EmptyOperator(task_id="a") >> EmptyOperator(task_id="b") >> EmptyOperator(task_id="c")
    h.add_dag(dag)
    run_id = h.trigger("three")
    h.tick()
    h.play("a")
    h.tick()
    assert h.executor.pending_tasks() == ["b"]
    now = h.clock.now()
    with sqlite_db.begin() as session:  # as `tasks clear` and the API's mark success do
        ids = dict(
            session.query(TaskInstance.task_id, TaskInstance.id).filter_by(run_id=run_id).all()
        )
        ti_store.set_state(session, [ids["b"]], "success", now=now)
        from slipstream.db.store import runs as run_store

        run_store.mark_runs_dirty_for_tis(session, [ids["b"]])
    h.executor.pending.clear()
    h.tick()
    assert h.executor.pending_tasks() == ["c"]
    h.run_to_end()
    assert h.states(run_id) == {"a": "success", "b": "success", "c": "success"}


def test_a_small_run_is_read_whole_and_its_changes_are_not_taken(
    sqlite_db: Database, reads: Reads
) -> None:
    """Reading a few rows costs less than taking changes (which rewrites the changed rows)."""
    h = Harness(sqlite_db)
    with DAG("small", schedule=None, start_date=START) as dag:
        EmptyOperator(task_id="a") >> EmptyOperator(task_id="b")
    h.add_dag(dag)
    h.trigger("small")
    h.tick()
    h.play("a")
    reads.clear()
    h.tick()
    assert reads.whole == [2]
    assert reads.changes == [0]  # asked for no run
    assert len(h.scheduler.run_views) == 0


# --- RunView and RunViews on their own ------------------------------------------------------


def _ti(ti_id: int, task_id: str, map_index: int, state: str | None) -> TIState:
    return TIState(ti_id, 1, task_id, map_index, state, 1)


def test_run_view_places_changes_by_map_index_and_refuses_strangers() -> None:
    view = RunView({"a", "m"}, [_ti(1, "a", -1, None), _ti(2, "m", -1, None)])
    assert view.size == 2 and view.mapped_count("m") == 0
    view.replace("m", [2, 3, 4], ["scheduled"] * 3, [0, 1, 2])
    assert view.size == 4 and view.mapped_count("m") == 3
    assert view.apply(_ti(3, "m", 1, "success")) is True
    assert view.apply(_ti(3, "m", 1, "success")) is False  # nothing new
    assert list(view.states["m"]) == ["scheduled", "success", "scheduled"]
    assert view.apply(_ti(9, "m", 7, "success")) is None  # a TI the view does not know
    assert view.apply(_ti(5, "m", 2, "success")) is None  # another row at a known index
    assert view.apply(_ti(8, "gone", -1, "success")) is False  # a task not in the DAG
    assert view.active
    assert view.totals["scheduled"] == 2 and view.totals[None] == 1


def test_run_view_handles_map_indexes_with_gaps() -> None:
    view = RunView({"m"}, [_ti(1, "m", 0, "success"), _ti(2, "m", 3, None)])
    assert view.mapped_count("m") == 2
    assert view.apply(_ti(2, "m", 3, "running")) is True
    assert list(view.states["m"]) == ["success", "running"]


def test_run_views_keep_the_newest_within_their_size() -> None:
    views = RunViews(max_tis=3, min_tis=0)

    def run(run_id: int, version: int = 0) -> DagRun:
        return DagRun(id=run_id, view_version=version, serialized_dag_id=7)

    views.keep(run(1), RunView({"a"}, [_ti(1, "a", -1, None), _ti(2, "a", 0, None)]))
    views.keep(run(2), RunView({"a"}, [_ti(3, "a", -1, None)]))
    views.keep(run(3), RunView({"a"}, [_ti(4, "a", -1, None)]))  # run 1 goes: 4 TIs > 3
    assert len(views) == 2
    assert views.take(run(1, version=1)) is None
    assert views.take(run(2, version=0)) is None  # kept for version 1
    assert views.take(run(3, version=1)) is not None
    views.keep(run(4), RunView({"a"}, [_ti(i, "a", i, None) for i in range(4)]))  # too big
    assert len(views) == 0

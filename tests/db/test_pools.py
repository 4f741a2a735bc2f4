"""Pools: set, list, delete, and the slots their task instances occupy, counted in one query."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import event

from slipstream.core.exceptions import AirflowBadRequest
from slipstream.db.engine import Database
from slipstream.db.models import DagRun, TaskInstance
from slipstream.db.store import pools
from slipstream.db.store.pools import PoolInfo

NOW = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


def _add_tis(db: Database, *tis: tuple[str, str | None, int]) -> None:
    """Task instances given as (pool, state, pool_slots) in one run."""
    with db.begin() as session:
        run = DagRun(
            dag_id="d", run_id="r", run_after=NOW, run_type="manual", state="running", conf={}
        )
        session.add(run)
        session.flush()
        for n, (pool, state, slots) in enumerate(tis):
            session.add(
                TaskInstance(
                    dag_run_id=run.id,
                    dag_id="d",
                    run_id="r",
                    task_id=f"t{n}",
                    map_index=-1,
                    state=state,
                    pool=pool,
                    pool_slots=slots,
                )
            )


def test_set_get_list_delete(any_db: Database) -> None:
    with any_db.begin() as session:
        pools.set_pool(session, "etl", 4, "for ETL")
        pools.set_pool(session, "api", 1)
    with any_db.session() as session:
        assert pools.get_pool(session, "etl") == PoolInfo("etl", 4, "for ETL")
        assert pools.get_pool(session, "missing") is None
        assert [p.name for p in pools.list_pools(session)] == ["api", "default_pool", "etl"]
    with any_db.begin() as session:
        pools.set_pool(session, "etl", 8, "bigger", include_deferred=True)
        assert pools.delete_pool(session, "api") is True
        assert pools.delete_pool(session, "api") is False
    with any_db.session() as session:
        assert pools.get_pool(session, "etl") == PoolInfo("etl", 8, "bigger", True)


def test_default_pool_cannot_be_deleted(any_db: Database) -> None:
    with any_db.begin() as session, pytest.raises(AirflowBadRequest, match="default_pool"):
        pools.delete_pool(session, "default_pool")


@pytest.mark.parametrize("slots", [-2, 1.5, True, "3"])
def test_invalid_slots(sqlite_db: Database, slots: object) -> None:
    with sqlite_db.begin() as session, pytest.raises(AirflowBadRequest, match="slots"):
        pools.set_pool(session, "p", slots)  # type: ignore[arg-type]


def test_invalid_names(sqlite_db: Database) -> None:
    with sqlite_db.begin() as session:
        for name in ("", "  ", "x" * 257):
            with pytest.raises(AirflowBadRequest):
                pools.set_pool(session, name, 1)


def test_usage_counts_running_and_queued_slots(any_db: Database) -> None:
    with any_db.begin() as session:
        pools.set_pool(session, "etl", 10)
        pools.set_pool(session, "deferring", 5, include_deferred=True)
        pools.set_pool(session, "unlimited", -1)
    _add_tis(
        any_db,
        ("etl", "running", 2),
        ("etl", "queued", 3),
        ("etl", "scheduled", 1),
        ("etl", "success", 4),
        ("etl", None, 4),
        ("etl", "deferred", 1),
        ("deferring", "deferred", 2),
        ("default_pool", "running", 1),
        ("unlimited", "running", 7),
        ("no_such_pool", "running", 1),
    )
    with any_db.session() as session:
        statements = _count_statements(any_db)
        usage = pools.pool_usage(session)
        assert [s.split()[0] for s in statements if s != "BEGIN"] == ["SELECT"]
        etl = pools.get_pool(session, "etl")
    assert usage == {
        "default_pool": (128, 1),
        "deferring": (5, 2),
        "etl": (10, 5),
        "unlimited": (-1, 7),
    }
    assert etl is not None
    assert etl.to_dict() == {
        "name": "etl",
        "slots": 10,
        "description": None,
        "include_deferred": False,
        "running_slots": 2,
        "queued_slots": 3,
        "scheduled_slots": 1,
        "deferred_slots": 1,
        "occupied_slots": 5,
        "open_slots": 5,
    }
    assert PoolInfo("u", -1, running_slots=3).open_slots == -1
    assert PoolInfo("full", 1, running_slots=3).open_slots == 0


def _count_statements(db: Database) -> list[str]:
    seen: list[str] = []

    def before(conn: object, cursor: object, statement: str, *args: object) -> None:
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", before)
    return seen

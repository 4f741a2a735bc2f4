"""The reads others make of what the DAG processor stores: DAG lists, due DAGs, import errors."""

from __future__ import annotations

import datetime as dt

import pytest

from slipstream.db.engine import Database
from slipstream.db.models import DagModel
from slipstream.db.store import dags as dag_store
from slipstream.db.store import import_errors, serialized_dags

NOW = dt.datetime(2024, 3, 10, 12, tzinfo=dt.UTC)


def add(
    db: Database,
    dag_id: str,
    *,
    paused: bool = False,
    stale: bool = False,
    tags: list[str] | None = None,
    due_in: float | None = None,
    import_errors: bool = False,
) -> None:
    with db.begin() as session:
        row = dag_store.add_dag_model(session, dag_id, is_paused=paused)
        row.is_stale = stale
        row.tags = tags or []
        row.fileloc = f"/dags/{dag_id}.py"
        row.has_import_errors = import_errors
        if due_in is not None:
            row.next_dagrun_create_after = NOW + dt.timedelta(seconds=due_in)


@pytest.fixture
def catalog(any_db: Database) -> Database:
    add(any_db, "etl_daily", tags=["etl", "team_a"], due_in=-60)
    add(any_db, "etl_hourly", tags=["etl"], paused=True, due_in=-120)
    add(any_db, "report", tags=["team_a", "50%"], due_in=-30, import_errors=True)
    add(any_db, "old_etl", tags=["etl"], stale=True, due_in=-300)
    add(any_db, "ml_train", tags=["ml"], due_in=600)
    add(any_db, "adhoc")
    return any_db


def ids(rows: list[DagModel]) -> list[str]:
    return [row.dag_id for row in rows]


def test_list_dags_filters_and_pages(catalog: Database) -> None:
    with catalog.session() as session:
        rows, total = dag_store.list_dags(session)
        assert ids(rows) == ["adhoc", "etl_daily", "etl_hourly", "ml_train", "report"]
        assert total == 5
        rows, total = dag_store.list_dags(session, limit=2, offset=1)
        assert ids(rows) == ["etl_daily", "etl_hourly"] and total == 5
        assert ids(dag_store.list_dags(session, paused=True)[0]) == ["etl_hourly"]
        assert ids(dag_store.list_dags(session, stale=True)[0]) == ["old_etl"]
        assert len(dag_store.list_dags(session, stale=None)[0]) == 6
        assert ids(dag_store.list_dags(session, tags=["etl"])[0]) == ["etl_daily", "etl_hourly"]
        assert ids(dag_store.list_dags(session, tags=["ml", "team_a"])[0]) == [
            "etl_daily",
            "ml_train",
            "report",
        ]
        both = dag_store.list_dags(session, tags=["etl", "team_a"], tags_match_mode="all")
        assert ids(both[0]) == ["etl_daily"]
        assert ids(dag_store.list_dags(session, tags=["team"])[0]) == []  # whole tags only
        assert ids(dag_store.list_dags(session, tags=["50%"])[0]) == ["report"]
        assert ids(dag_store.list_dags(session, tags=["5_%"])[0]) == []
        rows, total = dag_store.list_dags(session, pattern="ETL")
        assert ids(rows) == ["etl_daily", "etl_hourly"] and total == 2
        assert ids(dag_store.list_dags(session, pattern="etl_%ly")[0]) == [
            "etl_daily",
            "etl_hourly",
        ]


def test_dags_due_are_active_and_due_oldest_first(catalog: Database) -> None:
    with catalog.session() as session:
        assert ids(dag_store.dags_due(session, NOW, 10)) == ["etl_daily"]
        later = NOW + dt.timedelta(hours=1)
        assert ids(dag_store.dags_due(session, later, 10)) == ["etl_daily", "ml_train"]
        assert ids(dag_store.dags_due(session, later, 1)) == ["etl_daily"]


def test_get_and_pause(catalog: Database) -> None:
    with catalog.begin() as session:
        assert dag_store.set_paused(session, "adhoc", True)
        assert not dag_store.set_paused(session, "nope", True)
    with catalog.session() as session:
        row = dag_store.get_dag_model(session, "adhoc")
        assert row is not None and row.is_paused
        assert dag_store.get_dag_model(session, "nope") is None
        assert set(dag_store.get_dag_models(session, ["adhoc", "report", "x"])) == {
            "adhoc",
            "report",
        }


def test_import_errors_list_and_count(any_db: Database) -> None:
    with any_db.begin() as session:
        for name in ("b.py", "a.py", "c.py"):
            import_errors.replace_import_error(
                session, f"/dags/{name}", stacktrace=f"boom in {name}", lineno=3, now=NOW
            )
        import_errors.replace_import_error(session, "/dags/c.py", stacktrace=None, now=NOW)
    with any_db.session() as session:
        assert import_errors.count_import_errors(session) == 2
        rows, total = import_errors.list_import_errors(session, limit=1)
        assert [r.filename for r in rows] == ["/dags/a.py"] and total == 2
        rows, total = import_errors.list_import_errors(session, filename="/dags/b.py")
        assert total == 1 and rows[0].stacktrace == "boom in b.py" and rows[0].lineno == 3
        found = import_errors.get_import_error(session, rows[0].id)
        assert found is not None and found.filename == "/dags/b.py"
    with any_db.begin() as session:
        assert import_errors.delete_import_errors_except(session, {"/dags/a.py"}) == 1
    with any_db.session() as session:
        assert import_errors.count_import_errors(session) == 1


def test_serialized_dag_reads_of_unknown_ids(any_db: Database) -> None:
    with any_db.session() as session:
        assert dag_store.latest_serialized_dag(session, "missing") is None
        assert dag_store.serialized_dag_by_id(session, 12345) is None
        assert serialized_dags.latest_versions(session, []) == {}

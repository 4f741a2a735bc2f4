"""Recording `dags test` runs in plain SQL (`store.test_runs` on `store.plain_sql`): on SQLite
through `sqlite3` and through a SQLAlchemy session, on PostgreSQL through a session. Whatever
the path, the rows read back through the models as if the scheduler had written them."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import func, inspect, select

from slipstream.db import migrate
from slipstream.db.engine import Database
from slipstream.db.models import (
    AssetDagRunQueue,
    AssetEvent,
    Base,
    DagModel,
    DagRun,
    DagScheduleAssetReference,
    Log,
    TaskInstance,
    TaskInstanceHistory,
    TaskReschedule,
    XCom,
)
from slipstream.db.store import asset_refs, serialized_dags
from slipstream.db.store import dags as dag_store
from slipstream.db.store import test_runs as store
from slipstream.db.store.plain_sql import (
    PlainConnection,
    SessionConnection,
    SqliteConnection,
    head_revision,
    sqlite_file,
)

T0 = dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.UTC)
LOGICAL = dt.datetime(2024, 5, 1, tzinfo=dt.UTC)
Connect = Callable[[], contextlib.AbstractContextManager[PlainConnection]]


def at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


@pytest.fixture(
    params=["sqlite3", "session-sqlite", pytest.param("session-pg", marks=pytest.mark.integration)]
)
def path(request: pytest.FixtureRequest) -> tuple[str, Database]:
    fixture = "pg_db" if request.param == "session-pg" else "sqlite_db"
    return request.param, request.getfixturevalue(fixture)


@pytest.fixture
def writer(path: tuple[str, Database]) -> Iterator[Connect]:
    """`with writer() as conn:` a write transaction on the path under test."""
    kind, db = path
    raw = SqliteConnection(str(db.url.database)) if kind == "sqlite3" else None

    @contextlib.contextmanager
    def connect() -> Iterator[PlainConnection]:
        if raw is not None:
            with raw.write() as conn:
                yield conn
        else:
            with db.begin() as session:
                yield SessionConnection(session)

    yield connect
    if raw is not None:
        raw.close()


@pytest.fixture
def db(path: tuple[str, Database]) -> Database:
    return path[1]


def a_run(**changes: Any) -> store.RecordedRun:
    flaky = store.RecordedTI(
        task_id="flaky",
        map_index=-1,
        state="success",
        try_number=2,
        max_tries=1,
        start_date=at(2),
        end_date=at(3),
        pool="p",
        queue="q",
        priority_weight=3,
        operator="PythonOperator",
        custom_operator_name="@task",
        tries=[
            store.RecordedTry(1, "up_for_retry", at(0), at(1), next_try_at=at(1.5)),
            store.RecordedTry(2, "success", at(2), at(3)),
        ],
    )
    sensor = store.RecordedTI(
        task_id="wait",
        map_index=-1,
        state="success",
        try_number=1,
        max_tries=0,
        start_date=at(5),
        end_date=at(6),
        first_reschedule_date=at(3),
        tries=[
            store.RecordedTry(1, "up_for_reschedule", at(3), at(4), next_try_at=at(5)),
            store.RecordedTry(1, "success", at(5), at(6)),
        ],
    )
    mapped = [
        store.RecordedTI("each", i, "success", 1, 0, at(6), at(7), tries=[]) for i in range(2)
    ]
    never = store.RecordedTI("never", -1, "upstream_failed", 0, 0, at(7), at(7))
    values: dict[str, Any] = {
        "dag_id": "rec",
        "run_id": "manual__2024-05-01T00:00:00+00:00",
        "state": "success",
        "run_after": LOGICAL,
        "logical_date": LOGICAL,
        "data_interval_start": LOGICAL,
        "data_interval_end": LOGICAL,
        "start_date": T0,
        "end_date": at(8),
        "conf": {"n": 1},
        "tis": [flaky, sensor, *mapped, never],
        "xcoms": [store.RecordedXCom("flaky", -1, "return_value", '{"rows": 3}', at(3))],
        "asset_events": [
            store.RecordedAssetEvent(
                "s3://b/data", "flaky", -1, at(3), name="data", extra={"rows": 3}
            )
        ],
    }
    values.update(changes)
    return store.RecordedRun(**values)


def record(writer: Connect, run: store.RecordedRun) -> int:
    with writer() as conn:
        return store.record_run(conn, run, hostname="box", pid=42, now=at(9))


def test_a_run_reads_back_through_the_models(writer: Connect, db: Database) -> None:
    run_pk = record(writer, a_run())
    with db.session() as session:
        run = session.get(DagRun, run_pk)
        assert run is not None
        assert (run.dag_id, run.run_type, run.triggered_by, run.state) == (
            "rec",
            "manual",
            "test",
            "success",
        )
        assert (run.logical_date, run.start_date, run.end_date) == (LOGICAL, T0, at(8))
        assert run.conf == {"n": 1} and run.needs_scheduling is False
        tis = {
            (t.task_id, t.map_index): t
            for t in session.scalars(select(TaskInstance).where(TaskInstance.dag_run_id == run_pk))
        }
        flaky = tis[("flaky", -1)]
        assert (flaky.state, flaky.try_number, flaky.max_tries, flaky.duration) == (
            "success",
            2,
            1,
            1.0,
        )
        assert (flaky.hostname, flaky.pid, flaky.pool, flaky.queue, flaky.priority_weight) == (
            "box",
            42,
            "p",
            "q",
            3,
        )
        assert (flaky.operator, flaky.custom_operator_name) == ("PythonOperator", "@task")
        assert flaky.start_date == at(2) and flaky.updated_at == at(9)
        assert set(tis) == {("flaky", -1), ("wait", -1), ("each", 0), ("each", 1), ("never", -1)}
        assert (tis[("never", -1)].hostname, tis[("never", -1)].duration) == (None, 0.0)
        assert tis[("wait", -1)].first_reschedule_date == at(3)
        history = session.execute(
            select(TaskInstanceHistory.task_id, TaskInstanceHistory.try_number,
                   TaskInstanceHistory.state, TaskInstanceHistory.hostname)
            .order_by(TaskInstanceHistory.task_id, TaskInstanceHistory.try_number)
        ).all()  # fmt: skip
        assert [tuple(h) for h in history] == [
            ("flaky", 1, "failed", "box"),
            ("flaky", 2, "success", "box"),
            ("wait", 1, "success", "box"),
        ]
        poke = session.scalars(select(TaskReschedule)).one()
        assert (poke.task_instance_id, poke.reschedule_date) == (tis[("wait", -1)].id, at(5))
        xcom = session.scalars(select(XCom)).one()
        assert (xcom.dag_run_id, xcom.task_id, xcom.value, xcom.timestamp) == (
            run_pk,
            "flaky",
            '{"rows": 3}',
            at(3),
        )


def test_asset_events_queue_unpaused_dags_scheduled_on_them(writer: Connect, db: Database) -> None:
    with db.begin() as session:
        ids = asset_refs.ensure_assets(
            session, [asset_refs.AssetSpec(name="data", uri="s3://b/data")], now=T0
        )
        for dag_id, paused in (("eager", False), ("sleepy", True)):
            dag_store.add_dag_model(session, dag_id, is_paused=paused)
            session.flush()
            asset_refs.set_schedule_references(session, dag_id, list(ids.values()))
    new_asset = store.RecordedAssetEvent("s3://b/new", "flaky", -1, at(3))
    record(writer, a_run(asset_events=[*a_run().asset_events, new_asset]))
    with db.session() as session:
        events = session.execute(
            select(AssetEvent.source_task_id, AssetEvent.extra, AssetEvent.source_run_id).order_by(
                AssetEvent.id
            )
        ).all()
        assert [tuple(e) for e in events] == [
            ("flaky", {"rows": 3}, "manual__2024-05-01T00:00:00+00:00"),
            ("flaky", {}, "manual__2024-05-01T00:00:00+00:00"),
        ]
        queued = session.execute(select(AssetDagRunQueue.target_dag_id)).scalars().all()
        assert queued == ["eager"]
        assert session.scalar(select(func.count()).select_from(DagScheduleAssetReference)) == 2


def test_a_finished_run_with_the_same_logical_date_is_replaced(
    writer: Connect, db: Database
) -> None:
    record(writer, a_run(state="failed"))
    second = record(writer, a_run(run_id="other_id"))
    with db.session() as session:
        assert [(r.run_id, r.state) for r in session.scalars(select(DagRun))] == [
            ("other_id", "success")
        ]
        assert {t.dag_run_id for t in session.scalars(select(TaskInstance))} == {second}
        assert session.scalar(select(func.count()).select_from(TaskInstanceHistory)) == 3
        assert session.scalar(select(func.count()).select_from(XCom)) == 1


def test_an_active_run_in_the_way_is_named_and_never_touched(writer: Connect, db: Database) -> None:
    record(writer, a_run())
    with db.begin() as session:
        session.execute(DagRun.__table__.update().values(state="running"))
    with writer() as conn:
        reason = store.run_in_the_way(conn, "rec", "another", LOGICAL)
        assert reason is not None and "running run 'manual__2024-05-01T00:00:00+00:00'" in reason
        assert store.run_in_the_way(conn, "rec", "another", at(60)) is None
    with pytest.raises(store.RunInTheWay), writer() as conn:
        store.record_run(conn, a_run(), hostname="box", pid=1, now=T0)
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(TaskInstance)) == 5


def test_schema_versions_and_bare_dag_rows(writer: Connect, db: Database) -> None:
    with writer() as conn:
        assert store.schema_revision(conn) == migrate.HEAD_REVISION
        assert store.latest_version_id(conn, "rec") is None
        store.ensure_dag_row(conn, "rec", fileloc="/dags/rec.py", is_paused=True, owners="me")
        store.ensure_dag_row(conn, "rec", fileloc="/elsewhere.py", is_paused=False, owners="x")
        assert store.latest_version_id(conn, "rec") is None  # a row, but no version
    with db.begin() as session:
        version = serialized_dags.add_version(
            session, dag_id="rec", data={}, dag_hash="h", fileloc="", version_number=1, now=T0
        )
        row = session.get(DagModel, "rec")
        assert row is not None
        assert (row.fileloc, row.is_paused, row.tags, row.is_stale) == (
            "/dags/rec.py",
            True,
            [],
            False,
        )
    with writer() as conn:
        assert store.latest_version_id(conn, "rec") == version


def test_audit_entries_read_back(writer: Connect, db: Database) -> None:
    with writer() as conn:
        store.record_audit(
            conn,
            "cli_dags_test",
            owner="me",
            dag_id="rec",
            run_id="r",
            logical_date=LOGICAL,
            extra={"state": "success"},
            now=T0,
        )
    with db.session() as session:
        entry = session.scalars(select(Log)).one()
        assert (entry.event, entry.owner, entry.dttm, entry.logical_date, entry.extra) == (
            "cli_dags_test",
            "me",
            T0,
            LOGICAL,
            '{"state": "success"}',
        )


def test_naive_datetimes_are_refused(writer: Connect) -> None:
    naive = dt.datetime(2024, 1, 1)
    with pytest.raises(ValueError, match="naive datetime"), writer() as conn:
        store.record_run(conn, a_run(start_date=naive), hostname="h", pid=1, now=T0)


@pytest.mark.parametrize(
    "table",
    ["dag_run", "task_instance", "task_instance_history", "task_reschedule", "xcom", "asset",
     "asset_event", "asset_dag_run_queue"],
)  # fmt: skip
def test_every_required_column_is_written(table: str) -> None:
    """A column added later without a server default must be added to these inserts too."""
    columns = {
        "dag_run": store.RUN_COLUMNS,
        "task_instance": store.TI_COLUMNS,
        "task_instance_history": store.HISTORY_COLUMNS,
        "task_reschedule": store.RESCHEDULE_COLUMNS,
        "xcom": store.XCOM_COLUMNS,
        "asset": store.ASSET_COLUMNS,
        "asset_event": store.ASSET_EVENT_COLUMNS,
        "asset_dag_run_queue": store.QUEUE_COLUMNS,
    }[table]
    written = {c.strip('"') for c in columns}
    model = Base.metadata.tables[table]
    generated = {c.name for c in model.primary_key.columns if len(model.primary_key.columns) == 1}
    required = {
        c.name for c in model.columns if not c.nullable and c.server_default is None
    } - generated
    assert required - written == set()
    assert written <= {c.name for c in model.columns}


def test_head_revision_needs_no_alembic() -> None:
    assert head_revision() == migrate.HEAD_REVISION


def test_sqlite_files_from_urls() -> None:
    assert sqlite_file("sqlite:////abs/path/s.db") == "/abs/path/s.db"
    assert sqlite_file("sqlite+pysqlite:///rel/s.db?timeout=3") == "rel/s.db"
    assert sqlite_file("sqlite:///%7Ehome/s%20db.db") == "~home/s db.db"
    for other in ("sqlite://", "sqlite:///:memory:", "postgresql+psycopg://u@h/db", "nonsense"):
        assert sqlite_file(other) is None


def test_sqlite_connections_set_up_like_the_engine(sqlite_db: Database) -> None:
    conn = SqliteConnection(str(sqlite_db.url.database))
    try:
        assert conn.execute("PRAGMA journal_mode") == [("wal",)]
        assert conn.execute("PRAGMA foreign_keys") == [(1,)]
        assert conn.execute("PRAGMA busy_timeout") == [(60_000,)]
    finally:
        conn.close()
    assert inspect(sqlite_db.engine).has_table("dag_run")

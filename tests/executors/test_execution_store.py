"""`slipstream.db.store.execution`: the conditioned writes of a try's life, on SQLite and
PostgreSQL."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from slipstream.core.states import TaskInstanceState as S
from slipstream.db.engine import Database
from slipstream.db.models import (
    Asset,
    AssetDagRunQueue,
    AssetEvent,
    DagModel,
    DagRun,
    DagScheduleAssetReference,
    TaskInstanceHistory,
    TaskReschedule,
    XCom,
)
from slipstream.db.store import asset_events, execution, serialized_dags, stale_tries, xcoms

from .helpers import SeededRun, expand, get_ti, queue_ti, seed_run, set_ti, write_dag

DAG = """
    import datetime as dt
    import pendulum
    from airflow.sdk import dag, task

    @dag(schedule=None, start_date=pendulum.datetime(2024, 1, 1))
    def store_dag():
        @task(retries=2, retry_delay=dt.timedelta(minutes=5))
        def first():
            return 1

        @task
        def second(x):
            return x

        @task
        def third():
            pass

        second.expand(x=first()) >> third()

    store_dag()
"""

NOW = dt.datetime(2024, 6, 1, 12, tzinfo=dt.UTC)


def _seed(db: Database, tmp_path: Path) -> SeededRun:
    return seed_run(db, write_dag(tmp_path / "dags", "store_dag", DAG), "store_dag")


def _claim(db: Database, run: SeededRun, task_id: str = "first") -> execution.ClaimedTry:
    workload = queue_ti(db, run, task_id)
    with db.begin() as session:
        claimed = execution.claim_try(
            session,
            ti_id=workload.ti_id,
            try_number=workload.try_number,
            queue_token=workload.queue_token,
            hostname="host",
            pid=123,
            now=NOW,
        )
    assert isinstance(claimed, execution.ClaimedTry)
    return claimed


def test_claim_starts_the_try_once_and_says_why_not(any_db: Database, tmp_path: Path) -> None:
    run = _seed(any_db, tmp_path)
    workload = queue_ti(any_db, run, "first")
    args = dict(hostname="h", pid=1, now=NOW, ti_id=workload.ti_id)
    with any_db.begin() as session:
        claimed = execution.claim_try(
            session, try_number=1, queue_token=workload.queue_token, **args
        )
        again = execution.claim_try(session, try_number=1, queue_token=workload.queue_token, **args)
        stale = execution.claim_try(session, try_number=1, queue_token="old", **args)
        wrong_try = execution.claim_try(session, try_number=2, queue_token="x", **args)

    assert isinstance(claimed, execution.ClaimedTry)
    assert (claimed.dag_id, claimed.task_id, claimed.try_number, claimed.max_tries) == (
        "store_dag",
        "first",
        1,
        2,
    )
    assert claimed.run["run_id"] == "manual__test" and claimed.serialized_dag_id is not None
    assert again == execution.ClaimRefused("the task instance is running, not queued")
    assert stale == execution.ClaimRefused(
        "the task instance was queued again with another queue token"
    )
    assert wrong_try == execution.ClaimRefused("the task instance is at try 1, not 2")
    ti = get_ti(any_db, workload.ti_id)
    assert (ti.state, ti.hostname, ti.pid, ti.start_date, ti.last_heartbeat_at) == (
        "running",
        "h",
        1,
        NOW,
        NOW,
    )


def test_heartbeat_only_while_the_try_runs(any_db: Database, tmp_path: Path) -> None:
    run = _seed(any_db, tmp_path)
    claimed = _claim(any_db, run)
    later = NOW + dt.timedelta(seconds=5)
    with any_db.begin() as session:
        assert execution.heartbeat(session, claimed.ti_id, 1, now=later)
        assert not execution.heartbeat(session, claimed.ti_id, 2, now=later)
    assert get_ti(any_db, claimed.ti_id).last_heartbeat_at == later
    set_ti(any_db, claimed.ti_id, state="restarting")
    with any_db.begin() as session:
        assert not execution.heartbeat(session, claimed.ti_id, 1, now=later)


def test_finish_writes_state_history_and_marks_the_run(any_db: Database, tmp_path: Path) -> None:
    run = _seed(any_db, tmp_path)
    claimed = _claim(any_db, run)
    end = NOW + dt.timedelta(seconds=3)
    retry_at = end + dt.timedelta(minutes=5)
    result = execution.TryResult(claimed.ti_id, 1, S.UP_FOR_RETRY, end, next_try_at=retry_at)
    with any_db.begin() as session:
        assert execution.finish_try(session, result)
        assert not execution.finish_try(session, result)  # at most once
    ti = get_ti(any_db, claimed.ti_id)
    assert (ti.state, ti.end_date, ti.duration, ti.next_try_at) == (
        "up_for_retry",
        end,
        3.0,
        retry_at,
    )
    with any_db.session() as session:
        history = session.query(TaskInstanceHistory).one()
        assert (history.try_number, history.state, history.hostname) == (1, "failed", "host")
        assert session.get(DagRun, run.dag_run_id).needs_scheduling  # type: ignore[union-attr]


def test_finish_of_a_reschedule_keeps_the_try(any_db: Database, tmp_path: Path) -> None:
    run = _seed(any_db, tmp_path)
    claimed = _claim(any_db, run)
    poke_at = NOW + dt.timedelta(minutes=1)
    result = execution.TryResult(
        claimed.ti_id, 1, S.UP_FOR_RESCHEDULE, NOW + dt.timedelta(seconds=1), next_try_at=poke_at
    )
    with any_db.begin() as session:
        assert execution.finish_try(session, result)
    with any_db.session() as session:
        reschedule = session.query(TaskReschedule).one()
        assert (reschedule.try_number, reschedule.start_date, reschedule.reschedule_date) == (
            1,
            NOW,
            poke_at,
        )
        assert session.query(TaskInstanceHistory).count() == 0
        assert execution.first_reschedule_date(session, claimed.ti_id, 1) == NOW
        assert execution.first_reschedule_date(session, claimed.ti_id, 2) is None
    assert get_ti(any_db, claimed.ti_id).try_number == 1


def test_xcoms_single_many_and_mapped(any_db: Database, tmp_path: Path) -> None:
    run = _seed(any_db, tmp_path)
    ids = expand(any_db, run, "second", 3)
    common = dict(dag_run_id=run.dag_run_id, dag_id="store_dag", run_id="manual__test", now=NOW)
    with any_db.begin() as session:
        xcoms.xcom_set(session, task_id="first", map_index=-1, key="k", value="1", **common)
        xcoms.xcom_set(session, task_id="first", map_index=-1, key="k", value="2", **common)
        for i in (0, 2):
            xcoms.xcom_set(
                session, task_id="second", map_index=i, key="return_value", value=str(i), **common
            )
    with any_db.session() as session:
        assert xcoms.xcom_get(session, run.dag_run_id, "first", -1, "k") == "2"
        assert xcoms.xcom_get(session, run.dag_run_id, "first", -1, "other") is None
        assert xcoms.xcom_get_mapped(session, run.dag_run_id, "second", "return_value") == [
            "0",
            None,
            "2",
        ]
        assert xcoms.xcom_get_mapped(session, run.dag_run_id, "third", "return_value") is None
        assert xcoms.xcom_get_many(session, run.dag_run_id, "second", [2, 0], "return_value") == [
            "2",
            "0",
        ]
    assert len(ids) == 3

    # a retry starts without the XComs of the previous try
    set_ti(any_db, run.ti_ids["first"], try_number=1)
    claimed = _claim(any_db, run, "first")
    with any_db.session() as session:
        assert session.query(XCom).filter_by(task_id="first").count() == 0
    assert claimed.try_number == 2


def test_skips_leave_running_and_finished_tis_alone(any_db: Database, tmp_path: Path) -> None:
    run = _seed(any_db, tmp_path)
    set_ti(any_db, run.ti_ids["first"], state="running")
    set_ti(any_db, run.ti_ids["third"], state="scheduled")
    with any_db.begin() as session:
        count = execution.skip_task_instances(session, run.dag_run_id, ["first", "second", "third"])
    assert count == 2
    assert [get_ti(any_db, run.ti_ids[t]).state for t in ("first", "second", "third")] == [
        "running",
        "skipped",
        "skipped",
    ]


def test_success_records_asset_events_and_queues_scheduled_dags(
    any_db: Database, tmp_path: Path
) -> None:
    run = _seed(any_db, tmp_path)
    claimed = _claim(any_db, run)
    with any_db.begin() as session:
        known = Asset(name="known", uri="s3://known", created_at=NOW)
        session.add_all(
            [
                known,
                DagModel(dag_id="consumer", is_paused=False),
                DagModel(dag_id="paused_consumer", is_paused=True),
            ]
        )
        session.flush()
        session.add_all(
            [
                DagScheduleAssetReference(asset_id=known.id, dag_id="consumer"),
                DagScheduleAssetReference(asset_id=known.id, dag_id="paused_consumer"),
            ]
        )
    events = [
        execution.AssetEventRecord(uri="s3://known", name="known", extra={"n": 1}),
        execution.AssetEventRecord(uri="s3://new", group="asset"),
    ]
    result = execution.TryResult(claimed.ti_id, 1, S.SUCCESS, NOW, asset_events=events)
    with any_db.begin() as session:
        assert execution.finish_try(session, result)
    with any_db.session() as session:
        assert {(a.name, a.uri) for a in session.query(Asset)} == {
            ("known", "s3://known"),
            ("s3://new", "s3://new"),
        }
        rows = session.query(AssetEvent).order_by(AssetEvent.id)
        assert [(e.extra, e.source_task_id) for e in rows] == [({"n": 1}, "first"), ({}, "first")]
        assert [q.target_dag_id for q in session.query(AssetDagRunQueue)] == ["consumer"]
        found = asset_events.asset_events_for(session, ["s3://known"])
        assert [e["extra"] for e in found["s3://known"]] == [{"n": 1}]


def test_reap_stale_running_retries_or_fails_by_the_serialized_policy(
    any_db: Database, tmp_path: Path
) -> None:
    run = _seed(any_db, tmp_path)
    first = _claim(any_db, run, "first")  # retries=2
    third = _claim(any_db, run, "third")  # retries=0
    fresh = NOW + dt.timedelta(minutes=10)
    set_ti(any_db, run.ti_ids["second"], state="running", try_number=1, last_heartbeat_at=fresh)
    cutoff = NOW + dt.timedelta(minutes=1)
    reap_at = NOW + dt.timedelta(minutes=11)

    with any_db.begin() as session:
        reaped = stale_tries.reap_stale_running(session, cutoff, now=reap_at)
    assert reaped == sorted([first.ti_id, third.ti_id])

    ti = get_ti(any_db, first.ti_id)
    assert (ti.state, ti.next_try_at, ti.end_date) == (
        "up_for_retry",
        reap_at + dt.timedelta(minutes=5),
        reap_at,
    )
    assert get_ti(any_db, third.ti_id).state == "failed"
    assert get_ti(any_db, run.ti_ids["second"]).state == "running"
    with any_db.session() as session:
        assert session.query(TaskInstanceHistory).count() == 2
    with any_db.begin() as session:
        assert stale_tries.reap_stale_running(session, cutoff, now=reap_at) == []


def test_in_flight_status_and_run_reads(any_db: Database, tmp_path: Path) -> None:
    run = _seed(any_db, tmp_path)
    claimed = _claim(any_db, run)
    with any_db.session() as session:
        status = execution.in_flight_status(session, [claimed.ti_id, 999_999])
        assert list(status) == [claimed.ti_id]
        assert status[claimed.ti_id].state == "running"
        assert execution.dag_run_state(session, "store_dag", "manual__test") == "running"
        assert execution.dag_run_state(session, "store_dag", "nope") is None
        assert execution.run_task_ids(session, "store_dag", "manual__test") == [
            "first",
            "second",
            "third",
        ]
        data = serialized_dags.serialized_dag_data(
            session, serialized_dag_id=None, dag_id="store_dag"
        )
        assert data is not None and data["dag"]["dag_id"] == "store_dag"
        assert execution.ti_state(session, claimed.ti_id) == ("running", 1)

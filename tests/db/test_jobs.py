"""Component heartbeats: register, heartbeat, who is alive, and ending."""

from __future__ import annotations

import datetime as dt
import os

import pytest

from slipstream.db.engine import Database
from slipstream.db.store import jobs

T0 = dt.datetime(2024, 5, 1, 12, tzinfo=dt.UTC)


def test_register_heartbeat_alive_and_end(any_db: Database) -> None:
    with any_db.begin() as session:
        old = jobs.register(session, "scheduler", now=T0)
        new = jobs.register(session, "scheduler", hostname="h2", pid=7, now=T0)
        jobs.register(session, "dag_processor", now=T0)
    with any_db.begin() as session:
        assert jobs.heartbeat(session, new, now=T0 + dt.timedelta(seconds=30)) is True
    with any_db.session() as session:
        alive = jobs.alive(session, "scheduler", 10, now=T0 + dt.timedelta(seconds=35))
        assert [(j.id, j.hostname, j.pid) for j in alive] == [(new, "h2", 7)]
        both = jobs.alive(
            session, "scheduler", dt.timedelta(minutes=1), now=T0 + dt.timedelta(seconds=35)
        )
        assert [j.id for j in both] == [new, old]
        info = jobs.get_job(session, old)
        assert info is not None and info.pid == os.getpid() and info.state == "running"
    with any_db.begin() as session:
        jobs.mark_ended(session, new, now=T0 + dt.timedelta(seconds=40))
        assert jobs.heartbeat(session, new) is False  # ended: the component should stop
    with any_db.session() as session:
        assert jobs.alive(session, "scheduler", 60, now=T0 + dt.timedelta(seconds=41)) == [
            jobs.get_job(session, old)
        ]
        latest = jobs.latest(session, "scheduler")
        assert latest is not None
        assert (latest.id, latest.state, latest.end_date) == (
            new,
            "success",
            T0 + dt.timedelta(seconds=40),
        )
        assert jobs.latest(session, "triggerer") is None
        assert jobs.get_job(session, 999) is None


def test_mark_ended_checks_the_state(sqlite_db: Database) -> None:
    with sqlite_db.begin() as session:
        job = jobs.register(session, "scheduler")
        with pytest.raises(ValueError):
            jobs.mark_ended(session, job, state="running")
        jobs.mark_ended(session, job, state="failed")
    with sqlite_db.session() as session:
        found = jobs.get_job(session, job)
        assert found is not None and found.state == "failed"

"""The audit log: recording events and reading them back with filters."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from slipstream.db.engine import Database
from slipstream.db.store import audit

T0 = dt.datetime(2024, 5, 1, 12, tzinfo=dt.UTC)


def test_record_and_list(any_db: Database) -> None:
    with any_db.begin() as session:
        audit.record(session, "cli_variables_set", owner="ann", extra={"key": "k"}, when=T0)
        audit.record(
            session,
            "trigger",
            owner="bob",
            dag_id="d",
            run_id="r",
            task_id="t",
            map_index=2,
            try_number=1,
            logical_date=T0,
            extra="raw",
            when=T0 + dt.timedelta(minutes=1),
        )
    with any_db.session() as session:
        events = audit.list_events(session)
    assert [e.event for e in events] == ["trigger", "cli_variables_set"]
    newest = events[0].to_dict()
    assert newest == {
        "event_log_id": newest["event_log_id"],
        "when": T0 + dt.timedelta(minutes=1),
        "event": "trigger",
        "owner": "bob",
        "dag_id": "d",
        "task_id": "t",
        "run_id": "r",
        "map_index": 2,
        "try_number": 1,
        "logical_date": T0,
        "extra": "raw",
    }
    assert json.loads(events[1].extra or "") == {"key": "k"}


def test_filters_limit_and_offset(any_db: Database) -> None:
    with any_db.begin() as session:
        for n in range(6):
            audit.record(
                session,
                "a" if n % 2 else "b",
                owner="ann" if n < 3 else "bob",
                dag_id=f"d{n % 3}",
                when=T0 + dt.timedelta(seconds=n),
            )
    with any_db.session() as session:

        def events(**filters: object) -> list[str]:
            found = audit.list_events(session, **filters)  # type: ignore[arg-type]
            return [f"{e.event}{int((e.when - T0).total_seconds())}" for e in found]

        assert events() == ["a5", "b4", "a3", "b2", "a1", "b0"]
        assert events(newest_first=False, limit=2) == ["b0", "a1"]
        assert events(limit=2, offset=2) == ["a3", "b2"]
        assert events(events=["a"]) == ["a5", "a3", "a1"]
        assert events(excluded_events=["a"]) == ["b4", "b2", "b0"]
        assert events(owner="bob", dag_id="d0") == ["a3"]
        assert events(after=T0 + dt.timedelta(seconds=2), before=T0 + dt.timedelta(seconds=4)) == [
            "a3",
            "b2",
        ]
        assert events(limit=None) == events(limit=100)


def test_event_names_are_checked(sqlite_db: Database) -> None:
    with sqlite_db.begin() as session:
        with pytest.raises(ValueError):
            audit.record(session, "")
        with pytest.raises(ValueError):
            audit.record(session, "x" * 61)

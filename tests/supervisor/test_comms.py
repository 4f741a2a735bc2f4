"""Length-prefixed JSON frames between supervisor and task, and executor events."""

from __future__ import annotations

import datetime as dt
import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from slipstream.core.exceptions import AirflowException, ParamValidationError
from slipstream.supervisor.comms import (
    Channel,
    ChannelClosed,
    from_iso,
    remote_error,
    send_event,
    to_iso,
)


@pytest.fixture
def pair() -> Iterator[tuple[Channel, Channel]]:
    a, b = socket.socketpair()
    with a, b:
        yield Channel(a), Channel(b)


def test_messages_round_trip_with_dates_and_large_bodies(pair: tuple[Channel, Channel]) -> None:
    ours, theirs = pair
    when = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    big = "x" * 3_000_000
    sender = threading.Thread(target=ours.send, args=({"op": "start", "when": when, "big": big},))
    sender.start()
    message = theirs.receive()
    sender.join()
    assert message == {"op": "start", "when": when.isoformat(), "big": big}


def test_receive_gives_none_when_the_other_end_closes(pair: tuple[Channel, Channel]) -> None:
    ours, theirs = pair
    ours.close()
    assert theirs.receive() is None


def test_requests_return_results_and_raise_reported_errors(pair: tuple[Channel, Channel]) -> None:
    task, supervisor = pair

    def serve() -> None:
        for reply in (lambda: supervisor.reply([1, 2]), lambda: supervisor.reply_error(
            ParamValidationError("bad param")
        )):  # fmt: skip
            assert supervisor.receive() is not None
            reply()
        supervisor.close()

    thread = threading.Thread(target=serve)
    thread.start()
    assert task.request("xcom_pull", task_id="t") == [1, 2]
    with pytest.raises(ParamValidationError, match="bad param"):
        task.request("trigger_dag_run")
    with pytest.raises(ChannelClosed):
        task.request("get_variable", key="k")
    thread.join()


def test_remote_errors_keep_airflow_classes() -> None:
    from slipstream.sdk.operators.trigger_dagrun import DagRunAlreadyExists

    assert isinstance(remote_error("DagRunAlreadyExists", "x"), DagRunAlreadyExists)
    assert isinstance(remote_error("KeyError", "k"), KeyError)
    other = remote_error("OperationalError", "database is locked")
    assert type(other) is AirflowException
    assert str(other) == "OperationalError: database is locked"


def test_events_are_datagrams_and_nobody_listening_is_fine(tmp_path: Path) -> None:
    path = str(tmp_path / "events.sock")
    assert not send_event(path, 1, "t")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(path)
        assert send_event(path, 7, "tok", lost=True)
        assert json.loads(sock.recv(1024)) == {"ti_id": 7, "token": "tok", "lost": True}
    assert not send_event(None, 1, "t")


def test_iso_helpers() -> None:
    when = dt.datetime(2024, 1, 1, 12, tzinfo=dt.UTC)
    parsed = from_iso(to_iso(when))
    assert parsed == when and type(parsed).__module__.startswith("pendulum")
    assert from_iso(None) is None and to_iso(None) is None

"""After a change the scheduler should act on at once, the API sends the schedulers on this host
the wake-up hint, as `dags trigger` does: clearing task instances, recording an asset event,
unpausing DAGs (triggering and clearing runs: `test_dag_runs.py`). Dry runs and pausing send
nothing."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from slipstream.core.wake import is_wake
from slipstream.db.engine import Database
from slipstream.db.models import Asset as AssetRow
from slipstream.db.models import DagModel
from slipstream.db.store import jobs
from slipstream.sdk import DAG
from slipstream.sdk.assets import Asset
from slipstream.sdk.operators.empty import EmptyOperator
from tests.scheduler.helpers import START, Harness

DATA = Asset("s3://bucket/wake")


@pytest.fixture
def scheduler_socket(api_db: Database, tmp_path: Path) -> Iterator[socket.socket]:
    """A datagram socket registered as a live scheduler's wake address on this host. The API
    sends the hint before it answers, so a test reads it without waiting."""
    path = str(tmp_path / "wake.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.setblocking(False)
    with api_db.begin() as session:
        jobs.register(session, jobs.SCHEDULER_JOB_TYPE, wake_address=path)
    yield sock
    sock.close()


@pytest.fixture
def world(api_harness: Harness) -> Harness:
    """`etl` (paused) whose run `bad` failed at `extract`; `consumer` scheduled on DATA."""
    with DAG("etl", schedule=None, start_date=START) as etl:
        EmptyOperator(task_id="extract") >> EmptyOperator(task_id="load")
    with DAG("consumer", schedule=[DATA], start_date=START) as consumer:
        EmptyOperator(task_id="use")
    api_harness.add_dag(etl)
    api_harness.add_dag(consumer)
    api_harness.trigger("etl", run_id="bad")
    api_harness.run_to_end({"extract": "failed"})
    with api_harness.db.begin() as session:
        model = session.get(DagModel, "etl")
        assert model is not None
        model.is_paused = True
    return api_harness


def hints(sock: socket.socket) -> int:
    """How many wake-ups wait on the socket (taking them)."""
    count = 0
    while True:
        try:
            data = sock.recv(100)
        except BlockingIOError:
            return count
        assert is_wake(data)
        count += 1


def test_clearing_task_instances_wakes_the_scheduler(
    world: Harness, scheduler_socket: socket.socket, admin_client: TestClient
) -> None:
    url = "/api/v2/dags/etl/clearTaskInstances"
    dry = admin_client.post(url, json={"dag_run_id": "bad"})
    assert dry.status_code == 200 and dry.json()["total_entries"] > 0
    assert hints(scheduler_socket) == 0
    cleared = admin_client.post(url, json={"dag_run_id": "bad", "dry_run": False})
    assert cleared.status_code == 200, cleared.text
    assert hints(scheduler_socket) == 1


def test_recording_an_asset_event_wakes_the_scheduler(
    world: Harness, scheduler_socket: socket.socket, admin_client: TestClient, api_db: Database
) -> None:
    with api_db.session() as session:
        asset_id = session.query(AssetRow.id).filter_by(uri=DATA.uri).scalar()
    response = admin_client.post("/api/v2/assets/events", json={"asset_id": asset_id})
    assert response.status_code == 200, response.text
    assert hints(scheduler_socket) == 1


def test_unpausing_wakes_the_scheduler_and_pausing_does_not(
    world: Harness, scheduler_socket: socket.socket, admin_client: TestClient
) -> None:
    assert admin_client.patch("/api/v2/dags/etl", json={"is_paused": False}).status_code == 200
    assert hints(scheduler_socket) == 1
    assert admin_client.patch("/api/v2/dags/etl", json={"is_paused": True}).status_code == 200
    assert hints(scheduler_socket) == 0
    many = admin_client.patch("/api/v2/dags?dag_id_pattern=~", json={"is_paused": False})
    assert many.status_code == 200 and many.json()["total_entries"] == 2
    assert hints(scheduler_socket) == 1

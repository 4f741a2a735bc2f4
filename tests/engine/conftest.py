"""The `stack` fixture: real Slipstream processes on a migrated SQLite home, all killed after
the test (see `stack.py`)."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from slipstream.config import generate_fernet_key

from .stack import EngineStack

# Short intervals, so crashes are noticed within seconds (each is an Airflow setting).
FAST_SETTINGS = {
    "SLIPSTREAM__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
    "SLIPSTREAM__CORE__LOAD_EXAMPLES": "False",
    "SLIPSTREAM__CORE__PARALLELISM": "8",
    "SLIPSTREAM__CORE__KILLED_TASK_CLEANUP_TIME": "5",
    "SLIPSTREAM__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "1",
    "SLIPSTREAM__SCHEDULER__SCHEDULER_HEALTH_CHECK_THRESHOLD": "3",
    "SLIPSTREAM__SCHEDULER__TASK_INSTANCE_HEARTBEAT_SEC": "1",
    "SLIPSTREAM__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": "3",
    "SLIPSTREAM__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT_DETECTION_INTERVAL": "1",
    "SLIPSTREAM__SCHEDULER__TASK_QUEUED_TIMEOUT": "30",
    "SLIPSTREAM__SCHEDULER__TASK_QUEUED_TIMEOUT_CHECK_INTERVAL": "1",
    "SLIPSTREAM__DAG_PROCESSOR__FILE_POLL_INTERVAL": "0.2",
}


@pytest.fixture
def stack(migrated_home: Path, tmp_path: Path) -> Iterator[EngineStack]:
    dags = tmp_path / "dags"
    dags.mkdir()
    output = tmp_path / "output"
    output.mkdir()
    env = dict(os.environ)
    env.update(FAST_SETTINGS)
    env["SLIPSTREAM_HOME"] = str(migrated_home)
    env["SLIPSTREAM__CORE__DAGS_FOLDER"] = str(dags)
    env["SLIPSTREAM__CORE__FERNET_KEY"] = generate_fernet_key()
    env["SLIPSTREAM__API__PORT"] = str(_free_port())  # standalone's API server
    env.pop("PYTEST_CURRENT_TEST", None)
    engine = EngineStack(migrated_home, dags, output, env)
    try:
        yield engine
    finally:
        engine.stop_all()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])

"""Fixtures for executor tests: a configured home with a Fernet key and short heartbeats, a
migrated SQLite database, and a started `LocalExecutor` (ended after the test)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from slipstream.config import Config, generate_fernet_key, load_config
from slipstream.db.engine import Database
from slipstream.executors.local import LocalExecutor


@pytest.fixture
def engine_env(slipstream_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The environment every process of the test inherits (workers read it too)."""
    monkeypatch.setenv("SLIPSTREAM__CORE__FERNET_KEY", generate_fernet_key())
    monkeypatch.setenv("SLIPSTREAM__SCHEDULER__TASK_INSTANCE_HEARTBEAT_SEC", "1")
    monkeypatch.setenv("SLIPSTREAM__CORE__KILLED_TASK_CLEANUP_TIME", "5")
    return slipstream_home


@pytest.fixture
def engine_config(engine_env: Path) -> Config:
    return load_config()


@pytest.fixture
def dags_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "dags"
    folder.mkdir()
    return folder


@pytest.fixture
def make_executor(
    engine_config: Config, sqlite_db: Database
) -> Iterator[Callable[..., LocalExecutor]]:
    started: list[LocalExecutor] = []

    def make(config: Config | None = None, parallelism: int = 4) -> LocalExecutor:
        url = sqlite_db.url.render_as_string(hide_password=False)
        executor = LocalExecutor(parallelism, url, config or engine_config)
        executor.start()
        started.append(executor)
        return executor

    yield make
    for executor in started:
        executor.end(timeout=10)


@pytest.fixture
def executor(make_executor: Callable[..., LocalExecutor]) -> LocalExecutor:
    return make_executor()

"""Fixtures of the API tests: a migrated home with one user per role, the application
in-process (`api_client`), and the real `slipstream api-server` (`live_api`) for the official
Airflow client (`airflow_client`).

Users are named after their role (`admin`, `op`, `user`, `viewer`), with `PASSWORDS[role]`.
The harness (`tests/scheduler/helpers.py`) fills the database with DAGs, runs and task
instances the way the scheduler would: `api_harness.add_dag(dag)`, `.trigger(...)`, `.run_to_end(...)`.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from slipstream.db.engine import Database
from tests.scheduler.helpers import Harness

ROLES = ("admin", "op", "user", "viewer")
PASSWORDS = {role: f"{role}-secret-pw" for role in ROLES}


@pytest.fixture(scope="session")
def _password_hashes() -> dict[str, str]:
    from slipstream.api.auth.passwords import hash_password

    return {role: hash_password(PASSWORDS[role]) for role in ROLES}


@pytest.fixture
def api_db(migrated_home: Path, _password_hashes: dict[str, str]) -> Iterator[Database]:
    """The home's migrated SQLite database, holding one user per role."""
    from slipstream.config import ensure_home, get_config
    from slipstream.db.session import open_database
    from slipstream.db.store import users

    ensure_home(get_config())  # a config file with a secret key, as a real home has
    db = open_database(get_config())
    with db.begin() as session:
        for role in ROLES:
            users.create_user(session, role, role=role, password_hash=_password_hashes[role])
    yield db
    db.dispose()


@pytest.fixture
def api_harness(api_db: Database) -> Harness:
    """Plays the scheduler and workers on `api_db` (see tests/scheduler/helpers.py)."""
    return Harness(api_db)


@pytest.fixture
def api_app(api_db: Database) -> FastAPI:
    from slipstream.api import create_app
    from slipstream.config import get_config

    return create_app(get_config(), db=api_db)


@pytest.fixture
def anonymous_client(api_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(api_app, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def client_as(api_app: FastAPI) -> Iterator[Callable[[str], TestClient]]:
    """`client_as("viewer")`: an in-process client logged in as that role's user."""
    clients: list[TestClient] = []

    def login(role: str) -> TestClient:
        client = TestClient(api_app, raise_server_exceptions=False)
        clients.append(client)
        response = client.post("/auth/token", json={"username": role, "password": PASSWORDS[role]})
        assert response.status_code == 201, response.text
        client.headers["Authorization"] = f"Bearer {response.json()['access_token']}"
        return client

    yield login
    for client in clients:
        client.close()


@pytest.fixture
def admin_client(client_as: Callable[[str], TestClient]) -> TestClient:
    return client_as("admin")


# -- the real server ------------------------------------------------------------------------


@dataclass(frozen=True)
class LiveApi:
    url: str
    process: subprocess.Popen[bytes]

    def token(self, role: str = "admin") -> str:
        response = httpx.post(
            f"{self.url}/auth/token", json={"username": role, "password": PASSWORDS[role]}
        )
        response.raise_for_status()
        return str(response.json()["access_token"])


@pytest.fixture
def live_api(api_db: Database, slipstream_home: Path) -> Iterator[LiveApi]:
    """`slipstream api-server` on a free port of 127.0.0.1, started as users start it."""
    port = _free_port()
    script = str(Path(sys.executable).with_name("slipstream"))
    log = open(slipstream_home / "api-server.log", "wb")  # noqa: SIM115
    process = subprocess.Popen(
        [script, "api-server", "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=os.environ.copy(),
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_serving(url, process, slipstream_home / "api-server.log")
        yield LiveApi(url, process)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@pytest.fixture
def airflow_client(live_api: LiveApi) -> Callable[[str], object]:
    """`airflow_client("op")`: the official `apache-airflow-client` `ApiClient`, logged in."""
    import airflow_client.client as af

    def make(role: str = "admin") -> af.ApiClient:
        configuration = af.Configuration(host=live_api.url, access_token=live_api.token(role))
        return af.ApiClient(configuration)

    return make


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until_serving(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"api-server exited with {process.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"{url}/api/v2/openapi.json", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise AssertionError(f"api-server did not start within 30 s:\n{log.read_text()}")

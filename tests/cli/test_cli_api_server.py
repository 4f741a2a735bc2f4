"""`slipstream api-server` as a process: its `date` header stays fresh though it ticks once a
second at rest, SIGTERM stops it at once with exit code 0, and a taken port is a startup failure."""

from __future__ import annotations

import email.utils
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

pytestmark = [pytest.mark.slow, pytest.mark.timeout(90)]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start(port: int, home: Path) -> subprocess.Popen[bytes]:
    script = str(Path(sys.executable).with_name("slipstream"))
    return subprocess.Popen(
        [script, "api-server", "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=os.environ.copy(),
    )


@pytest.fixture
def server(migrated_home: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    port = _free_port()
    process = _start(port, migrated_home)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(f"{url}/api/v2/monitor/health")
            break
        except httpx.TransportError:
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            assert time.monotonic() < deadline, "the API server did not answer in 60 s"
            time.sleep(0.05)
    yield process, url
    if process.poll() is None:
        process.kill()
        process.wait()
    if process.stderr is not None:
        process.stderr.close()


def test_the_date_header_moves_on_each_second(
    server: tuple[subprocess.Popen[bytes], str],
) -> None:
    _, url = server
    first = _date(httpx.get(f"{url}/api/v2/monitor/health"))
    time.sleep(2.1)
    second = _date(httpx.get(f"{url}/api/v2/monitor/health"))
    assert 1 <= second - first <= 4
    assert abs(second - time.time()) <= 2


def test_sigterm_stops_an_idle_server_at_once(server: tuple[subprocess.Popen[bytes], str]) -> None:
    process, _ = server
    time.sleep(0.3)  # resting in its once-a-second wait
    process.send_signal(signal.SIGTERM)
    assert process.wait(10) == 0


def test_a_taken_port_fails_the_start(migrated_home: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        process = _start(taken.getsockname()[1], migrated_home)
        _, stderr = process.communicate(timeout=60)
    assert process.returncode == 3
    assert b"address already in use" in stderr.lower()


def _date(response: httpx.Response) -> float:
    parsed = email.utils.parsedate_to_datetime(response.headers["date"])
    return parsed.timestamp()

"""`slipstream standalone` as users run it: the API server comes up with it, the generated admin
logs in, the DAG processor (a thread whose parsing children the warm worker forks) survives a
killed warm worker, and Ctrl-C, SIGTERM or a dead child stop the whole tree."""

from __future__ import annotations

import os
import re
import signal
import socket
import stat
from pathlib import Path

import httpx
import pytest

from .stack import EngineStack, children_of, pid_alive, wait_for, write_dag

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]

PASSWORD_FILE = "standalone_admin_password.txt"


def _api_url(stack: EngineStack) -> str:
    return f"http://127.0.0.1:{stack.env['SLIPSTREAM__API__PORT']}"


def _wait_api_ready(stack: EngineStack, starts: int = 1) -> None:
    """Until the API server of the `starts`th standalone started in `stack` answers."""
    wait_for(
        lambda: stack.output().count("API server ready at") >= starts, 60, "the API server", stack
    )


def _login(stack: EngineStack, password: str) -> httpx.Response:
    return httpx.post(
        f"{_api_url(stack)}/auth/token", json={"username": "admin", "password": password}
    )


def _command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def test_the_generated_admin_logs_in_and_ctrl_c_stops_every_child(stack: EngineStack) -> None:
    process = stack.start("standalone")
    _wait_api_ready(stack)
    output = stack.output()
    password_file = stack.home / PASSWORD_FILE
    password = password_file.read_text().strip()
    assert stat.S_IMODE(password_file.stat().st_mode) == 0o600
    assert f"login:       admin / {password}" in output
    assert f"web UI:      {_api_url(stack)}" in output

    login = _login(stack, password)
    assert login.status_code == 201, login.text
    token = login.json()["access_token"]
    health = httpx.get(
        f"{_api_url(stack)}/api/v2/monitor/health", headers={"Authorization": f"Bearer {token}"}
    ).json()
    assert health["metadatabase"]["status"] == "healthy"
    assert health["scheduler"]["status"] == "healthy"
    assert health["dag_processor"]["status"] == "healthy"
    assert _login(stack, "not-the-password").status_code == 401
    assert stack.query("SELECT username, role FROM user") == [("admin", "admin")]
    [(extra,)] = stack.query("SELECT extra FROM log WHERE event = 'cli_users_create'")
    assert password not in extra

    children = children_of(process.pid)
    commands = [_command_line(pid) for pid in children]
    assert sum("api-server" in command for command in commands) == 1, commands
    assert sum("warm_worker" in command for command in commands) == 1, commands
    assert not any("dag-processor" in command for command in commands)  # a thread of ours
    os.killpg(process.pid, signal.SIGINT)  # Ctrl-C: the terminal signals the foreground group
    assert process.wait(30) == 0
    wait_for(lambda: not any(map(pid_alive, children)), 15, "standalone's children", stack)
    output = stack.output()
    assert output.count("Slipstream stopped.") == 1
    assert "Traceback" not in output

    stack.start("standalone")  # a second start keeps the admin and its password
    _wait_api_ready(stack, starts=2)
    assert _login(stack, password).status_code == 201
    assert password_file.read_text().strip() == password
    assert stack.output().count(password) == 1  # printed once, on the first start


def test_an_existing_admin_is_kept_and_sigterm_stops_every_child(stack: EngineStack) -> None:
    created = stack.cli("users", "create", "-u", "root", "-r", "admin", "-p", "root-password")
    assert created.returncode == 0, created.stderr
    process = stack.start("standalone")
    _wait_api_ready(stack)
    assert not (stack.home / PASSWORD_FILE).exists()
    assert [row[0] for row in stack.query("SELECT username FROM user")] == ["root"]
    response = httpx.post(
        f"{_api_url(stack)}/auth/token", json={"username": "root", "password": "root-password"}
    )
    assert response.status_code == 201

    children = children_of(process.pid)
    process.send_signal(signal.SIGTERM)
    assert process.wait(30) == 0
    wait_for(lambda: not any(map(pid_alive, children)), 15, "standalone's children", stack)


def test_a_taken_port_stops_standalone_before_it_starts_anything(stack: EngineStack) -> None:
    port = int(stack.env["SLIPSTREAM__API__PORT"])
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port))
        taken.listen()
        process = stack.start("standalone")
        assert process.wait(30) == 1
    output = stack.output()
    assert f"cannot listen on 127.0.0.1:{port}" in output
    assert "SLIPSTREAM__API__PORT" in output
    assert "Slipstream is running" not in output


def test_a_dead_api_server_stops_standalone_saying_so(stack: EngineStack) -> None:
    process = stack.start("standalone")
    _wait_api_ready(stack)
    children = children_of(process.pid)
    [api_server] = [pid for pid in children if "api-server" in _command_line(pid)]
    stack.kill9(api_server)
    assert process.wait(30) == 1
    wait_for(lambda: not any(map(pid_alive, children)), 15, "standalone's children", stack)
    assert re.search(r"The API server exited unexpectedly \(exit code -9\)", stack.output())


NOOP_DAG = """
from airflow.sdk import DAG
from airflow.providers.standard.operators.empty import EmptyOperator

with DAG({dag_id}, schedule=None):
    EmptyOperator(task_id="only")
"""


def test_parsing_goes_on_when_the_warm_worker_that_forks_it_is_killed(stack: EngineStack) -> None:
    write_dag(stack.dags_folder, "first", NOOP_DAG, dag_id="first")
    process = stack.start("standalone")
    stack.wait_parsed("first")
    [worker] = [pid for pid in children_of(process.pid) if "warm_worker" in _command_line(pid)]
    stack.kill9(worker)

    def new_worker() -> bool:
        workers = [p for p in children_of(process.pid) if "warm_worker" in _command_line(p)]
        return bool(workers) and workers != [worker]

    write_dag(stack.dags_folder, "second", NOOP_DAG, dag_id="second")
    wait_for(new_worker, 30, "a new warm worker", stack)
    stack.wait_parsed("second", timeout=30)
    assert stack.query("SELECT COUNT(*) FROM import_error") == [(0,)]
    assert process.poll() is None
    run_id = stack.trigger("second", "after_the_kill")
    assert stack.wait_run("second", run_id) == "success"

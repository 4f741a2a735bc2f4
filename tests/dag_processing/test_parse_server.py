"""Parsing children forked by a parse server (what standalone's warm worker hosts) on behalf of
a processor that must not fork: the same results as forking locally, and a server that dies
costs a re-parse, never an import error."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from slipstream.dag_processing.forkers import RemoteForker
from slipstream.dag_processing.parse_pool import ParseJob, ParsePool
from slipstream.dag_processing.parse_result import FileResult
from tests.engine.stack import pid_alive

from .conftest import good_dag

HEADER = "# an airflow dag file\n"

SERVER = """
import os, select, sys
from slipstream.dag_processing.parse_server import ParseServer
from slipstream.dag_processing.processor import warm_up

warm_up()
server = ParseServer(sys.argv[1], in_child=lambda: None)
print("serving", flush=True)
while True:
    ready, _, _ = select.select(server.fds(), [], [], 0.05)
    server.handle(ready)
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if pid == 0:
            break
        server.reaped(pid, status)
"""


class Server:
    """A parse server in a process of its own, listening on `path`."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.process: subprocess.Popen[str] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", SERVER, self.path], stdout=subprocess.PIPE, text=True
        )
        assert self.process.stdout is not None
        assert self.process.stdout.readline().strip() == "serving"

    def kill(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        self.process.kill()
        self.process.wait()
        self.process.stdout.close()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    running = Server(str(tmp_path / "parse.sock"))
    running.start()
    yield running
    running.kill()


def parse(
    folder: Path, files: dict[str, str], forker: RemoteForker, **options: object
) -> dict[str, FileResult]:
    for name, source in files.items():
        (folder / name).write_text(textwrap.dedent(source))
    pool = ParsePool(processes=2, timeout_s=3.0, memory_limit_mb=1024, forker=forker)
    jobs = [ParseJob(str(folder / name), str(folder)) for name in files]
    try:
        return {os.path.basename(r.path): r for r in pool.parse(jobs, **options)}  # type: ignore[arg-type]
    finally:
        forker.close()


def test_the_server_forks_children_that_report_like_local_ones(
    tmp_path: Path, server: Server
) -> None:
    dags = tmp_path / "dags"
    dags.mkdir()
    results = parse(
        dags,
        {
            "good.py": good_dag("good"),
            "broken.py": HEADER + "from airflow.sdk import DAG\nraise ValueError('nope')\n",
            "crash.py": HEADER + "import ctypes\nctypes.string_at(0)\n",
        },
        RemoteForker(server.path),
    )
    good = results["good.py"]
    assert good.error is None and good.loaded
    assert [dag.dag_id for dag in good.dags] == ["good"]
    assert good.dags[0].record["relative_fileloc"] == "good.py"
    broken = results["broken.py"]
    assert broken.error is not None and "ValueError: nope" in broken.error.message
    crash = results["crash.py"]
    assert crash.error is not None and "SIGSEGV" in crash.error.message


def test_a_hanging_file_is_killed_through_the_server(tmp_path: Path, server: Server) -> None:
    results = parse(
        tmp_path,
        {"hang.py": HEADER + "while True:\n    pass\n"},
        RemoteForker(server.path),
    )
    hang = results["hang.py"]
    assert hang.error is not None and "timed out" in hang.error.message


def test_files_parsing_when_the_server_dies_are_parsed_again_by_the_next_one(
    tmp_path: Path, server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    slow = HEADER + "import time\ntime.sleep(0.5)\n" + textwrap.dedent(good_dag("slow"))
    replaced = []

    def replace_server_once() -> None:
        if not replaced:
            server.kill()
            server.start()
            replaced.append(True)

    results = parse(
        tmp_path,
        {"slow.py": slow},
        RemoteForker(server.path),
        idle=replace_server_once,
    )
    assert replaced
    assert "Parsing 1 files again: the parse server went away" in caplog.text
    slow_result = results["slow.py"]
    assert slow_result.error is None, slow_result.error
    assert [dag.dag_id for dag in slow_result.dags] == ["slow"]


def test_a_processor_that_goes_away_takes_its_children_with_it(
    tmp_path: Path, server: Server
) -> None:
    (tmp_path / "hang.py").write_text(HEADER + "while True:\n    pass\n")
    forker = RemoteForker(server.path)
    read_fd, write_fd = os.pipe()
    try:
        pid = forker.start(
            ParseJob(str(tmp_path / "hang.py"), str(tmp_path)),
            write_fd,
            memory_limit_mb=0,
            cpu_limit=60,
        )
        assert pid_alive(pid)
        forker.close()
        deadline = time.monotonic() + 10
        while pid_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not pid_alive(pid)
    finally:
        os.close(read_fd)
        os.close(write_fd)


def test_no_server_means_a_failed_result_naming_the_socket(tmp_path: Path) -> None:
    missing = str(tmp_path / "nobody.sock")
    results = parse(
        tmp_path, {"good.py": good_dag("good")}, RemoteForker(missing, connect_timeout=0.2)
    )
    error = results["good.py"].error
    assert error is not None
    assert "Could not start a parsing process" in error.message and missing in error.message

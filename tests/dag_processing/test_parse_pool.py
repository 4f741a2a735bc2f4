"""Parsing in forked children: whatever a DAG file does, the processor gets a result naming it."""

from __future__ import annotations

import os
import textwrap
import time
from pathlib import Path

import pytest

from slipstream.dag_processing.parse_pool import ParseJob, ParsePool
from slipstream.dag_processing.parse_result import FileResult
from slipstream.dag_processing.processor import warm_up

from .conftest import good_dag

HEADER = "# an airflow dag file\n"


@pytest.fixture(scope="module", autouse=True)
def _warm() -> None:
    warm_up()


def parse(tmp_path: Path, files: dict[str, str], **pool_args: object) -> dict[str, FileResult]:
    for name, source in files.items():
        (tmp_path / name).write_text(textwrap.dedent(source))
    options: dict[str, object] = {"processes": 2, "timeout_s": 1.5, "memory_limit_mb": 1024}
    options.update(pool_args)
    pool = ParsePool(**options)  # type: ignore[arg-type]
    jobs = [ParseJob(str(tmp_path / name), str(tmp_path)) for name in files]
    return {os.path.basename(r.path): r for r in pool.parse(jobs)}


def test_a_good_file_gives_serialized_dags_and_their_hashes(tmp_path: Path) -> None:
    results = parse(tmp_path, {"good.py": good_dag("good")})
    result = results["good.py"]
    assert result.error is None and result.loaded
    (dag,) = result.dags
    assert dag.dag_id == "good"
    assert dag.record["relative_fileloc"] == "good.py"
    assert dag.record["tags"] == ["team-a", "good"] or sorted(dag.record["tags"]) == [
        "good",
        "team-a",
    ]
    assert len(dag.hash) == 64
    assert parse(tmp_path, {"good.py": good_dag("good")})["good.py"].dags[0].hash == dag.hash


def test_a_hanging_file_times_out_and_its_child_is_killed(tmp_path: Path) -> None:
    started = time.monotonic()
    results = parse(
        tmp_path,
        {"hang.py": HEADER + "while True:\n    pass\n", "good.py": good_dag("good")},
        timeout_s=1.0,
    )
    assert time.monotonic() - started < 5
    hang = results["hang.py"]
    assert not hang.loaded and hang.error is not None
    assert "timed out after 1 s" in hang.error.message
    assert results["good.py"].dags[0].dag_id == "good"


def test_a_sleeping_file_times_out_too(tmp_path: Path) -> None:
    results = parse(tmp_path, {"sleep.py": HEADER + "import time\ntime.sleep(60)\n"}, timeout_s=0.5)
    assert "timed out after 0.5 s" in results["sleep.py"].error.message  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "source",
    [
        "import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)\n",
        "import ctypes\nctypes.string_at(0)\n",
    ],
    ids=["kill-SIGSEGV", "ctypes-null-read"],
)
def test_a_segfaulting_file_is_reported_by_signal(tmp_path: Path, source: str) -> None:
    results = parse(tmp_path, {"segv.py": HEADER + source, "good.py": good_dag("good")})
    segv = results["segv.py"]
    assert not segv.loaded
    assert segv.error is not None and "killed by signal SIGSEGV" in segv.error.message
    assert results["good.py"].error is None


def test_a_file_calling_os_exit_is_reported(tmp_path: Path) -> None:
    results = parse(tmp_path, {"exit.py": HEADER + "import os\nos._exit(3)\n"})
    error = results["exit.py"].error
    assert error is not None and "exited with code 3" in error.message


def test_sys_exit_is_an_ordinary_import_error(tmp_path: Path) -> None:
    results = parse(tmp_path, {"exit.py": HEADER + "import sys\nsys.exit(4)\n"})
    error = results["exit.py"].error
    assert error is not None and error.message.startswith("SystemExit")
    assert error.lineno == 3


def test_a_memory_hog_gets_a_memory_error_not_the_machine(tmp_path: Path) -> None:
    results = parse(tmp_path, {"hog.py": HEADER + "data = bytearray(10**10)\n"})
    error = results["hog.py"].error
    assert error is not None
    assert error.message.startswith("MemoryError")
    assert "file_parsing_memory_limit_mb" in error.message
    assert error.lineno == 2


def test_a_syntax_error_names_its_line(tmp_path: Path) -> None:
    results = parse(tmp_path, {"broken.py": HEADER + "x = 1\ndef oops(:\n    pass\n"})
    result = results["broken.py"]
    assert not result.loaded
    assert result.error is not None and result.error.lineno == 3
    assert "SyntaxError" in result.error.message
    assert "SyntaxError" in result.error.traceback


def test_files_run_in_parallel_up_to_the_limit(tmp_path: Path) -> None:
    sleeper = HEADER + "import time\ntime.sleep(0.6)\n"
    started = time.monotonic()
    results = parse(tmp_path, {f"s{i}.py": sleeper for i in range(4)}, processes=4, timeout_s=5)
    assert time.monotonic() - started < 2.0
    assert all(r.error is None for r in results.values())


def test_a_large_result_is_not_cut_at_the_pipe_buffer(tmp_path: Path) -> None:
    source = good_dag("big").replace(
        'EmptyOperator(task_id="only")',
        'for i in range(400):\n        EmptyOperator(task_id=f"task_with_a_long_name_{i:04d}")',
    )
    results = parse(tmp_path, {"big.py": source})
    (dag,) = results["big.py"].dags
    assert len(dag.record["tasks"]) == 400
    assert len(results["big.py"].to_json()) > 65536


def test_stopping_kills_running_children(tmp_path: Path) -> None:
    (tmp_path / "hang.py").write_text(HEADER + "import time\ntime.sleep(60)\n")
    pool = ParsePool(processes=1, timeout_s=30, memory_limit_mb=0)
    calls = []

    def should_stop() -> bool:
        calls.append(1)
        return len(calls) > 2

    started = time.monotonic()
    results = list(pool.parse([ParseJob(str(tmp_path / "hang.py"))], should_stop=should_stop))
    assert results == []
    assert time.monotonic() - started < 5

"""The parsing child: import one DAG file, describe its DAGs, report over a pipe, exit.

`run_child` is what a process forked by `ParsePool` runs. It never returns: whatever the DAG
file does (raise, `sys.exit`, start threads, leak memory), the child ends with `os._exit`, so no
code of the parent's stack, `atexit` hook or finalizer ever runs in it. Before the file is
imported the child limits itself: its address space (`RLIMIT_AS`, so a memory hog gets a
`MemoryError` instead of the machine's memory), its CPU time (a backstop for the parent's wall
clock timeout), and on Linux it asks to be killed when its parent dies, so a hanging file cannot
outlive a killed DAG processor. Standard input is /dev/null: a file calling `input()` waits for
nothing.
"""

from __future__ import annotations

import contextlib
import faulthandler
import gc
import math
import os
import resource
import signal
import sys
import time
from collections.abc import Callable, Mapping
from typing import NoReturn

from slipstream.dag_processing.parse_result import FileResult, ParsedDag, ParseError

_PR_SET_PDEATHSIG = 1


def parse_file(
    path: str,
    root: str | None,
    *,
    memory_limit_mb: int = 0,
    known: Mapping[str, str] | None = None,
) -> FileResult:
    """Import the DAG file at `path` in this process and serialize every DAG it defines.

    `root` is the DAGs folder the file belongs to (put on `sys.path`, and what
    `relative_fileloc` is relative to). A DAG whose hash is `known[dag_id]` (what the processor
    stored last) is reported `unchanged`, without its data. Never raises for anything the file
    does.
    """
    from slipstream.dagfiles.bag import DagBag
    from slipstream.serialization import dag_hash, serialize_dag

    started = time.perf_counter()
    filename = os.path.abspath(path)
    bag = DagBag(root, collect=False)
    dags = bag.process_file(filename)
    record = bag.import_errors.get(filename)
    loaded = filename in bag.file_dags
    result = FileResult(
        path=filename,
        error=None
        if record is None
        else ParseError(record.message, record.traceback, record.lineno),
        warnings=list(bag.warnings.get(filename, ())),
        loaded=loaded,
    )
    if record is not None and record.message.startswith("MemoryError") and memory_limit_mb:
        result = result.with_error(
            f"(parsing processes may use {memory_limit_mb} MB: "
            "[dag_processor] file_parsing_memory_limit_mb)"
        )
    parsed: list[ParsedDag] = []
    for dag in dags:
        try:
            data = serialize_dag(dag, dags_folder=root)
            digest = dag_hash(data)
            if known is not None and known.get(dag.dag_id) == digest:
                parsed.append(ParsedDag(dag.dag_id, {}, digest, unchanged=True))
            else:
                parsed.append(ParsedDag(dag.dag_id, data, digest))
        except Exception as err:
            result = result.with_error(
                f"DAG '{dag.dag_id}' cannot be serialized: {type(err).__name__}: {err}"
            )
    return FileResult(
        path=filename,
        dags=parsed,
        error=result.error,
        warnings=result.warnings,
        duration_s=time.perf_counter() - started,
        loaded=loaded,
    )


WARM_UP_ROUNDS = 12
"""How often `warm_up_parsing` parses its sample: enough for CPython to specialize the code."""

_WARM_UP_DAG = """
import pendulum
from airflow.providers.standard.operators.bash import BashOperator
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import DAG, task


def noop():
    return None


with DAG(
    "__warm_up_parsing__",
    schedule="@daily",
    start_date=pendulum.datetime(2024, 1, 1),
    catchup=False,
    default_args={"retries": 1},
    tags=["warm-up"],
):
    first = PythonOperator(task_id="first", python_callable=noop)
    last = EmptyOperator(task_id="last")

    @task
    def decorated():
        return None

    middle = [PythonOperator(task_id=f"t{i}", python_callable=noop) for i in range(3)]
    first >> middle >> BashOperator(task_id="bash", bash_command="true") >> decorated() >> last
"""


def warm_up_parsing(rounds: int = WARM_UP_ROUNDS) -> None:
    """Parse a small sample DAG file a few times in this process, which forks the parsing
    children; never raises.

    Every child runs the same code: loading a file, building operators, serializing, hashing,
    encoding the result. CPython 3.11+ rewrites the bytecode of code it runs often
    (specializing it) and keeps lazily built caches; done here, before forking, that happens
    once, where otherwise each child would do it again and, writing to memory it shares with
    its parent, copy every page it touches (a third of a child's cost, measured).
    """
    import shutil
    import tempfile

    from slipstream.dagfiles.module_loader import unique_module_name

    folder = tempfile.mkdtemp(prefix="slipstream-warm-up-")
    path = os.path.join(folder, "warm_up_parsing.py")
    try:
        with open(path, "w", encoding="utf-8") as file:
            file.write(_WARM_UP_DAG)
        for _ in range(rounds):
            parse_file(path, folder).to_json()
    except Exception:  # a warm-up only: the children pay instead
        pass
    finally:
        sys.modules.pop(unique_module_name(path), None)
        with contextlib.suppress(ValueError):
            sys.path.remove(folder)  # put there by loading a file of that folder
        shutil.rmtree(folder, ignore_errors=True)


def run_child(
    path: str,
    root: str | None,
    write_fd: int,
    *,
    parent_pid: int,
    memory_limit_mb: int,
    cpu_limit_s: float,
    known: Mapping[str, str] | None = None,
) -> NoReturn:
    """Body of a forked parsing child: parse `path`, write the JSON result to `write_fd`, exit.

    Exit code 0 means a result was written; anything else (or a signal) means it was not.
    """
    code = 1
    try:
        _isolate(parent_pid, memory_limit_mb, cpu_limit_s)
        result = parse_file(path, root, memory_limit_mb=memory_limit_mb, known=known)
        payload = result.to_json().encode("utf-8")
        _write_all(write_fd, payload)
        code = 0
    except BaseException as err:  # the child must end here, whatever happened
        with contextlib.suppress(BaseException):
            message = f"The parsing process failed: {type(err).__name__}: {err}"
            _write_all(write_fd, FileResult.failed(path, message).to_json().encode("utf-8"))
            code = 0
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(BaseException):
                stream.flush()
        os._exit(code)


def _isolate(parent_pid: int, memory_limit_mb: int, cpu_limit_s: float) -> None:
    # Objects inherited from the parent (its DB connections among them) must never be finalized
    # here: a collected connection would close the parent's socket.
    gc.freeze()
    # A crash is reported by the parent as the file's import error; a fault handler inherited
    # from the parent would also dump the parent's stack to its stderr.
    faulthandler.disable()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C: the parent stops the children
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _die_with_parent(parent_pid)
    _stdin_from_devnull()
    _limit(memory_limit_mb, cpu_limit_s)


def _find_prctl() -> Callable[..., int] | None:
    """libc's `prctl`, looked up once in the forking process (a child doing it would load
    ctypes and walk libc again, for every file); None where there is none."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        prctl: Callable[..., int] = ctypes.CDLL(None, use_errno=True).prctl
    except Exception:
        return None
    return prctl


_PRCTL = _find_prctl()


def _die_with_parent(parent_pid: int) -> None:
    if _PRCTL is not None:
        with contextlib.suppress(Exception):
            _PRCTL(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
    if os.getppid() != parent_pid:  # the parent died before the request took effect
        os._exit(1)


def _stdin_from_devnull() -> None:
    with contextlib.suppress(OSError):
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.close(devnull)


def _limit(memory_limit_mb: int, cpu_limit_s: float) -> None:
    if memory_limit_mb > 0:
        _set_limit(resource.RLIMIT_AS, memory_limit_mb * 1024 * 1024)
    if cpu_limit_s > 0:
        _set_limit(resource.RLIMIT_CPU, math.ceil(cpu_limit_s))


def _set_limit(which: int, value: int) -> None:
    _soft, hard = resource.getrlimit(which)
    if hard != resource.RLIM_INFINITY:
        value = min(value, hard)
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(which, (value, hard))


def _write_all(fd: int, payload: bytes) -> None:
    """Write the whole payload. The pipe stays open until `os._exit` closes it: the kernel
    closes a process's files after freeing its memory, just before the parent can reap it, so
    the end of the result and the end of the child reach the parent together (closing it here
    would have the parent see the result, then wait for a child still tearing down)."""
    view = memoryview(payload)
    while view:
        written = os.write(fd, view)
        view = view[written:]

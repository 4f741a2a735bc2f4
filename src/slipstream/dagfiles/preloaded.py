"""DAG files imported once by a process whose forks then run their tasks without importing them.

A task process normally imports its DAG file itself, which for a wide DAG costs more than the
task. The supervisor's *task forker* (`supervisor.task_forker`) instead imports a file once
(`preload`) and forks the task processes of that file from itself; `lookup` then hands each
task process its DAG, already built. Only the import is shared: every try still runs in a fresh
process, and a task's changes to its DAG die with it.

A preloaded file is only used while it, and every module it imported from outside the installed
packages (helpers next to it in the DAGs folder, say), is unchanged: same modification time,
size and inode (`current`). The import happens as it would in a task process (the environment
without database credentials, output to nowhere) with two differences that make a file not
preloadable instead: asking for a variable or connection while being imported (the answer could
differ from what the task would get), and starting threads (forking from a process with threads
is unsafe). Such a file is simply imported by each task process, as before.
"""

from __future__ import annotations

import contextlib
import os
import sys
import sysconfig
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from slipstream.core.exceptions import AirflowException

Stamp = tuple[str, int, int, int]  # (path, mtime_ns, size, inode)

__all__ = ["NotPreloadable", "Preloaded", "current", "lookup", "preload", "stamp"]


class NotPreloadable(AirflowException):
    """The file cannot be preloaded (why is the message); its tasks import it themselves."""


@dataclass(frozen=True)
class Preloaded:
    """A DAG file imported in this process: its DAGs by id and the files it was built from."""

    fileloc: str
    dags: dict[str, Any]
    stamps: tuple[Stamp, ...]


_PRELOADED: dict[str, Preloaded] = {}


def preload(fileloc: str, *, environ: Mapping[str, str] | None = None) -> Preloaded:
    """Import `fileloc` in this process and keep its DAGs for `lookup`; raises
    `NotPreloadable`. `environ` (default: unchanged) is the environment during the import."""
    from slipstream.dagfiles.bag import DagBag
    from slipstream.sdk.secrets import set_runtime_backend

    path = os.path.abspath(fileloc)
    before = set(sys.modules)
    threads = threading.active_count()
    services = _NoServices()
    previous = set_runtime_backend(services)
    try:
        with _environment(environ), _silenced():
            bag = DagBag(path, collect=False)
            bag.process_file(path)
    finally:
        set_runtime_backend(previous)
    if services.asked is not None:  # even if the file caught the error and went on
        raise NotPreloadable(f"{path}: {services.asked}")
    if threading.active_count() > threads:
        raise NotPreloadable(f"{path} starts threads when imported")
    error = bag.import_errors.get(path)
    if error is not None:
        raise NotPreloadable(f"{path} does not import cleanly: {error.message}")
    files = [path, *_user_files(set(sys.modules) - before, path)]
    entry = Preloaded(path, dict(bag.dags), tuple(s for s in map(stamp, files) if s is not None))
    _PRELOADED[path] = entry
    _build_template_environments(entry)
    return entry


def _build_template_environments(entry: Preloaded) -> None:
    """Each DAG's Jinja environment, built here once instead of in every task process."""
    from slipstream.sdk.templating import dag_template_env

    for dag in entry.dags.values():
        with contextlib.suppress(Exception):  # a broken one fails in the task, as it would
            dag_template_env(dag)


def lookup(fileloc: str, dag_id: str) -> Any | None:
    """The preloaded DAG `dag_id` of `fileloc`, if preloaded in (a parent of) this process and
    still current; None otherwise (import the file then)."""
    entry = _PRELOADED.get(os.path.abspath(fileloc))
    if entry is None or not current(entry):
        return None
    return entry.dags.get(dag_id)


def get(fileloc: str) -> Preloaded | None:
    return _PRELOADED.get(os.path.abspath(fileloc))


def current(entry: Preloaded) -> bool:
    """Whether every file the preloaded DAGs were built from is unchanged."""
    return all(stamp(s[0]) == s for s in entry.stamps)


def stamp(path: str) -> Stamp | None:
    """What tells a changed file: (path, mtime_ns, size, inode); None if it is gone."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (path, st.st_mtime_ns, st.st_size, st.st_ino)


class _NoServices:
    """The runtime backend while preloading: a DAG file that reads a variable or connection at
    import time is not preloaded (its task must see the real value)."""

    def __init__(self) -> None:
        self.asked: str | None = None

    def _refuse(self, what: str) -> NotPreloadable:
        self.asked = self.asked or f"it {what} when imported"
        return NotPreloadable(self.asked)

    def get_variable(self, key: str) -> str | None:
        raise self._refuse(f"reads variable {key!r}")

    def set_variable(self, key: str, value: str, description: str | None = None) -> None:
        raise self._refuse(f"sets variable {key!r}")

    def delete_variable(self, key: str) -> None:
        raise self._refuse(f"deletes variable {key!r}")

    def get_connection(self, conn_id: str) -> dict[str, Any] | None:
        raise self._refuse(f"reads connection {conn_id!r}")


@contextlib.contextmanager
def _environment(environ: Mapping[str, str] | None) -> Iterator[None]:
    if environ is None:
        yield
        return
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(environ)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


@contextlib.contextmanager
def _silenced() -> Iterator[None]:
    """What the file prints while imported goes nowhere (its tasks' logs are not open yet)."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    devnull = os.open(os.devnull, os.O_WRONLY)
    saved = [os.dup(1), os.dup(2)]
    try:
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        with (
            open(os.devnull, "w") as sink,
            contextlib.redirect_stdout(sink),
            contextlib.redirect_stderr(sink),
        ):
            yield
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in (*saved, devnull):
            os.close(fd)


def _user_files(names: set[str], dag_file: str) -> list[str]:
    """Files of newly imported modules that are not installed packages (nor Slipstream)."""
    installed = {
        os.path.realpath(p)
        for key in ("stdlib", "platstdlib", "purelib", "platlib")
        if (p := sysconfig.get_paths().get(key))
    }
    installed.add(os.path.realpath(os.path.dirname(os.path.dirname(__file__))))  # slipstream
    out = []
    for name in sorted(names):
        module = sys.modules.get(name)
        path = getattr(module, "__file__", None)
        if not isinstance(path, str):
            continue
        real = os.path.realpath(path)
        if real != dag_file and not any(real.startswith(p + os.sep) for p in installed):
            out.append(os.path.abspath(path))
    return out

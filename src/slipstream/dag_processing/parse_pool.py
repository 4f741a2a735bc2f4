"""Parsing DAG files in child processes forked from the DAG processor, a few at a time.

Each file gets its own child (forked, so the SDK and the `airflow` import hook the parent
already imported come for free; by the processor itself or by a fork server, see `forkers`)
and its own wall-clock deadline. Results come back as JSON over
a pipe (see `parse_worker`). A child that runs past its deadline is killed; one that dies of a
signal or exits without a result becomes a failed `FileResult` naming the cause, so nothing a
DAG file does reaches the processor.

The processor must stay single-threaded while it forks (a fork copies only the calling thread,
and Python 3.12+ warns about forking a multi-threaded process); this is one reason the file
watcher is a select-able file descriptor rather than a watcher thread.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import signal
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from slipstream.dag_processing.forkers import Forker, ForkerLost, LocalForker
from slipstream.dag_processing.parse_result import FileResult

log = logging.getLogger("slipstream.dag_processing")

_READ_SIZE = 1 << 16
_REAP_POLL_S = 0.005


@dataclass(frozen=True)
class ParseJob:
    """A file to parse and the DAGs folder it belongs to (None: a single file given alone);
    `known` holds `(dag_id, hash)` of what the processor stored of it last."""

    path: str
    root: str | None = None
    known: tuple[tuple[str, str], ...] = ()


@dataclass
class _Child:
    job: ParseJob
    pid: int
    fd: int
    started: float
    deadline: float
    chunks: list[bytes] = field(default_factory=list)
    eof: bool = False


class ParsePool:
    """Runs `ParseJob`s in forked children, at most `processes` at once.

    `timeout_s` is the per-file wall clock limit (`core.dagbag_import_timeout`);
    `memory_limit_mb` the address-space limit of each child (0: none); `forker` starts the
    children (default: this process forks them).
    """

    def __init__(
        self,
        *,
        processes: int,
        timeout_s: float,
        memory_limit_mb: int,
        forker: Forker | None = None,
    ) -> None:
        self.processes = max(1, processes)
        self.timeout_s = timeout_s
        self.memory_limit_mb = memory_limit_mb
        self.forker: Forker = forker or LocalForker()

    def parse(
        self,
        jobs: Sequence[ParseJob],
        *,
        wake_fd: int | None = None,
        should_stop: Callable[[], bool] = lambda: False,
        idle: Callable[[], None] | None = None,
    ) -> Iterator[FileResult]:
        """Yield one `FileResult` per job, in the order they finish.

        When `should_stop()` turns true (checked whenever `wake_fd` becomes readable and at
        least every half second), running children are killed and the iteration ends early,
        leaving the remaining jobs unparsed. `idle()` is called at least every half second
        while children run (to store finished results, heartbeat...).
        """
        pending = deque(jobs)
        running: dict[int, _Child] = {}
        try:
            while pending or running:
                if should_stop():
                    return
                while pending and len(running) < self.processes:
                    job = pending.popleft()
                    child = self._start(job)
                    if isinstance(child, FileResult):
                        yield child
                    else:
                        running[child.fd] = child
                self._wait(running, wake_fd)
                try:
                    finished = [(c, self._collect(c)) for c in list(running.values())]
                except ForkerLost as err:  # its children died with it: parse those again
                    log.warning("Parsing %d files again: %s", len(running), err)
                    pending.extendleft(c.job for c in running.values())
                    _close_all(running)
                    continue
                for child, result in finished:
                    if result is not None:
                        del running[child.fd]
                        os.close(child.fd)
                        yield result
                if idle is not None:
                    idle()
        finally:
            for child in running.values():
                with contextlib.suppress(ForkerLost):
                    self.forker.kill(child.pid)
            _close_all(running)

    def _start(self, job: ParseJob) -> _Child | FileResult:
        read_fd, write_fd = os.pipe()
        try:
            pid = self._fork(job, read_fd, write_fd)
        except OSError as err:
            os.close(read_fd)
            return FileResult.failed(job.path, f"Could not start a parsing process: {err}")
        finally:
            os.close(write_fd)
        now = time.monotonic()
        return _Child(job, pid, read_fd, now, now + self.timeout_s)

    def _fork(self, job: ParseJob, read_fd: int, write_fd: int) -> int:
        """The child's pid; a fork server that went away is asked again once (reconnecting;
        a second loss, an OSError too, fails the file saying so)."""

        def start() -> int:
            return self.forker.start(
                job,
                write_fd,
                memory_limit_mb=self.memory_limit_mb,
                cpu_limit=self.timeout_s * 2 + 5,
                close_in_child=read_fd,
            )

        try:
            return start()
        except ForkerLost:
            return start()

    def _wait(self, running: dict[int, _Child], wake_fd: int | None) -> None:
        """Block until a child has output or exits, a deadline passes, or `wake_fd` stirs."""
        if not running:
            return
        now = time.monotonic()
        timeout = max(0.0, min(c.deadline for c in running.values()) - now)
        if any(c.eof for c in running.values()):
            timeout = min(timeout, _REAP_POLL_S)
        timeout = min(timeout, 0.5)  # so a stop request without wake_fd is noticed soon
        fds = [fd for fd, c in running.items() if not c.eof]
        if wake_fd is not None:
            fds.append(wake_fd)
        news_fd = self.forker.fileno()
        if news_fd is not None:
            fds.append(news_fd)
        ready, _, _ = select.select(fds, [], [], timeout)
        for fd in ready:
            child = running.get(fd)
            if child is not None:
                _read_some(child)
            elif fd == wake_fd:
                _drain_wake(fd)

    def _collect(self, child: _Child) -> FileResult | None:
        """The child's result once it exited (or was killed at its deadline); None if running."""
        status = self.forker.status(child.pid)
        if status is None:
            if time.monotonic() < child.deadline:
                return None
            self.forker.kill(child.pid)
            elapsed = time.monotonic() - child.started
            return FileResult.failed(
                child.job.path,
                f"Parsing timed out after {self.timeout_s:g} s "
                "(core.dagbag_import_timeout): the parsing process was killed",
                duration_s=elapsed,
            )
        _drain(child)
        return _outcome(child, status, time.monotonic() - child.started)


def _outcome(child: _Child, status: int, elapsed: float) -> FileResult:
    path = child.job.path
    if os.WIFSIGNALED(status):
        return FileResult.failed(path, _signal_message(os.WTERMSIG(status)), duration_s=elapsed)
    code = os.waitstatus_to_exitcode(status)
    payload = b"".join(child.chunks)
    if code == 0 and payload:
        try:
            return FileResult.from_json(payload)
        except (ValueError, KeyError, TypeError) as err:
            return FileResult.failed(
                path, f"The parsing process sent an unreadable result: {err}", duration_s=elapsed
            )
    return FileResult.failed(
        path,
        f"The parsing process exited with code {code} before reporting a result "
        "(does the file call os._exit?)",
        duration_s=elapsed,
    )


_SIGNAL_HINTS = {
    signal.SIGSEGV: "segmentation fault",
    signal.SIGBUS: "bus error",
    signal.SIGABRT: "aborted",
    signal.SIGKILL: "the system may have run out of memory",
    signal.SIGXCPU: "CPU time limit exceeded",
}


def _signal_message(signum: int) -> str:
    try:
        sig = signal.Signals(signum)
    except ValueError:
        return f"The parsing process was killed by signal {signum}"
    hint = _SIGNAL_HINTS.get(sig)
    suffix = f" ({hint})" if hint else ""
    return f"The parsing process was killed by signal {sig.name}{suffix}"


def _read_some(child: _Child) -> None:
    try:
        data = os.read(child.fd, _READ_SIZE)
    except OSError:
        data = b""
    if data:
        child.chunks.append(data)
    else:
        child.eof = True


def _drain(child: _Child) -> None:
    """Read what an exited child left in the pipe, without waiting on a grandchild holding it."""
    while not child.eof:
        ready, _, _ = select.select([child.fd], [], [], 0)
        if not ready:
            return
        _read_some(child)


def _drain_wake(fd: int) -> None:
    with contextlib.suppress(OSError):
        os.read(fd, 4096)


def _close_all(running: dict[int, _Child]) -> None:
    for fd in list(running):
        with contextlib.suppress(OSError):
            os.close(fd)
    running.clear()

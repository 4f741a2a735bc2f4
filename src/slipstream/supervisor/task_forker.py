"""The task forker: a child of a supervisor that imports DAG files and forks task processes.

Importing a wide DAG file can cost a task process more than its task. A supervisor that runs
many tries (a slot of the warm worker) therefore forks one *forker* process, which imports each
DAG file once (`dagfiles.preloaded`) and forks the task processes of that file from itself:
they start with their DAG already built. The DAG file's code never runs in the supervisor, so
the process that writes a try's outcome stays as clean as before; the forker only imports and
forks.

    supervisor                forker (imports DAG files)
        │  ──"fork"──────────▶  │ ──fork──▶ task process (its parent is the forker)
        │  ◀─"forked" (pid)──   │
        │  ◀─"exited" (code)─   │           (when the task process ends)

Messages are JSON datagrams on a `SOCK_SEQPACKET` socketpair; a "fork" request carries the task
process's end of its socket to the supervisor (`SCM_RIGHTS`). The forker dies with its
supervisor (`PR_SET_PDEATHSIG`), and each task process with its forker, so killing a supervisor
still ends its task. A forker is replaced (`retire`) when a file it imported changed, when it is
older than `min_file_process_interval` (the freshness the DAG processor gives DAGs), when a
file could not be preloaded (the new forker then forks without importing it), or when it does
not answer within the import timeout.
"""

from __future__ import annotations

import contextlib
import gc
import json
import logging
import os
import select
import signal
import socket
import sys
import time
import traceback
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, NoReturn

if TYPE_CHECKING:
    from slipstream.supervisor.supervisor import SupervisorSettings

log = logging.getLogger("slipstream.supervisor")

MAX_FILES = 8
"""A forker that imported this many DAG files is replaced by a fresh one."""
_MAX_MESSAGE = 65536


class ForkerGone(Exception):
    """The forker died or stopped answering; the supervisor forks the task itself.
    `answering` says whether it went while handling the request (importing its file, maybe)."""

    def __init__(self, message: str, *, answering: bool = False) -> None:
        super().__init__(message)
        self.answering = answering


class TaskForker:
    """The supervisor's end of its forker process (see the module docs)."""

    def __init__(self, settings: SupervisorSettings) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        supervisor = os.getpid()
        pid = os.fork()
        if pid == 0:
            ours.close()
            _forker_main(theirs, supervisor, settings)
        theirs.close()
        self.sock = ours
        self.pid = pid
        self.owner = supervisor
        self.started = time.monotonic()
        self.files: set[str] = set()
        self._exited: dict[int, int] = {}
        self._gone = False

    def fileno(self) -> int:
        return self.sock.fileno()

    @property
    def alive(self) -> bool:
        return not self._gone

    def spawn(
        self, sock: socket.socket, fileloc: str | None, *, preload: bool, timeout: float
    ) -> tuple[int, bool] | str:
        """Fork a task process that holds `sock`: `(pid, preloaded)`, or why this forker must
        be replaced (it forked nothing). Raises `ForkerGone`."""
        request = json.dumps({"fileloc": fileloc, "preload": preload}).encode()
        try:
            socket.send_fds(self.sock, [request], [sock.fileno()])
        except OSError as err:
            self._gone = True
            raise ForkerGone(f"the forker is gone: {err}") from None
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([self.sock], [], [], remaining)[0]:
                self.kill()
                raise ForkerGone(f"the forker did not answer in {timeout:g} s", answering=True)
            try:
                message = self._receive()
            except ForkerGone as err:
                raise ForkerGone(str(err), answering=True) from None
            if "forked" in message:
                if fileloc is not None and message.get("preloaded"):
                    self.files.add(fileloc)
                return int(message["forked"]), bool(message.get("preloaded"))
            if "retire" in message:
                return str(message["retire"])

    def poll(self, pid: int) -> int | None:
        """The exit code of task process `pid` once the forker reported it (negative: killed by
        that signal); -SIGKILL when the forker died first (the task died with it)."""
        while pid not in self._exited and not self._gone:
            if not select.select([self.sock], [], [], 0)[0]:
                break
            with contextlib.suppress(ForkerGone):
                self._receive()
        if pid in self._exited:
            return self._exited.pop(pid)
        return -signal.SIGKILL if self._gone else None

    def close(self) -> None:
        """Let the forker go (it exits once its task processes have)."""
        self._gone = True
        with contextlib.suppress(OSError):
            self.sock.close()

    def kill(self) -> None:
        self._gone = True
        with contextlib.suppress(OSError):
            os.kill(self.pid, signal.SIGKILL)
        with contextlib.suppress(OSError):
            self.sock.close()
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, 0)

    def _receive(self) -> dict[str, Any]:
        try:
            data = self.sock.recv(_MAX_MESSAGE)
        except OSError:
            data = b""
        if not data:
            self._gone = True
            raise ForkerGone("the forker is gone")
        message: dict[str, Any] = json.loads(data)
        if "exited" in message:
            self._exited[int(message["exited"])] = int(message["code"])
        return message


# --- the supervisor's forker ----------------------------------------------------------------------

_current: TaskForker | None = None
_retired: list[int] = []  # forkers let go, to reap once they exit
_unpreloadable: dict[str, tuple[str, int, int, int] | None] = {}  # fileloc -> its stamp then


def fork_task(
    sock: socket.socket, fileloc: str | None, settings: SupervisorSettings
) -> tuple[TaskForker, int] | None:
    """Fork a task process holding `sock` from this supervisor's forker (started or replaced as
    needed): `(forker, pid)`, or None when the supervisor should fork it itself."""
    from slipstream.dagfiles.preloaded import stamp

    preload = fileloc is not None and not _known_unpreloadable(fileloc)
    for _ in range(2):  # a retiring forker is replaced once
        forker = _forker(settings)
        try:
            answer = forker.spawn(sock, fileloc, preload=preload, timeout=_timeout(settings))
        except ForkerGone as err:
            _drop(forker)
            if not err.answering:  # it had died before: a new one takes over
                continue
            log.warning("Forking the task process directly: %s", err)
            if preload and fileloc is not None:  # importing the file may have killed or hung it
                _unpreloadable[fileloc] = stamp(fileloc)
            return None
        if isinstance(answer, tuple):
            return forker, answer[0]
        _drop(forker)
        if answer.startswith("unpreloadable:") and fileloc is not None:
            log.info("Not preloading %s (%s)", fileloc, answer.removeprefix("unpreloadable:"))
            _unpreloadable[fileloc] = stamp(fileloc)
            preload = False
    return None


def ready(settings: SupervisorSettings) -> None:
    """Start (or replace a stale) forker ahead of the next try, off its critical path."""
    _forker(settings)


def shutdown() -> None:
    """Let this process's forker go (a slot that retires; it dies with the slot anyway)."""
    global _current
    if _current is not None and _current.owner == os.getpid():
        _current.close()
    _current = None


def _forker(settings: SupervisorSettings) -> TaskForker:
    global _current
    _reap_retired()
    forker = _current
    if forker is not None and forker.owner != os.getpid():  # inherited through a fork
        forker = None
    if forker is not None and (
        not forker.alive
        or time.monotonic() - forker.started > settings.preload_max_age
        or len(forker.files) >= MAX_FILES
    ):
        _drop(forker)
        forker = None
    if forker is None:
        forker = _current = TaskForker(settings)
    return forker


def _drop(forker: TaskForker) -> None:
    global _current
    forker.close()
    _retired.append(forker.pid)
    if _current is forker:
        _current = None


def _reap_retired() -> None:
    for pid in list(_retired):
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            done = pid
        if done:
            _retired.remove(pid)


def _known_unpreloadable(fileloc: str) -> bool:
    from slipstream.dagfiles.preloaded import stamp

    if fileloc not in _unpreloadable:
        return False
    if _unpreloadable[fileloc] == stamp(fileloc):
        return True
    del _unpreloadable[fileloc]  # the file changed: worth another try
    return False


def _timeout(settings: SupervisorSettings) -> float:
    return settings.preload_timeout + 5.0


# --- the forker process -------------------------------------------------------------------------


def _forker_main(sock: socket.socket, supervisor: int, settings: SupervisorSettings) -> NoReturn:
    code = 1
    try:
        _die_with(supervisor)
        code = _Forker(sock, settings).serve()
    except BaseException:
        traceback.print_exc()
    finally:
        os._exit(code)


class _Forker:
    def __init__(self, sock: socket.socket, settings: SupervisorSettings) -> None:
        from slipstream.supervisor.task_process import scrub_environment

        self.sock = sock
        self.settings = settings
        self.children: set[int] = set()
        signal.set_wakeup_fd(-1)
        self._wake_r, self._wake_w = os.pipe()
        for fd in (self._wake_r, self._wake_w):
            os.set_blocking(fd, False)
        signal.set_wakeup_fd(self._wake_w)
        signal.signal(signal.SIGCHLD, _ignore)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        # What DAG files and tasks see: the environment without database credentials.
        scrubbed = scrub_environment(os.environ)
        os.environ.clear()
        os.environ.update(scrubbed)

    def serve(self) -> int:
        sock = self.sock.fileno()
        while True:
            ready, _, _ = select.select([sock, self._wake_r], [], [])
            if self._wake_r in ready:
                _drain(self._wake_r)
            self._reap()
            if sock not in ready:
                continue
            try:
                data, fds, _, _ = socket.recv_fds(self.sock, _MAX_MESSAGE, 1)
            except OSError:
                data, fds = b"", []
            if not data:
                break
            self._handle(json.loads(data), fds)
        self._wait_children()
        return 0

    def _handle(self, request: dict[str, Any], fds: list[int]) -> None:
        if not fds:
            return
        fileloc, preload = request.get("fileloc"), bool(request.get("preload"))
        preloaded = False
        if preload and fileloc:
            problem = self._preload(str(fileloc))
            if problem is not None:  # this process may be changed by the attempt: replace it
                os.close(fds[0])
                self._send({"retire": problem})
                return
            preloaded = True
        pid = os.fork()
        if pid == 0:  # the task process; never returns
            self.sock.close()
            for fd in (self._wake_r, self._wake_w):
                os.close(fd)
            os.setpgid(0, 0)
            from slipstream.supervisor.task_process import run_forked

            run_forked(socket.socket(fileno=fds[0]), os.getppid())
        os.close(fds[0])
        with contextlib.suppress(OSError):
            os.setpgid(pid, pid)
        self.children.add(pid)
        self._send({"forked": pid, "preloaded": preloaded})

    def _preload(self, fileloc: str) -> str | None:
        """Import `fileloc` unless it is already and still current; the reason to retire this
        forker otherwise ("unpreloadable: why" when the file cannot be preloaded at all)."""
        from slipstream.dagfiles import preloaded

        entry = preloaded.get(fileloc)
        if entry is not None:
            return None if preloaded.current(entry) else f"{fileloc} changed"
        try:
            with _time_limit(self.settings.preload_timeout):
                preloaded.preload(fileloc)
        except Exception as err:
            return f"unpreloadable:{err}"
        gc.collect()
        gc.freeze()  # task processes never walk (and so copy) what was built here
        return None

    def _send(self, message: dict[str, Any]) -> None:
        with contextlib.suppress(OSError):
            self.sock.send(json.dumps(message).encode())

    def _reap(self) -> None:
        while self.children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                self.children.clear()
                return
            if pid == 0:
                return
            self.children.discard(pid)
            self._send({"exited": pid, "code": os.waitstatus_to_exitcode(status)})

    def _wait_children(self) -> None:
        while self.children:
            try:
                pid, _ = os.waitpid(-1, 0)
            except ChildProcessError:
                return
            self.children.discard(pid)


@contextlib.contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    """Interrupt the block (with TimeoutError) once `seconds` pass (main thread only)."""

    def expired(signum: int, frame: Any) -> None:
        raise TimeoutError(f"importing took more than {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, max(seconds, 0.001))
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _die_with(parent: int) -> None:
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:
        os._exit(1)


def _drain(fd: int) -> None:
    with contextlib.suppress(OSError):
        while os.read(fd, 4096):
            pass


def _ignore(signum: int, frame: Any) -> None:
    pass

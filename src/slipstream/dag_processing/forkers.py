"""Where parsing children come from: forked by the DAG processor itself, or by a fork server.

`ParsePool` asks a *forker* for each child. `LocalForker` forks the calling process (the
`slipstream dag-processor` command, which stays single-threaded for it). `RemoteForker` asks a
parse server (`parse_server.ParseServer`, hosted by the local executor's warm worker) to fork
the child instead: `slipstream standalone` runs its DAG processor as a thread of its scheduler
process, which must not fork, and the warm worker has already imported everything a DAG file
needs, so no process of its own is kept for parsing.

Either way the child runs `parse_worker.run_child` and writes its result to the pipe the pool
gave it; the forker only starts children, reports how they ended, and kills them.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import socket
import time
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from slipstream.dag_processing.parse_pool import ParseJob

LOST_STATUS = 1 << 8
"""Exit status reported for a child whose end nobody saw (exit code 1)."""


class ForkerLost(ConnectionError):
    """The fork server went away; the children it started are lost with it."""


class Forker(Protocol):
    """Starts parsing children and reports how they ended."""

    def start(
        self,
        job: ParseJob,
        write_fd: int,
        *,
        memory_limit_mb: int,
        cpu_limit: float,
        close_in_child: int | None = None,
    ) -> int:
        """Start a child parsing `job` into `write_fd` (closing `close_in_child`, the pipe's
        other end, if it inherits it); its pid. OSError: none was started."""
        ...

    def status(self, pid: int) -> int | None:
        """The child's wait status once it ended, else None."""
        ...

    def kill(self, pid: int) -> None:
        """Kill the child (if still running) and forget it."""
        ...

    def fileno(self) -> int | None:
        """A descriptor that turns readable when there is news of a child, if any."""
        ...

    def close(self) -> None: ...


class LocalForker:
    """Forks the calling process, which must be single-threaded."""

    def start(
        self,
        job: ParseJob,
        write_fd: int,
        *,
        memory_limit_mb: int,
        cpu_limit: float,
        close_in_child: int | None = None,
    ) -> int:
        from slipstream.dag_processing.parse_worker import run_child

        parent = os.getpid()
        pid = os.fork()
        if pid == 0:  # run_child never returns
            if close_in_child is not None:
                os.close(close_in_child)
            run_child(
                job.path,
                job.root,
                write_fd,
                parent_pid=parent,
                memory_limit_mb=memory_limit_mb,
                cpu_limit_s=cpu_limit,
                known=dict(job.known),
            )
        return pid

    def status(self, pid: int) -> int | None:
        try:
            reaped, status = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:  # reaped elsewhere (a SIGCHLD handler): treat as lost
            return LOST_STATUS
        return status if reaped else None

    def kill(self, pid: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)

    def fileno(self) -> int | None:
        return None

    def close(self) -> None:
        pass


class RemoteForker:
    """Has a parse server fork the children (see `parse_server` for the protocol).

    The server may not listen yet (the warm worker is still importing) or may be replaced (a
    restarted worker): connecting is retried for up to `connect_timeout` seconds. When the
    connection breaks, `ForkerLost` tells the pool to parse the running files again.
    """

    def __init__(self, path: str, *, connect_timeout: float = 60.0) -> None:
        self.path = path
        self.connect_timeout = connect_timeout
        self._sock: socket.socket | None = None
        self._ended: dict[int, int] = {}
        self._forgotten: set[int] = set()

    def start(
        self,
        job: ParseJob,
        write_fd: int,
        *,
        memory_limit_mb: int,
        cpu_limit: float,
        close_in_child: int | None = None,
    ) -> int:
        sock = self._connected()
        request = {
            "op": "parse",
            "path": job.path,
            "root": job.root,
            "known": [list(pair) for pair in job.known],
            "memory_limit_mb": memory_limit_mb,
            "cpu_limit_s": cpu_limit,
        }
        try:
            socket.send_fds(sock, [json.dumps(request).encode()], [write_fd])
        except OSError as err:
            self._drop()
            raise ForkerLost(f"the parse server went away: {err}") from None
        while True:
            reply = self._receive(block=True)
            if reply.get("op") == "started":
                return int(reply["pid"])
            if reply.get("op") == "refused":
                raise OSError(str(reply.get("error")))

    def status(self, pid: int) -> int | None:
        while self._sock is not None and select.select([self._sock], [], [], 0)[0]:
            self._receive(block=False)
        if self._sock is None and pid not in self._ended:
            raise ForkerLost("the parse server went away")
        return self._ended.pop(pid, None)

    def kill(self, pid: int) -> None:
        if self._ended.pop(pid, None) is not None or self._sock is None:
            return
        self._forgotten.add(pid)
        with contextlib.suppress(OSError):
            self._sock.send(json.dumps({"op": "kill", "pid": pid}).encode())

    def fileno(self) -> int | None:
        return None if self._sock is None else self._sock.fileno()

    def close(self) -> None:
        self._drop()

    def _connected(self) -> socket.socket:
        if self._sock is not None:
            return self._sock
        deadline = time.monotonic() + self.connect_timeout
        while True:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            try:
                sock.connect(self.path)
            except (FileNotFoundError, ConnectionRefusedError) as err:
                sock.close()
                if time.monotonic() >= deadline:
                    raise OSError(f"no parse server answers at {self.path}: {err}") from None
                time.sleep(0.02)
                continue
            self._sock = sock
            return sock

    def _receive(self, *, block: bool) -> dict[str, Any]:
        """One message from the server; an `ended` one is noted. Raises ForkerLost at EOF."""
        assert self._sock is not None
        try:
            data = self._sock.recv(65536) if block else self._sock.recv(65536, socket.MSG_DONTWAIT)
        except BlockingIOError:
            return {}
        except OSError:
            data = b""
        if not data:
            self._drop()
            raise ForkerLost("the parse server went away")
        message: dict[str, Any] = json.loads(data)
        if message.get("op") == "ended":
            pid = int(message["pid"])
            if pid in self._forgotten:
                self._forgotten.discard(pid)
            else:
                self._ended[pid] = int(message["status"])
        return message

    def _drop(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        self._forgotten.clear()

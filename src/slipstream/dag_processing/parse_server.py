"""A fork server for parsing children, hosted by a process that is already warm.

The local executor's warm worker has imported the SDK, the `airflow` import hook and what DAG
files use, and never runs threads: the ideal parent for parsing children. With a
`ParseServer` it forks them on behalf of a DAG processor that cannot fork itself (the one
`slipstream standalone` runs in a thread of its scheduler process), so standalone keeps no
process of its own for parsing.

The processor connects to a Unix `SOCK_SEQPACKET` socket (one JSON object per packet):

    processor → server  {"op": "parse", "path", "root", "known", "memory_limit_mb",
                         "cpu_limit_s"}  with the write end of the result pipe attached
    server → processor  {"op": "started", "pid": N}  or  {"op": "refused", "error": ...}
    server → processor  {"op": "ended", "pid": N, "status": S}   (its wait status, once reaped)
    processor → server  {"op": "kill", "pid": N}

The child runs `parse_worker.run_child`, which writes the result to the pipe and asks to die
with its parent. When a processor disconnects, the children it started are killed.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import socket
from collections.abc import Callable
from typing import Any

log = logging.getLogger("slipstream.dag_processing.parse_server")

_MAX_PACKET = 1 << 20


class ParseServer:
    """Accepts DAG processors on `path` and forks parsing children for them.

    The host process selects on `fds()`, passes what turned readable to `handle`, and offers
    every child it reaps to `reaped`. `in_child` runs first in each forked child (the host
    closes its own descriptors and resets its signal handlers there).
    """

    def __init__(self, path: str, *, in_child: Callable[[], None]) -> None:
        self.path = path
        self._in_child = in_child
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)  # left by a worker that was killed
        self._listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self._listener.bind(path)
        self._listener.listen(8)
        self._listener.setblocking(False)
        self._clients: dict[int, socket.socket] = {}
        self._children: dict[int, socket.socket | None] = {}  # pid -> who asked (None: gone)

    def fds(self) -> list[int]:
        return [self._listener.fileno(), *self._clients]

    def handle(self, ready: list[int]) -> None:
        """Serve the descriptors among `ready` that are ours."""
        if self._listener.fileno() in ready:
            self._accept()
        for fd in ready:
            client = self._clients.get(fd)
            if client is not None:
                self._serve(client)

    def reaped(self, pid: int, status: int) -> bool:
        """Tell the client that started child `pid` how it ended; False if it is not ours."""
        if pid not in self._children:
            return False
        client = self._children.pop(pid)
        if client is not None:
            _send(client, {"op": "ended", "pid": pid, "status": status})
        return True

    def close(self) -> None:
        for client in list(self._clients.values()):
            self._disconnect(client)
        self._listener.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)

    def close_in_child(self) -> None:
        """Close the sockets in a forked child (leaving the socket file to the server)."""
        for client in self._clients.values():
            client.close()
        self._listener.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            client.setblocking(False)
            self._clients[client.fileno()] = client

    def _serve(self, client: socket.socket) -> None:
        while True:
            try:
                data, fds, _, _ = socket.recv_fds(client, _MAX_PACKET, 1)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                data, fds = b"", []
            if not data:
                self._disconnect(client)
                return
            try:
                self._request(client, json.loads(data), fds)
            finally:
                for fd in fds:
                    os.close(fd)

    def _request(self, client: socket.socket, message: dict[str, Any], fds: list[int]) -> None:
        op = message.get("op")
        if op == "kill":
            pid = int(message["pid"])
            if self._children.get(pid) is client:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        elif op == "parse":
            if len(fds) != 1:
                _send(client, {"op": "refused", "error": "no result pipe was attached"})
                return
            try:
                pid = self._fork(message, fds[0])
            except OSError as err:
                _send(client, {"op": "refused", "error": f"could not fork: {err}"})
                return
            self._children[pid] = client
            _send(client, {"op": "started", "pid": pid})

    def _fork(self, message: dict[str, Any], write_fd: int) -> int:
        parent = os.getpid()
        pid = os.fork()
        if pid != 0:
            return pid
        try:  # the child: run_child never returns
            from slipstream.dag_processing.parse_worker import run_child

            self._in_child()
            self.close_in_child()
            run_child(
                message["path"],
                message.get("root"),
                write_fd,
                parent_pid=parent,
                memory_limit_mb=int(message.get("memory_limit_mb", 0)),
                cpu_limit_s=float(message.get("cpu_limit_s", 0)),
                known={str(k): str(v) for k, v in message.get("known", ())},
            )
        finally:
            os._exit(1)

    def _disconnect(self, client: socket.socket) -> None:
        """The processor went away: its children are killed (reaped later, reported to no one)."""
        for pid, owner in list(self._children.items()):
            if owner is client:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
                self._children[pid] = None
        self._clients.pop(client.fileno(), None)
        client.close()


def _send(client: socket.socket, message: dict[str, Any]) -> None:
    try:
        client.setblocking(True)
        client.send(json.dumps(message).encode())
    except OSError:
        log.debug("A DAG processor left before hearing %s", message)
    finally:
        with contextlib.suppress(OSError):
            client.setblocking(False)

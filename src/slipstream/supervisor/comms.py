"""Messages between a supervisor and its task process, and the supervisor's "try ended" event.

Frames on a stream socket (a socketpair): a 4-byte big-endian length, then that many bytes of
UTF-8 JSON holding one object. The task process only ever asks and waits for the answer, so
there is at most one request in flight:

    task → supervisor   {"op": "xcom_push", ...}
    supervisor → task   {"ok": true, "result": ...}
                        {"ok": false, "error": {"type": "XComNotJSONSerializable", "message": ...}}

The conversation of one try (`docs/engine-design.md`, "Task process protocol" in supervisor.py):
the supervisor sends `start`; the task sends requests while it runs, then `finish` with its
outcome; the supervisor writes the try's end and answers with the decided state; the task runs
its callbacks (still asking for what they need) and exits.

Events are datagrams `{"ti_id": ..., "token": ...}` on the executor's Unix socket; a datagram
`{"wake":true}` (`send_wake`) only asks the scheduler to look at the database now.
"""

from __future__ import annotations

import datetime as dt
import json
import socket
import struct
from typing import Any

HEADER = struct.Struct(">I")
MAX_FRAME = 256 * 1024 * 1024


class ChannelClosed(ConnectionError):
    """The other end went away."""


class Channel:
    """One end of a socketpair carrying length-prefixed JSON objects."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock

    def fileno(self) -> int:
        return self.sock.fileno()

    @property
    def closed(self) -> bool:
        return self.sock.fileno() == -1

    def close(self) -> None:
        self.sock.close()

    def send(self, message: dict[str, Any]) -> None:
        data = json.dumps(message, default=_json_default, separators=(",", ":")).encode()
        self.sock.sendall(HEADER.pack(len(data)) + data)

    def receive(self) -> dict[str, Any] | None:
        """The next message, or None when the other end closed the connection."""
        header = self._read(HEADER.size)
        if header is None:
            return None
        (size,) = HEADER.unpack(header)
        if size > MAX_FRAME:
            raise ValueError(f"message of {size} bytes is larger than {MAX_FRAME}")
        body = self._read(size)
        if body is None:
            return None
        message = json.loads(body)
        if not isinstance(message, dict):
            raise ValueError("a message must be a JSON object")
        return message

    def request(self, op: str, **fields: Any) -> Any:
        """Send `op` and wait for its answer; raises the error the other side reported."""
        try:
            self.send({"op": op, **fields})
        except (BrokenPipeError, ConnectionResetError) as err:
            raise ChannelClosed(f"the supervisor went away before {op!r}") from err
        reply = self.receive()
        if reply is None:
            raise ChannelClosed(f"the supervisor went away during {op!r}")
        if not reply.get("ok", False):
            error = reply.get("error") or {}
            raise remote_error(str(error.get("type", "")), str(error.get("message", "")))
        return reply.get("result")

    def reply(self, result: Any = None) -> None:
        self.send({"ok": True, "result": result})

    def reply_error(self, err: BaseException) -> None:
        self.send({"ok": False, "error": {"type": type(err).__name__, "message": str(err)}})

    def _read(self, size: int) -> bytes | None:
        chunks: list[bytes] = []
        remaining = size
        while remaining:
            try:
                chunk = self.sock.recv(min(remaining, 1 << 20))
            except ConnectionResetError:
                return None
            if not chunk:
                return None
            chunks.append(chunk)
            remaining -= len(chunk)
        return b"".join(chunks)


def remote_error(type_name: str, message: str) -> Exception:
    """The exception to raise in the task for an error the supervisor reported: the same
    Airflow-named class when there is one, else AirflowException naming the type."""
    from slipstream.core import exceptions

    cls = getattr(exceptions, type_name, None)
    if type_name == "DagRunAlreadyExists":
        from slipstream.sdk.operators.trigger_dagrun import DagRunAlreadyExists

        cls = DagRunAlreadyExists
    if isinstance(cls, type) and issubclass(cls, Exception):
        return cls(message)
    if type_name in _BUILTIN_ERRORS:
        return _BUILTIN_ERRORS[type_name](message)
    return exceptions.AirflowException(f"{type_name}: {message}" if type_name else message)


_BUILTIN_ERRORS: dict[str, type[Exception]] = {
    "KeyError": KeyError,
    "ValueError": ValueError,
    "TypeError": TypeError,
}


def send_event(path: str | None, ti_id: int, token: str, **extra: Any) -> bool:
    """Tell the executor listening on `path` that the workload of `ti_id` ended; False when
    nobody listens (the executor is gone: the DB still has the outcome)."""
    if not path:
        return False
    data = json.dumps({"ti_id": ti_id, "token": token, **extra}).encode()
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.setblocking(False)  # a full queue (nobody reading) must never hold a try up
        try:
            sock.sendto(data, path)
        except OSError:
            return False
    return True


def to_iso(value: dt.datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def from_iso(value: str | None) -> Any:
    """A pendulum DateTime (what Airflow gives tasks) from ISO text; None stays None."""
    if value is None:
        return None
    import pendulum

    return pendulum.instance(dt.datetime.fromisoformat(value))


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"{type(value).__name__} cannot be sent to the supervisor")

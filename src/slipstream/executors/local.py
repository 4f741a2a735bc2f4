"""The local executor: task tries run on this machine, each under its own supervisor, forked
from one warm worker process that has already imported Slipstream.

    scheduler ── LocalExecutor ──socketpair──▶ warm worker ──fork──▶ supervisor ──▶ task process
                     ▲                                                   │
                     └────────── "try ended" datagram (event socket) ◀───┘

The executor never sees an outcome: supervisors write it to the database and then send the TI id
on the executor's Unix datagram socket, which `wait` selects on, so the scheduler looks again at
once. `running_count` counts workloads handed over whose end was not reported; an event that is
lost (a supervisor killed by `kill -9`, a worker that died before forking) is made good by
comparing the in-flight TIs with the database (`heartbeat`). A dead worker is restarted, and
workloads it never started are handed to the new one (the claim's queue token keeps that safe).

With `serve_parsing`, the warm worker also forks DAG parsing children for a DAG processor
connecting to `parse_socket` (standalone's, which runs in the scheduler's process); with
`wait_for_schema` it may start while the database is being migrated.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from slipstream.executors.base import BaseExecutor, CallbackWorkload, TaskWorkload, is_wake
from slipstream.supervisor.comms import Channel
from slipstream.supervisor.supervisor import SupervisorSettings

if TYPE_CHECKING:
    from slipstream.config import Config
    from slipstream.db.engine import Database

log = logging.getLogger("slipstream.executors.local")

RECONCILE_INTERVAL = 10.0
"""Seconds between comparisons of the in-flight workloads with the database."""


@dataclass
class _InFlight:
    workload: TaskWorkload
    handed_at: float


class LocalExecutor(BaseExecutor):
    """Runs task tries in supervised processes on this machine (see the module docs).

    `db_url` is handed to the supervisors (never to task processes); `config` (default: the
    process's) gives the log folder, heartbeat interval, masking and
    `core.execute_tasks_new_python_interpreter`. With `serve_parsing`, the warm worker is also
    a fork server for DAG parsing (`parse_socket`).
    """

    def __init__(
        self,
        parallelism: int,
        db_url: str,
        config: Config | None = None,
        *,
        serve_parsing: bool = False,
        wait_for_schema: bool = False,
    ) -> None:
        super().__init__(parallelism)
        self.db_url = db_url
        self.config = config
        self.serve_parsing = serve_parsing
        self.wait_for_schema = wait_for_schema
        self.settings: SupervisorSettings | None = None
        self._in_flight: dict[int, _InFlight] = {}
        self._pending_events: list[int] = []
        self._worker: subprocess.Popen[bytes] | None = None
        self._channel: Channel | None = None
        self._worker_ready = False
        self._events: socket.socket | None = None
        self._dir: str | None = None
        self._accepting = False
        self._next_reconcile = 0.0
        self._db: Database | None = None

    # --- life cycle ----------------------------------------------------------------------

    def start(self) -> None:
        from slipstream.config import get_config

        config = self.config or get_config()
        self._dir = tempfile.mkdtemp(prefix="slipstream-exec-")
        path = os.path.join(self._dir, "events.sock")
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(path)
        sock.setblocking(False)
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        self._events = sock
        self.settings = SupervisorSettings.from_config(
            config, db_url=self.db_url, event_socket=path
        )
        self._start_worker()
        self._accepting = True
        self._next_reconcile = time.monotonic() + RECONCILE_INTERVAL

    def end(self, timeout: float = 30.0) -> None:
        """Stop taking work, wait up to `timeout` for running tries, stop the worker.

        Tries still running after `timeout` keep running: their supervisors are detached and
        write the outcome themselves; a restarted scheduler finds them finished or running.
        """
        self._accepting = False
        deadline = time.monotonic() + timeout
        while self._in_flight and time.monotonic() < deadline:
            self.wait(min(0.2, max(0.0, deadline - time.monotonic())))
            self.drain_events()
            self.heartbeat()
        if self._in_flight:
            log.warning(
                "%d task tries are still running; their supervisors will finish them",
                len(self._in_flight),
            )
        self._stop_worker()
        if self._events is not None:
            self._events.close()
            self._events = None
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None
        if self._db is not None:
            self._db.dispose()
            self._db = None

    # --- work ----------------------------------------------------------------------------

    def queue_workload(self, workload: TaskWorkload) -> None:
        if not self._accepting:
            raise RuntimeError("the executor is not running (not started, or shutting down)")
        self._in_flight[workload.ti_id] = _InFlight(workload, time.monotonic())
        if not self._worker_alive():
            self._restart_worker()
            return  # the restart handed over every in-flight workload, this one included
        try:
            self._send({"op": "run", "workload": workload.to_dict()})
        except OSError:
            self._restart_worker()

    def queue_callback(self, workload: CallbackWorkload) -> None:
        """Run a DAG-level callback in a process forked from the warm worker, which logs to
        `dag_callbacks.log` in the run's log folder (`supervisor.dag_callbacks`). It takes no
        slot and nothing waits for it; a failing callback is logged there, never fatal."""
        if not self._accepting:
            raise RuntimeError("the executor is not running (not started, or shutting down)")
        if not self._worker_alive():
            self._restart_worker()
        self._send({"op": "callback", "workload": workload.to_dict()})

    @property
    def running_count(self) -> int:
        return len(self._in_flight)

    @property
    def parse_socket(self) -> str | None:
        """Where the warm worker serves DAG parsing (`serve_parsing`, once started)."""
        if not self.serve_parsing or self._dir is None:
            return None
        return os.path.join(self._dir, "parse.sock")

    @property
    def wake_address(self) -> str | None:
        return None if self.settings is None else self.settings.event_socket

    def wait(self, timeout: float) -> bool:
        if self._pending_events:
            return True
        if self._events is None:
            time.sleep(max(timeout, 0.0))
            return False
        ready, _, _ = select.select([self._events], [], [], max(timeout, 0.0))
        return bool(ready)

    def drain_events(self) -> list[int]:
        ended = self._pending_events
        self._pending_events = []
        lost: list[_InFlight] = []
        while self._events is not None:
            try:
                data = self._events.recv(4096)
            except (BlockingIOError, InterruptedError):
                break
            event = _parse_event(data)
            if event is None:
                continue
            ti_id, token, was_lost = event
            entry = self._in_flight.get(ti_id)
            if entry is not None and entry.workload.queue_token == token:
                if was_lost:
                    lost.append(entry)
                    continue
                del self._in_flight[ti_id]
            ended.append(ti_id)
        if lost:
            ended.extend(self._after_lost(lost))
        return list(dict.fromkeys(ended))

    def _after_lost(self, entries: list[_InFlight]) -> list[int]:
        """A supervisor died: hand its workload out again if its try never started (the queue
        token makes that safe); the others are over for the executor (a started try is left
        to the scheduler's heartbeat check). Returns the ids that ended."""
        try:
            again = {w.ti_id for w in self._unclaimed(entries)}
        except Exception:
            log.exception("Could not check lost task tries in the database")
            again = set()
        ended = []
        for entry in entries:
            workload = entry.workload
            if workload.ti_id in again and self._accepting:
                log.warning("Starting task instance %s again: its supervisor died", workload.ti_id)
                with contextlib.suppress(OSError):  # if the worker is gone, its restart does it
                    self._send({"op": "run", "workload": workload.to_dict()})
                continue
            self._in_flight.pop(workload.ti_id, None)
            ended.append(workload.ti_id)
        return ended

    def heartbeat(self) -> None:
        self._read_worker_messages()
        if self._accepting and not self._worker_alive():
            log.warning("The warm worker died: starting a new one")
            self._restart_worker()
        if time.monotonic() >= self._next_reconcile:
            self._next_reconcile = time.monotonic() + RECONCILE_INTERVAL
            try:
                self._reconcile()
            except Exception:
                log.exception("Could not compare running task tries with the database")

    def wait_until_ready(self, timeout: float = 30.0) -> bool:
        """Block until the warm worker has finished importing (handy for benchmarks/tests)."""
        deadline = time.monotonic() + timeout
        while not self._worker_ready and time.monotonic() < deadline:
            if self._channel is None:
                return False
            ready, _, _ = select.select([self._channel], [], [], deadline - time.monotonic())
            if ready:
                self._read_worker_messages()
        return self._worker_ready

    # --- the warm worker -----------------------------------------------------------------

    def _start_worker(self) -> None:
        assert self.settings is not None
        ours, theirs = socket.socketpair()
        self._worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "slipstream.executors.warm_worker",
                "--fd",
                str(theirs.fileno()),
            ],
            stdin=subprocess.DEVNULL,
            pass_fds=(theirs.fileno(),),
            start_new_session=True,
        )
        theirs.close()
        self._channel = Channel(ours)
        self._worker_ready = False
        self._send(
            {
                "op": "init",
                "settings": self.settings.to_dict(),
                "parse_socket": self.parse_socket,
                "wait_for_schema": self.wait_for_schema,
            }
        )

    def _restart_worker(self) -> None:
        """Replace the worker, and hand the new one every workload still queued with its token
        (a duplicate of one already started claims nothing)."""
        self._stop_worker()
        self._start_worker()
        for workload in self._unclaimed(list(self._in_flight.values())):
            self._send({"op": "run", "workload": workload.to_dict()})

    def _unclaimed(self, entries: list[_InFlight]) -> list[TaskWorkload]:
        if not entries:
            return []
        from slipstream.db.store import execution

        with self._database().session() as session:
            found = execution.in_flight_status(session, [e.workload.ti_id for e in entries])
        out = []
        for entry in entries:
            status = found.get(entry.workload.ti_id)
            if (
                status is not None
                and status.state == "queued"
                and status.queue_token == entry.workload.queue_token
            ):
                out.append(entry.workload)
        return out

    def _stop_worker(self) -> None:
        worker, channel = self._worker, self._channel
        self._worker, self._channel = None, None
        if channel is not None:
            with contextlib.suppress(OSError):
                channel.send({"op": "stop"})
            channel.close()
        if worker is None:
            return
        try:
            worker.wait(timeout=5.0)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()

    def _worker_alive(self) -> bool:
        return self._worker is not None and self._worker.poll() is None

    def _send(self, message: dict[str, Any]) -> None:
        if self._channel is None:
            raise BrokenPipeError("no warm worker")
        self._channel.send(message)

    def _read_worker_messages(self) -> None:
        channel = self._channel
        while channel is not None:
            ready, _, _ = select.select([channel], [], [], 0)
            if not ready:
                return
            message = channel.receive()
            if message is None:
                return
            if message.get("op") == "ready":
                self._worker_ready = True

    # --- making good lost events ---------------------------------------------------------

    def _reconcile(self) -> None:
        """Forget in-flight workloads the database says are over (their event was lost)."""
        assert self.settings is not None
        grace = 2 * self.settings.heartbeat_sec + 5.0
        now = time.monotonic()
        entries = [e for e in self._in_flight.values() if now - e.handed_at > grace]
        if not entries:
            return
        from slipstream.config import get_config
        from slipstream.db.store import execution

        with self._database().session() as session:
            found = execution.in_flight_status(session, [e.workload.ti_id for e in entries])
        timeout = (self.config or get_config()).getfloat(
            "scheduler", "task_instance_heartbeat_timeout"
        )
        stale_before = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=timeout)
        for entry in entries:
            status = found.get(entry.workload.ti_id)
            if _is_over(entry.workload, status, stale_before):
                self._in_flight.pop(entry.workload.ti_id, None)
                self._pending_events.append(entry.workload.ti_id)

    def _database(self) -> Database:
        if self._db is None:
            from slipstream.db.engine import Database

            self._db = Database(self.db_url, pool_size=1)
        return self._db


def _is_over(workload: TaskWorkload, status: Any, stale_before: dt.datetime) -> bool:
    if status is None or status.queue_token != workload.queue_token:
        return True
    if status.try_number != workload.try_number or status.state not in ("queued", "running"):
        return True
    heartbeat = status.last_heartbeat_at
    return status.state == "running" and heartbeat is not None and heartbeat < stale_before


def _parse_event(data: bytes) -> tuple[int, str, bool] | None:
    if is_wake(data):  # a wake-up only makes `wait` return: the scheduler looks now
        return None
    try:
        event = json.loads(data)
        return int(event["ti_id"]), str(event.get("token")), bool(event.get("lost", False))
    except (ValueError, KeyError, TypeError):
        log.warning("Ignoring a malformed executor event: %r", data[:200])
        return None

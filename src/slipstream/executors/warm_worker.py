"""The warm worker: a process that has imported Slipstream and its heavy dependencies once, and
forks a supervisor for each task try the local executor hands it.

Started by `LocalExecutor` as `python -m slipstream.executors.warm_worker --fd N`, in its own
session (Ctrl-C in a terminal reaches the scheduler, which shuts down in order). It talks to the
executor over a socketpair with `comms.Channel` frames:

    executor → worker   {"op": "init", "settings": SupervisorSettings}   (once, first)
    executor → worker   {"op": "run", "workload": TaskWorkload}
    executor → worker   {"op": "stop"}

While work comes in, the next supervisor is forked ahead of time (the standby, see
`WarmWorker`); it says `R` on its own socketpair when prepared and then reads its workload.

Supervisors leave the worker's session, so they finish their tries when the worker or the
scheduler dies. The worker reaps them; one that died (signal or error) may not have said its try
ended, so the worker sends that event on its behalf (`"lost": true`; the executor then hands the
workload out again if its try never started). When the executor goes away (end of file on the
socket) the worker exits.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib
import json
import logging
import os
import select
import signal
import socket
import sys
import time
import traceback
from typing import Any

from slipstream.executors.base import TaskWorkload
from slipstream.supervisor.comms import Channel, send_event
from slipstream.supervisor.supervisor import Supervisor, SupervisorSettings, supervise

log = logging.getLogger("slipstream.warm_worker")

WARM_MODULES = (
    "pendulum",
    "jinja2",
    "jinja2.ext",
    "jinja2.nativetypes",
    "pprint",
    "cryptography.fernet",
    "sqlalchemy",
    "sqlalchemy.dialects.sqlite",
    "slipstream.sdk",
    "slipstream.sdk.dag_definition",
    "slipstream.sdk.baseoperator",
    "slipstream.sdk.decorators",
    "slipstream.sdk.decorators.python",
    "slipstream.sdk.operators.python",
    "slipstream.sdk.operators.bash",
    "slipstream.sdk.operators.empty",
    "slipstream.sdk.sensors.base",
    "slipstream.sdk.templating",
    "slipstream.sdk.macros",
    "slipstream.sdk.params",
    "slipstream.sdk.connections",
    "slipstream.sdk.variables",
    "slipstream.sdk.assets",
    "slipstream.sdk.context",
    "slipstream.timetables",
    "slipstream.timetables.factory",
    "slipstream.timetables.simple",
    "slipstream.timetables.trigger",
    "slipstream.timetables.assets",
    "slipstream.config",
    "slipstream.compat.airflow",
    "slipstream.dagfiles.bag",
    "slipstream.runtime.task_runner",
    "slipstream.runtime.context",
    "slipstream.serialization",
    "slipstream.orchestration.retries",
    "slipstream.orchestration.skips",
    "slipstream.db.store.execution",
    "slipstream.db.store.variables",
    "slipstream.db.store.connections",
    "slipstream.supervisor.task_process",
)


STANDBY_IDLE_SEC = 10.0
"""A standby supervisor unused this long is retired (it holds memory and a DB connection)."""


class WarmWorker:
    """Forks supervisors on request and reaps them.

    While work comes in, one supervisor is forked ahead of time (the *standby*): it has already
    opened its database connection and touched the code a try runs, so a workload handed to it
    skips the fork and the first-touch page copies (~20 ms on a small VM). Each hand-over forks
    the next standby; after `STANDBY_IDLE_SEC` without work the standby is retired.
    """

    def __init__(self, channel: Channel, settings: SupervisorSettings) -> None:
        self.channel = channel
        self.settings = settings
        self.children: dict[int, TaskWorkload] = {}
        self.db = None
        self.stopping = False
        self.standby: tuple[int, socket.socket] | None = None  # (pid, our end of its socket)
        self._standby_is_ready = False
        self._last_work = 0.0
        self._wakeup_r, self._wakeup_w = os.pipe()
        for fd in (self._wakeup_r, self._wakeup_w):
            os.set_blocking(fd, False)

    def warm_up(self) -> None:
        """Import what every try needs, and open the database once (so the SQL dialect is
        initialised in every fork), closing the connection again."""
        for name in WARM_MODULES:
            try:
                importlib.import_module(name)
            except Exception:
                log.debug("Could not pre-import %s", name, exc_info=True)
        from slipstream.compat.airflow import install
        from slipstream.db.engine import Database
        from slipstream.db.store import execution

        install()
        with contextlib.suppress(Exception):
            importlib.import_module("airflow.sdk")
        db = Database(self.settings.db_url, pool_size=1)
        try:
            with db.session() as session:
                execution.warm_up_statements(session)
                session.rollback()
        except Exception:
            log.warning("Could not warm up the database statements", exc_info=True)
        db.engine.dispose()
        self.db = db  # type: ignore[assignment]
        gc.collect()
        gc.freeze()  # forks share these pages instead of copying them on the next collection

    def serve(self) -> None:
        signal.set_wakeup_fd(self._wakeup_w)
        signal.signal(signal.SIGCHLD, _ignore)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, self._on_sigterm)
        try:
            self._serve()
        finally:
            self.retire_standby()

    def _serve(self) -> None:
        while not self.stopping:
            channel_fd = self.channel.fileno()
            ready, _, _ = select.select([channel_fd, self._wakeup_r], [], [], 2.0)
            if self._wakeup_r in ready:
                _drain(self._wakeup_r)
            self.reap()
            if self.standby is not None and time.monotonic() - self._last_work > STANDBY_IDLE_SEC:
                self.retire_standby()
            if channel_fd not in ready:
                continue
            message = self.channel.receive()
            if message is None or message.get("op") == "stop":
                return
            if message.get("op") == "run":
                self.run(TaskWorkload.from_dict(message["workload"]))

    def run(self, workload: TaskWorkload) -> None:
        """Hand `workload` to the standby if it is ready (else fork a supervisor for it), and
        make sure a standby is being prepared for the next one."""
        self._last_work = time.monotonic()
        if self._standby_ready():
            assert self.standby is not None
            pid, sock = self.standby
            self.standby = None
            try:
                sock.sendall(json.dumps(workload.to_dict()).encode())
                self.children[pid] = workload
            except OSError:
                self.fork_supervisor(workload)  # the standby died: start the try directly
            finally:
                sock.close()
        else:
            self.fork_supervisor(workload)
        if self.standby is None:
            self.spawn_standby()

    def _standby_ready(self) -> bool:
        if self.standby is None:
            return False
        if self._standby_is_ready:
            return True
        sock = self.standby[1]
        ready, _, _ = select.select([sock], [], [], 0)
        if ready:
            self._standby_is_ready = sock.recv(1) == b"R"
        return self._standby_is_ready

    def spawn_standby(self) -> None:
        ours, theirs = socket.socketpair()
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                ours.close()
                self._in_child()
                code = _standby_main(theirs, self.settings, self.db)
            except BaseException:
                traceback.print_exc()
            finally:
                os._exit(code)
        theirs.close()
        self.standby = (pid, ours)
        self._standby_is_ready = False

    def retire_standby(self) -> None:
        if self.standby is not None:
            self.standby[1].close()  # end of file: the standby exits
            self.standby = None

    def _on_sigterm(self, signum: int, frame: object) -> None:
        self.stopping = True

    def fork_supervisor(self, workload: TaskWorkload) -> None:
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                self._in_child()
                code = supervise(workload, self.settings, self.db)
            except BaseException:
                traceback.print_exc()
            finally:
                os._exit(code)
        self.children[pid] = workload

    def _in_child(self) -> None:
        if self.standby is not None:
            self.standby[1].close()
        signal.set_wakeup_fd(-1)
        for signum in (signal.SIGCHLD, signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, signal.SIG_DFL)
        self.channel.close()
        os.close(self._wakeup_r)
        os.close(self._wakeup_w)
        gc.unfreeze()

    def reap(self) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            if self.standby is not None and pid == self.standby[0]:
                self.retire_standby()
            workload = self.children.pop(pid, None)
            if workload is None:
                continue
            code = os.waitstatus_to_exitcode(status)
            if code != 0:
                how = f"was killed by signal {-code}" if code < 0 else f"exited with code {code}"
                log.error(
                    "The supervisor of task instance %s (pid %s) %s",
                    workload.ti_id,
                    pid,
                    how,
                )
                send_event(
                    self.settings.event_socket, workload.ti_id, workload.queue_token, lost=True
                )


def _standby_main(sock: socket.socket, settings: SupervisorSettings, db: Any) -> int:
    """A supervisor that prepares (DB connection, waiting task process), says it is ready,
    then waits for its workload on `sock`; end of file without one means it was retired."""
    supervisor = Supervisor(settings, db)
    supervisor.prepare()
    chunks = []
    with sock:
        try:
            sock.sendall(b"R")
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        except OSError:
            chunks = []  # retired before it was ready
    if not chunks:
        supervisor.abandon()
        return 0
    return supervisor.run(TaskWorkload.from_dict(json.loads(b"".join(chunks))))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="slipstream.executors.warm_worker")
    parser.add_argument("--fd", type=int, required=True)
    args = parser.parse_args(argv)
    channel = Channel(socket.socket(fileno=args.fd))
    init = channel.receive()
    if init is None or init.get("op") != "init":
        return 1
    settings = SupervisorSettings.from_dict(init["settings"])
    logging.basicConfig(
        stream=sys.stderr,
        level=settings.log_level,
        format="[%(asctime)s] {%(name)s} %(levelname)s - %(message)s",
    )
    worker = WarmWorker(channel, settings)
    worker.warm_up()
    channel.send({"op": "ready", "pid": os.getpid()})
    worker.serve()
    worker.reap()
    return 0


def _drain(fd: int) -> None:
    try:
        while os.read(fd, 4096):
            pass
    except BlockingIOError:
        pass


def _ignore(signum: int, frame: object) -> None:
    pass


if __name__ == "__main__":
    sys.exit(main())

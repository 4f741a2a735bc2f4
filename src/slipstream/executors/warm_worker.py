"""The warm worker: a process that has imported Slipstream and its heavy dependencies once, and
forks a supervisor for each task try the local executor hands it.

Started by `LocalExecutor` as `python -m slipstream.executors.warm_worker --fd N`, in its own
session (Ctrl-C in a terminal reaches the scheduler, which shuts down in order). It talks to the
executor over a socketpair with `comms.Channel` frames:

    executor → worker   {"op": "init", "settings": SupervisorSettings, "parse_socket": path,
                         "wait_for_schema": bool}                         (once, first)
    executor → worker   {"op": "run", "workload": TaskWorkload}
    executor → worker   {"op": "callback", "workload": CallbackWorkload}   (DAG callbacks)
    executor → worker   {"op": "stop"}

Each try runs under a supervisor forked from the worker. A supervisor is kept for the tries
that follow while work comes in (a *slot*, see `WarmWorker`), so most tries pay neither the fork
nor the database connection nor the first-touch page copies of a new process. A slot talks to
the worker over its own socketpair:

    slot → worker       {"op": "ready"}      prepared: connected, a task process waiting
    worker → slot       {"op": "run", "workload": TaskWorkload}
    slot → worker       {"op": "done"}       the try is over (its outcome is in the database)

Supervisors leave the worker's session, so they finish their tries when the worker or the
scheduler dies (a slot then exits: end of file on its socket). The worker reaps them; one that
died (signal or error) during a try may not have said its try ended, so the worker sends that
event on its behalf (`"lost": true`; the executor then hands the workload out again if its try
never started). When the executor goes away (end of file on the socket) the worker exits.

Given a `parse_socket` path, the worker is also the fork server of a DAG processor that cannot
fork itself (`dag_processing.parse_server`; standalone's).
"""

from __future__ import annotations

import argparse
import gc
import importlib
import logging
import os
import select
import signal
import socket
import sys
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from slipstream.dag_processing.parse_server import ParseServer
from slipstream.dagfiles.warm_up import exercise_sdk
from slipstream.executors.base import CallbackWorkload, TaskWorkload
from slipstream.supervisor import task_forker
from slipstream.supervisor.comms import Channel, send_event
from slipstream.supervisor.dag_callbacks import run_dag_callback
from slipstream.supervisor.supervisor import Supervisor, SupervisorSettings

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
    "slipstream.sdk.edges",
    "slipstream.sdk.mapping",
    "slipstream.sdk.taskgroup",
    "slipstream.sdk.xcom_arg",
    # `airflow` names resolve through the import hook (installed first): what DAG files import
    "airflow.sdk",
    "airflow.providers.standard.operators.empty",
    "airflow.providers.standard.operators.python",
    "airflow.providers.standard.operators.bash",
)


SCHEMA_WAIT_SEC = 120.0
"""How long a worker started while the database is being migrated waits for the schema."""

STANDBY_IDLE_SEC = 10.0
"""A slot (supervisor process) without work this long is retired (it holds memory and a DB
connection)."""


@dataclass
class Slot:
    """A supervisor process that runs tries one after another, and what the worker knows of it."""

    pid: int
    channel: Channel
    workload: TaskWorkload | None = None  # the try it runs; None while idle
    ready: bool = False  # prepared for its next try
    idle_since: float = field(default_factory=time.monotonic)


class WarmWorker:
    """Hands tries to supervisor slots, forking slots as needed, and reaps them.

    A workload goes to an idle slot (one that said it is ready first), else to a new one; and
    one idle slot is always kept ahead while work comes in (the *standby*), so a workload
    rarely waits for a fork. A slot reused for many tries has long since opened its database
    connection and copied the pages it touches (forking one costs ~20 ms of CPU on a small VM).
    Slots idle for `STANDBY_IDLE_SEC` are retired.
    """

    def __init__(self, channel: Channel, settings: SupervisorSettings) -> None:
        self.channel = channel
        self.settings = settings
        self.slots: dict[int, Slot] = {}
        self.db = None
        self.parse_server: ParseServer | None = None
        self.stopping = False
        self._wakeup_r, self._wakeup_w = os.pipe()
        for fd in (self._wakeup_r, self._wakeup_w):
            os.set_blocking(fd, False)

    def warm_up(self, *, wait_for_schema: bool = False, parsing: bool = False) -> None:
        """Import what every try needs, and open the database once (so the SQL dialect is
        initialised in every fork), closing the connection again. With `wait_for_schema`
        (standalone starts its executor while it migrates the database), the statements are
        warmed up once the schema is current; with `parsing`, what DAG files use is imported
        too, as a DAG processor would.

        The garbage collector stays off meanwhile: what is made now lives as long as the
        worker, and collections during the imports would free next to nothing."""
        from slipstream.compat.airflow import install

        gc.disable()
        install()
        for name in WARM_MODULES:
            try:
                importlib.import_module(name)
            except Exception:
                log.debug("Could not pre-import %s", name, exc_info=True)
        from slipstream.db.engine import Database
        from slipstream.db.store import execution

        db = Database(self.settings.db_url, pool_size=1)
        if wait_for_schema:
            _wait_for_schema(db)
        try:
            with db.session() as session:
                execution.warm_up_statements(session)
                session.rollback()
        except Exception:
            log.warning("Could not warm up the database statements", exc_info=True)
        db.engine.dispose()
        self.db = db  # type: ignore[assignment]
        exercise_sdk()  # the SDK's lazy imports and caches, filled once for every task
        if parsing:
            from slipstream.dag_processing.processor import warm_up

            warm_up()
        gc.collect()
        gc.freeze()  # forks share these pages instead of copying them on the next collection
        gc.enable()

    def serve(self) -> None:
        signal.set_wakeup_fd(self._wakeup_w)
        signal.signal(signal.SIGCHLD, _ignore)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, self._on_sigterm)
        try:
            self._serve()
        finally:
            if self.parse_server is not None:
                self.parse_server.close()
            for slot in list(self.slots.values()):
                self.retire(slot)  # idle ones exit now, busy ones after their try

    def serve_parsing(self, path: str) -> None:
        """Fork parsing children for DAG processors connecting to `path` from now on (warmed
        up with `parsing`)."""
        self.parse_server = ParseServer(path, in_child=self._in_child)

    def _serve(self) -> None:
        while not self.stopping:
            channel_fd = self.channel.fileno()
            by_fd = {s.channel.fileno(): s for s in self.slots.values() if not s.channel.closed}
            parsing = self.parse_server.fds() if self.parse_server is not None else []
            ready, _, _ = select.select(
                [channel_fd, self._wakeup_r, *by_fd, *parsing], [], [], self._idle_timeout()
            )
            if self._wakeup_r in ready:
                _drain(self._wakeup_r)
            for fd in ready:
                if fd in by_fd:
                    self._hear(by_fd[fd])
            if self.parse_server is not None:
                self.parse_server.handle(ready)
            self.reap()
            self._retire_idle()
            if channel_fd not in ready:
                continue
            message = self.channel.receive()
            if message is None or message.get("op") == "stop":
                return
            if message.get("op") == "run":
                self.run(TaskWorkload.from_dict(message["workload"]))
            elif message.get("op") == "callback":
                self.fork_callback(CallbackWorkload.from_dict(message["workload"]))

    def run(self, workload: TaskWorkload) -> None:
        """Hand `workload` to an idle slot (a ready one first, else a new one), and make sure an
        idle slot is being prepared for the next workload."""
        for slot in self._idle_slots():
            if self._hand(slot, workload):
                break
        else:
            slot = self.spawn_slot()
            if not self._hand(slot, workload):
                log.error("A new supervisor (pid %s) refused task instance %s", slot.pid, workload)
                self._lost(workload)
        if not any(True for _ in self._idle_slots()):
            self.spawn_slot()  # the standby

    def _idle_slots(self) -> Iterator[Slot]:
        idle = [slot for slot in self.slots.values() if slot.workload is None]
        return iter(sorted(idle, key=lambda slot: not slot.ready))

    def _hand(self, slot: Slot, workload: TaskWorkload) -> bool:
        try:
            slot.channel.send({"op": "run", "workload": workload.to_dict()})
        except OSError:  # it died: the reaper forgets it
            self.retire(slot)
            return False
        slot.workload, slot.ready = workload, False
        return True

    def spawn_slot(self) -> Slot:
        ours, theirs = socket.socketpair()
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                ours.close()
                self._in_child()
                code = _slot_main(Channel(theirs), self.settings, self.db)
            except BaseException:
                traceback.print_exc()
            finally:
                os._exit(code)
        theirs.close()
        slot = self.slots[pid] = Slot(pid, Channel(ours))
        return slot

    def _hear(self, slot: Slot) -> None:
        """A message from a slot: ready for a try, or done with one; end of file: it exits."""
        try:
            message = slot.channel.receive()
        except (OSError, ValueError):
            message = None
        if message is None:
            self.retire(slot, forget=slot.workload is None)
        elif message.get("op") == "ready":
            slot.ready = True
        elif message.get("op") == "done":
            slot.workload, slot.ready, slot.idle_since = None, False, time.monotonic()

    def retire(self, slot: Slot, *, forget: bool = True) -> None:
        """Close the slot's socket (an idle slot exits, a busy one after its try); a busy slot
        stays known until reaped, so its try can be reported lost if it dies."""
        slot.channel.close()
        if forget or slot.workload is None:
            self.slots.pop(slot.pid, None)

    def _retire_idle(self) -> None:
        now = time.monotonic()
        for slot in list(self.slots.values()):
            if slot.workload is None and now - slot.idle_since > STANDBY_IDLE_SEC:
                self.retire(slot)

    def _idle_timeout(self) -> float | None:
        """Wake up when the next idle slot is due to retire; else wait for messages only."""
        idle = [s.idle_since for s in self.slots.values() if s.workload is None]
        if not idle:
            return None
        return max(0.0, min(idle) + STANDBY_IDLE_SEC - time.monotonic()) + 0.05

    def _on_sigterm(self, signum: int, frame: object) -> None:
        self.stopping = True

    def fork_callback(self, workload: CallbackWorkload) -> None:
        """Run a DAG-level callback in a process of its own (`supervisor.dag_callbacks`); it is
        reaped like a supervisor, and nothing waits for it."""
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                self._in_child()
                code = run_dag_callback(workload, self.settings, self.db)
            except BaseException:
                traceback.print_exc()
            finally:
                os._exit(code)

    def _in_child(self) -> None:
        for slot in self.slots.values():
            slot.channel.close()
        signal.set_wakeup_fd(-1)
        for signum in (signal.SIGCHLD, signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, signal.SIG_DFL)
        self.channel.close()
        if self.parse_server is not None:
            self.parse_server.close_in_child()
        os.close(self._wakeup_r)
        os.close(self._wakeup_w)
        # The objects frozen in the worker stay frozen: a short-lived child collecting them
        # would copy most of the worker's pages (~70 ms for a full collection).

    def reap(self) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            if self.parse_server is not None and self.parse_server.reaped(pid, status):
                continue
            slot = self.slots.pop(pid, None)
            if slot is None:
                continue
            if slot.workload is not None and not slot.channel.closed:
                self._hear_last(slot)  # it may have said "done" before it exited
            slot.channel.close()
            if slot.workload is None:
                continue
            code = os.waitstatus_to_exitcode(status)
            how = f"was killed by signal {-code}" if code < 0 else f"exited with code {code}"
            log.error(
                "The supervisor of task instance %s (pid %s) %s", slot.workload.ti_id, pid, how
            )
            self._lost(slot.workload)

    def _hear_last(self, slot: Slot) -> None:
        while not slot.channel.closed and select.select([slot.channel], [], [], 0)[0]:
            self._hear(slot)

    def _lost(self, workload: TaskWorkload) -> None:
        send_event(self.settings.event_socket, workload.ti_id, workload.queue_token, lost=True)


def _slot_main(channel: Channel, settings: SupervisorSettings, db: Any) -> int:
    """A supervisor process that runs tries one after another: prepare (DB connection, a
    waiting task process), say ready, run the try it is sent, say done. End of file (retired,
    or the worker is gone) or SIGTERM between tries ends it; a try that failed inside the
    supervisor ends it with an error code, so the worker reports the try lost."""

    def stop_now(signum: int, frame: object) -> None:
        raise _Retired

    signal.signal(signal.SIGTERM, stop_now)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    warm_up = True
    try:
        while True:
            supervisor = Supervisor(settings, db, keep_db=True)
            try:
                supervisor.prepare(warm_up=warm_up)
                channel.send({"op": "ready"})
                message = channel.receive()
            except (_Retired, OSError):
                message = None
            db, warm_up = supervisor.db, False
            if message is None or message.get("op") != "run":
                supervisor.abandon()
                return 0
            code = supervisor.run(TaskWorkload.from_dict(message["workload"]))
            if code != 0:
                return code
            channel.send({"op": "done"})
            if supervisor.asked_to_stop:
                return 0
    except (_Retired, OSError):
        return 0
    finally:
        task_forker.shutdown()
        if db is not None:
            db.dispose()


class _Retired(BaseException):
    """SIGTERM reached a slot between tries (a BaseException: no handler mistakes it for a
    failed try)."""


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
    worker.warm_up(
        wait_for_schema=bool(init.get("wait_for_schema")), parsing=bool(init.get("parse_socket"))
    )
    if init.get("parse_socket"):
        worker.serve_parsing(init["parse_socket"])
    channel.send({"op": "ready", "pid": os.getpid()})
    worker.serve()
    worker.reap()
    return 0


def _wait_for_schema(db: Any) -> None:
    from slipstream.db.migrate import check

    deadline = time.monotonic() + SCHEMA_WAIT_SEC
    while not check(db) and time.monotonic() < deadline:
        time.sleep(0.02)


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

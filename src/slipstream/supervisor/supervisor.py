"""The supervisor of one task try: the only process of the try that touches the metadata DB.

It claims the try (at most once, `execution.claim_try`), opens the try's log file, starts the
task process (forked, or a fresh interpreter), serves the task's requests, heartbeats the TI,
writes the try's end in one conditioned transaction, and tells the executor ("look now").

Task process protocol (frames of `comms.Channel`):

    supervisor → task   start     workload, run, try details, masking settings
    task → supervisor   <request> xcom_push | xcom_pull | get_variable | set_variable |
                                  delete_variable | get_connection | skip_tasks |
                                  follow_branches | short_circuit | first_reschedule_date |
                                  trigger_dag_run | get_dag_run_state | get_asset_events |
                                  get_triggering_asset_events
    supervisor → task   {"ok": ..., "result" | "error": ...}
    task → supervisor   finish    reported state (success, skipped, failed, up_for_reschedule),
                                  retryable, reschedule date, asset events, rendered fields
    supervisor → task   {"state": decided state, "next_try_at": ...}   (state None: not written)
    task                runs the callback of the decided state, may still send requests, exits

The state is written before callbacks run, so a slow `on_success_callback` never delays the
downstream tasks. If the task process dies before `finish`, its exit code or signal goes to the
log and the try fails (or is retried) by its policy. If the TI stops being this running try
(cleared, marked, reaped), the next heartbeat notices and the task is terminated.
"""

from __future__ import annotations

import datetime as dt
import errno
import logging
import os
import select
import signal
import socket
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from slipstream.core.exceptions import AirflowException
from slipstream.core.states import TaskInstanceState
from slipstream.db.engine import Database
from slipstream.db.store import asset_events, execution, serialized_dags, xcoms
from slipstream.executors.base import TaskWorkload
from slipstream.supervisor import log_files, task_forker
from slipstream.supervisor.comms import Channel, from_iso, send_event, to_iso
from slipstream.supervisor.shared_requests import SharedRequests

if TYPE_CHECKING:
    from slipstream.config import Config

log = logging.getLogger("slipstream.supervisor")
S = TaskInstanceState


@dataclass(frozen=True)
class SupervisorSettings:
    """What every supervisor of an executor needs; plain data, sent to the warm worker once."""

    db_url: str
    base_log_folder: str
    event_socket: str | None = None
    heartbeat_sec: float = 3.0
    new_interpreter: bool = False
    sensitive_words: tuple[str, ...] = ()
    hide_sensitive: bool = True
    min_masked_length: int = 5
    kill_grace_sec: float = 60.0
    log_level: str = "INFO"
    home: str | None = None
    preload_dag_files: bool = True
    preload_timeout: float = 30.0
    preload_max_age: float = 30.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SupervisorSettings:
        return cls(**{**data, "sensitive_words": tuple(data.get("sensitive_words") or ())})

    @classmethod
    def from_config(
        cls, config: Config, *, db_url: str, event_socket: str | None = None
    ) -> SupervisorSettings:
        return cls(
            db_url=db_url,
            base_log_folder=str(config.getpath("logging", "base_log_folder")),
            event_socket=event_socket,
            heartbeat_sec=max(config.getfloat("scheduler", "task_instance_heartbeat_sec"), 0.1),
            new_interpreter=config.getboolean("core", "execute_tasks_new_python_interpreter"),
            sensitive_words=tuple(config.getlist("core", "sensitive_var_conn_names")),
            hide_sensitive=config.getboolean("core", "hide_sensitive_var_conn_fields"),
            min_masked_length=config.getint("logging", "min_length_masked_secret"),
            kill_grace_sec=config.getfloat("core", "killed_task_cleanup_time"),
            log_level=config.get("logging", "logging_level"),
            home=str(config.home),
            preload_dag_files=config.getboolean("core", "preload_dag_files", fallback=True),
            preload_timeout=config.getfloat("core", "dagbag_import_timeout", fallback=30.0),
            preload_max_age=config.getfloat(
                "dag_processor", "min_file_process_interval", fallback=30.0
            ),
        )


def supervise(
    workload: TaskWorkload, settings: SupervisorSettings, db: Database | None = None
) -> int:
    """Run one try under supervision in this (freshly forked) process; returns an exit code.

    The process leaves the worker's session first, so it lives on when the worker or the
    scheduler dies.
    """
    supervisor = Supervisor(settings, db)
    supervisor.prepare(warm_up=False)
    return supervisor.run(workload)


class Supervisor(SharedRequests):
    """One try: claim, run the task process, serve it, record the end.

    `prepare` does what needs no workload (leave the worker's session, connect to the DB,
    start the task process, which then waits for its try); `run` does the rest. A standby
    supervisor of the warm worker prepares while idle, so a workload starts at once.
    """

    def __init__(
        self, settings: SupervisorSettings, db: Database | None = None, *, keep_db: bool = False
    ) -> None:
        self.settings = settings
        self.db = db
        self.keep_db = keep_db  # a supervisor that runs more tries keeps its connection
        self.workload: TaskWorkload | None = None
        self.claim: execution.ClaimedTry | None = None
        self.label = "-"
        self.try_log: log_files.TryLog | None = None
        self.channel: Channel | None = None
        self.task_pid: int | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._status: int | None = None
        self._finished = False
        self._event_sent = False
        self._stop_reason: str | None = None
        self._kill_at: float | None = None
        self._sigterm = False
        self._wakeup_r = -1
        self._wakeup_w = -1
        self._saved_signals: dict[int, Any] = {}
        self._saved_wakeup_fd = -1
        self._sdag: Any = None
        self._secrets: Any = None
        self._forker: task_forker.TaskForker | None = None

    # --- the try from start to end ------------------------------------------------------

    def prepare(self, *, warm_up: bool = True) -> None:
        """Get ready for any try: own session, DB connection, and a waiting task process, or
        with `preload_dag_files` the task forker (`task_forker`), which forks the task process
        once the try is claimed and its DAG file known.

        The session makes the supervisor live on when the worker or the scheduler dies.
        Warming the DB statements after the task process is forked keeps the pages they touch
        private to the supervisor, so the try itself pays no copy-on-write faults for them.
        """
        try:
            os.setsid()
        except OSError:
            pass
        if self.db is None:
            self.db = Database(self.settings.db_url, pool_size=1)
        else:
            self.db.after_fork()
        if self._uses_forker:
            task_forker.ready(self.settings)
        else:
            self._start_task()
        if warm_up:
            try:
                with self.db.session() as session:
                    execution.warm_up_reads(session)
            except Exception:
                log.debug("Could not warm up the database statements", exc_info=True)

    def run(self, workload: TaskWorkload) -> int:
        self.workload = workload
        self.label = log_files.task_label(workload.dag_id, workload.task_id, workload.map_index)
        try:
            if self.channel is None and not self._uses_forker:
                self.prepare(warm_up=False)
            if not self._claim():
                self.abandon()
                return 0
            if self.channel is None:
                self._start_task()
            self._install_signals()
            self._begin_task()
            self._serve()
            self._after_exit()
            return 0
        except Exception:
            log.exception("Supervisor of %s failed", self.label)
            self.abandon()
            return 1
        finally:
            self._send_event()
            self._restore_signals()
            if self.try_log is not None:
                self.try_log.close()
            if self.db is not None and not self.keep_db:
                self.db.dispose()

    def _claim(self) -> bool:
        w = self._work
        result = self._db.run_write(
            execution.claim_try,
            ti_id=w.ti_id,
            try_number=w.try_number,
            queue_token=w.queue_token,
            hostname=socket.gethostname(),
            pid=os.getpid(),
        )
        if isinstance(result, execution.ClaimRefused):
            log.info("Not running %s try %s: %s", self.label, w.try_number, result.reason)
            return False
        self.claim = result
        path = log_files.try_log_path(
            self.settings.base_log_folder,
            dag_id=w.dag_id,
            run_id=w.run_id,
            task_id=w.task_id,
            map_index=w.map_index,
            try_number=w.try_number,
        )
        self.try_log = log_files.TryLog(log_files.open_log(path), self.label)
        return True

    def _start_task(self) -> None:
        """Start the task process; it waits for its log file and `start` message."""
        from slipstream.supervisor import task_process

        ours, theirs = socket.socketpair()
        if self.settings.new_interpreter:
            env = task_process.scrub_environment(os.environ)
            self._proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "slipstream.supervisor.task_process",
                    "--comms-fd",
                    str(theirs.fileno()),
                    "--parent-pid",
                    str(os.getpid()),
                ],
                stdin=subprocess.DEVNULL,
                env=env,
                pass_fds=(theirs.fileno(),),
                process_group=0,
            )
            self.task_pid = self._proc.pid
        else:
            forked = None
            if self._uses_forker:
                fileloc = self.workload.fileloc if self.workload is not None else None
                forked = task_forker.fork_task(theirs, fileloc or None, self.settings)
            if forked is not None:
                self._forker, self.task_pid = forked
            else:
                self.task_pid = self._fork_task(ours, theirs)
        theirs.close()
        self.channel = Channel(ours)

    def _fork_task(self, ours: socket.socket, theirs: socket.socket) -> int:
        """Fork the task process from this process."""
        from slipstream.supervisor import task_process

        parent = os.getpid()
        pid = os.fork()
        if pid == 0:  # the task process
            ours.close()
            os.setpgid(0, 0)
            task_process.run_forked(theirs, parent)
        try:
            os.setpgid(pid, pid)
        except OSError:
            pass  # the child did it first
        return pid

    @property
    def _uses_forker(self) -> bool:
        return self.settings.preload_dag_files and not self.settings.new_interpreter

    def _begin_task(self) -> None:
        """Give the waiting task process its log file and its try."""
        assert self.channel is not None and self.try_log is not None
        socket.send_fds(self.channel.sock, [b"L"], [self.try_log.fd])
        self.channel.send(self._start_message())

    def abandon(self) -> None:
        """Let the waiting task process go when there is no try for it (it exits on end of
        file)."""
        if self.channel is not None and self.claim is None:
            self.channel.close()
            self.channel = None
            if self.task_pid is not None and self._status is None:
                self._wait_task()

    def _start_message(self) -> dict[str, Any]:
        claim, settings = self._claimed, self.settings
        return {
            "op": "start",
            "workload": self._work.to_dict(),
            "run": claim.run,
            "max_tries": claim.max_tries,
            "start_date": claim.start_date,
            "first_reschedule_date": claim.first_reschedule_date,
            "reschedule_count": claim.reschedule_count,
            "masking": {
                "enabled": settings.hide_sensitive,
                "words": list(settings.sensitive_words),
                "min_length": settings.min_masked_length,
            },
            "log_level": settings.log_level,
        }

    def _serve(self) -> None:
        """Answer the task's requests and heartbeat until the task process is gone."""
        channel = self.channel
        assert channel is not None
        next_beat = time.monotonic() + self.settings.heartbeat_sec
        while True:
            timeout = max(0.0, next_beat - time.monotonic())
            if self._kill_at is not None:
                timeout = min(timeout, max(0.0, self._kill_at - time.monotonic()))
            fds = [channel.fileno(), self._wakeup_r, *self._forker_fds()]
            ready, _, _ = select.select(fds, [], [], timeout)
            if self._wakeup_r in ready:
                _drain(self._wakeup_r)
            if channel.fileno() in ready:
                message = channel.receive()
                if message is None:
                    return
                self._handle(message)
            if self._sigterm and self._stop_reason is None:
                self._stop_task("the supervisor was asked to stop (SIGTERM)")
            if self._poll_task():
                return
            if self._kill_at is not None and time.monotonic() >= self._kill_at:
                self._kill_task()
            if time.monotonic() >= next_beat:
                self._heartbeat()
                next_beat = time.monotonic() + self.settings.heartbeat_sec

    def _after_exit(self) -> None:
        """Reap the task process; record the try's end if the task never reported it."""
        status = self._wait_task()
        cause = _exit_cause(status)
        assert self.try_log is not None
        if self._finished:
            if status != 0:
                self.try_log.warning(f"Task process {cause} after reporting its outcome")
            return
        self.try_log.error(f"Task process {cause} before reporting an outcome")
        if self._stop_reason is not None and not self._sigterm:
            return  # the TI was changed elsewhere: its state is not ours to write
        now = _now()
        state, next_try_at = self._decide(S.FAILED, retryable=True, reschedule_date=None, now=now)
        self.try_log.info(f"Marking the try {state.value}")
        if not self._write_end(state, now, next_try_at):
            self.try_log.warning(f"Nothing recorded: {self._why_not_running()}")

    # --- requests -----------------------------------------------------------------------

    def _handle(self, message: dict[str, Any]) -> None:
        channel = self.channel
        assert channel is not None
        op = str(message.get("op"))
        handler = getattr(self, f"_op_{op}", None)
        try:
            if handler is None:
                raise AirflowException(f"unknown request {op!r}")
            result = handler(message)
        except Exception as err:
            log.debug("Request %s of %s failed", op, self.label, exc_info=True)
            _quietly(channel.reply_error, err)
            return
        _quietly(channel.reply, result)

    def _op_xcom_push(self, m: dict[str, Any]) -> None:
        c = self._claimed
        self._db.run_write(
            xcoms.xcom_set,
            dag_run_id=c.dag_run_id,
            dag_id=c.dag_id,
            run_id=c.run_id,
            task_id=c.task_id,
            map_index=c.map_index,
            key=str(m["key"]),
            value=str(m["value"]),
        )

    def _op_skip_tasks(self, m: dict[str, Any]) -> int:
        ids = [str(t) for t in m.get("task_ids") or ()]
        return int(self._db.run_write(execution.skip_task_instances, self._claimed.dag_run_id, ids))

    def _op_follow_branches(self, m: dict[str, Any]) -> int:
        from slipstream.orchestration.skips import branch_skip_set

        dag = self._serialized_dag()
        followed = expand_group_ids(dag, [str(b) for b in m.get("branch_ids") or ()])
        skip = branch_skip_set(dag.task_dict, self._work.task_id, followed)
        return self._op_skip_tasks({"task_ids": sorted(skip)})

    def _op_short_circuit(self, m: dict[str, Any]) -> int:
        from slipstream.orchestration.skips import short_circuit_skip_set

        dag = self._serialized_dag()
        ignore = bool(m.get("ignore_downstream_trigger_rules", True))
        skip = short_circuit_skip_set(dag.task_dict, self._work.task_id, ignore)
        return self._op_skip_tasks({"task_ids": sorted(skip)})

    def _op_first_reschedule_date(self, m: dict[str, Any]) -> str | None:
        with self._db.session() as session:
            first = execution.first_reschedule_date(
                session, self._work.ti_id, self._work.try_number
            )
        return to_iso(first)

    def _op_trigger_dag_run(self, m: dict[str, Any]) -> str:
        """Create a queued manual run (`store.runs.trigger_run`); with `reset_dag_run`, an
        existing run of that id is cleared instead, so it runs again."""
        from slipstream.db.store import runs
        from slipstream.sdk.operators.trigger_dagrun import DagRunAlreadyExists

        dag_id, run_id = str(m["dag_id"]), m.get("run_id")
        logical_date = from_iso(m.get("logical_date"))

        def trigger(session: Any) -> str:
            run = runs.trigger_run(
                session,
                dag_id,
                now=_now(),
                conf=m.get("conf"),
                logical_date=logical_date,
                run_id=run_id,
                triggered_by="operator",
            )
            return str(run.run_id)

        try:
            return str(self._db.run_write(trigger))
        except DagRunAlreadyExists:
            if not (m.get("reset_dag_run") and run_id):
                raise
            self._db.run_write(_reset_run, dag_id, str(run_id))
            return str(run_id)

    def _op_get_asset_events(self, m: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
        with self._db.session() as session:
            return asset_events.asset_events_for(session, [str(u) for u in m.get("uris") or ()])

    def _op_get_triggering_asset_events(self, m: dict[str, Any]) -> list[dict[str, Any]]:
        from slipstream.db.store.run_context import triggering_asset_events

        with self._db.session() as session:
            return triggering_asset_events(session, self._claimed.dag_run_id)

    def _op_finish(self, m: dict[str, Any]) -> dict[str, Any]:
        if self._finished:
            raise AirflowException("the try already reported its outcome")
        now = _now()
        reported = S(str(m["state"]))
        state, next_try_at = self._decide(
            reported,
            retryable=bool(m.get("retryable", True)),
            reschedule_date=from_iso(m.get("reschedule_date")),
            now=now,
        )
        events = [
            execution.AssetEventRecord(
                uri=str(e["uri"]),
                name=e.get("name"),
                group=e.get("group") or "asset",
                extra=dict(e.get("extra") or {}),
            )
            for e in m.get("asset_events") or ()
        ]
        written = self._write_end(
            state, now, next_try_at, events=events, rendered=m.get("rendered_fields")
        )
        if not written:
            return {"state": None, "reason": self._why_not_running()}
        return {"state": state.value, "next_try_at": to_iso(next_try_at), "end_date": to_iso(now)}

    # --- deciding and writing the end -----------------------------------------------------

    def _decide(
        self,
        reported: TaskInstanceState,
        *,
        retryable: bool,
        reschedule_date: dt.datetime | None,
        now: dt.datetime,
    ) -> tuple[TaskInstanceState, dt.datetime | None]:
        from slipstream.orchestration.retries import next_state_after_failure, retry_delay_for

        if reported is S.UP_FOR_RESCHEDULE:
            return reported, reschedule_date or now
        if reported is not S.FAILED:
            return reported, None
        task = self._retry_policy()
        try_number, max_tries = self._work.try_number, self._claimed.max_tries
        state = next_state_after_failure(
            task, try_number, force_fail=not retryable, max_tries=max_tries or None
        )
        if state is S.UP_FOR_RETRY:
            return state, now + retry_delay_for(task, try_number)
        return state, None

    def _write_end(
        self,
        state: TaskInstanceState,
        now: dt.datetime,
        next_try_at: dt.datetime | None,
        *,
        events: list[execution.AssetEventRecord] | None = None,
        rendered: dict[str, Any] | None = None,
    ) -> bool:
        result = execution.TryResult(
            ti_id=self._work.ti_id,
            try_number=self._work.try_number,
            state=state,
            end_date=now,
            next_try_at=next_try_at,
            asset_events=events or (),
            rendered_fields=rendered,
            start_date=self._claimed.start_date,
        )
        written = bool(self._db.run_write(execution.finish_try, result))
        self._finished = True
        self._send_event()
        return written

    def _why_not_running(self) -> str:
        with self._db.session() as session:
            found = execution.ti_state(session, self._work.ti_id)
        if found is None:
            return "the task instance was deleted"
        return f"the task instance is {found[0] or 'without state'} (try {found[1]}) now"

    def _retry_policy(self) -> Any:
        try:
            dag = self._serialized_dag()
        except AirflowException:
            dag = None
        task = dag.task_dict.get(self._work.task_id) if dag is not None else None
        return task if task is not None else _FallbackPolicy()

    def _serialized_dag(self) -> Any:
        if self._sdag is None:
            from slipstream.serialization import deserialize_dag

            serialized_id = self._claimed.serialized_dag_id or self._work.serialized_dag_id
            with self._db.session() as session:
                data = serialized_dags.serialized_dag_data(
                    session, serialized_dag_id=serialized_id, dag_id=self._work.dag_id
                )
            if data is None:
                raise AirflowException(f"no serialized DAG is stored for {self._work.dag_id}")
            self._sdag = deserialize_dag(data)
        return self._sdag

    def _secrets_backend(self) -> Any:
        if self._secrets is None:
            from slipstream.config import load_config
            from slipstream.db.store.variables import DbSecretsBackend

            home = self.settings.home
            config = load_config(home=None if home is None else _path(home))
            self._secrets = DbSecretsBackend(self._db, config)
        return self._secrets

    # --- heartbeats and the task process --------------------------------------------------

    def _heartbeat(self) -> None:
        if self._finished or self._stop_reason is not None:
            return
        w = self._work
        try:
            alive = self._db.run_write(execution.heartbeat, w.ti_id, w.try_number)
        except Exception:
            log.exception("Heartbeat of %s failed", self.label)
            return
        if not alive:
            self._stop_task(f"{self._why_not_running()}, not running try {w.try_number}")

    def _stop_task(self, reason: str) -> None:
        """SIGTERM the task's process group; SIGKILL it if it is still there after the grace."""
        self._stop_reason = reason
        if self.try_log is not None:
            self.try_log.warning(f"Terminating the task: {reason}")
        self._signal_task(signal.SIGTERM)
        self._kill_at = time.monotonic() + self.settings.kill_grace_sec

    def _kill_task(self) -> None:
        if self.try_log is not None:
            self.try_log.error("The task did not stop in time: killing it")
        self._signal_task(signal.SIGKILL)
        self._kill_at = None

    def _signal_task(self, signum: int) -> None:
        if self.task_pid is None or self._status is not None:
            return
        try:
            os.killpg(self.task_pid, signum)
        except ProcessLookupError:
            pass
        except PermissionError:
            _quietly(os.kill, self.task_pid, signum)

    def _poll_task(self) -> bool:
        """True (and the status kept) once the task process has exited."""
        if self._status is not None or self.task_pid is None:
            return self._status is not None
        if self._proc is not None:
            code = self._proc.poll()
            if code is not None:
                self._status = code
        elif self._forker is not None:  # not our child: the forker reports its end
            self._status = self._forker.poll(self.task_pid)
        else:
            pid, status = _waitpid(self.task_pid, os.WNOHANG)
            if pid:
                self._status = os.waitstatus_to_exitcode(status)
        return self._status is not None

    def _wait_task(self) -> int:
        deadline = time.monotonic() + self.settings.kill_grace_sec
        while not self._poll_task():
            if time.monotonic() >= deadline:
                self._signal_task(signal.SIGKILL)
                deadline = time.monotonic() + 5.0
            if self._forker is not None:  # its message comes when the task process ends
                select.select(self._forker_fds(), [], [], 0.05)
            elif self._wakeup_r >= 0:  # SIGCHLD writes to it: wake at the exit, not a poll later
                if select.select([self._wakeup_r], [], [], 0.05)[0]:
                    _drain(self._wakeup_r)
            else:
                time.sleep(0.005)
        assert self._status is not None
        return self._status

    def _forker_fds(self) -> list[int]:
        forker = self._forker
        return [forker.fileno()] if forker is not None and forker.alive else []

    def _install_signals(self) -> None:
        read, write = os.pipe()
        os.set_blocking(read, False)
        os.set_blocking(write, False)
        self._wakeup_r, self._wakeup_w = read, write
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGCHLD):
            self._saved_signals[signum] = signal.getsignal(signum)
        self._saved_wakeup_fd = signal.set_wakeup_fd(write)
        signal.signal(signal.SIGTERM, self._on_sigterm)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGCHLD, _ignore)

    def _on_sigterm(self, signum: int, frame: Any) -> None:
        self._sigterm = True

    def _restore_signals(self) -> None:
        """Put back the handlers `_install_signals` replaced and close its pipe (a process that
        runs more tries must not collect pipes)."""
        if self._wakeup_r < 0:
            return
        signal.set_wakeup_fd(self._saved_wakeup_fd)
        for signum, handler in self._saved_signals.items():
            signal.signal(signum, signal.SIG_DFL if handler is None else handler)
        for fd in (self._wakeup_r, self._wakeup_w):
            os.close(fd)
        self._wakeup_r = self._wakeup_w = -1

    @property
    def asked_to_stop(self) -> bool:
        """Whether SIGTERM arrived during the try (the process should take no more tries)."""
        return self._sigterm

    def _send_event(self) -> None:
        if not self._event_sent:
            self._event_sent = True
            send_event(self.settings.event_socket, self._work.ti_id, self._work.queue_token)

    def _requests_db(self) -> Database:
        return self._db

    def _requests_dag_run_id(self) -> int:
        return self._claimed.dag_run_id

    @property
    def _db(self) -> Database:
        assert self.db is not None
        return self.db

    @property
    def _work(self) -> TaskWorkload:
        assert self.workload is not None
        return self.workload

    @property
    def _claimed(self) -> execution.ClaimedTry:
        assert self.claim is not None
        return self.claim


@dataclass(frozen=True)
class _FallbackPolicy:
    """Retry settings when the run's serialized DAG is missing: Airflow's defaults, with the
    TI's `max_tries` as the budget."""

    retries: int = 0
    retry_delay: dt.timedelta = dt.timedelta(seconds=300)
    retry_exponential_backoff: bool = False
    max_retry_delay: dt.timedelta | None = None


def expand_group_ids(dag: Any, ids: list[str]) -> list[str]:
    """A branch's choice as task ids: a task group id stands for the group's root tasks."""
    out: list[str] = []
    for item in ids:
        if item in dag.task_dict or item not in dag.task_group_dict:
            out.append(item)
            continue
        members = {t.task_id for t in dag.iter_group_tasks(item)}
        out.extend(t for t in sorted(members) if not dag.task_dict[t].upstream_task_ids & members)
    return out


def _reset_run(session: Any, dag_id: str, run_id: str) -> None:
    """Clear every TI of an existing run (what `reset_dag_run=True` asks for)."""
    from slipstream.db.store import ti_clearing
    from slipstream.sdk.operators.trigger_dagrun import DagRunAlreadyExists

    task_ids = execution.run_task_ids(session, dag_id, run_id)
    if not task_ids:
        raise DagRunAlreadyExists(f"DAG {dag_id} has a run with that logical date already")
    ti_clearing.clear(session, dag_id, task_ids, now=_now(), run_ids=[run_id])


def _exit_cause(status: int) -> str:
    if status < 0:
        try:
            name = signal.Signals(-status).name
        except ValueError:
            name = str(-status)
        return f"was killed by signal {name}"
    return f"exited with code {status}"


def _waitpid(pid: int, options: int) -> tuple[int, int]:
    try:
        return os.waitpid(pid, options)
    except ChildProcessError:
        return pid, 255 << 8
    except InterruptedError:
        return 0, 0


def _drain(fd: int) -> None:
    try:
        while os.read(fd, 4096):
            pass
    except OSError as err:
        if err.errno not in (errno.EAGAIN, errno.EWOULDBLOCK):
            raise


def _quietly(fn: Any, *args: Any) -> None:
    try:
        fn(*args)
    except OSError:
        pass


def _ignore(signum: int, frame: Any) -> None:
    pass


def _path(value: str) -> Any:
    from pathlib import Path

    return Path(value)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)

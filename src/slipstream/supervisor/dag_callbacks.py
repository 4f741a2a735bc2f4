"""DAG-level callbacks: a finished run's `on_success_callback` / `on_failure_callback`, run in
processes forked from the warm worker (`LocalExecutor.queue_callback`).

    warm worker ──fork──▶ callback supervisor ──fork──▶ callback process
                          reads the run from the DB;     loads the DAG file, calls the
                          serves variables, connections  callback(s) with the run's context;
                          and XCom reads; enforces the   no DB credentials (scrubbed
                          time limit                     environment), like a task process

The callback supervisor leaves the worker's session, so a callback finishes when the worker or
the scheduler goes away. Everything goes to `dag_id=…/run_id=…/dag_callbacks.log` under
`[logging] base_log_folder`: the callbacks' output and log lines (secrets masked), an exception a
callback raised, a callback process that crashed or ran past `[dag_processor]
dag_file_processor_timeout` (then killed, as Airflow's DAG processor does). Nothing is ever
written to the run: a failing callback changes no state.

The context is what `dags test` gives DAG callbacks (`dag`, `dag_run`, `run_id`, `params`,
`reason`), on top of the full task context of the run's last finished task instance (for a
failed run, the one that failed last) when there is one: `ti`, `task`, `logical_date`, `ds`, ….
"""

from __future__ import annotations

import logging
import os
import select
import signal
import socket
import sys
import time
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from slipstream.db.engine import Database
from slipstream.executors.base import CallbackWorkload
from slipstream.supervisor import log_files
from slipstream.supervisor.comms import Channel
from slipstream.supervisor.shared_requests import SharedRequests

if TYPE_CHECKING:
    from slipstream.config import Config
    from slipstream.db.store.run_context import CallbackRun
    from slipstream.supervisor.supervisor import SupervisorSettings

LOG_NAME = "dag_callbacks.log"
DEFAULT_TIME_LIMIT = 50.0


def callbacks_log_path(base_log_folder: str | os.PathLike[str], dag_id: str, run_id: str) -> Path:
    """`<base>/dag_id=<dag>/run_id=<run>/dag_callbacks.log`, next to the run's task folders."""
    task_log = log_files.try_log_path(
        base_log_folder, dag_id=dag_id, run_id=run_id, task_id="-", map_index=-1, try_number=1
    )
    return task_log.parent.parent / LOG_NAME


def run_dag_callback(
    workload: CallbackWorkload, settings: SupervisorSettings, db: Database | None = None
) -> int:
    """Run the callbacks of `workload` under supervision in this (freshly forked) process;
    returns an exit code (0 also when a callback failed: that is logged, not an error)."""
    try:
        os.setsid()
    except OSError:
        pass
    if db is None:
        db = Database(settings.db_url, pool_size=1)
    else:
        db.after_fork()
    path = callbacks_log_path(settings.base_log_folder, workload.dag_id, workload.run_id)
    log = log_files.TryLog(log_files.open_log(path), workload.dag_id)
    try:
        return _CallbackSupervisor(workload, settings, db, log).run()
    except Exception:
        log.error(f"Could not run the {workload.kind} of the DAG:\n{traceback.format_exc()}")
        return 1
    finally:
        log.close()
        db.dispose()


class _CallbackSupervisor(SharedRequests):
    def __init__(
        self,
        workload: CallbackWorkload,
        settings: SupervisorSettings,
        db: Database,
        log: log_files.TryLog,
    ) -> None:
        self.workload = workload
        self.settings = settings
        self.db = db
        self.log = log
        self._config: Config | None = None
        self._secrets: Any = None
        self.found: CallbackRun | None = None

    def run(self) -> int:
        from slipstream.db.store.run_context import callback_run

        w = self.workload
        with self.db.session() as session:
            self.found = callback_run(session, w.dag_id, w.run_id)
        if self.found is None:
            self.log.error(f"Not running the {w.kind}: run {w.run_id} of {w.dag_id} is gone")
            return 0
        self.log.info(f"Running the {w.kind} of run {w.run_id} (reason: {w.reason})")
        ours, theirs = socket.socketpair()
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:  # the callback process
            ours.close()
            _callback_process(theirs, parent, w, self.found, self.settings, self.log.fd)
        theirs.close()
        try:
            os.setpgid(pid, pid)
        except OSError:
            pass  # the child did it first
        channel = Channel(ours)
        try:
            status = self._serve(channel, pid)
        finally:
            channel.close()
        if status != 0:
            self.log.error(f"The callback process {_exit_cause(status)}")
        return 0

    def _serve(self, channel: Channel, pid: int) -> int:
        """Answer the callback's requests until it exits; kill it past the time limit."""
        deadline = time.monotonic() + self._time_limit()
        open_channel = True
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                return os.waitstatus_to_exitcode(status)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.log.error(
                    f"The {self.workload.kind} ran longer than {self._time_limit():g} s "
                    "([dag_processor] dag_file_processor_timeout): killing it"
                )
                _kill_group(pid)
                return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
            if not open_channel:
                time.sleep(min(0.05, remaining))
                continue
            ready, _, _ = select.select([channel], [], [], min(0.2, remaining))
            if not ready:
                continue
            message = channel.receive()
            if message is None:
                open_channel = False
                continue
            self._handle(channel, message)

    def _handle(self, channel: Channel, message: dict[str, Any]) -> None:
        op = str(message.get("op"))
        try:
            handler = getattr(self, f"_op_{op}", None)
            if handler is None:
                raise ValueError(f"{op!r} is not available to DAG callbacks")
            result = handler(message)
        except Exception as err:
            _quietly(channel.reply_error, err)
            return
        _quietly(channel.reply, result)

    # --- what a callback may ask ---------------------------------------------------------

    def _requests_db(self) -> Database:
        return self.db

    def _requests_dag_run_id(self) -> int:
        assert self.found is not None
        return int(self.found.dag_run_id)

    def _secrets_backend(self) -> Any:
        if self._secrets is None:
            from slipstream.db.store.variables import DbSecretsBackend

            self._secrets = DbSecretsBackend(self.db, self._load_config())
        return self._secrets

    def _load_config(self) -> Config:
        if self._config is None:
            from slipstream.config import load_config

            home = self.settings.home
            self._config = load_config(home=None if home is None else Path(home))
        return self._config

    def _time_limit(self) -> float:
        try:
            limit = self._load_config().getfloat(
                "dag_processor", "dag_file_processor_timeout", fallback=DEFAULT_TIME_LIMIT
            )
        except Exception:
            limit = DEFAULT_TIME_LIMIT
        return max(float(limit), 1.0)


# --- the callback process --------------------------------------------------------------------


def _callback_process(
    sock: socket.socket,
    parent_pid: int,
    workload: CallbackWorkload,
    found: CallbackRun,
    settings: SupervisorSettings,
    log_fd: int,
) -> NoReturn:
    """The body of the forked callback process; never returns."""
    from slipstream.supervisor.task_process import _die_with_parent, _flush, scrub_environment

    code = 1
    try:
        os.setpgid(0, 0)
        signal.set_wakeup_fd(-1)
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGCHLD, signal.SIGHUP):
            signal.signal(signum, signal.SIG_DFL)
        _die_with_parent(parent_pid)
        scrubbed = scrub_environment(os.environ)
        os.environ.clear()
        os.environ.update(scrubbed)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.close(devnull)
        os.dup2(log_fd, 1)
        os.dup2(log_fd, 2)
        _call(Channel(sock), workload, found, settings)
        code = 0
    except BaseException:
        traceback.print_exc()
    finally:
        _flush()
        os._exit(code)


def _call(
    channel: Channel, workload: CallbackWorkload, found: CallbackRun, settings: SupervisorSettings
) -> None:
    from slipstream.runtime import task_logging
    from slipstream.runtime.task_runner import call_callbacks
    from slipstream.sdk.secrets import set_runtime_backend
    from slipstream.supervisor.masking import SecretsMasker
    from slipstream.supervisor.task_process import SupervisorServices, load_dag_for

    masker = SecretsMasker(
        settings.sensitive_words,
        min_length=settings.min_masked_length,
        enabled=settings.hide_sensitive,
    )
    masker.add_environment(os.environ)
    _configure_logging(masker, settings.log_level)
    services = SupervisorServices(channel, masker, {})
    set_runtime_backend(services)
    log = logging.getLogger("slipstream.dag_callbacks")
    with task_logging.task_label(workload.dag_id):
        try:
            dag = load_dag_for(workload.fileloc, workload.dag_id)
        except Exception:
            log.exception("Could not load DAG %s for its %s", workload.dag_id, workload.kind)
            return
        services.dag = dag
        callbacks = getattr(dag, workload.kind, None)
        if not callbacks:
            log.info("DAG %s has no %s (any more)", workload.dag_id, workload.kind)
            return
        context = _context(dag, workload, found, services)
        call_callbacks(callbacks, context, workload.kind)
        log.info("Ran the %s of run %s", workload.kind, workload.run_id)


def _context(
    dag: Any, workload: CallbackWorkload, found: CallbackRun, services: Any
) -> dict[str, Any]:
    from slipstream.core.states import TaskInstanceState
    from slipstream.runtime.context import build_context
    from slipstream.runtime.task_instance import RuntimeTaskInstance
    from slipstream.sdk.params import merge_params
    from slipstream.supervisor.task_process import _dag_run_info

    dag_run = _dag_run_info({k: _iso(v) for k, v in found.run.items()})
    params = merge_params(dag.params, None, dag_run.conf, validate=False)
    context: dict[str, Any] = {}
    last = found.last_ti
    task = None if last is None else dag.task_dict.get(last["task_id"])
    if last is not None and task is not None:
        ti = RuntimeTaskInstance(
            task=task,
            dag_run=dag_run,
            map_index=int(last["map_index"]),
            try_number=int(last["try_number"]),
            max_tries=int(last["max_tries"] or 0),
            services=services,
            start_date=_pendulum(last["start_date"]),
        )
        ti.end_date = _pendulum(last["end_date"])
        ti.state = TaskInstanceState(last["state"]) if last["state"] else None
        try:
            context = build_context(ti, params=params)
        except Exception:
            logging.getLogger("slipstream.dag_callbacks").warning(
                "Could not build the context of task %s", task.task_id, exc_info=True
            )
            context = {"ti": ti, "task_instance": ti, "task": task}
    context.update(
        dag=dag, dag_run=dag_run, run_id=dag_run.run_id, params=params, reason=workload.reason
    )
    return context


def _configure_logging(masker: Any, level: str) -> None:
    from slipstream.runtime import task_logging
    from slipstream.supervisor.masking import MaskingFilter
    from slipstream.supervisor.task_process import _LogWriter

    stream = os.fdopen(os.dup(2), "w", buffering=1, encoding="utf-8", errors="replace")
    handler = logging.StreamHandler(stream)
    handler.addFilter(task_logging.TaskLabelFilter())
    handler.addFilter(MaskingFilter(masker))
    handler.setFormatter(logging.Formatter(task_logging.LOG_FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level or "INFO")
    sys.stdout = _LogWriter("slipstream.task.stdout", logging.INFO)
    sys.stderr = _LogWriter("slipstream.task.stderr", logging.ERROR)


# --- helpers ---------------------------------------------------------------------------------


def _iso(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def _pendulum(value: Any) -> Any:
    if value is None:
        return None
    import pendulum

    return pendulum.instance(value)


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    except PermissionError:
        _quietly(os.kill, pid, signal.SIGKILL)


def _exit_cause(status: int) -> str:
    if status < 0:
        try:
            return f"was killed by signal {signal.Signals(-status).name}"
        except ValueError:
            return f"was killed by signal {-status}"
    return f"exited with code {status}"


def _quietly(fn: Any, *args: Any) -> None:
    try:
        fn(*args)
    except OSError:
        pass

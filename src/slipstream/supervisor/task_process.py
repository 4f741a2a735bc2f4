"""The task process: loads the DAG file, runs one try of one task, and reaches everything else
(XCom, variables, connections, skips, triggered runs) through its supervisor.

It holds no database credentials: the environment is scrubbed of them, and every service the
task asks for is a request on the socket to the supervisor (`SupervisorServices`). Its stdout and
stderr are the try's log file; Python-level output goes through logging, which labels each line
with the task and hides the secrets the task has read (`masking.py`).

Started either forked from the supervisor (`run_forked`), or as a fresh interpreter
(`python -m slipstream.supervisor.task_process --comms-fd N --parent-pid P`) when
`[core] execute_tasks_new_python_interpreter` is set.
"""

from __future__ import annotations

import argparse
import contextlib
import faulthandler
import functools
import json
import logging
import os
import signal
import socket
import sys
import traceback
from collections.abc import Iterable, Mapping
from typing import Any

from slipstream.core.exceptions import AirflowTaskTerminated, DagNotFound, TaskNotFound
from slipstream.core.states import TaskInstanceState
from slipstream.runtime import task_logging
from slipstream.runtime.asset_events import (
    AssetEvent,
    TriggeringAssetEventsAccessor,
    events_for_success,
)
from slipstream.runtime.context import build_context
from slipstream.runtime.task_instance import DagRunInfo, RuntimeTaskInstance
from slipstream.runtime.task_runner import TryOutcome, call_callbacks, prepare_task, run_try
from slipstream.runtime.xcom import decode, encode
from slipstream.supervisor.comms import Channel, from_iso, to_iso
from slipstream.supervisor.masking import MaskingFilter, SecretsMasker

log = logging.getLogger("slipstream.task")
S = TaskInstanceState

SCRUBBED_PREFIXES = ("SLIPSTREAM__DATABASE__", "AIRFLOW__DATABASE__")
SCRUBBED_PARTS = ("SQL_ALCHEMY_CONN", "FERNET_KEY")

CALLBACKS = {
    S.SUCCESS: "on_success_callback",
    S.FAILED: "on_failure_callback",
    S.UP_FOR_RETRY: "on_retry_callback",
    S.SKIPPED: "on_skipped_callback",
}


def scrub_environment(env: Mapping[str, str]) -> dict[str, str]:
    """`env` without what could reach the metadata database (its URL, the Fernet key)."""
    return {
        key: value
        for key, value in env.items()
        if not key.upper().startswith(SCRUBBED_PREFIXES)
        and not any(part in key.upper() for part in SCRUBBED_PARTS)
    }


# --- starting the process -------------------------------------------------------------------


def run_forked(sock: socket.socket, parent_pid: int) -> None:
    """The body of a task process forked from its supervisor; never returns."""
    code = 1
    try:
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        scrubbed = scrub_environment(os.environ)
        os.environ.clear()
        os.environ.update(scrubbed)
        code = _serve(sock, parent_pid)
    except BaseException:
        traceback.print_exc()
    finally:
        _flush()
        os._exit(code)


def main(argv: list[str] | None = None) -> int:
    """Entry point of a fresh-interpreter task process."""
    parser = argparse.ArgumentParser(prog="slipstream.supervisor.task_process")
    parser.add_argument("--comms-fd", type=int, required=True)
    parser.add_argument("--parent-pid", type=int, required=True)
    args = parser.parse_args(argv)
    sock = socket.socket(fileno=args.comms_fd)
    return _serve(sock, args.parent_pid)


def _serve(sock: socket.socket, parent_pid: int) -> int:
    """Wait for the try (the log file's descriptor, then `start`) and run it.

    End of file instead means the supervisor claimed nothing: exit quietly.
    """
    _die_with_parent(parent_pid)
    for name in ("SIGINT", "SIGCHLD", "SIGHUP"):
        signal.signal(getattr(signal, name), signal.SIG_DFL)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    _, fds, _, _ = socket.recv_fds(sock, 1, 1)
    if not fds:
        return 0
    os.dup2(fds[0], 1)
    os.dup2(fds[0], 2)
    os.close(fds[0])
    faulthandler.enable(file=sys.__stderr__ or sys.stderr)
    channel = Channel(sock)
    start = channel.receive()
    if start is None or start.get("op") != "start":
        return 1
    return TaskProcess(channel, start).run()


def _die_with_parent(parent_pid: int) -> None:
    """Ask Linux to SIGKILL us when the supervisor dies, so a try never outlives it."""
    libc = _libc()
    if libc is not None:
        with contextlib.suppress(AttributeError):
            libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != parent_pid:
        os._exit(1)


@functools.cache
def _libc() -> Any:
    """The C library on Linux (None elsewhere); loaded once, before task processes fork."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None


_libc()


# --- one try --------------------------------------------------------------------------------


class TaskProcess:
    """Runs the try described by the supervisor's `start` message."""

    def __init__(self, channel: Channel, start: dict[str, Any]) -> None:
        self.channel = channel
        self.start = start
        self.workload = start["workload"]
        masking = start.get("masking") or {}
        self.masker = SecretsMasker(
            masking.get("words") or (),
            min_length=int(masking.get("min_length", 5)),
            enabled=bool(masking.get("enabled", True)),
        )
        self.services = SupervisorServices(channel, self.masker, start)
        self.ti: RuntimeTaskInstance | None = None
        self.context: dict[str, Any] = {}

    def run(self) -> int:
        from slipstream.sdk.secrets import set_runtime_backend

        self._configure_logging()
        self.masker.add_environment(os.environ)
        set_runtime_backend(self.services)
        w = self.workload
        label = f"{w['dag_id']}.{w['task_id']}" + (
            f"[{w['map_index']}]" if w["map_index"] >= 0 else ""
        )
        with task_logging.task_label(label):
            previous = signal.signal(signal.SIGTERM, self._on_sigterm)
            try:
                outcome = self._execute()
            finally:
                signal.signal(signal.SIGTERM, previous)
            decision = self.channel.request("finish", **self._finish_message(outcome))
            self._after(outcome, decision or {})
        _flush()
        return 0

    def _execute(self) -> TryOutcome:
        w = self.workload
        log.info(
            "Running task %s of DAG %s, run %s, try %s",
            w["task_id"],
            w["dag_id"],
            w["run_id"],
            w["try_number"],
        )
        try:
            self._prepare()
        except Exception as err:
            log.exception("Task %s could not start", w["task_id"])
            return TryOutcome(S.FAILED, error=err, retryable=True)
        assert self.ti is not None
        return run_try(self.ti, self.context)

    def _prepare(self) -> None:
        from slipstream.sdk.params import merge_params

        w, start = self.workload, self.start
        dag = load_dag_for(w["fileloc"], w["dag_id"])
        task = dag.task_dict.get(w["task_id"])
        if task is None:
            raise TaskNotFound(f"Task {w['task_id']} not found in DAG {w['dag_id']}")
        self.services.dag = dag
        dag_run = _dag_run_info(start["run"])
        ti = RuntimeTaskInstance(
            task=task,
            dag_run=dag_run,
            map_index=w["map_index"],
            try_number=w["try_number"],
            max_tries=int(start.get("max_tries") or task.retries or 0),
            services=self.services,
            start_date=from_iso(start.get("start_date")),
        )
        self.ti = ti
        if getattr(task, "is_mapped", False):
            expand_ctx = build_context(ti, params=merge_params(dag.params, None, dag_run.conf))
            ti.task = task.unmap(expand_ctx, w["map_index"])
        else:
            ti.task = prepare_task(task)
        params = merge_params(dag.params, ti.task.params, dag_run.conf)
        context = build_context(ti, params=params, asset_events=self._inlet_events(ti.task))
        context["triggering_asset_events"] = self._triggering_events(dag_run)
        context["test_mode"] = False
        context["task_reschedule_count"] = int(start.get("reschedule_count") or 0)
        self.context = context

    def _inlet_events(self, task: Any) -> dict[str, list[AssetEvent]]:
        uris = [u for u in (getattr(i, "uri", None) for i in task.inlets or ()) if u]
        if not uris:
            return {}
        found = self.channel.request("get_asset_events", uris=uris) or {}
        return {
            uri: [AssetEvent(**{**e, "timestamp": from_iso(e.get("timestamp"))}) for e in events]
            for uri, events in found.items()
        }

    def _triggering_events(self, dag_run: DagRunInfo) -> TriggeringAssetEventsAccessor:
        """The asset events that triggered the run (asked for only by asset-triggered runs)."""
        if dag_run.run_type != "asset_triggered":
            return TriggeringAssetEventsAccessor()
        found = self.channel.request("get_triggering_asset_events") or []
        return TriggeringAssetEventsAccessor(_asset_event(e) for e in found)

    def _finish_message(self, outcome: TryOutcome) -> dict[str, Any]:
        message: dict[str, Any] = {
            "state": outcome.state.value,
            "retryable": outcome.retryable,
            "reschedule_date": to_iso(outcome.reschedule_date),
            "error": None if outcome.error is None else _describe(outcome.error),
        }
        ti = self.ti
        if ti is None:
            return message
        message["rendered_fields"] = self._rendered_fields(ti.task)
        if outcome.state is S.SUCCESS and "outlet_events" in self.context:
            message["asset_events"] = _asset_events(ti, self.context["outlet_events"])
        return message

    def _rendered_fields(self, task: Any) -> dict[str, Any]:
        from slipstream.serialization.values import encode as encode_value

        fields: dict[str, Any] = {}
        for name in getattr(task, "template_fields", ()) or ():
            fields[name] = self.masker.redact_value(encode_value(getattr(task, name, None)))
        return fields

    def _after(self, outcome: TryOutcome, decision: dict[str, Any]) -> None:
        """Run the callback of the state the supervisor decided (none if nothing was written)."""
        ti, state_name = self.ti, decision.get("state")
        if state_name is None:
            log.warning("The try's outcome was not recorded: %s", decision.get("reason", "?"))
            return
        state = S(state_name)
        if ti is None:
            log.info("Task finished: %s", state.value)
            return
        ti.state = state
        ti.end_date = from_iso(decision.get("end_date"))
        if state in (S.FAILED, S.UP_FOR_RETRY):
            self.context["exception"] = outcome.error
        if state is S.UP_FOR_RETRY:
            log.info("Task will retry at %s", decision.get("next_try_at"))
        callback = CALLBACKS.get(state)
        if callback and (state is not S.SKIPPED or outcome.error is not None):
            call_callbacks(getattr(ti.task, callback, None), self.context, callback)
        log.info("Task %s finished: %s", ti.task_id, state.value)

    def _on_sigterm(self, signum: int, frame: Any) -> None:
        log.error("Received SIGTERM: terminating the task")
        task = getattr(self.ti, "task", None)
        if task is not None:
            try:
                task.on_kill()
            except Exception:
                log.exception("Error in on_kill of task %s", task.task_id)
        raise AirflowTaskTerminated("Task received SIGTERM signal")

    def _configure_logging(self) -> None:
        stream = os.fdopen(os.dup(2), "w", buffering=1, encoding="utf-8", errors="replace")
        handler = logging.StreamHandler(stream)
        handler.addFilter(task_logging.TaskLabelFilter())
        handler.addFilter(MaskingFilter(self.masker))
        handler.setFormatter(logging.Formatter(task_logging.LOG_FORMAT))
        root = logging.getLogger()
        root.handlers[:] = [handler]
        root.setLevel(self.start.get("log_level") or "INFO")
        sys.stdout = _LogWriter("slipstream.task.stdout", logging.INFO)
        sys.stderr = _LogWriter("slipstream.task.stderr", logging.ERROR)


def load_dag_for(fileloc: str, dag_id: str) -> Any:
    """The DAG `dag_id` from its file (with the `airflow` import hook), or as the task forker
    preloaded it when the file is unchanged (`dagfiles.preloaded`)."""
    from slipstream.dagfiles import preloaded
    from slipstream.dagfiles.bag import load_dag

    found = preloaded.lookup(fileloc, dag_id)
    if found is not None:
        return found
    dag, bag = load_dag(fileloc, dag_id)
    if dag is None:
        error = bag.import_errors.get(os.path.abspath(fileloc))
        detail = f":\n{error.traceback}" if error is not None else ""
        raise DagNotFound(f"DAG {dag_id!r} was not found in {fileloc}{detail}")
    return dag


def _dag_run_info(run: dict[str, Any]) -> DagRunInfo:
    run_after = from_iso(run.get("run_after"))
    logical_date = from_iso(run.get("logical_date")) or run_after
    return DagRunInfo(
        dag_id=run["dag_id"],
        run_id=run["run_id"],
        logical_date=logical_date,
        data_interval_start=from_iso(run.get("data_interval_start")) or logical_date,
        data_interval_end=from_iso(run.get("data_interval_end")) or logical_date,
        run_type=run.get("run_type") or "manual",
        conf=dict(run.get("conf") or {}),
        start_date=from_iso(run.get("start_date")),
        end_date=from_iso(run.get("end_date")),
        state=run.get("state") or "running",
        run_after=run_after,
        triggered_by=run.get("triggered_by") or "scheduler",
    )


def _asset_event(data: dict[str, Any]) -> AssetEvent:
    """An event of `triggering_asset_events` from the supervisor's answer."""
    from slipstream.sdk.assets import Asset

    asset = data.get("asset") or {}
    source = data.get("source_dag_run")
    return AssetEvent(
        asset_uri=str(data["asset_uri"]),
        extra=dict(data.get("extra") or {}),
        source_dag_id=data.get("source_dag_id"),
        source_task_id=data.get("source_task_id"),
        source_run_id=data.get("source_run_id"),
        source_map_index=int(data.get("source_map_index", -1)),
        timestamp=from_iso(data.get("timestamp")),
        asset=Asset(name=asset.get("name"), uri=asset.get("uri"), group=asset.get("group")),
        source_dag_run=None if source is None else _dag_run_info(source),
    )


def _asset_events(ti: RuntimeTaskInstance, accessors: Any) -> list[dict[str, Any]]:
    """The success's asset events with each asset's name and group, for the supervisor."""
    task = ti.task
    known: dict[str, Any] = {}
    for outlet in getattr(task, "outlets", []) or []:
        if getattr(outlet, "uri", None):
            known[outlet.uri] = outlet
        for asset, _ in accessors[outlet].asset_alias_events:
            if getattr(asset, "uri", None):
                known.setdefault(asset.uri, asset)
    events = events_for_success(
        task, accessors, dag_id=ti.dag_id, run_id=ti.run_id, map_index=ti.map_index, timestamp=None
    )
    out = []
    for event in events:
        asset = known.get(event.asset_uri)
        out.append(
            {
                "uri": event.asset_uri,
                "name": getattr(asset, "name", None) or event.asset_uri,
                "group": getattr(asset, "group", None) or "asset",
                "extra": json.loads(json.dumps(event.extra, default=str)),
            }
        )
    return out


def _describe(err: BaseException) -> str:
    return f"{type(err).__name__}: {err}"


# --- what the task asks its supervisor ------------------------------------------------------


class SupervisorServices:
    """`RunServices` and the secrets `RuntimeBackend`, each call a request to the supervisor.
    Secrets that come back are added to the log masker before the task sees them."""

    def __init__(self, channel: Channel, masker: SecretsMasker, start: dict[str, Any]) -> None:
        self.channel = channel
        self.masker = masker
        self.start = start
        self.dag: Any = None

    # XCom

    def xcom_push(self, ti: RuntimeTaskInstance, key: str, value: Any) -> None:
        raw = encode(value, dag_id=ti.dag_id, task_id=ti.task_id, key=key)
        self.channel.request("xcom_push", key=key, value=raw)

    def xcom_pull(self, ti: RuntimeTaskInstance, task_id: str, key: str, map_indexes: Any) -> Any:
        if self.dag is not None and task_id not in self.dag.task_dict:
            return None
        if isinstance(map_indexes, int):
            raw = self.channel.request("xcom_pull", task_id=task_id, key=key, map_index=map_indexes)
            return None if raw is None else decode(raw)
        if map_indexes is not None:
            raws = self.channel.request(
                "xcom_pull", task_id=task_id, key=key, map_indexes=list(map_indexes)
            )
            return [None if raw is None else decode(raw) for raw in raws]
        mapped = self.is_mapped(task_id)
        result = self.channel.request("xcom_pull", task_id=task_id, key=key, mapped=mapped)
        if mapped:
            return None if result is None else [None if r is None else decode(r) for r in result]
        return None if result is None else decode(result)

    def is_mapped(self, task_id: str) -> bool:
        task = self.dag.task_dict.get(task_id) if self.dag is not None else None
        return bool(getattr(task, "is_mapped", False))

    # skips and branches

    def skip_tasks(self, ti: RuntimeTaskInstance, task_ids: set[str]) -> None:
        if task_ids:
            self.channel.request("skip_tasks", task_ids=sorted(task_ids))

    def follow_branches(self, ti: RuntimeTaskInstance, branch_ids: list[str]) -> None:
        self.channel.request("follow_branches", branch_ids=list(branch_ids))

    def short_circuit(self, ti: RuntimeTaskInstance, ignore_downstream_trigger_rules: bool) -> None:
        self.channel.request(
            "short_circuit", ignore_downstream_trigger_rules=ignore_downstream_trigger_rules
        )

    def first_reschedule_date(self, ti: RuntimeTaskInstance) -> Any:
        return from_iso(self.channel.request("first_reschedule_date"))

    # other runs

    def trigger_dag_run(
        self,
        dag_id: str,
        run_id: str | None,
        conf: dict[str, Any] | None,
        logical_date: Any,
        reset_dag_run: bool,
    ) -> str:
        return str(
            self.channel.request(
                "trigger_dag_run",
                dag_id=dag_id,
                run_id=run_id,
                conf=conf,
                logical_date=to_iso(logical_date) if logical_date is not None else None,
                reset_dag_run=reset_dag_run,
            )
        )

    def get_dag_run_state(self, dag_id: str, run_id: str) -> str | None:
        state = self.channel.request("get_dag_run_state", dag_id=dag_id, run_id=run_id)
        return None if state is None else str(state)

    # variables and connections (RuntimeBackend)

    def get_variable(self, key: str) -> str | None:
        value = self.channel.request("get_variable", key=key)
        self.masker.add_variable(key, value)
        return value if value is None else str(value)

    def set_variable(self, key: str, value: str, description: str | None = None) -> None:
        self.masker.add_variable(key, value)
        self.channel.request("set_variable", key=key, value=value, description=description)

    def delete_variable(self, key: str) -> None:
        self.channel.request("delete_variable", key=key)

    def get_connection(self, conn_id: str) -> dict[str, Any] | None:
        fields = self.channel.request("get_connection", conn_id=conn_id)
        self.masker.add_connection(fields)
        return fields if isinstance(fields, dict) else None


# --- output ---------------------------------------------------------------------------------


class _LogWriter:
    """A file-like object that turns writes into log lines (so they are labelled and masked)."""

    encoding = "utf-8"
    errors = "replace"

    def __init__(self, name: str, level: int) -> None:
        self._logger = logging.getLogger(name)
        self._level = level
        self._buffer = ""

    def write(self, text: str) -> int:
        self._buffer += text
        while "\n" in self._buffer:
            line, self._buffer = self._buffer.split("\n", 1)
            self._logger.log(self._level, "%s", line)
        return len(text)

    def writelines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        if self._buffer:
            self._logger.log(self._level, "%s", self._buffer)
            self._buffer = ""

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        return 2


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass
    for handler in logging.getLogger().handlers:
        handler.flush()


if __name__ == "__main__":
    sys.exit(main())

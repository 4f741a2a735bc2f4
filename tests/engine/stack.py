"""Real Slipstream processes for end-to-end tests: `slipstream scheduler`, `dag-processor` and
`standalone` started as users start them, on a SQLite home in the test's temporary folder.

Every process of a stack (the commands, their warm workers, supervisors and task processes,
which leave their parent's session on purpose) carries the stack's `SLIPSTREAM_HOME` in its
environment; `EngineStack.stop_all` finds them by that in /proc and kills each by its PID, so
nothing outlives the test.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import text

from slipstream.db.engine import Database

SLIPSTREAM = str(Path(sys.executable).with_name("slipstream"))

TERMINAL_RUN_STATES = ("success", "failed")


class EngineStack:
    """Processes on one home; `env` is what each of them gets."""

    def __init__(self, home: Path, dags_folder: Path, output_dir: Path, env: dict[str, str]):
        self.home = home
        self.dags_folder = dags_folder
        self.output_dir = output_dir
        self.env = env
        self.processes: list[subprocess.Popen[bytes]] = []
        self.outputs: list[Path] = []
        self._db: Database | None = None

    # --- processes ------------------------------------------------------------------------

    def start(self, *args: str, name: str | None = None) -> subprocess.Popen[bytes]:
        """`slipstream ARGS...` in the background, its output in a file of `output_dir`."""
        label = name or args[0]
        out = self.output_dir / f"{label}-{len(self.outputs)}.out"
        self.outputs.append(out)
        with open(out, "wb") as handle:
            process = subprocess.Popen(
                [SLIPSTREAM, *args],
                stdin=subprocess.DEVNULL,
                stdout=handle,
                stderr=subprocess.STDOUT,
                env=self.env,
                start_new_session=True,
            )
        self.processes.append(process)
        return process

    def cli(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        """`slipstream ARGS...`, waited for."""
        return subprocess.run(
            [SLIPSTREAM, *args],
            capture_output=True,
            text=True,
            env=self.env,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )

    def trigger(self, dag_id: str, run_id: str, conf: dict[str, Any] | None = None) -> str:
        args = ["dags", "trigger", dag_id, "--run-id", run_id, "--output", "json"]
        if conf is not None:
            args += ["--conf", json.dumps(conf)]
        result = self.cli(*args)
        assert result.returncode == 0, result.stdout + result.stderr
        return run_id

    def kill9(self, pid: int) -> None:
        os.kill(pid, signal.SIGKILL)

    def stack_pids(self) -> list[int]:
        """Live processes started by this stack, found by the home in their environment."""
        marker = f"SLIPSTREAM_HOME={self.home}".encode()
        found = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit() or int(entry) == os.getpid():
                continue
            try:
                environ = Path(f"/proc/{entry}/environ").read_bytes()
                state = Path(f"/proc/{entry}/stat").read_text().rsplit(") ", 1)[1][0]
            except OSError:
                continue
            if state != "Z" and marker in environ.split(b"\0"):
                found.append(int(entry))
        return found

    def stop_all(self) -> None:
        """Kill every process of the stack (by PID), and reap the ones started here."""
        if self._db is not None:
            self._db.dispose()
            self._db = None
        for process in self.processes:
            if process.poll() is None:
                process.kill()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            pids = self.stack_pids()
            if not pids:
                break
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            time.sleep(0.05)
        for process in self.processes:
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:
                pass

    def output(self) -> str:
        """Everything the stack's processes printed so far."""
        return "\n".join(p.read_text(errors="replace") for p in self.outputs if p.exists())

    # --- the metadata database ------------------------------------------------------------

    @property
    def db(self) -> Database:
        if self._db is None:
            self._db = Database(f"sqlite:///{self.home / 'slipstream.db'}", pool_size=1)
        return self._db

    def query(self, sql: str, **params: Any) -> list[Any]:
        with self.db.session() as session:
            return list(session.execute(text(sql), params).all())

    def run_state(self, dag_id: str, run_id: str) -> str | None:
        rows = self.query(
            "SELECT state FROM dag_run WHERE dag_id = :d AND run_id = :r", d=dag_id, r=run_id
        )
        return rows[0][0] if rows else None

    def ti(self, dag_id: str, run_id: str, task_id: str) -> Any:
        rows = self.query(
            "SELECT id, state, try_number, pid, last_heartbeat_at FROM task_instance "
            "WHERE dag_id = :d AND run_id = :r AND task_id = :t AND map_index = -1",
            d=dag_id,
            r=run_id,
            t=task_id,
        )
        return rows[0] if rows else None

    def history(self, dag_id: str, run_id: str, task_id: str) -> list[tuple[int, str]]:
        rows = self.query(
            "SELECT try_number, state FROM task_instance_history "
            "WHERE dag_id = :d AND run_id = :r AND task_id = :t ORDER BY try_number",
            d=dag_id,
            r=run_id,
            t=task_id,
        )
        return [(row[0], row[1]) for row in rows]

    def wait_parsed(self, *dag_ids: str, timeout: float = 60) -> None:
        def parsed() -> bool:
            rows = self.query("SELECT DISTINCT dag_id FROM serialized_dag")
            return set(dag_ids) <= {row[0] for row in rows}

        wait_for(parsed, timeout, f"DAGs {dag_ids} parsed", self)

    def wait_run(self, dag_id: str, run_id: str, timeout: float = 60) -> str:
        state = wait_for(
            lambda: self.run_state(dag_id, run_id) in TERMINAL_RUN_STATES,
            timeout,
            f"run {run_id} of {dag_id} to end",
            self,
        )
        assert state
        return str(self.run_state(dag_id, run_id))


def wait_for(
    predicate: Callable[[], Any],
    timeout: float,
    what: str,
    stack: EngineStack | None = None,
    interval: float = 0.05,
) -> Any:
    """Poll until `predicate()` is truthy; on timeout fail with the processes' output."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            tail = "" if stack is None else "\n--- process output ---\n" + stack.output()[-6000:]
            raise AssertionError(f"timed out after {timeout} s waiting for {what}{tail}")
        time.sleep(interval)


def write_dag(folder: Path, name: str, source: str, **values: Any) -> Path:
    """`name`.py in `folder`: `source` dedented, with `{key}` filled from `values` (repr)."""
    path = folder / f"{name}.py"
    body = textwrap.dedent(source)
    for key, value in values.items():
        body = body.replace("{" + key + "}", repr(value))
    path.write_text(body)
    return path


def children_of(pid: int) -> list[int]:
    """PIDs of the live children of `pid`."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(") ", 1)[1].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(entry))
    return found


def pid_alive(pid: int) -> bool:
    """Whether `pid` is a live process (a zombie is not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1][0]
    except OSError:
        return False
    return state != "Z"


def aware(value: Any) -> dt.datetime:
    """A datetime from a SQLite row (text or naive) as aware UTC."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    assert isinstance(value, dt.datetime)
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)

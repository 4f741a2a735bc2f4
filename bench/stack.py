"""A `slipstream standalone` stack under measurement, watched from outside.

`Stack` starts `slipstream standalone` in a fresh `SLIPSTREAM_HOME` (SQLite, the benchmark DAGs
folder, `core.parallelism=2`, new DAGs unpaused), and reads what it needs straight from the
metadata database with Python's own `sqlite3` (read-only, so the benchmark never takes the write
lock). CPU time and memory of the whole process tree come from `/proc`, with no dependencies.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

READY_LINE = "Slipstream is running"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


@dataclass(frozen=True)
class RunTimes:
    """A finished run as the database has it (UTC datetimes)."""

    run_id: str
    state: str
    queued_at: dt.datetime
    start_date: dt.datetime | None
    end_date: dt.datetime

    @property
    def duration(self) -> float:
        return (self.end_date - self.queued_at).total_seconds()


@dataclass(frozen=True)
class TITimes:
    task_id: str
    map_index: int
    state: str | None
    start_date: dt.datetime | None
    end_date: dt.datetime | None


class Stack:
    """One standalone process tree in its own fresh home (see the module docs)."""

    def __init__(
        self,
        slipstream: str,
        dags_folder: Path,
        dag_ids: list[str],
        *,
        extra_env: dict[str, str] | None = None,
    ) -> None:
        self.slipstream = slipstream
        self.dags_folder = dags_folder
        self.dag_ids = sorted(dag_ids)
        self.home = Path(tempfile.mkdtemp(prefix="slipstream-bench-home-"))
        self.db_path = self.home / "slipstream.db"
        env = {k: v for k, v in os.environ.items() if not k.startswith("SLIPSTREAM")}
        env.update(
            {
                "SLIPSTREAM_HOME": str(self.home),
                "SLIPSTREAM__CORE__DAGS_FOLDER": str(dags_folder),
                "SLIPSTREAM__CORE__PARALLELISM": "2",
                "SLIPSTREAM__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
                "SLIPSTREAM__CORE__LOAD_EXAMPLES": "False",
                **(extra_env or {}),
            }
        )
        self.env = env
        self.proc: subprocess.Popen[bytes] | None = None
        self._log: IO[str] | None = None
        self._running_at: float | None = None
        self._reader: threading.Thread | None = None
        self._db: sqlite3.Connection | None = None

    # --- life cycle ------------------------------------------------------------------------

    def start(self, timeout: float = 60.0) -> float:
        """Start the stack; returns the seconds from process start until it printed its
        "running" line and the DAG processor stored every expected DAG (both)."""
        self._log = open(self.home / "standalone.log", "w")  # noqa: SIM115 - closed in stop()
        started = time.monotonic()
        self.proc = subprocess.Popen(
            [self.slipstream, "standalone"],
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        self._reader = threading.Thread(target=self._read_output, daemon=True)
        self._reader.start()
        dags_at: float | None = None
        deadline = started + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"standalone exited early; see {self.home}/standalone.log")
            if dags_at is None and self._stored_dags() >= len(self.dag_ids):
                dags_at = time.monotonic()
            if dags_at is not None and self._running_at is not None:
                return max(dags_at, self._running_at) - started
            time.sleep(0.002)
        raise TimeoutError(f"the stack was not ready in {timeout} s; see {self.home}")

    def stop(self, timeout: float = 60.0) -> None:
        """SIGTERM the standalone (a clean shutdown), then make sure its tree is gone."""
        proc = self.proc
        if proc is None:
            return
        tree = process_tree(proc.pid)
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        for pid in tree:  # only processes of this stack, by id
            if pid != proc.pid:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
        if self._reader is not None:
            self._reader.join(5.0)
        if self._log is not None:
            self._log.close()
        if self._db is not None:
            self._db.close()
            self._db = None
        self.proc = None

    def __enter__(self) -> Stack:
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        self.stop()
        if exc_type is None:  # a failed scenario keeps its home (logs, database) to look at
            shutil.rmtree(self.home, ignore_errors=True)

    def _read_output(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        for raw in self.proc.stdout:
            line = raw.decode(errors="replace")
            if self._running_at is None and READY_LINE in line:
                self._running_at = time.monotonic()
            if self._log is not None and not self._log.closed:
                self._log.write(line)
                self._log.flush()

    # --- the database, read-only -----------------------------------------------------------

    def _conn(self) -> sqlite3.Connection | None:
        if self._db is None:
            if not self.db_path.exists():
                return None
            self._db = sqlite3.connect(
                f"file:{self.db_path}?mode=ro", uri=True, timeout=10.0, check_same_thread=False
            )
        return self._db

    def _query(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        conn = self._conn()
        if conn is None:
            return []
        try:
            return conn.execute(sql, args).fetchall()
        except sqlite3.OperationalError:  # no tables yet (migrating), or the file just appeared
            self._db = None
            conn.close()
            return []

    def _stored_dags(self) -> int:
        marks = ",".join("?" * len(self.dag_ids))
        rows = self._query(
            f"SELECT COUNT(DISTINCT dag_id) FROM serialized_dag WHERE dag_id IN ({marks})",
            *self.dag_ids,
        )
        return int(rows[0][0]) if rows else 0

    # --- runs ------------------------------------------------------------------------------

    def trigger(self, dag_id: str) -> str:
        """`slipstream dags trigger DAG_ID` (what a user types); returns the run id."""
        out = subprocess.run(
            [self.slipstream, "dags", "trigger", dag_id, "-o", "json"],
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
        )
        if out.returncode != 0:
            raise RuntimeError(f"trigger of {dag_id} failed:\n{out.stderr[-2000:]}")
        return str(json.loads(out.stdout)[0]["run_id"])

    def wait_run(self, dag_id: str, run_id: str, timeout: float = 600.0) -> RunTimes:
        """Wait for the run to end (polling the DB); it must succeed."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            rows = self._query(
                "SELECT state, queued_at, start_date, end_date FROM dag_run "
                "WHERE dag_id = ? AND run_id = ?",
                dag_id,
                run_id,
            )
            if rows and rows[0][0] in ("success", "failed"):
                state, queued, start, end = rows[0]
                if state != "success":
                    raise RuntimeError(f"run {run_id} of {dag_id} ended {state}; see {self.home}")
                return RunTimes(run_id, state, _utc(queued), _utc_or_none(start), _utc(end))
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"standalone exited; see {self.home}/standalone.log")
            time.sleep(0.02)
        raise TimeoutError(f"run {run_id} of {dag_id} did not end in {timeout} s")

    def run(self, dag_id: str, timeout: float = 600.0) -> RunTimes:
        return self.wait_run(dag_id, self.trigger(dag_id), timeout)

    def task_instances(self, dag_id: str, run_id: str) -> list[TITimes]:
        rows = self._query(
            "SELECT task_id, map_index, state, start_date, end_date FROM task_instance "
            "WHERE dag_id = ? AND run_id = ? ORDER BY task_id, map_index",
            dag_id,
            run_id,
        )
        return [TITimes(r[0], r[1], r[2], _utc_or_none(r[3]), _utc_or_none(r[4])) for r in rows]

    # --- the process tree ------------------------------------------------------------------

    def cpu_seconds(self) -> float:
        """CPU time of the whole tree so far (user + system, with reaped children's)."""
        assert self.proc is not None
        return sum(_cpu_of(pid) for pid in process_tree(self.proc.pid))

    def rss_bytes(self) -> int:
        """Sum of the resident set sizes of every process of the tree."""
        assert self.proc is not None
        return sum(_rss_of(pid) for pid in process_tree(self.proc.pid))


# --- /proc ----------------------------------------------------------------------------------


def _stat_fields(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # the command name (field 2) may hold spaces: split after its closing parenthesis
    return text[text.rindex(")") + 2 :].split()


def process_tree(root: int) -> list[int]:
    """`root` and all its descendants (by parent pid), from /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        fields = _stat_fields(int(entry))
        if fields is None:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, ()))
    return tree


def _cpu_of(pid: int) -> float:
    """utime + stime + cutime + cstime of `pid`, in seconds.

    Summed over a tree at two moments, the difference is the tree's CPU use in between: a
    process that exits meanwhile moves its whole time into its parent's cutime/cstime.
    """
    fields = _stat_fields(pid)
    if fields is None:
        return 0.0
    # after the name: state(0) ppid(1) ... utime(11) stime(12) cutime(13) cstime(14)
    return sum(int(fields[i]) for i in (11, 12, 13, 14)) / CLOCK_TICKS


def _rss_of(pid: int) -> int:
    try:
        resident = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return 0
    return resident * PAGE_SIZE


def _utc(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value).replace(tzinfo=dt.UTC)


def _utc_or_none(value: str | None) -> dt.datetime | None:
    return None if value is None else _utc(value)

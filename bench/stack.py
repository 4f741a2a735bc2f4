"""A running stack (Slipstream's or Apache Airflow's) under measurement, watched from outside.

A stack is one `standalone` process tree in a fresh home: the benchmark DAGs folder, new DAGs
unpaused (unless asked otherwise), the same parallelism on both systems, and a metadata database
of the chosen kind (SQLite in the home, or a fresh database on the benchmark's PostgreSQL
server). Figures come from where a user would take them: run and task instance times straight
from the metadata database (read-only; never through the system's own code), CPU time and memory
of the whole process tree from `/proc`, and the REST API over HTTP.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import http.client
import json
import os
import secrets
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from pg import free_port

if TYPE_CHECKING:
    from pg import PostgresServer

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
API_USER = "bench"


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


class ApiUnavailable(Exception):
    """The system has no REST API (or not this route) yet: the scenario is skipped, not faked."""


# --- the metadata database, read-only ----------------------------------------------------------


class Reader:
    """Read-only queries on a metadata database; SQL is written with `?` placeholders."""

    def __init__(self, sqlite_path: Path | None = None, pg_url: str | None = None) -> None:
        self.sqlite_path = sqlite_path
        self.pg_url = pg_url
        self._conn: Any = None

    def _connect(self) -> Any:
        if self._conn is None:
            if self.pg_url is not None:
                import psycopg

                self._conn = psycopg.connect(self.pg_url, autocommit=True)
            else:
                assert self.sqlite_path is not None
                if not self.sqlite_path.exists():
                    return None
                self._conn = sqlite3.connect(
                    f"file:{self.sqlite_path}?mode=ro",
                    uri=True,
                    timeout=10.0,
                    check_same_thread=False,
                )
        return self._conn

    def query(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        try:
            conn = self._connect()
            if conn is None:
                return []
            if self.pg_url is not None:
                return list(conn.execute(sql.replace("?", "%s"), args).fetchall())
            return list(conn.execute(sql, args).fetchall())
        except Exception:  # no tables yet (migrating), or the file just appeared: try again later
            if self.pg_url is None or getattr(self._conn, "broken", True):
                self.close()  # a working server connection is kept: polling costs no new backend
            return []

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.close()
            self._conn = None


class DbChoice:
    """Which kind of metadata database stacks get: `sqlite` or `postgres` (one shared server)."""

    def __init__(self, kind: str, server: PostgresServer | None = None) -> None:
        assert kind in ("sqlite", "postgres")
        assert (kind == "postgres") == (server is not None)
        self.kind = kind
        self.server = server

    def describe(self) -> str:
        if self.server is None:
            return f"SQLite {sqlite3.sqlite_version} (WAL, file in the stack's home)"
        return f"PostgreSQL {self.server.version} (local, default durability)"


# --- stacks --------------------------------------------------------------------------------


class Stack:
    """One standalone process tree in its own fresh home (see the module docs)."""

    system = "?"
    ready_line = "?"
    db_file = "?"
    pg_driver = "?"
    signal_group = False  # stop by SIGTERM to the whole process group (else to its leader)

    def __init__(
        self,
        dags_folder: Path,
        dag_ids: list[str],
        db: DbChoice,
        *,
        parallelism: int,
        paused: bool = False,
        api: bool = True,
    ) -> None:
        self.dags_folder = dags_folder
        self.dag_ids = sorted(dag_ids)
        self.db = db
        self.parallelism = parallelism
        self.paused = paused
        self.want_api = api
        self.home = Path(tempfile.mkdtemp(prefix=f"{self.system}-bench-home-"))
        self.pg_database: str | None = None
        if db.server is not None:
            self.pg_database = db.server.create_database(f"bench_{self.system}")
            self.db_url = db.server.url(self.pg_database, self.pg_driver)
            self.reader = Reader(pg_url=db.server.url(self.pg_database))
        else:
            self.db_url = f"sqlite:///{self.home / self.db_file}"
            self.reader = Reader(sqlite_path=self.home / self.db_file)
        self.api_port = free_port()
        # Both systems write and read compiled bytecode, as installed software does (without
        # it, an editable install's changed modules are compiled again at every start).
        skip = ("SLIPSTREAM", "AIRFLOW", "VIRTUAL_ENV", "PYTHONDONTWRITEBYTECODE")
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(skip)}
        self.proc: subprocess.Popen[bytes] | None = None
        self.extra_procs: list[subprocess.Popen[bytes]] = []
        self._log: IO[str] | None = None
        self._running_at: float | None = None
        self._reader_thread: threading.Thread | None = None
        self.api_note: str | None = None  # why the API is not available, when it is not
        self._token: str | None = None

    # --- life cycle ------------------------------------------------------------------------

    def command(self) -> list[str]:
        raise NotImplementedError

    def start(self, timeout: float = 180.0) -> float:
        """Start the stack; returns the seconds from process start until it is ready: it said
        so (or its health check passed) and every expected DAG is stored in the database."""
        self._log = open(self.home / "standalone.log", "w")  # noqa: SIM115 - closed in stop()
        started = time.monotonic()
        self.proc = subprocess.Popen(
            self.command(),
            env=self.env,
            cwd=self.home,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, stopped by that group's id
        )
        self._reader_thread = threading.Thread(target=self._read_output, daemon=True)
        self._reader_thread.start()
        dags_at: float | None = None
        up_at: float | None = None
        deadline = started + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.system} standalone exited early; see {self.home}")
            if dags_at is None and self.stored_dags() >= len(self.dag_ids):
                dags_at = time.monotonic()
            if up_at is None and self._is_up():
                up_at = time.monotonic()
            if dags_at is not None and up_at is not None:
                return max(dags_at, up_at) - started
            time.sleep(0.005)
        raise TimeoutError(f"the {self.system} stack was not ready in {timeout} s; see {self.home}")

    def _is_up(self) -> bool:
        return self._running_at is not None

    def stop(self, timeout: float = 60.0) -> None:
        """SIGTERM (a clean shutdown), then make sure every process of the stack is gone."""
        for proc in [*self.extra_procs, self.proc]:
            if proc is None:
                continue
            tree = process_tree(proc.pid)
            if proc.poll() is None:
                with contextlib.suppress(OSError):
                    if self.signal_group or proc is not self.proc:
                        os.killpg(proc.pid, signal.SIGTERM)
                    else:
                        proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(OSError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            for pid in tree:  # only processes of this stack, by id
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
        self.extra_procs = []
        if self._reader_thread is not None:
            self._reader_thread.join(5.0)
        if self._log is not None:
            self._log.close()
        self.reader.close()
        self.proc = None

    def __enter__(self) -> Stack:
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        self.stop()
        if exc_type is None:  # a failed scenario keeps its home (logs, database) to look at
            shutil.rmtree(self.home, ignore_errors=True)
            if self.pg_database is not None and self.db.server is not None:
                with contextlib.suppress(Exception):
                    self.db.server.drop_database(self.pg_database)

    def _read_output(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        for raw in self.proc.stdout:
            line = raw.decode(errors="replace")
            if self._running_at is None and self.ready_line in line:
                self._running_at = time.monotonic()
            if self._log is not None and not self._log.closed:
                self._log.write(line)
                self._log.flush()

    # --- the database ----------------------------------------------------------------------

    def stored_dags(self) -> int:
        marks = ",".join("?" * len(self.dag_ids))
        rows = self.reader.query(
            f"SELECT COUNT(DISTINCT dag_id) FROM serialized_dag WHERE dag_id IN ({marks})",
            *self.dag_ids,
        )
        return int(rows[0][0]) if rows else 0

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        raise NotImplementedError

    def trigger(self, dag_id: str) -> str:
        """Trigger a run with the system's CLI (what a user types); returns the run id."""
        out = self.cli("dags", "trigger", dag_id, "-o", "json")
        try:
            rows = json.loads(out.stdout)
        except ValueError:  # Airflow's CLI logs to stdout before its JSON line
            rows = json.loads([x for x in out.stdout.splitlines() if x.startswith("[")][-1])
        row = rows[0]
        return str(row.get("run_id") or row["dag_run_id"])

    def unpause_matching(self, pattern: str) -> None:
        self.cli("dags", "unpause", "--treat-dag-id-as-regex", "-y", pattern)

    def wait_run(self, dag_id: str, run_id: str, timeout: float = 1800.0) -> RunTimes:
        """Wait for the run to end (polling the DB); it must succeed."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            rows = self.reader.query(
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
            self._check_alive()
            time.sleep(0.02)
        raise TimeoutError(f"run {run_id} of {dag_id} did not end in {timeout} s")

    def run(self, dag_id: str, timeout: float = 1800.0) -> RunTimes:
        return self.wait_run(dag_id, self.trigger(dag_id), timeout)

    def run_counts(self, dag_prefix: str) -> dict[str, int]:
        rows = self.reader.query(
            "SELECT state, COUNT(*) FROM dag_run WHERE dag_id LIKE ? GROUP BY state",
            dag_prefix + "%",
        )
        return {str(state): int(n) for state, n in rows}

    def runs_window(self, dag_prefix: str) -> tuple[dt.datetime, dt.datetime]:
        rows = self.reader.query(
            "SELECT MIN(queued_at), MAX(end_date) FROM dag_run WHERE dag_id LIKE ?",
            dag_prefix + "%",
        )
        return _utc(rows[0][0]), _utc(rows[0][1])

    def count_tis(self, dag_prefix: str, state: str) -> int:
        rows = self.reader.query(
            "SELECT COUNT(*) FROM task_instance WHERE dag_id LIKE ? AND state = ?",
            dag_prefix + "%",
            state,
        )
        return int(rows[0][0]) if rows else 0

    def task_instances(self, dag_id: str, run_id: str) -> list[TITimes]:
        rows = self.reader.query(
            "SELECT task_id, map_index, state, start_date, end_date FROM task_instance "
            "WHERE dag_id = ? AND run_id = ? ORDER BY task_id, map_index",
            dag_id,
            run_id,
        )
        return [TITimes(r[0], r[1], r[2], _utc_or_none(r[3]), _utc_or_none(r[4])) for r in rows]

    def _check_alive(self) -> None:
        if self.proc is not None and self.proc.poll() is not None:
            raise RuntimeError(f"{self.system} standalone exited; see {self.home}")

    # --- the process tree ------------------------------------------------------------------

    def roots(self) -> list[int]:
        return [p.pid for p in [self.proc, *self.extra_procs] if p is not None]

    def all_pids(self) -> list[int]:
        pids: list[int] = []
        for root in self.roots():
            pids.extend(process_tree(root))
        return pids

    def cpu_meter(self) -> CpuMeter:
        """Counts the CPU time the whole tree uses from now on (call `sample()` often)."""
        return CpuMeter(self.roots)

    def rss_bytes(self) -> int:
        """Sum of the resident set sizes of every process of the tree."""
        return sum(_rss_of(pid) for pid in self.all_pids())

    def pss_bytes(self) -> int:
        """Sum of the proportional set sizes (shared pages split between their users)."""
        return sum(_pss_of(pid) for pid in self.all_pids())

    def scheduler_pid(self) -> int:
        raise NotImplementedError

    def scheduler_cpu_seconds(self) -> float:
        """CPU time of the scheduler process itself (not of the tasks it starts)."""
        return _own_cpu_of(self.scheduler_pid())

    # --- the REST API ----------------------------------------------------------------------

    def api_password(self) -> str:
        raise NotImplementedError

    def api_connection(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.api_port, timeout=60)

    def api_token(self) -> str:
        if self._token is None:
            if self.api_note is not None:
                raise ApiUnavailable(self.api_note)
            user = getattr(self, "api_user", API_USER)
            body = json.dumps({"username": user, "password": self.api_password()})
            status, data = self.api_request("POST", "/auth/token", body, auth=False)
            if status not in (200, 201):
                raise ApiUnavailable(f"POST /auth/token answered {status}")
            self._token = str(json.loads(data)["access_token"])
        return self._token

    def api_request(
        self,
        method: str,
        path: str,
        body: str | None = None,
        *,
        auth: bool = True,
        conn: http.client.HTTPConnection | None = None,
    ) -> tuple[int, bytes]:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if auth:
            headers["Authorization"] = f"Bearer {self.api_token()}"
        own = conn is None
        conn = conn or self.api_connection()
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            if own:
                conn.close()

    def api_answers(self) -> bool:
        try:
            conn = self.api_connection()
            conn.timeout = 2
            conn.request("GET", "/api/v2/version")
            conn.getresponse().read()
            conn.close()
            return True
        except OSError:
            return False


class SlipstreamStack(Stack):
    """`slipstream standalone`, with its API server when it has one (it prints the API's address
    in its banner and keeps the `admin` user's password in its home); an older standalone without
    one gets a separate `slipstream api-server` of the same home, counted in the stack's CPU and
    memory, and a `bench` admin user."""

    system = "slipstream"
    ready_line = "Press Ctrl-C to stop"  # the end of the banner
    db_file = "slipstream.db"
    pg_driver = "psycopg"
    password_file = "standalone_admin_password.txt"

    def __init__(self, slipstream: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.slipstream = slipstream
        self.api_user = API_USER
        self.password = secrets.token_urlsafe(12)
        self.api_in_standalone = False
        self.env.update(
            {
                "SLIPSTREAM_HOME": str(self.home),
                "SLIPSTREAM__CORE__DAGS_FOLDER": str(self.dags_folder),
                "SLIPSTREAM__CORE__PARALLELISM": str(self.parallelism),
                "SLIPSTREAM__CORE__DAGS_ARE_PAUSED_AT_CREATION": str(self.paused),
                "SLIPSTREAM__CORE__LOAD_EXAMPLES": "False",
                "SLIPSTREAM__DATABASE__SQL_ALCHEMY_CONN": self.db_url,
                "SLIPSTREAM__API__PORT": str(self.api_port),
                "SLIPSTREAM__API__ACCESS_LOGFILE": "",
            }
        )

    def command(self) -> list[str]:
        return [self.slipstream, "standalone"]

    def _read_output(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        for raw in self.proc.stdout:
            line = raw.decode(errors="replace")
            if "REST API at" in line or "API server:" in line:  # the banner names the API
                self.api_in_standalone = True
            if self._running_at is None and self.ready_line in line:
                self._running_at = time.monotonic()
            if self._log is not None and not self._log.closed:
                self._log.write(line)
                self._log.flush()

    def _is_up(self) -> bool:
        """The banner is out and, when standalone serves the API, the API answers."""
        if self._running_at is None:
            return False
        return not self.api_in_standalone or self.api_answers()

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        out = subprocess.run(
            [self.slipstream, *args], env=self.env, capture_output=True, text=True, check=False
        )
        if check and out.returncode != 0:
            raise RuntimeError(f"slipstream {' '.join(args)} failed:\n{out.stderr[-2000:]}")
        return out

    def start(self, timeout: float = 180.0) -> float:
        ready = super().start(timeout)
        if self.api_in_standalone:
            password = self.home / self.password_file
            if password.exists():
                self.api_user, self.password = "admin", password.read_text().strip()
            else:
                self.api_note = f"no {self.password_file} in the home"
        elif self.want_api:
            self._start_api()
        return ready

    def _start_api(self) -> None:
        """A separate API server and an admin user, if this version has them; else `api_note`."""
        log = open(self.home / "api-server.log", "w")  # noqa: SIM115 - lives with the stack
        proc = subprocess.Popen(
            [self.slipstream, "api-server", "--port", str(self.api_port)],
            env=self.env,
            cwd=self.home,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.extra_procs.append(proc)
        deadline = time.monotonic() + 60
        while not self.api_answers():
            if proc.poll() is not None or time.monotonic() > deadline:
                self.api_note = "`slipstream api-server` did not start"
                return
            time.sleep(0.02)
        user = self.cli(
            *("users", "create", "--username", API_USER, "--password", self.password),
            *("--role", "admin"),
            check=False,
        )
        if user.returncode != 0:
            self.api_note = "no `slipstream users create` yet"

    def api_password(self) -> str:
        return self.password

    def scheduler_pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid  # standalone runs the scheduler (and executor) in its own process


class AirflowStack(Stack):
    """`airflow standalone` (api-server, scheduler, dag-processor, triggerer) with the
    LocalExecutor; its SimpleAuthManager gets one admin user, `bench`."""

    system = "airflow"
    ready_line = "Airflow is ready"
    signal_group = True
    db_file = "airflow.db"
    pg_driver = "psycopg2"

    def __init__(self, airflow: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.airflow = airflow
        self.env.update(airflow_env(self.home, self.dags_folder, self.db_url, self.parallelism))
        self.env["PATH"] = f"{Path(airflow).parent}{os.pathsep}{self.env.get('PATH', '')}"
        self.env.update(
            {
                "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": str(self.paused),
                "AIRFLOW__API__PORT": str(self.api_port),
                "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": (
                    f"http://localhost:{self.api_port}/execution/"
                ),
                "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{API_USER}:admin",
            }
        )

    def command(self) -> list[str]:
        return [self.airflow, "standalone"]

    def _is_up(self) -> bool:
        """The API server answers, and its health check says the scheduler (and DAG processor)
        are healthy. (Standalone's own "Airflow is ready" line comes before the API listens.)"""
        try:
            conn = self.api_connection()
            conn.timeout = 2
            conn.request("GET", "/api/v2/monitor/health")
            response = conn.getresponse()
            body = response.read()
            conn.close()
        except OSError:
            return False
        if response.status != 200:
            return False
        health = json.loads(body)
        return all(
            health.get(part, {}).get("status") == "healthy"
            for part in ("metadatabase", "scheduler", "dag_processor")
            if part in health
        )

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        out = subprocess.run(
            [self.airflow, *args], env=self.env, capture_output=True, text=True, check=False
        )
        if check and out.returncode != 0:
            raise RuntimeError(f"airflow {' '.join(args)} failed:\n{out.stderr[-3000:]}")
        return out

    def api_password(self) -> str:
        path = self.home / "simple_auth_manager_passwords.json.generated"
        deadline = time.monotonic() + 30
        while not path.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        return str(json.loads(path.read_text())[API_USER])

    def scheduler_pid(self) -> int:
        """The `airflow scheduler` process standalone started (its own CPU excludes the
        executor's worker processes and the tasks)."""
        assert self.proc is not None
        tree = set(process_tree(self.proc.pid))
        for pid in sorted(tree):
            argv = _cmdline(pid)
            if "scheduler" in argv and _parent_of(pid) not in _matching(tree, "scheduler"):
                return pid
        raise RuntimeError("no airflow scheduler process found")


def airflow_env(home: Path, dags_folder: Path, db_url: str, parallelism: int) -> dict[str, str]:
    """Airflow's settings for a benchmark home (see shared running-airflow notes)."""
    return {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(dags_folder),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__PARALLELISM": str(parallelism),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": db_url,
        "AIRFLOW__API_AUTH__JWT_SECRET": "bench-" + "x" * 64,
        "AIRFLOW__API__SECRET_KEY": "bench-" + "y" * 64,
        # Tasks call the API server; on a busy machine its first answers can take longer than
        # the default 5 s, and a task then fails. Waiting longer changes no figure otherwise.
        "AIRFLOW__WORKERS__EXECUTION_API_TIMEOUT": "60",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
    }


class CpuMeter:
    """CPU time used by a changing process tree, sampled from /proc.

    Each sample adds, for every process seen both times, what its user + system time (its own
    and its reaped children's) grew by, and for a new process all of it. A process that vanished
    meanwhile and was reaped by a watched parent shows up in that parent's children's time,
    already counted once: that much is taken back (no more than the parent's children's time
    grew, since a process reaped elsewhere or auto-reaped adds nothing there). When its parent
    vanished in the same interval too, both show up in the first ancestor still alive (a
    retiring supervisor slot reaps its task forker, which reaped every task process it ran,
    and is reaped by the warm worker right after). A process that
    vanished unseen by any watched parent loses at most its last interval: sample often.
    """

    def __init__(self, roots: Callable[[], list[int]]) -> None:
        self.roots = roots
        self.total = 0.0
        self.last = self._snapshot()

    def _snapshot(self) -> dict[int, tuple[float, float, int]]:
        """pid → (own CPU, reaped children's CPU, parent pid)."""
        snap = {}
        for root in self.roots():
            for pid in process_tree(root):
                fields = _stat_fields(pid)
                if fields is not None:
                    own = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
                    children = (int(fields[13]) + int(fields[14])) / CLOCK_TICKS
                    snap[pid] = (own, children, int(fields[1]))
        return snap

    def sample(self) -> float:
        now = self._snapshot()
        delta = 0.0
        for pid, (own, children, _) in now.items():
            if pid in self.last:
                before = self.last[pid]
                delta += own + children - before[0] - before[1]
            else:
                delta += own + children
        vanished: dict[int, float] = {}
        for pid, (own, children, ppid) in self.last.items():
            if pid not in now:
                while ppid in self.last and ppid not in now:  # its parent went too: climb
                    ppid = self.last[ppid][2]
                vanished[ppid] = vanished.get(ppid, 0.0) + own + children
        for ppid, counted in vanished.items():
            if ppid in now and ppid in self.last:
                grew = now[ppid][1] - self.last[ppid][1]
                delta -= min(counted, max(grew, 0.0))
        self.total += delta
        self.last = now
        return self.total


# --- /proc ----------------------------------------------------------------------------------


def _stat_fields(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # the command name (field 2) may hold spaces: split after its closing parenthesis
    return text[text.rindex(")") + 2 :].split()


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _parent_of(pid: int) -> int:
    fields = _stat_fields(pid)
    return int(fields[1]) if fields else 0


def _matching(pids: set[int], word: str) -> set[int]:
    return {pid for pid in pids if word in _cmdline(pid)}


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


def _own_cpu_of(pid: int) -> float:
    """utime + stime of `pid` alone (all its threads; not its children).

    Fields after the name: state(0) ppid(1) … utime(11) stime(12) cutime(13) cstime(14).
    """
    fields = _stat_fields(pid)
    if fields is None:
        return 0.0
    return sum(int(fields[i]) for i in (11, 12)) / CLOCK_TICKS


def _rss_of(pid: int) -> int:
    try:
        resident = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return 0
    return resident * PAGE_SIZE


def _pss_of(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    except (OSError, IndexError, ValueError):
        pass
    return 0


def _utc(value: str | dt.datetime) -> dt.datetime:
    if isinstance(value, dt.datetime):
        parsed = value
    else:
        parsed = dt.datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(dt.UTC)


def _utc_or_none(value: str | dt.datetime | None) -> dt.datetime | None:
    return None if value is None else _utc(value)

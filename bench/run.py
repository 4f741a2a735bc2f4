"""Slipstream's benchmark harness: honest timings of what users wait for.

Each scenario runs several times after a warm-up; we report the median with min and max. Wall
times of commands are taken from outside the process, as a user experiences them. With
`--compare`, Apache Airflow (installed into bench/.airflow-venv on first use) runs the same DAG
files with the same parallelism on the same kind of database, in turns with Slipstream (A, B,
A, B …), so both see the same machine load. Results go to `bench/results/latest.json`, a dated
copy next to it (the history), and a markdown table (stdout and `bench/results/latest.md`).

    python bench/run.py [--quick] [--compare] [--db sqlite|postgres] [--only NAME ...]
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import itertools
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from many_dags import API_TARGET, PREFIX, write_many_dags
from pg import PostgresServer
from stack import AirflowStack, ApiUnavailable, DbChoice, SlipstreamStack, Stack, airflow_env

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
RESULTS = BENCH / "results"
PYTHON = sys.executable
SLIPSTREAM = str(Path(PYTHON).with_name("slipstream"))
DAGS = BENCH / "dags"
BIG_DAGS = BENCH / "big_dags"
BENCH_DAGS = ["bench_chain20", "bench_fanout100", "bench_fanout1000"]

# name → (unit, True when higher is better)
SCENARIOS: dict[str, tuple[str, bool]] = {
    "import_sdk": ("s", False),
    "load_1000_tasks": ("s", False),
    "load_1000_tasks_mem": ("MB", False),
    "dags_test_chain20": ("s", False),
    "dags_test_fanout100": ("s", False),
    "ready": ("s", False),
    "sched_chain20": ("s", False),
    "sched_gap": ("s", False),
    "sched_gap_p95": ("s", False),
    "sched_fanout100": ("s", False),
    "sched_fanout1000": ("s", False),
    "sched_tis_per_s": ("TI/s", True),
    "idle_cpu": ("%", False),
    "idle_rss": ("MB", False),
    "idle_pss": ("MB", False),
    "parse_1000_dags": ("s", False),
    "sched_1000_dags": ("s", False),
    "sched_1000_dags_tis_per_s": ("TI/s", True),
    "sched_1000_dags_cpu_per_ti": ("s", False),
    "sched_1000_dags_stack_cpu_per_ti": ("s", False),
    "api_list_dags": ("s", False),
    "api_list_dags_p95": ("s", False),
    "api_trigger": ("s", False),
    "api_trigger_p95": ("s", False),
    "ui_dags_page_1000": ("s", False),
    "ui_grid_100x100": ("s", False),
}
IN_PROCESS = ["import_sdk", "load_1000_tasks", "dags_test_chain20", "dags_test_fanout100"]
ENGINE = [
    "ready",
    "sched_chain20",
    "sched_gap",
    "sched_gap_p95",
    "sched_fanout100",
    "sched_fanout1000",
    "sched_tis_per_s",
    "idle_cpu",
    "idle_rss",
    "idle_pss",
]
MANY = [
    "parse_1000_dags",
    "sched_1000_dags",
    "sched_1000_dags_tis_per_s",
    "sched_1000_dags_cpu_per_ti",
    "sched_1000_dags_stack_cpu_per_ti",
    "api_list_dags",
    "api_list_dags_p95",
    "api_trigger",
    "api_trigger_p95",
]
UI = ["ui_dags_page_1000", "ui_grid_100x100"]  # bench/ui_pages.py (its `UI`); Slipstream only
QUICK_SKIPS = set(MANY)  # minutes of work: not in --quick


@dataclass
class Plan:
    """How many repetitions of what; set by the mode (see `plan_for`)."""

    in_process_runs: int  # after one warm-up
    rounds: int  # fresh stacks per system, in turns
    ready_only_starts: int  # extra fresh-home starts per round (the very first is a warm-up)
    runs_per_round: int  # chain20 and fanout100 runs per stack, after one warm-up run each
    fanout1000_runs: int  # per stack (no warm-up: the stack is warm by then)
    idle_slices: int  # of IDLE_SLICE_S each
    api_requests: int  # per API scenario, after a few warm-up requests
    many_timeout: float  # seconds the 1,000-DAG scenario may take


def plan_for(quick: bool, compare: bool) -> Plan:
    if quick:
        return Plan(3, 1, 2, 3, 1, 1, 20, 900.0)
    if compare:  # Airflow's runs take minutes: ~1 h 20 in all on a 2-core machine
        return Plan(5, 2, 1, 2, 1, 4, 50, 1800.0)
    return Plan(7, 2, 2, 4, 2, 4, 50, 900.0)


IDLE_SETTLE_S = 5.0
IDLE_SLICE_S = 15.0


@dataclass
class Results:
    values: dict[tuple[str, str], list[float]] = field(default_factory=dict)
    skipped: dict[tuple[str, str], str] = field(default_factory=dict)
    notes: dict[tuple[str, str], str] = field(default_factory=dict)

    def add(self, system: str, name: str, value: float) -> None:
        self.values.setdefault((system, name), []).append(value)

    def skip(self, system: str, name: str, note: str) -> None:
        self.skipped.setdefault((system, name), note)

    def note(self, system: str, name: str, note: str) -> None:
        self.notes[(system, name)] = note


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- the systems ------------------------------------------------------------------------------


class System:
    """How one system runs each scenario (commands and stacks)."""

    name = "?"

    def __init__(self, db: DbChoice, parallelism: int) -> None:
        self.db = db
        self.parallelism = parallelism

    def setup(self) -> None:
        """One-time, untimed preparation (a migrated database for CLI commands)."""

    def teardown(self) -> None:
        """Undo `setup`."""

    def import_sdk(self) -> float:
        raise NotImplementedError

    def load_1000_tasks(self) -> tuple[float, float]:
        raise NotImplementedError

    def dags_test(self, dag_id: str) -> float:
        raise NotImplementedError

    def stack(
        self, dags_folder: Path, dag_ids: list[str], *, paused: bool = False, api: bool = True
    ) -> Stack:
        raise NotImplementedError

    def version(self) -> str:
        raise NotImplementedError


def clean_env() -> dict[str, str]:
    """This environment without either system's settings, and with compiled bytecode written
    and read as installed software does (an editable install would otherwise compile its
    changed modules again at every start)."""
    skip = ("AIRFLOW", "SLIPSTREAM", "PYTHONDONTWRITEBYTECODE")
    return {k: v for k, v in os.environ.items() if not k.startswith(skip)}


class Slipstream(System):
    name = "slipstream"

    def __init__(self, db: DbChoice, parallelism: int) -> None:
        super().__init__(db, parallelism)
        self.home = Path(tempfile.mkdtemp(prefix="slipstream-bench-cli-"))
        self.env = clean_env()
        self.env["SLIPSTREAM_HOME"] = str(self.home)

    def teardown(self) -> None:
        shutil.rmtree(self.home, ignore_errors=True)

    def import_sdk(self) -> float:
        return timed_command(
            [PYTHON, "-c", "import slipstream.sdk; from slipstream.sdk import DAG, task"], self.env
        )

    def load_1000_tasks(self) -> tuple[float, float]:
        return reported_pair([PYTHON, "-c", SLIPSTREAM_LOAD, str(BIG_DAGS)], env=self.env)

    def dags_test(self, dag_id: str) -> float:
        return timed_command(
            [SLIPSTREAM, "dags", "test", dag_id, "--dags-folder", str(DAGS), "-o", "json"],
            self.env,
        )

    def stack(
        self, dags_folder: Path, dag_ids: list[str], *, paused: bool = False, api: bool = True
    ) -> Stack:
        return SlipstreamStack(
            SLIPSTREAM, dags_folder, dag_ids, self.db, parallelism=self.parallelism, paused=paused,
            api=api,
        )  # fmt: skip

    def version(self) -> str:
        out = subprocess.run([SLIPSTREAM, "version"], capture_output=True, text=True, check=False)
        return out.stdout.strip().splitlines()[-1] if out.stdout.strip() else "?"


class Airflow(System):
    name = "airflow"

    def __init__(self, db: DbChoice, parallelism: int) -> None:
        super().__init__(db, parallelism)
        from airflow_venv import airflow_bin, airflow_python, ensure_airflow

        self._version = ensure_airflow()
        self.python = str(airflow_python())
        self.airflow = str(airflow_bin())
        self.home = Path(tempfile.mkdtemp(prefix="airflow-bench-cli-"))
        self.pg_database: str | None = None
        self.env: dict[str, str] = {}

    def setup(self) -> None:
        if self.db.server is not None:
            self.pg_database = self.db.server.create_database("bench_airflow_cli")
            url = self.db.server.url(self.pg_database, "psycopg2")
        else:
            url = f"sqlite:///{self.home / 'airflow.db'}"
        env = clean_env()
        env.update(airflow_env(self.home, DAGS, url, self.parallelism))
        env["PATH"] = f"{Path(self.airflow).parent}{os.pathsep}{env.get('PATH', '')}"
        self.env = env
        log(f"airflow: migrating the database of the CLI scenarios ({self.db.kind})")
        subprocess.run(
            [self.airflow, "db", "migrate"], env=env, capture_output=True, check=True, cwd=self.home
        )

    def teardown(self) -> None:
        shutil.rmtree(self.home, ignore_errors=True)
        if self.pg_database is not None and self.db.server is not None:
            with contextlib.suppress(Exception):
                self.db.server.drop_database(self.pg_database)

    def import_sdk(self) -> float:
        return timed_command([self.python, "-c", "from airflow.sdk import DAG, task"], self.env)

    def load_1000_tasks(self) -> tuple[float, float]:
        return reported_pair([self.python, "-c", AIRFLOW_LOAD, str(BIG_DAGS)], env=self.env)

    def dags_test(self, dag_id: str) -> float:
        return timed_command([self.airflow, "dags", "test", dag_id], self.env, cwd=self.home)

    def stack(
        self, dags_folder: Path, dag_ids: list[str], *, paused: bool = False, api: bool = True
    ) -> Stack:
        return AirflowStack(
            self.airflow, dags_folder, dag_ids, self.db,
            parallelism=self.parallelism, paused=paused, api=api,
        )  # fmt: skip

    def version(self) -> str:
        return self._version


# Time: the first load in a fresh process, after the authoring API is imported. Memory: the
# peak of Python allocations (tracemalloc) while the same file is loaded a second time, in the
# same process; an RSS high-water mark would depend on how much free memory imports left behind.
LOAD_TEMPLATE = """
import sys, time, tracemalloc
{imports}
t = time.perf_counter()
bag = DagBag(sys.argv[1])
elapsed = time.perf_counter() - t
assert len(bag.dags) == 2 and not bag.import_errors, bag.import_errors
del bag
tracemalloc.start()
bag = DagBag(sys.argv[1])
peak = tracemalloc.get_traced_memory()[1]
assert len(bag.dags) == 2 and not bag.import_errors, bag.import_errors
print(elapsed, peak / 2**20)
"""
SLIPSTREAM_LOAD = LOAD_TEMPLATE.format(
    imports="import slipstream.sdk\n"
    "from slipstream.dagfiles.bag import DagBag\n"
    "from slipstream.sdk import DAG, task\n"
    "from slipstream.sdk.operators.empty import EmptyOperator"
)
AIRFLOW_LOAD = LOAD_TEMPLATE.format(
    imports="from airflow.sdk import DAG, task\n"
    "from airflow.providers.standard.operators.empty import EmptyOperator\n"
    "from airflow.dag_processing.dagbag import DagBag"
)


def timed_command(
    cmd: list[str], env: dict[str, str] | None = None, cwd: Path | None = None
) -> float:
    """Wall seconds of one command, which must succeed."""
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, env=env, cwd=cwd, check=False)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd} failed ({proc.returncode}):\n{proc.stderr.decode()[-3000:]}")
    return elapsed


def reported_pair(cmd: list[str], env: dict[str, str] | None) -> tuple[float, float]:
    """Two figures a helper process measured itself and printed as its last line."""
    proc = subprocess.run(cmd, capture_output=True, env=env, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd[:3]} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    first, second = proc.stdout.strip().splitlines()[-1].split()
    return float(first), float(second)


# --- scenarios run as commands ------------------------------------------------------------------


def in_process(systems: list[System], plan: Plan, wanted: set[str], results: Results) -> None:
    """Warm-up of each system, then the runs in turns (A, B, A, B …)."""
    jobs: dict[str, Callable[[System, Results], None]] = {
        "import_sdk": lambda s, r: r.add(s.name, "import_sdk", s.import_sdk()),
        "load_1000_tasks": _load,
        "dags_test_chain20": lambda s, r: r.add(
            s.name, "dags_test_chain20", s.dags_test("bench_chain20")
        ),
        "dags_test_fanout100": lambda s, r: r.add(
            s.name, "dags_test_fanout100", s.dags_test("bench_fanout100")
        ),
    }
    for name, job in jobs.items():
        if name not in wanted:
            continue
        log(f"{name} …")
        for system in systems:  # warm-up: page cache, .pyc files
            job(system, Results())
        for _ in range(plan.in_process_runs):
            for system in systems:
                job(system, results)


def _load(system: System, results: Results) -> None:
    seconds, megabytes = system.load_1000_tasks()
    results.add(system.name, "load_1000_tasks", seconds)
    results.add(system.name, "load_1000_tasks_mem", megabytes)


# --- the engine: scheduler, local executor, standalone --------------------------------------


def chain_gaps(stack: Stack, dag_id: str, run_id: str) -> list[float]:
    """End → start gaps between consecutive tasks of a chain (task ids sort in chain order)."""
    tis = stack.task_instances(dag_id, run_id)
    gaps = []
    for before, after in itertools.pairwise(tis):
        assert before.end_date is not None and after.start_date is not None
        gaps.append((after.start_date - before.end_date).total_seconds())
    return gaps


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def engine_round(
    system: System, plan: Plan, wanted: set[str], results: Results, first: bool
) -> None:
    """Fresh-home starts, then one stack: chain, fan-outs, idle; each after a warm-up run."""
    name = system.name
    main_stack = bool(wanted & (set(ENGINE) - {"ready"}))
    if "ready" in wanted:
        for i in range(plan.ready_only_starts + (0 if main_stack else 1)):
            with system.stack(DAGS, BENCH_DAGS, api=False) as stack:
                ready = stack.start()
            warm = " (warm-up)" if first and not i else ""
            log(f"  {name} ready (fresh home): {ready:.3f} s{warm}")
            if not (first and i == 0):
                results.add(name, "ready", ready)
    if not main_stack:
        return
    with system.stack(DAGS, BENCH_DAGS) as stack:
        ready = stack.start()
        if "ready" in wanted:
            results.add(name, "ready", ready)
        log(f"  {name} stack ready in {ready:.3f} s ({stack.home})")
        worked = False
        if wanted & {"sched_chain20", "sched_gap", "sched_gap_p95"}:
            stack.run("bench_chain20")  # warm-up
            for _ in range(plan.runs_per_round):
                done = stack.run("bench_chain20")
                gaps = chain_gaps(stack, "bench_chain20", done.run_id)
                results.add(name, "sched_chain20", done.duration)
                results.add(name, "sched_gap", statistics.median(gaps))
                results.add(name, "sched_gap_p95", percentile(gaps, 0.95))
                log(f"  {name} chain20: {done.duration:.3f} s, gap {statistics.median(gaps):.4f} s")
            worked = True
        if "sched_fanout100" in wanted:
            stack.run("bench_fanout100")  # warm-up
            for _ in range(plan.runs_per_round):
                done = stack.run("bench_fanout100")
                results.add(name, "sched_fanout100", done.duration)
                log(f"  {name} fanout100: {done.duration:.3f} s")
            worked = True
        if wanted & {"sched_fanout1000", "sched_tis_per_s"}:
            for _ in range(plan.fanout1000_runs):
                done = stack.run("bench_fanout1000")
                count = len(stack.task_instances("bench_fanout1000", done.run_id))
                results.add(name, "sched_fanout1000", done.duration)
                results.add(name, "sched_tis_per_s", count / done.duration)
                log(f"  {name} fanout1000: {done.duration:.3f} s")
            worked = True
        if wanted & {"idle_cpu", "idle_rss", "idle_pss"}:
            if not worked:
                stack.run("bench_chain20")  # an idle stack is one that has worked
            idle(stack, plan.idle_slices, results)


def idle(stack: Stack, slices: int, results: Results) -> None:
    """CPU (% of one core) and total RSS (MB) of the idle tree, per slice of IDLE_SLICE_S."""
    time.sleep(IDLE_SETTLE_S)
    meter = stack.cpu_meter()
    for _ in range(slices):
        start_cpu, start = meter.sample(), time.monotonic()
        samples, pss = [], []
        while time.monotonic() - start < IDLE_SLICE_S:
            time.sleep(0.5)
            samples.append(stack.rss_bytes() / 2**20)
            meter.sample()
            if len(samples) % 4 == 0:
                pss.append(stack.pss_bytes() / 2**20)
        elapsed = time.monotonic() - start
        cpu = 100.0 * (meter.sample() - start_cpu) / elapsed
        results.add(stack.system, "idle_cpu", cpu)
        results.add(stack.system, "idle_rss", statistics.median(samples))
        results.add(stack.system, "idle_pss", statistics.median(pss))
        log(
            f"  {stack.system} idle: {cpu:.2f} % CPU, {statistics.median(samples):.0f} MB RSS, "
            f"{statistics.median(pss):.0f} MB PSS"
        )


# --- scheduling at scale and the REST API -------------------------------------------------------


def many_dags(
    system: System, plan: Plan, wanted: set[str], results: Results, folder: Path, count: int
) -> None:
    """1,000 DAGs (paused at creation) parsed; the API measured on them; then all unpaused at
    once (one CLI command) and timed until every run succeeded."""
    name = system.name
    dag_ids = write_many_dags(folder, count)
    many = [d for d in dag_ids if d.startswith(PREFIX)]
    with system.stack(folder, dag_ids, paused=True) as stack:
        parsed = stack.start(timeout=1200.0)
        log(f"  {name}: {len(dag_ids)} DAGs stored {parsed:.1f} s after start ({stack.home})")
        results.add(name, "parse_1000_dags", parsed)
        if wanted & {"api_list_dags", "api_list_dags_p95", "api_trigger", "api_trigger_p95"}:
            api_scenarios(stack, plan, results, expected_dags=len(dag_ids))
        if not wanted & {"sched_1000_dags", "sched_1000_dags_cpu_per_ti"}:
            return
        tis_expected = 10 * len(many)
        sched_cpu, meter = stack.scheduler_cpu_seconds(), stack.cpu_meter()
        started_wall = dt.datetime.now(dt.UTC)
        started = time.monotonic()
        stack.unpause_matching(f"^{PREFIX}")
        deadline = started + plan.many_timeout
        last_log = started
        while True:
            counts = stack.run_counts(PREFIX)
            if counts.get("success", 0) >= len(many):
                break
            if counts.get("failed"):
                raise RuntimeError(f"{name}: {counts['failed']} runs failed; see {stack.home}")
            if time.monotonic() > deadline:  # what it did so far is measured all the same
                done_tis = stack.count_tis(PREFIX, "success")
                elapsed = time.monotonic() - started
                note = (
                    f"not done in {plan.many_timeout:.0f} s: {done_tis:,} of {tis_expected:,} "
                    f"task instances, {counts.get('success', 0):,} of {len(many):,} runs"
                )
                results.skip(name, "sched_1000_dags", note)
                if done_tis:
                    partial = f"partial: the first {done_tis:,} task instances"
                    results.add(name, "sched_1000_dags_tis_per_s", done_tis / elapsed)
                    results.add(
                        name,
                        "sched_1000_dags_cpu_per_ti",
                        stack_cpu_since(stack, sched_cpu) / done_tis,
                    )
                    results.add(name, "sched_1000_dags_stack_cpu_per_ti", meter.sample() / done_tis)
                    for scenario in ("sched_1000_dags_tis_per_s", "sched_1000_dags_cpu_per_ti",
                                     "sched_1000_dags_stack_cpu_per_ti"):  # fmt: skip
                        results.note(name, scenario, partial)
                log(f"  {name}: {note}")
                return
            if time.monotonic() - last_log > 60:
                last_log = time.monotonic()
                log(f"  {name}: runs {counts}, {stack.count_tis(PREFIX, 'success')} TIs done")
            stack._check_alive()
            meter.sample()
            time.sleep(0.2)
        sched_cpu = stack_cpu_since(stack, sched_cpu)
        stack_cpu = meter.sample()
        _, last_end = stack.runs_window(PREFIX)
        elapsed = (last_end - started_wall).total_seconds()
        tis = stack.count_tis(PREFIX, "success")
        assert tis == tis_expected, (tis, tis_expected)
        results.add(name, "sched_1000_dags", elapsed)
        results.add(name, "sched_1000_dags_tis_per_s", tis / elapsed)
        results.add(name, "sched_1000_dags_cpu_per_ti", sched_cpu / tis)
        results.add(name, "sched_1000_dags_stack_cpu_per_ti", stack_cpu / tis)
        log(
            f"  {name}: {len(many):,} DAGs done in {elapsed:.1f} s (since unpause); scheduler CPU "
            f"{1000 * sched_cpu / tis:.2f} ms/TI, whole stack {1000 * stack_cpu / tis:.1f} ms/TI"
        )


def stack_cpu_since(stack: Stack, before: float) -> float:
    return stack.scheduler_cpu_seconds() - before


API_SCENARIOS = ("api_list_dags", "api_list_dags_p95", "api_trigger", "api_trigger_p95")


def api_scenarios(stack: Stack, plan: Plan, results: Results, expected_dags: int) -> None:
    """Latency of listing the DAGs (a page of 100 of 1,001) and of triggering a run, over one
    kept-alive connection with a bearer token, as a script using the API would."""
    name = stack.system
    try:
        stack.api_token()
        conn = stack.api_connection()
        status, body = stack.api_request("GET", "/api/v2/dags?limit=100", conn=conn)
        if status != 200:
            raise ApiUnavailable(f"GET /api/v2/dags answered {status}")
        total = json.loads(body).get("total_entries")
        if total != expected_dags:
            raise ApiUnavailable(f"GET /api/v2/dags counted {total} DAGs, not {expected_dags}")
        listing = _latencies(stack, conn, "GET", "/api/v2/dags?limit=100", None, plan, 200)
        for value in listing:  # median, min and max over the requests
            results.add(name, "api_list_dags", value)
        results.add(name, "api_list_dags_p95", percentile(listing, 0.95))
        log(f"  {name} list DAGs: median {1000 * statistics.median(listing):.1f} ms")
        path = f"/api/v2/dags/{API_TARGET}/dagRuns"
        status, body = stack.api_request(
            "POST", path, json.dumps({"logical_date": None}), conn=conn
        )
        if status != 200:
            raise ApiUnavailable(f"POST {path} answered {status}: {body[:200]!r}")
        triggering = _latencies(stack, conn, "POST", path, '{"logical_date": null}', plan, 200)
        for value in triggering:
            results.add(name, "api_trigger", value)
        results.add(name, "api_trigger_p95", percentile(triggering, 0.95))
        log(f"  {name} trigger: median {1000 * statistics.median(triggering):.1f} ms")
        conn.close()
    except ApiUnavailable as why:
        log(f"  {name}: API not available: {why}")
        for scenario in API_SCENARIOS:
            results.skip(name, scenario, f"not available: {why}")


def _latencies(
    stack: Stack, conn: object, method: str, path: str, body: str | None, plan: Plan, ok: int
) -> list[float]:
    values = []
    for i in range(plan.api_requests + 3):  # the first three are a warm-up
        started = time.perf_counter()
        status, data = stack.api_request(method, path, body, conn=conn)  # type: ignore[arg-type]
        elapsed = time.perf_counter() - started
        if status != ok:
            raise RuntimeError(f"{method} {path} answered {status}: {data[:300]!r}")
        if i >= 3:
            values.append(elapsed)
    return values


def ui_pages(
    systems: list[System], db: DbChoice, plan: Plan, wanted: set[str], results: Results
) -> None:
    """The web UI in headless Chromium (bench/ui_pages.py); Airflow's UI is not measured."""
    from ui_pages import CHROMIUM, UI, measure

    if not Path(CHROMIUM).exists():
        for name in wanted & set(UI):
            results.skip("slipstream", name, f"no browser: {CHROMIUM} is missing (make deps)")
        return
    log("UI pages …")
    url = None
    if db.server is not None:
        url = db.server.url(db.server.create_database("bench_ui"), "psycopg")

    def record(name: str, seconds: float) -> None:
        results.add("slipstream", name, seconds)

    measure(wanted, plan.in_process_runs, record, log, url)
    for system in systems:
        if system.name != "slipstream":
            for name in wanted & set(UI):
                results.skip(system.name, name, "not measured: Slipstream's UI only")


# --- reporting --------------------------------------------------------------------------------


def machine(db: DbChoice, systems: list[System], parallelism: int) -> dict[str, object]:
    load = os.getloadavg()
    return {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "processor": _cpu_model() or platform.processor() or platform.machine(),
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "date": time.strftime("%Y-%m-%d %H:%M:%S %z"),
        "load_average_at_end": [round(x, 2) for x in load],
        "database": db.describe(),
        "parallelism": parallelism,
        "versions": {s.name: s.version() for s in systems},
        "commit": _git_commit(),
    }


def _cpu_model() -> str | None:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return None


def _git_commit() -> str | None:
    out = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    )
    return out.stdout.strip() or None


def summaries(results: Results, systems: list[System]) -> list[dict[str, object]]:
    rows = []
    for name, (unit, _) in SCENARIOS.items():
        for system in systems:
            key = (system.name, name)
            values = results.values.get(key)
            if values:
                rows.append(
                    {
                        "name": name,
                        "system": system.name,
                        "unit": unit,
                        "median": statistics.median(values),
                        "min": min(values),
                        "max": max(values),
                        "runs": len(values),
                        **({"note": results.notes[key]} if key in results.notes else {}),
                    }
                )
    return rows


def fmt(value: float, unit: str) -> str:
    if unit == "s" and value < 1.0:
        return f"{1000 * value:.3g} ms"
    if unit == "s":
        return f"{value:.3g} s"
    if unit == "%":
        return f"{value:.2f} %"
    if unit == "MB":
        return f"{value:,.1f} MB" if value < 100 else f"{value:,.0f} MB"
    return f"{value:,.1f} {unit}"


def markdown(results: Results, systems: list[System], wanted: set[str]) -> str:
    names = [s.name for s in systems]
    compare = "airflow" in names and "slipstream" in names
    if compare:
        lines = [
            "| scenario | Slipstream: median (min to max) | Airflow: median (min to max) "
            "| Slipstream ahead |",
            "|---|---|---|---|",
        ]
    else:
        lines = ["| scenario | median | min | max | runs |", "|---|---|---|---|---|"]
    for name, (unit, higher_better) in SCENARIOS.items():
        if name not in wanted:
            continue
        cells = []
        medians = {}
        for system in names:
            values = results.values.get((system, name))
            note = results.skipped.get((system, name))
            if values:
                medians[system] = statistics.median(values)
                extra = results.notes.get((system, name))
                extra = f"; {extra}" if extra else ""
                if compare:
                    cells.append(
                        f"{fmt(medians[system], unit)} ({fmt(min(values), unit)} to "
                        f"{fmt(max(values), unit)}; {len(values)} runs{extra})"
                    )
                else:
                    cells.append(
                        f"{fmt(medians[system], unit)} | {fmt(min(values), unit)} | "
                        f"{fmt(max(values), unit)} | {len(values)}{extra}"
                    )
            elif note:
                cells.append(note if compare else f"{note} | | | 0")
            else:
                cells.append("—" if compare else "— | | | 0")
        if compare:
            ours, theirs = medians.get("slipstream"), medians.get("airflow")
            if ours and theirs:
                ratio = ours / theirs if higher_better else theirs / ours
                cells.append(f"{ratio:,.1f}x")
            else:
                cells.append("—")
        lines.append(f"| `{name}` | " + " | ".join(cells) + " |")
    return "\n".join(lines)


# --- main -------------------------------------------------------------------------------------


@contextlib.contextmanager
def database(kind: str) -> Iterator[DbChoice]:
    if kind == "sqlite":
        yield DbChoice("sqlite")
        return
    with PostgresServer() as server:
        yield DbChoice("postgres", server)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions, no 1,000 DAGs")
    parser.add_argument("--compare", action="store_true", help="Apache Airflow too, in turns")
    parser.add_argument(
        "--db",
        choices=["sqlite", "postgres"],
        help="metadata database of the stacks (default: sqlite; postgres with --compare)",
    )
    parser.add_argument("--parallelism", type=int, default=4, help="[core] parallelism (both)")
    parser.add_argument("--only", nargs="*", help="scenario names to run")
    parser.add_argument("--skip", nargs="*", default=[], help="scenario names not to run")
    parser.add_argument("--rounds", type=int, help="fresh stacks per system (default by mode)")
    parser.add_argument(
        "--many-dags", type=int, default=1000, help="DAG count of the scheduling-at-scale stack"
    )
    parser.add_argument("--out", default=str(RESULTS / "latest.json"))
    parser.add_argument("--no-history", action="store_true", help="no dated copy of the results")
    args = parser.parse_args()
    unknown = (set(args.only or ()) | set(args.skip)) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenario(s): {', '.join(sorted(unknown))}")
    plan = plan_for(args.quick, args.compare)
    if args.rounds:
        plan.rounds = args.rounds
    wanted = set(args.only or set(SCENARIOS) - (QUICK_SKIPS if args.quick else set()))
    wanted -= set(args.skip)
    if "load_1000_tasks_mem" in wanted:
        wanted.add("load_1000_tasks")
    if "load_1000_tasks" in wanted:
        wanted.add("load_1000_tasks_mem")
    kind = args.db or ("postgres" if args.compare else "sqlite")
    started = time.monotonic()
    results = Results()
    mode = "quick" if args.quick else "compare" if args.compare else "full"
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    history = None if args.no_history or out.parent != RESULTS else RESULTS / f"{stamp}-{mode}.json"
    with database(kind) as db:
        systems: list[System] = [Slipstream(db, args.parallelism)]
        if args.compare:
            systems.append(Airflow(db, args.parallelism))
        log(f"systems: {', '.join(s.name for s in systems)}; database: {db.describe()}")

        def save(complete: bool) -> str:
            """The results so far: in the dated history file after each step (so a run that is
            stopped keeps what it measured), in `latest` once complete."""
            info = machine(db, systems, args.parallelism)
            info["mode"] = mode
            info["complete"] = complete
            info["elapsed_s"] = round(time.monotonic() - started, 1)
            document = {
                "machine": info,
                "scenarios": summaries(results, systems),
                "skipped": [
                    {"name": name, "system": system, "note": note}
                    for (system, name), note in results.skipped.items()
                ],
            }
            text = json.dumps(document, indent=2) + "\n"
            table = markdown(results, systems, wanted)
            if history is not None:
                history.write_text(text)
                history.with_suffix(".md").write_text(table + "\n")
            if complete:
                out.write_text(text)
                out.with_suffix(".md").write_text(table + "\n")
            return table

        for system in systems:
            system.setup()
        try:
            in_process(systems, plan, wanted, results)
            save(False)
            if wanted & set(ENGINE):
                for r in range(plan.rounds):
                    for system in systems:
                        log(f"round {r + 1}/{plan.rounds}: {system.name}")
                        engine_round(system, plan, wanted, results, first=r == 0)
                        save(False)
            if wanted & set(MANY):
                for system in systems:
                    log(f"1,000 DAGs: {system.name}")
                    folder = Path(tempfile.mkdtemp(prefix="bench-many-dags-"))
                    try:
                        many_dags(system, plan, wanted, results, folder, args.many_dags)
                    finally:
                        shutil.rmtree(folder, ignore_errors=True)
                    save(False)
            if wanted & set(UI):
                ui_pages(systems, db, plan, wanted, results)
                save(False)
            table = save(True)
        finally:
            for system in systems:
                system.teardown()
    print(table)
    log(f"done in {time.monotonic() - started:.1f} s; wrote {out}")


if __name__ == "__main__":
    sys.path.insert(0, str(BENCH))
    main()
